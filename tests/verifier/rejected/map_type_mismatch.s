# map_lookup_elem on a ring buffer (whose key size is 0)
# type: socket
# expect: invalid zero-sized read
.map rb ringbuf entries=4096
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, rb
call 1
r0 = 0
exit
