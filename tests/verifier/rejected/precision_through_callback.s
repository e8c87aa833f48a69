# as the accepted one, but one branch's value (600) leaves the frame: pruning must not merge the branches
# type: socket
# expect: invalid read from stack R2 off=88 size=1
r6 = *(u32 *)(r1 + 0)
r7 = 8
if r6 > 10 goto +1
r7 = 600
*(u64 *)(r10 - 16) = r7
r1 = 4
lddw %r2, func 11
r3 = r10
r3 += -16
r4 = 0
call 181
r1 = *(u64 *)(r10 - 16)
r2 = r10
r2 += -512
r2 += r1
r0 = *(u8 *)(r2 + 0)
exit
r0 = 0
exit
