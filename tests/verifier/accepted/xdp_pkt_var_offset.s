# a packet pointer plus a bounded variable offset, checked against data_end
# type: xdp
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = *(u32 *)(r1 + 16)
r4 &= 0xff
r2 += r4
r5 = r2
r5 += 4
if r5 > r3 goto +1
r0 = *(u32 *)(r2 + 0)
r0 = 2
exit
