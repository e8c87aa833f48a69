# a hash lookup, checked for NULL, then its value read and written
# type: socket
.map h hash key=4 value=16 entries=8
r1 = 5
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, h
call 1
if r0 == 0 goto +3
r1 = *(u64 *)(r0 + 8)
r1 += 1
*(u64 *)(r0 + 8) = r1
r0 = 0
exit
