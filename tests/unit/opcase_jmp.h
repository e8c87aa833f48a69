/* opcase_jmp.h - jump cases for test_opcodes.c: every conditional jump (64-
 * and 32-bit, register and immediate) taken and not taken, at the signed and
 * unsigned boundaries; JMP32 ignoring the upper halves; imm sign-extended to
 * 64 bits in JMP and compared as 32 bits in JMP32; ja and gotol forwards and
 * backwards. JC(...) yields r0 = 1 when the jump is taken, 0 when not. */
#include <stdint.h>

#include "opcase_defs.h"

#define M1 0xffffffffffffffffULL    /* -1 */
#define SMIN 0x8000000000000000ULL  /* INT64_MIN */
#define SMAX 0x7fffffffffffffffULL  /* INT64_MAX */

static const struct opcase jmp_cases[] = {
	/* ---- jeq / jne ---- */
	JC(JR(JEQ), 5, 5, 1),
	JC(JR(JEQ), 5, 6, 0),
	JC(JR(JEQ), 0x100000005ULL, 5, 0), /* 64-bit compare sees the upper half */
	JC(JI(JEQ, -1), M1, 0, 1),          /* imm sign-extended to 64 bits */
	JC(JI(JEQ, -1), 0xffffffffULL, 0, 0),
	JC(JI(JEQ, 7), 7, 0, 1),
	JC(JR(JNE), 5, 6, 1),
	JC(JR(JNE), 5, 5, 0),
	JC(JI(JNE, -1), 0xffffffffULL, 0, 1),
	JC(JI(JNE, -1), M1, 0, 0),
	JC(J32R(JEQ), 0x100000005ULL, 0x200000005ULL, 1), /* upper halves ignored */
	JC(J32R(JEQ), 5, 6, 0),
	JC(J32I(JEQ, -1), 0x00000001ffffffffULL, 0, 1),
	JC(J32I(JEQ, 0), 0x100000000ULL, 0, 1),
	JC(J32I(JEQ, 1), 0x100000000ULL, 0, 0),
	JC(J32R(JNE), 0x100000005ULL, 0x100000006ULL, 1),
	JC(J32R(JNE), 0x100000005ULL, 5, 0),
	JC(J32I(JNE, 5), 0xffffffff00000005ULL, 0, 0),
	JC(J32I(JNE, 5), 6, 0, 1),

	/* ---- unsigned: jgt, jge, jlt, jle ---- */
	JC(JR(JGT), 2, 1, 1),
	JC(JR(JGT), 1, 1, 0),
	JC(JR(JGT), M1, 1, 1),                 /* -1 is the largest unsigned value */
	JC(JI(JGT, -1), SMAX, 0, 0),           /* imm -1 = 2^64 - 1 */
	JC(JI(JGT, 1), 2, 0, 1),
	JC(JR(JGE), 1, 1, 1),
	JC(JR(JGE), 0, 1, 0),
	JC(JI(JGE, -1), M1, 0, 1),
	JC(JI(JGE, -1), SMAX, 0, 0),
	JC(JR(JLT), 1, 2, 1),
	JC(JR(JLT), 1, 1, 0),
	JC(JI(JLT, -1), 1, 0, 1),
	JC(JI(JLT, 0), 0, 0, 0),
	JC(JR(JLE), 1, 1, 1),
	JC(JR(JLE), 2, 1, 0),
	JC(JI(JLE, 0), 0, 0, 1),
	JC(JI(JLE, 1), M1, 0, 0),
	JC(J32R(JGT), 0x100000000ULL, 1, 0),       /* low half 0 > 1 is false */
	JC(J32R(JGT), 0xffffffffULL, 0x1fffffffeULL, 1),
	JC(J32I(JGT, -1), 0xfffffffeULL, 0, 0),    /* imm as u32 0xffffffff */
	JC(J32I(JGT, 1), 0xffffffff00000002ULL, 0, 1),
	JC(J32R(JGE), 0x300000007ULL, 0x7, 1),
	JC(J32R(JGE), 6, 0x7, 0),
	JC(J32I(JGE, -1), 0xffffffffULL, 0, 1),
	JC(J32I(JGE, 1), 0x100000000ULL, 0, 0),
	JC(J32R(JLT), 0x100000000ULL, 1, 1),       /* 64-bit would be false */
	JC(J32R(JLT), 0xffffffffULL, 0, 0),
	JC(J32I(JLT, -1), 0xfffffffeULL, 0, 1),
	JC(J32I(JLT, 0), 0x100000000ULL, 0, 0),
	JC(J32R(JLE), 0x500000003ULL, 3, 1),
	JC(J32R(JLE), 4, 3, 0),
	JC(J32I(JLE, 0), 0xffffffff00000000ULL, 0, 1),
	JC(J32I(JLE, 0), 1, 0, 0),

	/* ---- jset ---- */
	JC(JR(JSET), 0x10, 0x30, 1),
	JC(JR(JSET), 0x10, 0x20, 0),
	JC(JR(JSET), 0x100000000ULL, 0x100000000ULL, 1),
	JC(JI(JSET, INT32_MIN), SMIN, 0, 1),       /* imm 0xffffffff80000000 */
	JC(JI(JSET, 0x0f), 0xf0, 0, 0),
	JC(J32R(JSET), 0x100000000ULL, 0x100000000ULL, 0), /* only the low halves */
	JC(J32R(JSET), 0x180000000ULL, 0x80000000ULL, 1),
	JC(J32I(JSET, -1), 0xffffffff00000000ULL, 0, 0),
	JC(J32I(JSET, 1), 0x3, 0, 1),

	/* ---- signed: jsgt, jsge, jslt, jsle ---- */
	JC(JR(JSGT), 1, M1, 1),
	JC(JR(JSGT), M1, 1, 0),
	JC(JR(JSGT), SMIN, SMAX, 0),
	JC(JR(JSGT), SMAX, SMIN, 1),
	JC(JI(JSGT, -1), 0, 0, 1),
	JC(JI(JSGT, -1), M1, 0, 0),
	JC(JR(JSGE), M1, M1, 1),
	JC(JR(JSGE), 0xfffffffffffffffeULL, M1, 0),
	JC(JI(JSGE, 0), 0, 0, 1),
	JC(JI(JSGE, 0), SMIN, 0, 0),
	JC(JR(JSLT), M1, 1, 1),
	JC(JR(JSLT), 1, M1, 0),
	JC(JI(JSLT, 0), SMIN, 0, 1),
	JC(JI(JSLT, -1), M1, 0, 0),
	JC(JR(JSLE), M1, M1, 1),
	JC(JR(JSLE), 0, M1, 0),
	JC(JI(JSLE, INT32_MIN), 0xffffffff80000000ULL, 0, 1),
	JC(JI(JSLE, INT32_MIN), 0x80000000ULL, 0, 0), /* +2^31 as 64-bit */
	JC(J32R(JSGT), 0x80000000ULL, 0, 0),          /* low half is INT32_MIN; 64-bit would be true */
	JC(J32R(JSGT), 0xffffffff00000001ULL, 0xffffffffULL, 1), /* 1 > -1 */
	JC(J32I(JSGT, -1), 0x100000000ULL, 0, 1),     /* 0 > -1 */
	JC(J32I(JSGT, 0), 0xffffffffULL, 0, 0),
	JC(J32R(JSGE), 0x1ffffffffULL, 0xffffffffULL, 1),
	JC(J32R(JSGE), 0x80000000ULL, 0x7fffffffULL, 0),
	JC(J32I(JSGE, INT32_MIN), 0x80000000ULL, 0, 1),
	JC(J32I(JSGE, 0), 0xffffffffULL, 0, 0),
	JC(J32R(JSLT), 0xffffffffULL, 0, 1),          /* -1 < 0; unsigned would be false */
	JC(J32R(JSLT), 0, 0x80000000ULL, 0),
	JC(J32I(JSLT, 0), 0x80000000ULL, 0, 1),
	JC(J32I(JSLT, -1), 0x7fffffffULL, 0, 0),
	JC(J32R(JSLE), 0x80000000ULL, 0x7fffffffULL, 1),
	JC(J32R(JSLE), 1, 0x100000000ULL, 0),         /* 1 <= 0 */
	JC(J32I(JSLE, -1), 0xaaaaaaaaffffffffULL, 0, 1),
	JC(J32I(JSLE, -1), 0, 0, 0),

	/* ---- unconditional ---- */
	{ .name = "ja +1", P(BPF_MOV64_IMM(R0, 1), BPF_JMP_A(1), BPF_MOV64_IMM(R0, 2), EXIT), .r0 = 1 },
	{ .name = "ja +0", P(BPF_MOV64_IMM(R0, 1), BPF_JMP_A(0), EXIT), .r0 = 1 },
	/* 0: r0 = 0; 1: r1 = 3; 2: r0 += 2; 3: r1 -= 1; 4: if r1 == 0 goto 6; 5: goto 2; 6: exit */
	{ .name = "ja -4 (loop 3 times)",
	  P(BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(R1, 3), BPF_ALU64_IMM(BPF_ADD, R0, 2), BPF_ALU64_IMM(BPF_SUB, R1, 1),
	    BPF_JMP_IMM(BPF_JEQ, R1, 0, 1), BPF_JMP_A(-4), EXIT),
	  .r0 = 6 },
	{ .name = "gotol +1", P(BPF_MOV64_IMM(R0, 1), BPF_JMP32_A(1), BPF_MOV64_IMM(R0, 2), EXIT), .r0 = 1 },
	{ .name = "gotol -4 (loop 3 times)",
	  P(BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(R1, 3), BPF_ALU64_IMM(BPF_ADD, R0, 2), BPF_ALU64_IMM(BPF_SUB, R1, 1),
	    BPF_JMP_IMM(BPF_JEQ, R1, 0, 1), BPF_JMP32_A(-4), EXIT),
	  .r0 = 6 },
	/* backwards conditional: 0: r0 = 0; 1: r1 = 5; 2: r0 += r1; 3: r1 -= 1; 4: if r1 != 0 goto 2 */
	{ .name = "jne -3 (sum 5..1)",
	  P(BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(R1, 5), BPF_ALU64_REG(BPF_ADD, R0, R1), BPF_ALU64_IMM(BPF_SUB, R1, 1),
	    BPF_JMP_IMM(BPF_JNE, R1, 0, -3), EXIT),
	  .r0 = 15 },
	{ .name = "jslt32 -3 (counts -5 up to 0)",
	  P(BPF_MOV64_IMM(R0, 0), BPF_MOV32_IMM(R1, -5), BPF_ALU64_IMM(BPF_ADD, R0, 1), BPF_ALU32_IMM(BPF_ADD, R1, 1),
	    BPF_JMP32_IMM(BPF_JSLT, R1, 0, -3), EXIT),
	  .r0 = 5 },
};

#undef M1
#undef SMIN
#undef SMAX
