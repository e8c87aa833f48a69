# the last byte of the 512-byte frame and the first one
# type: socket
r1 = 7
*(u8 *)(r10 - 512) = r1
*(u64 *)(r10 - 8) = r1
r0 = *(u8 *)(r10 - 512)
r2 = *(u64 *)(r10 - 8)
r0 += r2
exit
