# data + 14 <= data_end does not allow reading byte 14
# type: xdp
# expect: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto +1
r0 = *(u8 *)(r2 + 14)
r0 = 2
exit
