# bpf-to-bpf call: arguments in r1-r5, r6-r9 kept, own stack frame
# type: socket
r6 = 3
r1 = 10
r2 = 20
call local +2
r0 += r6
exit
*(u64 *)(r10 - 8) = r1
r0 = *(u64 *)(r10 - 8)
r0 += r2
exit
