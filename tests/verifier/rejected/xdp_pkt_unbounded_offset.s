# adding an unbounded value to a packet pointer
# type: xdp
# expect: math between pkt pointer and register with unbounded min value is not allowed
r2 = *(u32 *)(r1 + 0)
r3 = *(u64 *)(r10 - 8)
r2 += r3
r0 = 2
exit
