# a map value pointer plus an index scaled and bounded
# type: socket
.map a array key=4 value=64 entries=1
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, a
call 1
if r0 == 0 goto +6
r1 = *(u32 *)(r6 + 0)
r1 &= 7
r1 <<= 3
r0 += r1
r0 = *(u64 *)(r0 + 0)
exit
r0 = 0
exit
