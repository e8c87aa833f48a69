# an 8-byte read of a 4-byte field
# type: socket
# expect: invalid bpf_context access off=0 size=8
r0 = *(u64 *)(r1 + 0)
exit
