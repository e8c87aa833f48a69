# socket filters read __sk_buff fields (also narrowly) and read and write cb[]
# type: socket
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 16)
r4 = *(u16 *)(r1 + 16)
r5 = *(u8 *)(r1 + 4)
*(u32 *)(r1 + 48) = r2
*(u64 *)(r1 + 56) = r3
r0 = *(u32 *)(r1 + 48)
r0 += r5
exit
