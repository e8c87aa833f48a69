# byte swaps of constants are tracked (Linux 6.18)
# type: socket
r2 = 0x0800
r2 = be16 r2
r3 = r10
r3 += -16
r3 += r2
r0 = *(u8 *)(r3 + 0)
exit
