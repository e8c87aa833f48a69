# spilling 4 bytes of a pointer
# type: socket
# expect: invalid size of register spill
*(u32 *)(r10 - 8) = r1
r0 = 0
exit
