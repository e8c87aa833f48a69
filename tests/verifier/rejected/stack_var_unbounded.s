# a stack pointer plus an unbounded value
# type: socket
# expect: math between fp pointer and register with unbounded min value is not allowed
r2 = *(u64 *)(r10 - 8)
r3 = r10
r3 += r2
r0 = 0
exit
