# after "if r4 > 278" falls through, the range [274, 278] and the known bits
# (0x23 + k * 64) have no value in common: the branch cannot happen, but the
# kernel makes r4 the constant 307 and explores it, so bpfvm does too
# type: xdp
# expect: invalid write to stack R9 off=51 size=1
r4 = *(u32 *)(r1 + 12)
w4 >>= 26
r4 <<= 6
w4 |= 35
if w4 < 274 goto +7
if r4 > 278 goto +6
r9 = r10
r9 += -256
r9 += r4
*(u8 *)(r9 + 0) = 3
r0 = 0
exit
r0 = 0
exit
