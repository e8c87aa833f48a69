# 32-bit results are zero-extended: a masked w-register is a small offset
# type: socket
r2 = *(u32 *)(r1 + 0)
w2 &= 15
r3 = r10
r3 += -16
r3 += r2
r0 = *(u8 *)(r3 + 0)
exit
