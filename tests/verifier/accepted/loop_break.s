# a bounded loop that may leave early
# type: socket
r6 = *(u32 *)(r1 + 0)
r0 = 0
r1 = 0
if r1 == r6 goto +3
r0 += 2
r1 += 1
if r1 < 32 goto -4
exit
