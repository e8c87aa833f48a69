# ringbuf_reserve needs a constant size
# type: socket
# expect: is not a known constant
.map rb ringbuf entries=4096
r2 = *(u32 *)(r1 + 0)
ld_pseudo r1, 5, rb
r3 = 0
call 131
r0 = 0
exit
