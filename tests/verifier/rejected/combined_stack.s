# 512 bytes of stack plus a callee's
# type: socket
# expect: combined stack size of 2 calls is
r1 = 0
*(u64 *)(r10 - 512) = r1
call local +2
r0 = 0
exit
*(u64 *)(r10 - 8) = r1
r0 = 0
exit
