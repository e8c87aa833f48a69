/* opcase_alu.h - ALU cases for test_opcodes.c: every 32- and 64-bit
 * arithmetic, logic, shift, move, sign-extending move, negation and byte-swap
 * form, with the RFC 9669 edge cases. Expected values are worked out by hand
 * (comments show the arithmetic where it is not obvious). In the 32-bit forms
 * the upper half of dst and src is set to junk to show it is ignored and the
 * result is zero-extended. */
#include <stdint.h>

#include "opcase_defs.h"

static const struct opcase alu_cases[] = {
	/* ---- add ---- */
	UN(A64I(ADD, 1), 0x7fffffffffffffffULL, 0x8000000000000000ULL),
	UN(A64I(ADD, 1), 0xffffffffffffffffULL, 0),
	UN(A64I(ADD, -3), 5, 2), /* imm sign-extended */
	UN(A64I(ADD, 1), 0xffffffffULL, 0x100000000ULL),
	UN(A64I(ADD, 0x7fffffff), 0x80000001ULL, 0x100000000ULL),
	BIN(A64R(ADD), 0xfffffffffffffffeULL, 3, 1),
	BIN(A64R(ADD), 0x123456789ULL, 0x876543210ULL, 0x999999999ULL),
	UN(A32I(ADD, 1), 0xffffffff00000001ULL, 2),
	UN(A32I(ADD, 1), 0xffffffffULL, 0), /* wraps at 32 bits */
	UN(A32I(ADD, -1), 0x100000005ULL, 4),
	BIN(A32R(ADD), 0x800000007fffffffULL, 1, 0x80000000ULL),
	BIN(A32R(ADD), 5, 0xffffffff00000003ULL, 8),

	/* ---- sub ---- */
	UN(A64I(SUB, 1), 0, 0xffffffffffffffffULL),
	UN(A64I(SUB, -5), 10, 15),
	BIN(A64R(SUB), 0x8000000000000000ULL, 1, 0x7fffffffffffffffULL),
	BIN(A64R(SUB), 3, 5, 0xfffffffffffffffeULL),
	UN(A32I(SUB, 1), 0x100000000ULL, 0xffffffffULL), /* low half 0 - 1 */
	BIN(A32R(SUB), 5, 7, 0xfffffffeULL),
	BIN(A32R(SUB), 0x1200000009ULL, 0x3400000002ULL, 7),

	/* ---- mul ---- */
	UN(A64I(MUL, 0x10), 0x100000000ULL, 0x1000000000ULL),
	UN(A64I(MUL, -2), 3, 0xfffffffffffffffaULL),
	BIN(A64R(MUL), 0xffffffffffffffffULL, 0xffffffffffffffffULL, 1), /* (-1)(-1) */
	BIN(A64R(MUL), 0x100000001ULL, 0x100000001ULL, 0x200000001ULL), /* 2^64 + 2^33 + 1 mod 2^64 */
	UN(A32I(MUL, 0x10000), 0x10000, 0), /* 2^32 mod 2^32 */
	UN(A32I(MUL, -1), 0xffffffff00000003ULL, 0xfffffffdULL), /* 3 * 0xffffffff = 0x2fffffffd */
	BIN(A32R(MUL), 0x12345678, 0x100000002ULL, 0x2468acf0),

	/* ---- div (unsigned; by zero gives 0) ---- */
	UN(A64I(DIV, 7), 100, 14),
	UN(A64I(DIV, -1), 0xffffffffffffffffULL, 1), /* imm sign-extended, then unsigned */
	UN(A64I(DIV, -1), 0xfffffffffffffffeULL, 0),
	UN(A64I(DIV, 0), 0x1234, 0),
	BIN(A64R(DIV), 0x8000000000000000ULL, 3, 0x2aaaaaaaaaaaaaaaULL),
	BIN(A64R(DIV), 0xffffffffffffffffULL, 0xffffffffULL, 0x100000001ULL), /* (2^64-1)/(2^32-1) */
	BIN(A64R(DIV), 0xdeadbeefULL, 0, 0),
	UN(A32I(DIV, 7), 0xffffffff00000064ULL, 14),
	UN(A32I(DIV, -1), 0xfffffffeULL, 0), /* imm as u32 0xffffffff */
	UN(A32I(DIV, -1), 0xffffffffULL, 1),
	UN(A32I(DIV, 0), 0x55, 0),
	BIN(A32R(DIV), 10, 0x100000000ULL, 0), /* divisor's low half is 0 */
	BIN(A32R(DIV), 0xffffffff00000009ULL, 0, 0),
	BIN(A32R(DIV), 0x80000000ULL, 0xffffffff00000002ULL, 0x40000000),

	/* ---- sdiv (off = 1): truncates toward 0; INT_MIN / -1 = INT_MIN ---- */
	UN(S64I(DIV, 2), -7, 0xfffffffffffffffdULL),  /* -3 */
	UN(S64I(DIV, -1), 0x8000000000000000ULL, 0x8000000000000000ULL),
	UN(S64I(DIV, -2), 7, 0xfffffffffffffffdULL),  /* -3 */
	UN(S64I(DIV, 0), -7, 0),
	BIN(S64R(DIV), 0x8000000000000000ULL, 0xffffffffffffffffULL, 0x8000000000000000ULL),
	BIN(S64R(DIV), -7, -2, 3),
	BIN(S64R(DIV), -7, 0, 0),
	BIN(S64R(DIV), 0x8000000000000000ULL, 2, 0xc000000000000000ULL), /* -2^62 */
	BIN(S64R(DIV), 7, -1, 0xfffffffffffffff9ULL),   /* -7 */
	UN(S64I(DIV, -1), -1, 1),
	UN(S32I(DIV, -1), 0x80000000ULL, 0x80000000ULL),
	UN(S32I(DIV, 2), 0xfffffff9ULL, 0xfffffffdULL), /* -7 / 2 = -3, zero-extended */
	UN(S32I(DIV, -2), 0x10000000aULL, 0xfffffffbULL), /* 10 / -2 = -5 */
	UN(S32I(DIV, 0), 0xfffffff9ULL, 0),
	BIN(S32R(DIV), 0x80000000ULL, 0xffffffffULL, 0x80000000ULL),
	BIN(S32R(DIV), 7, 0x100000000ULL, 0),
	BIN(S32R(DIV), 0xfffffff9ULL, 2, 0xfffffffdULL),
	BIN(S32R(DIV), 0xffffffff00000007ULL, 0xfffffffeULL, 0xfffffffdULL), /* 7 / -2 = -3 */
	BIN(S32R(DIV), 7, 0xffffffffULL, 0xfffffff9ULL), /* 7 / -1 = -7 */
	UN(S32I(DIV, -1), 0xaaaaaaaa00000007ULL, 0xfffffff9ULL),

	/* ---- mod (unsigned; by zero leaves dst, 32-bit: zero-extended) ---- */
	UN(A64I(MOD, 7), 100, 2),
	UN(A64I(MOD, 0), 0xdeadbeefcafebabeULL, 0xdeadbeefcafebabeULL),
	UN(A64I(MOD, -1), 0xffffffffffffffffULL, 0),
	UN(A64I(MOD, -1), 5, 5),
	BIN(A64R(MOD), 0xffffffffffffffffULL, 0x100000000ULL, 0xffffffffULL),
	BIN(A64R(MOD), 0x8000000000000001ULL, 0, 0x8000000000000001ULL),
	UN(A32I(MOD, 7), 0xffffffff00000064ULL, 2),
	UN(A32I(MOD, 0), 0xdeadbeefcafebabeULL, 0xcafebabeULL),
	UN(A32I(MOD, -1), 0xfffffffeULL, 0xfffffffeULL),
	BIN(A32R(MOD), 0x123456789abcdef0ULL, 0x100000000ULL, 0x9abcdef0ULL), /* low half of src is 0 */
	BIN(A32R(MOD), 17, 5, 2),
	BIN(A32R(MOD), 0xffffffff00000011ULL, 0xaaaaaaaa00000005ULL, 2),

	/* ---- smod (off = 1): sign of the dividend; INT_MIN % -1 = 0 ---- */
	UN(S64I(MOD, 2), -7, 0xffffffffffffffffULL), /* -1 */
	UN(S64I(MOD, -2), 7, 1),
	UN(S64I(MOD, -1), 0x8000000000000000ULL, 0),
	UN(S64I(MOD, 0), -7, 0xfffffffffffffff9ULL),
	BIN(S64R(MOD), 0x8000000000000000ULL, -1, 0),
	BIN(S64R(MOD), -7, -2, 0xffffffffffffffffULL),
	BIN(S64R(MOD), 0x8000000000000000ULL, 0, 0x8000000000000000ULL),
	BIN(S64R(MOD), 0x8000000000000000ULL, 3, 0xfffffffffffffffeULL), /* -2^63 = 3 * -3074457345618258602 - 2 */
	BIN(S64R(MOD), 7, -1, 0),
	UN(S64I(MOD, 3), 0x8000000000000000ULL, 0xfffffffffffffffeULL),
	UN(S32I(MOD, -1), 0x80000000ULL, 0),
	UN(S32I(MOD, 2), 0xfffffff9ULL, 0xffffffffULL), /* -7 % 2 = -1 */
	UN(S32I(MOD, 0), 0xaaaaaaaafffffff9ULL, 0xfffffff9ULL),
	BIN(S32R(MOD), 0xfffffff9ULL, 0xfffffffeULL, 0xffffffffULL),
	BIN(S32R(MOD), 0x80000000ULL, 0xffffffffULL, 0),
	BIN(S32R(MOD), 0x1111111180000000ULL, 0, 0x80000000ULL),
	BIN(S32R(MOD), 0x1111111180000000ULL, 0x100000000ULL, 0x80000000ULL),
	BIN(S32R(MOD), 7, 0xffffffffULL, 0),
	UN(S32I(MOD, -1), 0xffffffff00000007ULL, 0),
	UN(S32I(MOD, 3), 0x80000000ULL, 0xfffffffeULL), /* -2^31 = 3 * -715827882 - 2 */

	/* ---- or, and, xor ---- */
	UN(A64I(OR, -0x10000), 0xf0, 0xffffffffffff00f0ULL),
	BIN(A64R(OR), 0x0f0f, 0xf0f0000000000000ULL, 0xf0f0000000000f0fULL),
	UN(A32I(OR, INT32_MIN), 0xffffffff00000001ULL, 0x80000001ULL),
	BIN(A32R(OR), 0xffffffff00000100ULL, 0xffffffff00000011ULL, 0x111),
	UN(A64I(AND, -1), 0x123456789abcdef0ULL, 0x123456789abcdef0ULL),
	UN(A64I(AND, 0x7fffffff), 0x123456789abcdef0ULL, 0x1abcdef0),
	BIN(A64R(AND), 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL, 0x0f000f000f000f00ULL),
	UN(A32I(AND, 0xf0), 0xffffffffffffffffULL, 0xf0),
	UN(A32I(AND, -1), 0xffffffff12345678ULL, 0x12345678),
	BIN(A32R(AND), 0xffffffffffffffffULL, 0xffffffff0000ffffULL, 0xffff),
	UN(A64I(XOR, -1), 0x0123456789abcdefULL, 0xfedcba9876543210ULL),
	BIN(A64R(XOR), 0xffff0000ffff0000ULL, 0x0ff00ff00ff00ff0ULL, 0xf00f0ff0f00f0ff0ULL),
	UN(A32I(XOR, -1), 0x0123456789abcdefULL, 0x76543210),
	BIN(A32R(XOR), 0xffffffff00000000ULL, 0xffffffff00000001ULL, 1),

	/* ---- shifts: counts masked to 6 (64-bit) or 5 (32-bit) bits ---- */
	UN(A64I(LSH, 63), 1, 0x8000000000000000ULL),
	UN(A64I(LSH, 68), 1, 0x10), /* 68 & 63 = 4 */
	UN(A64I(LSH, 0), 0x1234, 0x1234),
	BIN(A64R(LSH), 1, 64, 1),
	BIN(A64R(LSH), 1, 65, 2),
	BIN(A64R(LSH), 1, 0xffffffffffffffffULL, 0x8000000000000000ULL),
	BIN(A64R(LSH), 0xffffffffULL, 32, 0xffffffff00000000ULL),
	UN(A32I(LSH, 31), 0xffffffff00000001ULL, 0x80000000ULL),
	UN(A32I(LSH, 36), 1, 0x10), /* 36 & 31 = 4 */
	BIN(A32R(LSH), 0xaaaaaaaa00000003ULL, 32, 3),
	BIN(A32R(LSH), 3, 33, 6),
	BIN(A32R(LSH), 0xffffffffULL, 4, 0xfffffff0ULL), /* nothing spills into the upper half */
	UN(A64I(RSH, 63), 0x8000000000000000ULL, 1),
	UN(A64I(RSH, 65), 0x8000000000000000ULL, 0x4000000000000000ULL),
	BIN(A64R(RSH), 0x8000000000000000ULL, 64, 0x8000000000000000ULL),
	BIN(A64R(RSH), 0xffffffffffffffffULL, 0x41, 0x7fffffffffffffffULL),
	UN(A32I(RSH, 31), 0xffffffff80000000ULL, 1),
	UN(A32I(RSH, 33), 0x80000000ULL, 0x40000000),
	BIN(A32R(RSH), 0x1234567887654321ULL, 32, 0x87654321ULL),
	BIN(A32R(RSH), 0xffffffff00000010ULL, 4, 1), /* upper half of dst not shifted in */
	UN(A64I(ARSH, 63), 0x8000000000000000ULL, 0xffffffffffffffffULL),
	UN(A64I(ARSH, 1), 0x4000000000000000ULL, 0x2000000000000000ULL),
	BIN(A64R(ARSH), 0x8000000000000000ULL, 68, 0xf800000000000000ULL),
	BIN(A64R(ARSH), 0xfffffffffffffff0ULL, 0, 0xfffffffffffffff0ULL),
	UN(A32I(ARSH, 31), 0x80000000ULL, 0xffffffffULL), /* sign of bit 31, zero-extended */
	UN(A32I(ARSH, 30), 0xffffffff40000000ULL, 1),
	UN(A32I(ARSH, 48), 0x80000000ULL, 0xffff8000ULL), /* 48 & 31 = 16 */
	BIN(A32R(ARSH), 0x80000000ULL, 36, 0xf8000000ULL),
	BIN(A32R(ARSH), 0x00000001ffffff00ULL, 4, 0xfffffff0ULL),

	/* ---- moves ---- */
	UN(A64I(MOV, -1), 0, 0xffffffffffffffffULL),
	UN(A64I(MOV, 0x7fffffff), 0xffffffffffffffffULL, 0x7fffffff),
	UN(A64I(MOV, INT32_MIN), 0, 0xffffffff80000000ULL),
	BIN(A64R(MOV), 0, 0xdeadbeefcafebabeULL, 0xdeadbeefcafebabeULL),
	UN(A32I(MOV, -1), 0, 0xffffffffULL),
	UN(A32I(MOV, 5), 0xffffffffffffffffULL, 5),
	BIN(A32R(MOV), 0xffffffffffffffffULL, 0xdeadbeef12345678ULL, 0x12345678),
	BIN(BPF_MOVSX64_REG(RD, RS, 8), 0, 0x80, 0xffffffffffffff80ULL),
	BIN(BPF_MOVSX64_REG(RD, RS, 8), 0xffffffffffffffffULL, 0x123456789abcde7fULL, 0x7f),
	BIN(BPF_MOVSX64_REG(RD, RS, 16), 0, 0x8000, 0xffffffffffff8000ULL),
	BIN(BPF_MOVSX64_REG(RD, RS, 16), 0, 0xffff7fffULL, 0x7fff),
	BIN(BPF_MOVSX64_REG(RD, RS, 32), 0, 0x80000000ULL, 0xffffffff80000000ULL),
	BIN(BPF_MOVSX64_REG(RD, RS, 32), 0, 0xffffffff7fffffffULL, 0x7fffffff),
	BIN(BPF_MOVSX32_REG(RD, RS, 8), 0xffffffffffffffffULL, 0x80, 0xffffff80ULL),
	BIN(BPF_MOVSX32_REG(RD, RS, 8), 0, 0xffffff7fULL, 0x7f),
	BIN(BPF_MOVSX32_REG(RD, RS, 16), 0xffffffffffffffffULL, 0x8000, 0xffff8000ULL),
	BIN(BPF_MOVSX32_REG(RD, RS, 16), 0, 0x12347fffULL, 0x7fff),

	/* ---- neg ---- */
	UN(BPF_ALU64_IMM(BPF_NEG, RD, 0), 1, 0xffffffffffffffffULL),
	UN(BPF_ALU64_IMM(BPF_NEG, RD, 0), 0x8000000000000000ULL, 0x8000000000000000ULL),
	UN(BPF_ALU64_IMM(BPF_NEG, RD, 0), 0, 0),
	UN(BPF_ALU64_IMM(BPF_NEG, RD, 0), 5, 0xfffffffffffffffbULL),
	UN(BPF_ALU32_IMM(BPF_NEG, RD, 0), 0xffffffff00000001ULL, 0xffffffffULL),
	UN(BPF_ALU32_IMM(BPF_NEG, RD, 0), 0x80000000ULL, 0x80000000ULL),
	UN(BPF_ALU32_IMM(BPF_NEG, RD, 0), 0x500000000ULL, 0),
	UN(BPF_ALU32_IMM(BPF_NEG, RD, 0), 0xaaaaaaaa00000002ULL, 0xfffffffeULL),

	/* ---- byte order (little-endian host: le is truncation, be a swap) ---- */
	UN(BPF_ENDIAN(BPF_TO_LE, RD, 16), 0x1122334455667788ULL, 0x7788),
	UN(BPF_ENDIAN(BPF_TO_LE, RD, 32), 0x1122334455667788ULL, 0x55667788),
	UN(BPF_ENDIAN(BPF_TO_LE, RD, 64), 0x1122334455667788ULL, 0x1122334455667788ULL),
	UN(BPF_ENDIAN(BPF_TO_BE, RD, 16), 0x1122334455667788ULL, 0x8877),
	UN(BPF_ENDIAN(BPF_TO_BE, RD, 32), 0x1122334455667788ULL, 0x88776655),
	UN(BPF_ENDIAN(BPF_TO_BE, RD, 64), 0x1122334455667788ULL, 0x8877665544332211ULL),
	UN(BPF_ENDIAN(BPF_TO_BE, RD, 16), 0x80, 0x8000),
	UN(BPF_ENDIAN(BPF_TO_BE, RD, 32), 0x80, 0x80000000ULL),
	UN(BPF_BSWAP(RD, 16), 0x1122334455667788ULL, 0x8877),
	UN(BPF_BSWAP(RD, 32), 0x1122334455667788ULL, 0x88776655),
	UN(BPF_BSWAP(RD, 64), 0x1122334455667788ULL, 0x8877665544332211ULL),
	UN(BPF_BSWAP(RD, 32), 0xffffffff000000ffULL, 0xff000000ULL),
	UN(BPF_BSWAP(RD, 16), 0xffffffffffff00ffULL, 0xff00),

	/* ---- register fields ---- */
	{ .name = "add r5, r5", P(LD64(R5, 21), BPF_ALU64_REG(BPF_ADD, R5, R5), BPF_MOV64_REG(R0, R5), EXIT),
	  .r0 = 42 },
	{ .name = "sub leaves src alone", P(LD64(R3, 10), LD64(R7, 3), A64R(SUB), BPF_MOV64_REG(R0, R7), EXIT),
	  .r0 = 3 },
	{ .name = "mov32 r9, r8 then r0 = r9",
	  P(LD64(R8, 0xffffffff87654321ULL), LD64(R9, -1), BPF_MOV32_REG(R9, R8), BPF_MOV64_REG(R0, R9), EXIT),
	  .r0 = 0x87654321ULL },
	{ .name = "r10 - r10 = 0", P(BPF_MOV64_REG(R0, R10), BPF_ALU64_REG(BPF_SUB, R0, R10), EXIT), .r0 = 0 },
	{ .name = "r2 = mem_len at entry", P(BPF_MOV64_REG(R0, R2), EXIT), .mem_len = 24, .r0 = 24 },
	{ .name = "r1 = mem at entry (non-zero)",
	  P(BPF_MOV64_IMM(R0, 0), BPF_JMP_IMM(BPF_JEQ, R1, 0, 1), BPF_MOV64_IMM(R0, 1), EXIT), .mem_len = 8,
	  .r0 = 1 },
	{ .name = "lddw 0x123456789abcdef0 (upper half from the second slot)",
	  P(LD64(R0, 0x123456789abcdef0ULL), EXIT), .r0 = 0x123456789abcdef0ULL },
	{ .name = "lddw 0x80000000 is not sign-extended", P(LD64(R0, 0x80000000ULL), EXIT), .r0 = 0x80000000ULL },
	{ .name = "lddw 0xffffffff00000000", P(LD64(R0, 0xffffffff00000000ULL), EXIT),
	  .r0 = 0xffffffff00000000ULL },
	{ .name = "lddw r5, -1", P(LD64(R5, -1), BPF_MOV64_REG(R0, R5), EXIT), .r0 = 0xffffffffffffffffULL },
	{ .name = "ja over an lddw", P(BPF_MOV64_IMM(R0, 1), BPF_JMP_A(2), LD64(R0, 5), EXIT), .r0 = 1 },
	/* lddw src=4 loads a code address: 0 + 1 + 5 = insn 6, a subprogram */
	{ .name = "lddw r1, func (non-zero)",
	  P(BPF_LD_IMM64_RAW(R1, BPF_PSEUDO_FUNC, 5), BPF_MOV64_IMM(R0, 0), BPF_JMP_IMM(BPF_JEQ, R1, 0, 1),
	    BPF_MOV64_IMM(R0, 1), EXIT, BPF_MOV64_IMM(R0, 2), EXIT),
	  .r0 = 1 },
};
