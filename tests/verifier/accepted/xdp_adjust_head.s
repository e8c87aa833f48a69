# after bpf_xdp_adjust_head the packet pointers are read again and checked
# type: xdp
r6 = r1
r2 = -4
call 44
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto +1
r0 = *(u32 *)(r2 + 0)
r0 = 2
exit
