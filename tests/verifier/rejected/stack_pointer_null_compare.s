# a stack pointer compared with 0: both branches are explored
# type: socket
# expect: invalid read from stack R10 off=8 size=8
r3 = r10
r3 += -8
r0 = 0
if r3 == 0 goto +1
goto +1
r0 = *(u64 *)(r10 + 8)
r0 = 0
exit
