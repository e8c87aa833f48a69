# a subprogram writes into its caller's stack through a pointer argument
# type: socket
r1 = r10
r1 += -8
call local +2
r0 = *(u64 *)(r10 - 8)
exit
r2 = 42
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
