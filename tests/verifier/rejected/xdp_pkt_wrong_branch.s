# reading on the branch where the packet is too short
# type: xdp
# expect: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 4
if r4 <= r3 goto +1
r0 = *(u32 *)(r2 + 0)
r0 = 2
exit
