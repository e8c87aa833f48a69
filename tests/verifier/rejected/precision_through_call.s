# a subprogram returns its argument, 8 on one path and 600 on the other, then used as a stack offset
# type: socket
# expect: invalid read from stack R2 off=88 size=1
r6 = *(u32 *)(r1 + 0)
r1 = 8
if r6 > 10 goto +1
r1 = 600
call local +6
r2 = r10
r2 += -512
r2 += r0
r3 = *(u8 *)(r2 + 0)
r0 = 0
exit
r0 = r1
exit
