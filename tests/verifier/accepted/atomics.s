# atomic add, fetch_add, xchg and cmpxchg on the stack and a map value
# type: socket
.map a array key=4 value=8 entries=1
r1 = 0
*(u64 *)(r10 - 8) = r1
r2 = 1
lock *(u64 *)(r10 - 8) += r2
r2 = atomic_fetch_add((u64 *)(r10 - 8), r2)
r2 = xchg_64(r10 - 8, r2)
r0 = 0
r0 = cmpxchg_64(r10 - 8, r0, r2)
*(u32 *)(r10 - 12) = r1
r2 = r10
r2 += -12
ld_pseudo r1, 5, a
call 1
r1 = 3
lock *(u32 *)(r0 + 4) += w1
r0 = 0
exit
