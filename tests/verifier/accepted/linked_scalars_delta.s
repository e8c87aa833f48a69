# r2 = r1 + 8 stays linked to r1 (Linux 6.11+)
# type: socket
r1 = *(u32 *)(r1 + 0)
r2 = r1
r2 += 8
if r1 > 48 goto +5
r3 = r10
r3 += -64
r3 += r2
r0 = *(u8 *)(r3 + 0)
exit
r0 = 0
exit
