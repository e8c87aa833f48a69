# pointer arithmetic before the NULL check
# type: socket
# expect: pointer arithmetic on map_value_or_null prohibited, null-check it first
.map h hash key=4 value=16 entries=8
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, h
call 1
r0 += 8
exit
