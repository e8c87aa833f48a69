# pkt + 4 < data_end proves 5 bytes
# type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 >= r3 goto +1
r0 = *(u8 *)(r2 + 4)
r0 = 2
exit
