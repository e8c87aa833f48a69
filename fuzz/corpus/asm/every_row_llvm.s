r0 += 0
r1 += r10
r2 -= -1
r3 -= r2
r4 *= -4660
r5 *= r5
r6 /= 8
r7 /= r8
r8 s/= 1
r9 s/= r0
r0 |= 42
r1 |= r3
r2 &= 2147483647
r3 &= r6
r4 <<= 0
r5 <<= r9
r6 >>= -1
r7 >>= r1
r8 %= -4660
r9 %= r4
r0 s%= 8
r1 s%= r7
r2 ^= 1
r3 ^= r10
r4 = 42
r5 = r2
r6 s>>= 2147483647
r7 s>>= r5
r8 = -r8
r9 = (s8)r8
r0 = (s16)r4
r1 = (s32)r0
w2 += -4660
w3 += w3
w4 -= 8
w5 -= w6
w6 *= 1
w7 *= w9
w8 /= 42
w9 /= w1
w0 s/= 2147483647
w1 s/= w4
w2 |= 0
w3 |= w7
w4 &= -1
w5 &= w10
w6 <<= -4660
w7 <<= w2
w8 >>= 8
w9 >>= w5
w0 %= 1
w1 %= w8
w2 s%= 42
w3 s%= w0
w4 ^= 2147483647
w5 ^= w3
w6 = 0
w7 = w6
w8 s>>= -1
w9 s>>= w9
w0 = -w0
w1 = (s8)w1
w2 = (s16)w8
r3 = le16 r3
r4 = le32 r4
r5 = le64 r5
r6 = be16 r6
r7 = be32 r7
r8 = be64 r8
r9 = bswap16 r9
r0 = bswap32 r0
r1 = bswap64 r1
r2 = 17179869183 ll
ld_pseudo	r3, 1, 42
ld_pseudo	r4, 2, 4294962636
ld_pseudo	r5, 3, 2147483647
ld_pseudo	r6, 4, 8
ld_pseudo	r7, 5, 0
ld_pseudo	r8, 6, 1
r0 = *(u32 *)skb[-1]
r0 = *(u32 *)skb[r2 + 42]
r0 = *(u16 *)skb[-4660]
r0 = *(u16 *)skb[r5 + 2147483647]
r0 = *(u8 *)skb[8]
r0 = *(u8 *)skb[r8]
r5 = *(u8 *)(r4 + 8)
r6 = *(u16 *)(r0 + 4)
r7 = *(u32 *)(r7 - 16)
r8 = *(u64 *)(r3 + 1)
r9 = *(s8 *)(r10 + 0)
r0 = *(s16 *)(r6 - 8)
r1 = *(s32 *)(r2 + 4)
*(u8 *)(r2 + 2) = 1
*(u16 *)(r3 + 1) = -1
*(u32 *)(r4 + 8) = 42
*(u64 *)(r5 - 8) = -4660
*(u8 *)(r6 - 16) = r4
*(u16 *)(r7 + 2) = r0
*(u32 *)(r8 + 0) = r7
*(u64 *)(r9 + 8) = r3
lock *(u32 *)(r0 + 4) += r10
w6 = atomic_fetch_add((u32 *)(r1 - 16), w6)
lock *(u32 *)(r2 + 1) |= w2
w9 = atomic_fetch_or((u32 *)(r3 + 0), w9)
lock *(u32 *)(r4 - 8) &= w5
w1 = atomic_fetch_and((u32 *)(r5 + 4), w1)
lock *(u32 *)(r6 + 2) ^= w8
w4 = atomic_fetch_xor((u32 *)(r7 + 1), w4)
w0 = xchg32_32(r8 + 8, w0)
w0 = cmpxchg32_32(r9 - 8, w0, w7)
lock *(u64 *)(r0 - 16) += r3
r10 = atomic_fetch_add((u64 *)(r1 + 2), r10)
lock *(u64 *)(r2 + 0) |= r6
r2 = atomic_fetch_or((u64 *)(r3 + 8), r2)
lock *(u64 *)(r4 + 4) &= r9
r5 = atomic_fetch_and((u64 *)(r5 - 16), r5)
lock *(u64 *)(r6 + 1) ^= r1
r8 = atomic_fetch_xor((u64 *)(r7 + 0), r8)
r4 = xchg_64(r8 - 8, r4)
r0 = cmpxchg_64(r9 + 4, r0, r0)
w0 = load_acquire((u8 *)(r7 + 2))
w1 = load_acquire((u16 *)(r3 + 1))
w2 = load_acquire((u32 *)(r10 + 8))
r3 = load_acquire((u64 *)(r6 - 8))
store_release((u8 *)(r4 - 16), w2)
store_release((u16 *)(r5 + 2), w9)
store_release((u32 *)(r6 + 0), w5)
store_release((u64 *)(r7 + 8), r1)
goto +0
if r9 == 42 goto +0
if r0 == r0 goto +0
if r1 > 2147483647 goto +0
if r2 > r3 goto +0
if r3 >= 0 goto +0
if r4 >= r6 goto +0
if r5 & -1 goto +0
if r6 & r9 goto +0
if r7 != -4660 goto +0
if r8 != r1 goto +0
if r9 s> 8 goto +0
if r0 s> r4 goto +0
if r1 s>= 1 goto +0
if r2 s>= r7 goto +0
if r3 < 42 goto +0
if r4 < r10 goto +0
if r5 <= 2147483647 goto +0
if r6 <= r2 goto +0
if r7 s< 0 goto +0
if r8 s< r5 goto +0
if r9 s<= -1 goto +0
if r0 s<= r8 goto +0
if w1 == -4660 goto +0
if w2 == w0 goto +0
if w3 > 8 goto +0
if w4 > w3 goto +0
if w5 >= 1 goto +0
if w6 >= w6 goto +0
if w7 & 42 goto +0
if w8 & w9 goto +0
if w9 != 2147483647 goto +0
if w0 != w1 goto +0
if w1 s> 0 goto +0
if w2 s> w4 goto +0
if w3 s>= -1 goto +0
if w4 s>= w7 goto +0
if w5 < -4660 goto +0
if w6 < w10 goto +0
if w7 <= 8 goto +0
if w8 <= w2 goto +0
if w9 s< 1 goto +0
if w0 s< w5 goto +0
if w1 s<= 42 goto +0
if w2 s<= w8 goto +0
gotol +0
call 0
call 0
call 1
callx r7
exit
may_goto +0
exit
