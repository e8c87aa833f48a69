# map_update_elem and map_delete_elem with key and value on the stack
# type: socket
.map h hash key=8 value=8 entries=8
r1 = 1
*(u64 *)(r10 - 8) = r1
*(u64 *)(r10 - 16) = r1
ld_pseudo r1, 5, h
r2 = r10
r2 += -8
r3 = r10
r3 += -16
r4 = 0
call 2
ld_pseudo r1, 5, h
r2 = r10
r2 += -8
call 3
r0 = 0
exit
