# XDP context fields are read-only
# type: xdp
# expect: invalid bpf_context access off=12 size=4
r2 = 1
*(u32 *)(r1 + 12) = r2
r0 = 2
exit
