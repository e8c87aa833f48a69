# reading the packet without comparing with data_end
# type: xdp
# expect: R2 offset is outside of the packet
r2 = *(u32 *)(r1 + 0)
r0 = *(u8 *)(r2 + 0)
exit
