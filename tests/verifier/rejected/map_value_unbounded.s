# a map value pointer plus an index nobody bounded
# type: socket
# expect: unbounded memory access
.map a array key=4 value=64 entries=1
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, a
call 1
if r0 == 0 goto +4
r1 = *(u32 *)(r6 + 0)
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
r0 = 0
exit
