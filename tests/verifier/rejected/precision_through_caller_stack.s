# a subprogram reads the value through a pointer to its caller's stack
# type: socket
# expect: invalid read from stack R2 off=88 size=1
r6 = *(u32 *)(r1 + 0)
r1 = 8
if r6 > 10 goto +1
r1 = 600
*(u64 *)(r10 - 16) = r1
r1 = r10
r1 += -16
call local +6
r2 = r10
r2 += -512
r2 += r0
r3 = *(u8 *)(r2 + 0)
r0 = 0
exit
r0 = *(u64 *)(r1 + 0)
exit
