# a packet pointer compared with 0: the kernel explores the "== 0" branch
# too (only map values, map keys and helper memory are known non-null), so
# what that branch does must be safe
# type: xdp
# expect: invalid read from stack R10 off=8 size=8
r3 = *(u32 *)(r1 + 0)
r0 = 0
if r3 != 0 goto +1
r0 = *(u64 *)(r10 + 8)
r0 = 0
exit
