# ringbuf_output on an array map
# type: socket
# expect: cannot pass map_type 2 into func bpf_ringbuf_output#130
.map a array key=4 value=8 entries=4
r1 = 0
*(u64 *)(r10 - 8) = r1
ld_pseudo r1, 5, a
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call 130
r0 = 0
exit
