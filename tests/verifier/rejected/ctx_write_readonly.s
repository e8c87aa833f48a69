# socket filters may only write cb[]
# type: socket
# expect: invalid bpf_context access off=8 size=4
r2 = 1
*(u32 *)(r1 + 8) = r2
r0 = 0
exit
