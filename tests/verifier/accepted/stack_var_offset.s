# a stack pointer with a bounded variable offset
# type: socket
r2 = *(u32 *)(r1 + 0)
r2 &= 0x38
r3 = r10
r3 += -128
r3 += r2
r4 = 1
*(u64 *)(r3 + 0) = r4
r0 = *(u64 *)(r3 + 0)
exit
