# a helper id nobody knows
# type: socket
# expect: invalid func unknown#100000
call 100000
r0 = 0
exit
