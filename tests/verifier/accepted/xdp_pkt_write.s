# XDP programs may write the packet inside the proven range
# type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 8
if r3 < r4 goto +2
r5 = 0x42
*(u64 *)(r2 + 0) = r5
r0 = 2
exit
