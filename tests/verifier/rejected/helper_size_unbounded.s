# a memory size nobody bounded
# type: socket
# expect: unbounded memory access
r6 = r1
r4 = *(u32 *)(r10 - 16)
r4 += 1
r1 = r6
r2 = 0
r3 = r10
r3 += -8
call 26
r0 = 0
exit
