/* opcase_mem.h - memory cases for test_opcodes.c: loads (zero- and
 * sign-extending), stores of every size from registers and immediates, stack
 * accesses, atomics (with and without fetch, xchg, cmpxchg success and
 * failure, 32 and 64 bit), load-acquire and store-release. r1 points at a
 * copy of .mem; cases with check_mem compare the whole memory afterwards, so
 * a store that writes too many bytes is caught. */
#include <stdint.h>

#include "opcase_defs.h"

/* Bytes 0..31 of the load cases. */
#define LOADMEM \
	.mem_len = 32, \
	.mem = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* 0 */ \
		 0x80, 0x7f, 0x01, 0x80, 0x00, 0x00, 0x00, 0x80, /* 8 */ \
		 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, /* 16 */ \
		 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }

#define LOAD(NAME, INSN, RES) { .name = NAME, P(LD64(R4, -1), INSN, BPF_MOV64_REG(R0, R4), EXIT), LOADMEM, .r0 = (RES) }

/* Store cases: 16 bytes of 0xaa; afterwards r0 = the 8 bytes at r1 + 0 (or 8). */
#define AA8 0xaaaaaaaaaaaaaaaaULL
#define STORE(NAME, INSN, W0, W1, RES) \
	{ .name = NAME, P(LD64(R2, 0x1122334455667788ULL), INSN, BPF_LDX_MEM(BPF_DW, R0, R1, 0), EXIT), \
	  .mem_len = 16, .mem = { LE64B(AA8), LE64B(AA8) }, .check_mem = 1, .mem_out = { LE64B(W0), LE64B(W1) }, \
	  .r0 = (RES) }

/* Atomic cases: r2 = src; one atomic op on r1 + off; r0 = r2 afterwards (the
 * fetched old value, or src unchanged). Memory is two words, in and out. */
#define ATOM(NAME, INSN, SRC, W0, W1, RES, W0OUT, W1OUT) \
	{ .name = NAME, P(LD64(R2, SRC), INSN, BPF_MOV64_REG(R0, R2), EXIT), .mem_len = 16, \
	  .mem = { LE64B(W0), LE64B(W1) }, .check_mem = 1, .mem_out = { LE64B(W0OUT), LE64B(W1OUT) }, .r0 = (RES) }
/* cmpxchg: r0 = comparand, r2 = new value; the result is r0. */
#define CMPX(NAME, INSN, CMP, SRC, W0, W1, RES, W0OUT, W1OUT) \
	{ .name = NAME, P(LD64(R0, CMP), LD64(R2, SRC), INSN, EXIT), .mem_len = 16, \
	  .mem = { LE64B(W0), LE64B(W1) }, .check_mem = 1, .mem_out = { LE64B(W0OUT), LE64B(W1OUT) }, .r0 = (RES) }
#define HI5 0x5555555500000000ULL /* upper half of word 0: 32-bit atomics must leave it */

