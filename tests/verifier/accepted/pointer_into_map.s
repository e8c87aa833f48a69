# storing a pointer into a map value is allowed for root
# type: socket
.map a array key=4 value=8 entries=1
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, a
call 1
*(u64 *)(r0 + 0) = r6
r0 = 0
exit
