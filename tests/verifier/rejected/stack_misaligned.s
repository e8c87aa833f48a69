# stack accesses must be aligned to their size
# type: socket
# expect: misaligned stack access
r1 = 0
*(u32 *)(r10 - 6) = r1
r0 = 0
exit
