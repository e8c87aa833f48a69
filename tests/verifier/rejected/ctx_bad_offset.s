# a context offset past struct __sk_buff
# type: socket
# expect: invalid bpf_context access off=4000 size=4
r0 = *(u32 *)(r1 + 4000)
exit
