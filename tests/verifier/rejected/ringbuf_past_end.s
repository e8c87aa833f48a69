# writing past the reserved size
# type: socket
# expect: invalid access to memory, mem_size=8 off=8 size=8
.map rb ringbuf entries=4096
ld_pseudo r1, 5, rb
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +5
r1 = 1
*(u64 *)(r0 + 8) = r1
r1 = r0
r2 = 0
call 133
r0 = 0
exit
