	.text
	.globl	f
f:
	w1 = w2
	r3 = (s8)r4
	w0 s/= 7
	r1 = be16 r1
	r2 = bswap64 r2
	lock *(u64 *)(r10 - 8) += r1
	r0 = cmpxchg_64(r10 - 8, r0, r1)
	w1 = atomic_fetch_or((u32 *)(r2 + 4), w1)
	*(u16 *)(r10 - 2) = 7
	if w1 s< -3 goto LBB0_1
	may_goto +0
	gotol +0
	r0 = *(u8 *)skb[14]
	r0 = *(u32 *)skb[r2 + 8]
	ld_pseudo	r1, 2, 3
	call 1
	callx r3
LBB0_1:
	exit
