# ringbuf_output copies stack memory
# type: socket
.map rb ringbuf entries=4096
r1 = 1
*(u64 *)(r10 - 8) = r1
ld_pseudo r1, 5, rb
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call 130
r0 = 0
exit
