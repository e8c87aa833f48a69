# bpf_loop callbacks return 0 or 1
# type: socket
# expect: should have been in [0, 1]
r1 = 4
lddw %r2, func 6
r3 = 0
r4 = 0
call 181
r0 = 0
exit
r0 = 2
exit
