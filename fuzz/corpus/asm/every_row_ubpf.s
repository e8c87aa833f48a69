add %r0, 0
add %r1, %r10
sub %r2, -1
sub %r3, %r2
mul %r4, -4660
mul %r5, %r5
div %r6, 8
div %r7, %r8
sdiv %r8, 1
sdiv %r9, %r0
or %r0, 42
or %r1, %r3
and %r2, 2147483647
and %r3, %r6
lsh %r4, 0
lsh %r5, %r9
rsh %r6, -1
rsh %r7, %r1
mod %r8, -4660
mod %r9, %r4
smod %r0, 8
smod %r1, %r7
xor %r2, 1
xor %r3, %r10
mov %r4, 42
mov %r5, %r2
arsh %r6, 2147483647
arsh %r7, %r5
neg %r8
movsx864 %r9, %r8
movsx1664 %r0, %r4
movsx3264 %r1, %r0
add32 %r2, -4660
add32 %r3, %r3
sub32 %r4, 8
sub32 %r5, %r6
mul32 %r6, 1
mul32 %r7, %r9
div32 %r8, 42
div32 %r9, %r1
sdiv32 %r0, 2147483647
sdiv32 %r1, %r4
or32 %r2, 0
or32 %r3, %r7
and32 %r4, -1
and32 %r5, %r10
lsh32 %r6, -4660
lsh32 %r7, %r2
rsh32 %r8, 8
rsh32 %r9, %r5
mod32 %r0, 1
mod32 %r1, %r8
smod32 %r2, 42
smod32 %r3, %r0
xor32 %r4, 2147483647
xor32 %r5, %r3
mov32 %r6, 0
mov32 %r7, %r6
arsh32 %r8, -1
arsh32 %r9, %r9
neg32 %r0
movsx832 %r1, %r1
movsx1632 %r2, %r8
le16 %r3
le32 %r4
le64 %r5
be16 %r6
be32 %r7
be64 %r8
bswap16 %r9
bswap32 %r0
bswap64 %r1
lddw %r2, 0x3ffffffff
lddw %r3, map_fd 42
lddw %r4, map_value -4660, 3
lddw %r5, btf_id 2147483647, 3
lddw %r6, func 8
lddw %r7, map_idx 0
lddw %r8, map_idx_value 1, 3
ldabsw -1
ldindw %r2, 42
ldabsh -4660
ldindh %r5, 2147483647
ldabsb 8
ldindb %r8, 0
ldxb %r5, [%r4+8]
ldxh %r6, [%r0+4]
ldxw %r7, [%r7-16]
ldxdw %r8, [%r3+1]
ldxsb %r9, [%r10+0]
ldxsh %r0, [%r6-8]
ldxsw %r1, [%r2+4]
stb [%r2+2], 1
sth [%r3+1], -1
stw [%r4+8], 42
stdw [%r5-8], -4660
stxb [%r6-16], %r4
stxh [%r7+2], %r0
stxw [%r8+0], %r7
stxdw [%r9+8], %r3
lock add32 [%r0+4], %r10
lock fetch add32 [%r1-16], %r6
lock or32 [%r2+1], %r2
lock fetch or32 [%r3+0], %r9
lock and32 [%r4-8], %r5
lock fetch and32 [%r5+4], %r1
lock xor32 [%r6+2], %r8
lock fetch xor32 [%r7+1], %r4
lock xchg32 [%r8+8], %r0
lock cmpxchg32 [%r9-8], %r7
lock add [%r0-16], %r3
lock fetch add [%r1+2], %r10
lock or [%r2+0], %r6
lock fetch or [%r3+8], %r2
lock and [%r4+4], %r9
lock fetch and [%r5-16], %r5
lock xor [%r6+1], %r1
lock fetch xor [%r7+0], %r8
lock xchg [%r8-8], %r4
lock cmpxchg [%r9+4], %r0
ldacqb %r0, [%r7+2]
ldacqh %r1, [%r3+1]
ldacqw %r2, [%r10+8]
ldacqdw %r3, [%r6-8]
strelb [%r4-16], %r2
strelh [%r5+2], %r9
strelw [%r6+0], %r5
streldw [%r7+8], %r1
ja +0
jeq %r9, 42, +0
jeq %r0, %r0, +0
jgt %r1, 2147483647, +0
jgt %r2, %r3, +0
jge %r3, 0, +0
jge %r4, %r6, +0
jset %r5, -1, +0
jset %r6, %r9, +0
jne %r7, -4660, +0
jne %r8, %r1, +0
jsgt %r9, 8, +0
jsgt %r0, %r4, +0
jsge %r1, 1, +0
jsge %r2, %r7, +0
jlt %r3, 42, +0
jlt %r4, %r10, +0
jle %r5, 2147483647, +0
jle %r6, %r2, +0
jslt %r7, 0, +0
jslt %r8, %r5, +0
jsle %r9, -1, +0
jsle %r0, %r8, +0
jeq32 %r1, -4660, +0
jeq32 %r2, %r0, +0
jgt32 %r3, 8, +0
jgt32 %r4, %r3, +0
jge32 %r5, 1, +0
jge32 %r6, %r6, +0
jset32 %r7, 42, +0
jset32 %r8, %r9, +0
jne32 %r9, 2147483647, +0
jne32 %r0, %r1, +0
jsgt32 %r1, 0, +0
jsgt32 %r2, %r4, +0
jsge32 %r3, -1, +0
jsge32 %r4, %r7, +0
jlt32 %r5, -4660, +0
jlt32 %r6, %r10, +0
jle32 %r7, 8, +0
jle32 %r8, %r2, +0
jslt32 %r9, 1, +0
jslt32 %r0, %r5, +0
jsle32 %r1, 42, +0
jsle32 %r2, %r8, +0
ja32 +0
call 0
call local +0
call runtime 1
call %r7
exit
may_goto +0
exit
