# bpf_loop with a callback that counts in the caller's stack
# type: socket
r1 = 0
*(u64 *)(r10 - 8) = r1
r1 = 10
lddw %r2, func 7
r3 = r10
r3 += -8
r4 = 0
call 181
r0 = *(u64 *)(r10 - 8)
exit
r1 = *(u64 *)(r2 + 0)
r1 += 1
*(u64 *)(r2 + 0) = r1
r0 = 0
exit
