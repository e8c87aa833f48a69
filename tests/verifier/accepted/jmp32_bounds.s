# a 32-bit comparison bounds the low half, enough for an offset
# type: socket
r2 = *(u32 *)(r1 + 0)
if w2 > 56 goto +5
r3 = r10
r3 += -64
r3 += r2
r0 = *(u8 *)(r3 + 0)
exit
r0 = 0
exit
