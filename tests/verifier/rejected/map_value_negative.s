# a signed index that may be negative
# type: socket
# expect: min value is negative
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
r1 = (s8)r1
if r1 s> 56 goto +3
r0 += r1
r0 = *(u8 *)(r0 + 0)
exit
r0 = 0
exit
