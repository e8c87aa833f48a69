# for_each_map_elem with a callback reading keys and values
# type: socket
.map a array key=4 value=8 entries=4
ld_pseudo r1, 5, a
lddw %r2, func 6
r3 = 0
r4 = 0
call 164
r0 = 0
exit
r0 = *(u32 *)(r2 + 0)
r0 = *(u64 *)(r3 + 0)
r0 = 0
exit