static const struct opcase mem_cases[] = {
	/* ---- loads: zero-extended ---- */
	LOAD("ldxb [r1+3]", BPF_LDX_MEM(BPF_B, R4, R1, 3), 0x44),
	LOAD("ldxb [r1+8] = 0x80 not sign-extended", BPF_LDX_MEM(BPF_B, R4, R1, 8), 0x80),
	LOAD("ldxh [r1+2]", BPF_LDX_MEM(BPF_H, R4, R1, 2), 0x4433),
	LOAD("ldxh [r1+10] = 0x8001", BPF_LDX_MEM(BPF_H, R4, R1, 10), 0x8001),
	LOAD("ldxw [r1+4]", BPF_LDX_MEM(BPF_W, R4, R1, 4), 0x88776655ULL),
	LOAD("ldxw [r1+12] = 0x80000000", BPF_LDX_MEM(BPF_W, R4, R1, 12), 0x80000000ULL),
	LOAD("ldxw [r1+1] unaligned", BPF_LDX_MEM(BPF_W, R4, R1, 1), 0x55443322ULL),
	LOAD("ldxdw [r1+0]", BPF_LDX_MEM(BPF_DW, R4, R1, 0), 0x8877665544332211ULL),
	LOAD("ldxdw [r1+16]", BPF_LDX_MEM(BPF_DW, R4, R1, 16), 0xffffffff7fffffffULL),
	LOAD("ldxdw [r1+3] unaligned", BPF_LDX_MEM(BPF_DW, R4, R1, 3), 0x017f808877665544ULL),
	/* ---- loads: sign-extended ---- */
	LOAD("ldxsb [r1+8] = 0x80", BPF_LDX_MEMSX(BPF_B, R4, R1, 8), 0xffffffffffffff80ULL),
	LOAD("ldxsb [r1+9] = 0x7f", BPF_LDX_MEMSX(BPF_B, R4, R1, 9), 0x7f),
	LOAD("ldxsh [r1+10] = 0x8001", BPF_LDX_MEMSX(BPF_H, R4, R1, 10), 0xffffffffffff8001ULL),
	LOAD("ldxsh [r1+8] = 0x7f80", BPF_LDX_MEMSX(BPF_H, R4, R1, 8), 0x7f80),
	LOAD("ldxsw [r1+12] = 0x80000000", BPF_LDX_MEMSX(BPF_W, R4, R1, 12), 0xffffffff80000000ULL),
	LOAD("ldxsw [r1+16] = 0x7fffffff", BPF_LDX_MEMSX(BPF_W, R4, R1, 16), 0x7fffffff),
	{ .name = "ldxb [r2-1] (negative offset)",
	  P(BPF_MOV64_REG(R2, R1), BPF_ALU64_IMM(BPF_ADD, R2, 8), BPF_LDX_MEM(BPF_B, R0, R2, -1), EXIT), LOADMEM,
	  .r0 = 0x88 },
	{ .name = "ldxb r1, [r1+31] (dst = src)", P(BPF_LDX_MEM(BPF_B, R1, R1, 31), BPF_MOV64_REG(R0, R1), EXIT),
	  LOADMEM, .r0 = 0 },

	/* ---- stores of immediates (truncated to the size; dw sign-extends imm) ---- */
	STORE("stb [r1+1], 0x12ab", BPF_ST_MEM(BPF_B, R1, 1, 0x12ab), 0xaaaaaaaaaaaaabaaULL, AA8,
	      0xaaaaaaaaaaaaabaaULL),
	STORE("sth [r1+2], 0x1234abcd", BPF_ST_MEM(BPF_H, R1, 2, 0x1234abcd), 0xaaaaaaaaabcdaaaaULL, AA8,
	      0xaaaaaaaaabcdaaaaULL),
	STORE("stw [r1+4], -2", BPF_ST_MEM(BPF_W, R1, 4, -2), 0xfffffffeaaaaaaaaULL, AA8, 0xfffffffeaaaaaaaaULL),
	STORE("stdw [r1+8], -2", BPF_ST_MEM(BPF_DW, R1, 8, -2), AA8, 0xfffffffffffffffeULL, AA8),
	STORE("stdw [r1+0], 0x7fffffff", BPF_ST_MEM(BPF_DW, R1, 0, 0x7fffffff), 0x7fffffffULL, AA8, 0x7fffffffULL),
	STORE("stdw [r1+0], INT32_MIN", BPF_ST_MEM(BPF_DW, R1, 0, INT32_MIN), 0xffffffff80000000ULL, AA8,
	      0xffffffff80000000ULL),
	/* ---- stores of registers (r2 = 0x1122334455667788) ---- */
	STORE("stxb [r1+0], r2", BPF_STX_MEM(BPF_B, R1, R2, 0), 0xaaaaaaaaaaaaaa88ULL, AA8, 0xaaaaaaaaaaaaaa88ULL),
	STORE("stxh [r1+1], r2", BPF_STX_MEM(BPF_H, R1, R2, 1), 0xaaaaaaaaaa7788aaULL, AA8, 0xaaaaaaaaaa7788aaULL),
	STORE("stxw [r1+3], r2", BPF_STX_MEM(BPF_W, R1, R2, 3), 0xaa55667788aaaaaaULL, AA8, 0xaa55667788aaaaaaULL),
	STORE("stxdw [r1+8], r2", BPF_STX_MEM(BPF_DW, R1, R2, 8), AA8, 0x1122334455667788ULL, AA8),
	STORE("stxdw [r1+5], r2 unaligned", BPF_STX_MEM(BPF_DW, R1, R2, 5), 0x667788aaaaaaaaaaULL,
	      0xaaaaaa1122334455ULL, 0x667788aaaaaaaaaaULL),
	{ .name = "stxw [r3-4], r2 (negative offset)",
	  P(LD64(R2, 0x1122334455667788ULL), BPF_MOV64_REG(R3, R1), BPF_ALU64_IMM(BPF_ADD, R3, 16),
	    BPF_STX_MEM(BPF_W, R3, R2, -4), BPF_LDX_MEM(BPF_DW, R0, R1, 8), EXIT),
	  .mem_len = 16, .mem = { LE64B(AA8), LE64B(AA8) }, .check_mem = 1,
	  .mem_out = { LE64B(AA8), LE64B(0x55667788aaaaaaaaULL) }, .r0 = 0x55667788aaaaaaaaULL },
	/* ---- the stack: 512 bytes below r10 ---- */
	{ .name = "stxdw [r10-8], ldxdw [r10-8]",
	  P(LD64(R2, 0x1122334455667788ULL), BPF_STX_MEM(BPF_DW, R10, R2, -8), BPF_LDX_MEM(BPF_DW, R0, R10, -8), EXIT),
	  .r0 = 0x1122334455667788ULL },
	{ .name = "stb [r10-512] and [r10-1]",
	  P(BPF_ST_MEM(BPF_B, R10, -512, 0x5a), BPF_ST_MEM(BPF_B, R10, -1, 0xa5), BPF_LDX_MEM(BPF_B, R0, R10, -512),
	    BPF_LDX_MEM(BPF_B, R3, R10, -1), BPF_ALU64_IMM(BPF_LSH, R0, 8), BPF_ALU64_REG(BPF_OR, R0, R3), EXIT),
	  .r0 = 0x5aa5 },
	{ .name = "sth [r10-2], ldxsh [r10-2]",
	  P(BPF_ST_MEM(BPF_H, R10, -2, 0xfffe), BPF_LDX_MEMSX(BPF_H, R0, R10, -2), EXIT), .r0 = 0xfffffffffffffffeULL },

	/* ---- 32-bit atomics on word 0 (upper half 0x55555555 must survive) ---- */
	ATOM("lock add32 (src upper half ignored, src kept)", BPF_ATOMIC_OP(BPF_W, BPF_ADD, R1, R2, 0),
	     0xffffffff00000005ULL, HI5 | 0x80000000, AA8, 0xffffffff00000005ULL, HI5 | 0x80000005, AA8),
	ATOM("lock add32 wraps without carry", BPF_ATOMIC_OP(BPF_W, BPF_ADD, R1, R2, 0), 3, HI5 | 0xfffffffe, AA8, 3,
	     HI5 | 0x00000001, AA8),
	ATOM("lock fetch add32 (old value zero-extended)", BPF_ATOMIC_OP(BPF_W, BPF_ADD | BPF_FETCH, R1, R2, 0),
	     0xffffffff00000005ULL, HI5 | 0x80000000, AA8, 0x80000000ULL, HI5 | 0x80000005, AA8),
	ATOM("lock or32", BPF_ATOMIC_OP(BPF_W, BPF_OR, R1, R2, 0), 0xaaaaaaaa00000f0fULL, HI5 | 0xf0f0, AA8,
	     0xaaaaaaaa00000f0fULL, HI5 | 0xffff, AA8),
	ATOM("lock fetch or32", BPF_ATOMIC_OP(BPF_W, BPF_OR | BPF_FETCH, R1, R2, 0), 0xaaaaaaaa00000f0fULL,
	     HI5 | 0x8000f0f0, AA8, 0x8000f0f0ULL, HI5 | 0x8000ffff, AA8),
	ATOM("lock and32", BPF_ATOMIC_OP(BPF_W, BPF_AND, R1, R2, 0), 0x0ff00ff0, HI5 | 0xff00ff00, AA8, 0x0ff00ff0,
	     HI5 | 0x0f000f00, AA8),
	ATOM("lock fetch and32", BPF_ATOMIC_OP(BPF_W, BPF_AND | BPF_FETCH, R1, R2, 0), 0xffffffff0ff00ff0ULL,
	     HI5 | 0xff00ff00, AA8, 0xff00ff00ULL, HI5 | 0x0f000f00, AA8),
	ATOM("lock xor32", BPF_ATOMIC_OP(BPF_W, BPF_XOR, R1, R2, 0), 0x0ff00ff0, HI5 | 0xffff0000, AA8, 0x0ff00ff0,
	     HI5 | 0xf00f0ff0, AA8),
	ATOM("lock fetch xor32", BPF_ATOMIC_OP(BPF_W, BPF_XOR | BPF_FETCH, R1, R2, 0), 0x0ff00ff0, HI5 | 0xffff0000,
	     AA8, 0xffff0000ULL, HI5 | 0xf00f0ff0, AA8),
	ATOM("lock xchg32", BPF_ATOMIC_OP(BPF_W, BPF_XCHG, R1, R2, 0), 0xffffffff11223344ULL, HI5 | 0xaabbccdd, AA8,
	     0xaabbccddULL, HI5 | 0x11223344, AA8),
	ATOM("lock fetch add32 at [r1+12]", BPF_ATOMIC_OP(BPF_W, BPF_ADD | BPF_FETCH, R1, R2, 12), 1, 0,
	     0x00000007aaaaaaaaULL, 7, 0, 0x00000008aaaaaaaaULL),
	CMPX("cmpxchg32 succeeds (r0's upper half ignored)", BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R1, R2, 0),
	     0xffffffff12345678ULL, 0x9abcdef0, HI5 | 0x12345678, AA8, 0x12345678, HI5 | 0x9abcdef0, AA8),
	CMPX("cmpxchg32 fails", BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R1, R2, 0), 0x11111111, 0x9abcdef0,
	     HI5 | 0x12345678, AA8, 0x12345678, HI5 | 0x12345678, AA8),
	CMPX("cmpxchg32 fails, old value zero-extended", BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R1, R2, 0), 0, 1,
	     HI5 | 0x80000000, AA8, 0x80000000ULL, HI5 | 0x80000000, AA8),
	{ .name = "cmpxchg32 leaves src alone",
	  P(LD64(R0, 7), LD64(R2, 0xffffffff00000009ULL), BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R1, R2, 0),
	    BPF_MOV64_REG(R0, R2), EXIT),
	  .mem_len = 16, .mem = { LE64B(7), LE64B(0) }, .check_mem = 1, .mem_out = { LE64B(9), LE64B(0) },
	  .r0 = 0xffffffff00000009ULL },

	/* ---- 64-bit atomics on word 1 ---- */
	ATOM("lock add", BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R1, R2, 8), 1, AA8, 0x7fffffffffffffffULL, 1, AA8,
	     0x8000000000000000ULL),
	ATOM("lock fetch add", BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, R1, R2, 8), 1, AA8, 0x7fffffffffffffffULL,
	     0x7fffffffffffffffULL, AA8, 0x8000000000000000ULL),
	ATOM("lock or", BPF_ATOMIC_OP(BPF_DW, BPF_OR, R1, R2, 8), 0x0f0f, AA8, 0xf0f0000000000000ULL, 0x0f0f, AA8,
	     0xf0f0000000000f0fULL),
	ATOM("lock fetch or", BPF_ATOMIC_OP(BPF_DW, BPF_OR | BPF_FETCH, R1, R2, 8), 0x0f0f, AA8,
	     0xf0f0000000000000ULL, 0xf0f0000000000000ULL, AA8, 0xf0f0000000000f0fULL),
	ATOM("lock and", BPF_ATOMIC_OP(BPF_DW, BPF_AND, R1, R2, 8), 0x0ff00ff00ff00ff0ULL, AA8,
	     0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL, AA8, 0x0f000f000f000f00ULL),
	ATOM("lock fetch and", BPF_ATOMIC_OP(BPF_DW, BPF_AND | BPF_FETCH, R1, R2, 8), 0x0ff00ff00ff00ff0ULL, AA8,
	     0xff00ff00ff00ff00ULL, 0xff00ff00ff00ff00ULL, AA8, 0x0f000f000f000f00ULL),
	ATOM("lock xor", BPF_ATOMIC_OP(BPF_DW, BPF_XOR, R1, R2, 8), 0x0ff00ff00ff00ff0ULL, AA8,
	     0xffff0000ffff0000ULL, 0x0ff00ff00ff00ff0ULL, AA8, 0xf00f0ff0f00f0ff0ULL),
	ATOM("lock fetch xor", BPF_ATOMIC_OP(BPF_DW, BPF_XOR | BPF_FETCH, R1, R2, 8), 0x0ff00ff00ff00ff0ULL, AA8,
	     0xffff0000ffff0000ULL, 0xffff0000ffff0000ULL, AA8, 0xf00f0ff0f00f0ff0ULL),
	ATOM("lock xchg", BPF_ATOMIC_OP(BPF_DW, BPF_XCHG, R1, R2, 8), 0x8877665544332211ULL, AA8,
	     0x1122334455667788ULL, 0x1122334455667788ULL, AA8, 0x8877665544332211ULL),
	ATOM("legacy xadd (BPF_STX_XADD)", BPF_STX_XADD(BPF_DW, R1, R2, 8), 0xffffffffffffffffULL, AA8, 5,
	     0xffffffffffffffffULL, AA8, 4),
	CMPX("cmpxchg succeeds", BPF_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, R1, R2, 8), 0x1122334455667788ULL,
	     0xdeadbeefcafebabeULL, AA8, 0x1122334455667788ULL, 0x1122334455667788ULL, AA8, 0xdeadbeefcafebabeULL),
	CMPX("cmpxchg fails on the upper half", BPF_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, R1, R2, 8), 0x0022334455667788ULL,
	     0xdeadbeefcafebabeULL, AA8, 0x1122334455667788ULL, 0x1122334455667788ULL, AA8, 0x1122334455667788ULL),
	{ .name = "lock fetch add on the stack",
	  P(BPF_ST_MEM(BPF_DW, R10, -8, 40), BPF_MOV64_IMM(R2, 2), BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, R10, R2, -8),
	    BPF_LDX_MEM(BPF_DW, R0, R10, -8), BPF_ALU64_REG(BPF_MUL, R0, R2), EXIT),
	  .r0 = 42 * 40 },

	/* ---- load-acquire (zero-extends) and store-release ---- */
	{ .name = "load_acquire u8 [r1+8]", P(LD64(R0, -1), BPF_LOAD_ACQUIRE(BPF_B, R0, R1, 8), EXIT), LOADMEM,
	  .r0 = 0x80 },
	{ .name = "load_acquire u16 [r1+10]", P(LD64(R0, -1), BPF_LOAD_ACQUIRE(BPF_H, R0, R1, 10), EXIT), LOADMEM,
	  .r0 = 0x8001 },
	{ .name = "load_acquire u32 [r1+12]", P(LD64(R5, -1), BPF_LOAD_ACQUIRE(BPF_W, R5, R1, 12),
	  BPF_MOV64_REG(R0, R5), EXIT), LOADMEM, .r0 = 0x80000000ULL },
	{ .name = "load_acquire u64 [r1+0]", P(BPF_LOAD_ACQUIRE(BPF_DW, R0, R1, 0), EXIT), LOADMEM,
	  .r0 = 0x8877665544332211ULL },
	STORE("store_release u8 [r1+1]", BPF_STORE_RELEASE(BPF_B, R1, R2, 1), 0xaaaaaaaaaaaa88aaULL, AA8,
	      0xaaaaaaaaaaaa88aaULL),
	STORE("store_release u16 [r1+2]", BPF_STORE_RELEASE(BPF_H, R1, R2, 2), 0xaaaaaaaa7788aaaaULL, AA8,
	      0xaaaaaaaa7788aaaaULL),
	STORE("store_release u32 [r1+4]", BPF_STORE_RELEASE(BPF_W, R1, R2, 4), 0x55667788aaaaaaaaULL, AA8,
	      0x55667788aaaaaaaaULL),
	STORE("store_release u64 [r1+0]", BPF_STORE_RELEASE(BPF_DW, R1, R2, 0), 0x1122334455667788ULL, AA8,
	      0x1122334455667788ULL),
};

#undef LOAD
#undef STORE
#undef ATOM
#undef CMPX
