# division by an immediate zero
# type: socket
# expect: div by zero
r0 = 1
r0 /= 0
exit
