mov32 %r0, 0xffffffff
lddw %r1, 0x123456789abcdef0
lddw %r2, map_fd 3
lddw %r3, func 2
ldxdw %r4, [%r1+8]
stdw [%r10-8], -1
stxb [%r10-1] %r4
lock fetch add32 [%r10-8], %r5
lock xchg [%r10-16], %r6
ldacqw %r7, [%r10-8]
streldw [%r10-8], %r7
jset32 %r0, 0x10, +1
call runtime 5
call helper 6
swap16 %r0
movsx3264 %r1, %r2
neg32 %r3
exit
