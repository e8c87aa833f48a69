# bpf_trace_printk with its format on the stack
# type: socket
r1 = 0x0a6425
*(u64 *)(r10 - 8) = r1
r1 = r10
r1 += -8
r2 = 8
r3 = 42
call 6
r0 = 0
exit
