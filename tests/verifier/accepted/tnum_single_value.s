# the known bits (0x23 + k * 64) and the range [290, 354] have one value in
# common, 291: the register is that constant (Linux 6.18), so r9 = fp-1
# type: xdp
r4 = *(u32 *)(r1 + 12)
w4 >>= 26
r4 <<= 6
w4 |= 35
if r4 < 290 goto +5
if r4 > 354 goto +4
r9 = r10
r9 += -292
r9 += r4
*(u8 *)(r9 + 0) = 3
r0 = 0
exit
