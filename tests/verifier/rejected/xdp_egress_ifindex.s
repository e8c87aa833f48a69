# egress_ifindex is only for devmap programs
# type: xdp
# expect: invalid bpf_context access off=20 size=4
r0 = *(u32 *)(r1 + 20)
exit
