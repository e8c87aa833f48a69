# XDP: the 14 bytes of the Ethernet header after comparing data + 14 with data_end
# type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto +3
r0 = *(u16 *)(r2 + 12)
r5 = *(u8 *)(r2 + 13)
exit
r0 = 2
exit
