/* test_validate.c - the load-time validator (src/isa/validate.c, reached
 * through bpfvm_prog_load): every error it reports, with the instruction
 * index it must name and a word of its message, and for each a positive
 * control (the minimally fixed program loads). Also the size limits, the
 * empty program and unknown helpers at load (BPFVM_EHELPER). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "isa.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R10 BPF_REG_10
#define EXIT BPF_EXIT_INSN()
#define RAW BPF_RAW_INSN
#define LDDW2(imm_hi) RAW(0, 0, 0, 0, imm_hi) /* an lddw's second slot */
/* Ends a program in the tables (it is not part of it). */
#define END RAW(0xff, 0xf, 0xf, -32768, INT32_MIN)
#define MAXI 16

struct vcase {
	const char *name;
	struct bpf_insn bad[MAXI];
	long insn;           /* the index err must name (-1: none) */
	const char *what;    /* a word of the message */
	struct bpf_insn good[MAXI]; /* the fixed program */
};

static size_t len(const struct bpf_insn *p)
{
	size_t n = 0;
	while (p[n].code != 0xff || p[n].dst_reg != 0xf || p[n].src_reg != 0xf || p[n].off != -32768)
		n++;
	return n;
}

static const struct vcase cases[] = {
	/* ---- unknown opcodes ---- */
	{ "unknown opcode 0xe7 (alu64 op 0xe0)", { BPF_MOV64_IMM(R0, 0), RAW(0xe7, 0, 0, 0, 0), EXIT, END }, 1,
	  "unknown opcode", { BPF_MOV64_IMM(R0, 0), BPF_ALU64_IMM(BPF_ARSH, R0, 0), EXIT, END } },
	{ "unknown opcode 0x00 (stray zero slot)", { BPF_MOV64_IMM(R0, 0), RAW(0, 0, 0, 0, 0), EXIT, END }, 1,
	  "unknown opcode", { BPF_MOV64_IMM(R0, 0), EXIT, END } },
	{ "unknown opcode 0x8f (neg with BPF_X)", { BPF_MOV64_IMM(R0, 0), RAW(0x8f, 0, 0, 0, 0), EXIT, END }, 1,
	  "unknown opcode", { BPF_MOV64_IMM(R0, 0), RAW(0x87, 0, 0, 0, 0), EXIT, END } },
	{ "unknown opcode 0xf5 (jmp op 0xf0)", { BPF_MOV64_IMM(R0, 0), RAW(0xf5, 0, 0, 1, 0), EXIT, EXIT, END }, 1,
	  "unknown opcode", { BPF_MOV64_IMM(R0, 0), RAW(0xd5, 0, 0, 1, 0), EXIT, EXIT, END } },
	{ "unknown opcode 0x20|0x18 (ld abs dw)", { RAW(0x38, 0, 0, 0, 0), EXIT, END }, 0, "unknown opcode",
	  { RAW(0x20, 0, 0, 0, 0), EXIT, END } },

	{ "unknown opcode 0x99 (64-bit sign-extending load)", { RAW(0x99, R0, R1, 0, 0), EXIT, END }, 0, "unknown opcode",
	  { BPF_LDX_MEMSX(BPF_W, R0, R1, 0), EXIT, END } },
	{ "unknown opcode 0xdf (alu64 end with to_be)", { RAW(0xdf, R0, 0, 0, 16), EXIT, END }, 0, "unknown opcode",
	  { BPF_BSWAP(R0, 16), EXIT, END } },
	{ "unknown opcode 0x86 (jmp32 call)", { RAW(0x86, 0, 0, 0, 2), EXIT, END }, 0, "unknown opcode",
	  { BPF_CALL_HELPER(2), EXIT, END } },
	{ "unknown opcode 0x96 (jmp32 exit)", { BPF_MOV64_IMM(R0, 0), RAW(0x96, 0, 0, 0, 0), END }, 1, "unknown opcode",
	  { BPF_MOV64_IMM(R0, 0), EXIT, END } },

	/* ---- discriminators no row has ---- */
	{ "div with off 2", { BPF_MOV64_IMM(R0, 1), BPF_ALU64_REG_OFF(BPF_DIV, R0, R1, 2), EXIT, END }, 1, "off",
	  { BPF_MOV64_IMM(R0, 1), BPF_ALU64_REG_OFF(BPF_DIV, R0, R1, 1), EXIT, END } },
	{ "div32 imm with off -1", { BPF_MOV64_IMM(R0, 1), BPF_ALU32_IMM_OFF(BPF_DIV, R0, 3, -1), EXIT, END }, 1, "off",
	  { BPF_MOV64_IMM(R0, 1), BPF_ALU32_IMM_OFF(BPF_DIV, R0, 3, 0), EXIT, END } },
	{ "add with off 1", { BPF_MOV64_IMM(R0, 1), BPF_ALU64_IMM_OFF(BPF_ADD, R0, 3, 1), EXIT, END }, 1, "off",
	  { BPF_MOV64_IMM(R0, 1), BPF_ALU64_IMM(BPF_ADD, R0, 3), EXIT, END } },
	{ "movsx64 with off 24", { BPF_MOVSX64_REG(R0, R1, 24), EXIT, END }, 0, "off",
	  { BPF_MOVSX64_REG(R0, R1, 16), EXIT, END } },
	{ "movsx32 with off 32", { BPF_MOVSX32_REG(R0, R1, 32), EXIT, END }, 0, "off",
	  { BPF_MOVSX64_REG(R0, R1, 32), EXIT, END } },
	{ "atomic dw with imm 0x02", { BPF_ATOMIC_OP(BPF_DW, 0x02, R1, R0, 0), EXIT, END }, 0, "imm",
	  { BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R1, R0, 0), EXIT, END } },
	{ "atomic w with imm 0xf0 (cmpxchg without fetch)", { BPF_ATOMIC_OP(BPF_W, 0xf0, R1, R0, 0), EXIT, END }, 0,
	  "imm", { BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R1, R0, 0), EXIT, END } },
	{ "atomic add on a byte", { BPF_ATOMIC_OP(BPF_B, BPF_ADD, R1, R0, 0), EXIT, END }, 0, "imm",
	  { BPF_ATOMIC_OP(BPF_B, BPF_STORE_REL, R1, R0, 0), EXIT, END } },
	{ "load-acquire with imm 0x101", { BPF_ATOMIC_OP(BPF_W, 0x101, R0, R1, 0), EXIT, END }, 0, "imm",
	  { BPF_ATOMIC_OP(BPF_W, BPF_LOAD_ACQ, R0, R1, 0), EXIT, END } },
	{ "le with width 8", { BPF_ENDIAN(BPF_TO_LE, R0, 8), EXIT, END }, 0, "imm",
	  { BPF_ENDIAN(BPF_TO_LE, R0, 16), EXIT, END } },
	{ "bswap with width 0", { BPF_BSWAP(R0, 0), EXIT, END }, 0, "imm", { BPF_BSWAP(R0, 64), EXIT, END } },
	{ "lddw with src 7", { BPF_LD_IMM64_RAW(R0, 7, 1), EXIT, END }, 0, "src",
	  { BPF_LD_IMM64_RAW(R0, 0, 1), EXIT, END } },
	{ "call with src 3", { RAW(BPF_JMP | BPF_CALL, 0, 3, 0, 1), EXIT, END }, 0, "src",
	  { BPF_CALL_HELPER(2), EXIT, END } },
	{ "may_goto with src 1", { RAW(BPF_JMP | BPF_JCOND, 0, 1, 0, 0), EXIT, END }, 0, "src",
	  { BPF_MAY_GOTO_INSN(0), EXIT, END } },

	/* ---- reserved fields, one per shape ---- */
	{ "alu imm with src 1", { RAW(BPF_ALU64 | BPF_ADD | BPF_K, R0, 1, 0, 1), EXIT, END }, 0, "src_reg",
	  { RAW(BPF_ALU64 | BPF_ADD | BPF_K, R0, 0, 0, 1), EXIT, END } },
	{ "alu reg with imm 5", { RAW(BPF_ALU | BPF_ADD | BPF_X, R0, R1, 0, 5), EXIT, END }, 0, "imm",
	  { RAW(BPF_ALU | BPF_ADD | BPF_X, R0, R1, 0, 0), EXIT, END } },
	{ "neg with imm 1", { RAW(BPF_ALU64 | BPF_NEG, R0, 0, 0, 1), EXIT, END }, 0, "imm",
	  { RAW(BPF_ALU64 | BPF_NEG, R0, 0, 0, 0), EXIT, END } },
	{ "neg32 with src 2", { RAW(BPF_ALU | BPF_NEG, R0, 2, 0, 0), EXIT, END }, 0, "src_reg",
	  { RAW(BPF_ALU | BPF_NEG, R0, 0, 0, 0), EXIT, END } },
	{ "be16 with off 1", { RAW(BPF_ALU | BPF_END | BPF_TO_BE, R0, 0, 1, 16), EXIT, END }, 0, "off",
	  { RAW(BPF_ALU | BPF_END | BPF_TO_BE, R0, 0, 0, 16), EXIT, END } },
	{ "bswap32 with src 1", { RAW(BPF_ALU64 | BPF_END, R0, 1, 0, 32), EXIT, END }, 0, "src_reg",
	  { RAW(BPF_ALU64 | BPF_END, R0, 0, 0, 32), EXIT, END } },
	{ "lddw with off 1", { RAW(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 1, 5), LDDW2(0), EXIT, END }, 0, "off",
	  { RAW(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 5), LDDW2(0), EXIT, END } },
	{ "ldabs with dst 1", { RAW(BPF_LD | BPF_ABS | BPF_B, R1, 0, 0, 3), EXIT, END }, 0, "dst_reg",
	  { BPF_LD_ABS(BPF_B, 3), EXIT, END } },
	{ "ldabs with src 1", { RAW(BPF_LD | BPF_ABS | BPF_H, 0, 1, 0, 3), EXIT, END }, 0, "src_reg",
	  { BPF_LD_ABS(BPF_H, 3), EXIT, END } },
	{ "ldabs with off 1", { RAW(BPF_LD | BPF_ABS | BPF_W, 0, 0, 1, 3), EXIT, END }, 0, "off",
	  { BPF_LD_ABS(BPF_W, 3), EXIT, END } },
	{ "ldind with dst 2", { RAW(BPF_LD | BPF_IND | BPF_W, R2, R1, 0, 3), EXIT, END }, 0, "dst_reg",
	  { BPF_LD_IND(BPF_W, R1, 3), EXIT, END } },
	{ "ldind with off 4", { RAW(BPF_LD | BPF_IND | BPF_B, 0, R1, 4, 3), EXIT, END }, 0, "off",
	  { BPF_LD_IND(BPF_B, R1, 3), EXIT, END } },
	{ "ldx with imm 1", { RAW(BPF_LDX | BPF_MEM | BPF_W, R0, R1, 0, 1), EXIT, END }, 0, "imm",
	  { BPF_LDX_MEM(BPF_W, R0, R1, 0), EXIT, END } },
	{ "ldxs with imm 1", { RAW(BPF_LDX | BPF_MEMSX | BPF_B, R0, R1, 0, 1), EXIT, END }, 0, "imm",
	  { BPF_LDX_MEMSX(BPF_B, R0, R1, 0), EXIT, END } },
	{ "st with src 1", { RAW(BPF_ST | BPF_MEM | BPF_DW, R10, 1, -8, 1), EXIT, END }, 0, "src_reg",
	  { BPF_ST_MEM(BPF_DW, R10, -8, 1), EXIT, END } },
	{ "stx with imm 1", { RAW(BPF_STX | BPF_MEM | BPF_H, R10, R1, -8, 1), EXIT, END }, 0, "imm",
	  { BPF_STX_MEM(BPF_H, R10, R1, -8), EXIT, END } },
	{ "ja with dst 1", { RAW(BPF_JMP | BPF_JA, 1, 0, 0, 0), EXIT, END }, 0, "dst_reg",
	  { BPF_JMP_A(0), EXIT, END } },
	{ "ja with imm 1", { RAW(BPF_JMP | BPF_JA, 0, 0, 0, 1), EXIT, END }, 0, "imm", { BPF_JMP_A(0), EXIT, END } },
	{ "gotol with off 1", { RAW(BPF_JMP32 | BPF_JA, 0, 0, 1, 0), EXIT, END }, 0, "off",
	  { BPF_JMP32_A(0), EXIT, END } },
	{ "gotol with src 1", { RAW(BPF_JMP32 | BPF_JA, 0, 1, 0, 0), EXIT, END }, 0, "src_reg",
	  { BPF_JMP32_A(0), EXIT, END } },
	{ "jeq imm with src 1", { RAW(BPF_JMP | BPF_JEQ | BPF_K, R0, 1, 0, 0), EXIT, END }, 0, "src_reg",
	  { BPF_JMP_IMM(BPF_JEQ, R0, 0, 0), EXIT, END } },
	{ "jne32 reg with imm 1", { RAW(BPF_JMP32 | BPF_JNE | BPF_X, R0, R1, 0, 1), EXIT, END }, 0, "imm",
	  { BPF_JMP32_REG(BPF_JNE, R0, R1, 0), EXIT, END } },
	{ "call with dst 1", { RAW(BPF_JMP | BPF_CALL, 1, 0, 0, 2), EXIT, END }, 0, "dst_reg",
	  { BPF_CALL_HELPER(2), EXIT, END } },
	{ "call with off 1", { RAW(BPF_JMP | BPF_CALL, 0, 0, 1, 2), EXIT, END }, 0, "off",
	  { BPF_CALL_HELPER(2), EXIT, END } },
	{ "local call with off 1", { RAW(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 1, 1), EXIT, EXIT, END }, 0, "off",
	  { BPF_CALL_REL(1), EXIT, EXIT, END } },
	{ "callx with imm 1", { RAW(BPF_JMP | BPF_CALL | BPF_X, R1, 0, 0, 1), EXIT, END }, 0, "imm",
	  { BPF_CALLX(R1), EXIT, END } },
	{ "callx with src 1", { RAW(BPF_JMP | BPF_CALL | BPF_X, R1, 1, 0, 0), EXIT, END }, 0, "src_reg",
	  { BPF_CALLX(R1), EXIT, END } },
	{ "exit with dst 1", { BPF_MOV64_IMM(R0, 0), RAW(BPF_JMP | BPF_EXIT, 1, 0, 0, 0), END }, 1, "dst_reg",
	  { BPF_MOV64_IMM(R0, 0), EXIT, END } },
	{ "exit with imm 1", { BPF_MOV64_IMM(R0, 0), RAW(BPF_JMP | BPF_EXIT, 0, 0, 0, 1), END }, 1, "imm",
	  { BPF_MOV64_IMM(R0, 0), EXIT, END } },
	{ "may_goto with imm 1", { RAW(BPF_JMP | BPF_JCOND, 0, 0, 0, 1), EXIT, END }, 0, "imm",
	  { BPF_MAY_GOTO_INSN(0), EXIT, END } },
	{ "may_goto with dst 1", { RAW(BPF_JMP | BPF_JCOND, 1, 0, 0, 0), EXIT, END }, 0, "dst_reg",
	  { BPF_MAY_GOTO_INSN(0), EXIT, END } },

	/* ---- registers r11..r15 ---- */
	{ "mov r11, 0", { BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(11, 0), EXIT, END }, 1, "register",
	  { BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(9, 0), EXIT, END } },
	{ "add r0, r12", { BPF_MOV64_IMM(R0, 0), BPF_ALU64_REG(BPF_ADD, R0, 12), EXIT, END }, 1, "register",
	  { BPF_MOV64_IMM(R0, 0), BPF_ALU64_REG(BPF_ADD, R0, 9), EXIT, END } },
	{ "ldxw r15, [r1]", { BPF_LDX_MEM(BPF_W, 15, R1, 0), EXIT, END }, 0, "register",
	  { BPF_LDX_MEM(BPF_W, 5, R1, 0), EXIT, END } },
	{ "stxb [r1], r11", { BPF_STX_MEM(BPF_B, R1, 11, 0), EXIT, END }, 0, "register",
	  { BPF_STX_MEM(BPF_B, R1, 10, 0), EXIT, END } },
	{ "stb [r13], 1", { BPF_ST_MEM(BPF_B, 13, 0, 1), EXIT, END }, 0, "register",
	  { BPF_ST_MEM(BPF_B, R1, 0, 1), EXIT, END } },
	{ "jgt r0, r14", { BPF_JMP_REG(BPF_JGT, R0, 14, 0), EXIT, END }, 0, "register",
	  { BPF_JMP_REG(BPF_JGT, R0, 8, 0), EXIT, END } },
	{ "jset32 r11, 1", { BPF_JMP32_IMM(BPF_JSET, 11, 1, 0), EXIT, END }, 0, "register",
	  { BPF_JMP32_IMM(BPF_JSET, 7, 1, 0), EXIT, END } },
	{ "ldindb r12", { BPF_LD_IND(BPF_B, 12, 0), EXIT, END }, 0, "register", { BPF_LD_IND(BPF_B, 6, 0), EXIT, END } },
	{ "lock add [r1], r14", { BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R1, 14, 0), EXIT, END }, 0, "register",
	  { BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R1, 4, 0), EXIT, END } },
	{ "callx r11", { BPF_CALLX(11), EXIT, END }, 0, "register", { BPF_CALLX(3), EXIT, END } },
	{ "lddw r15", { BPF_LD_IMM64(15, 1), EXIT, END }, 0, "register", { BPF_LD_IMM64(0, 1), EXIT, END } },
	{ "bswap16 r11", { BPF_BSWAP(11, 16), EXIT, END }, 0, "register", { BPF_BSWAP(1, 16), EXIT, END } },

	/* ---- writes to r10 ---- */
	{ "mov r10, 0", { BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(R10, 0), EXIT, END }, 1, "r10",
	  { BPF_MOV64_IMM(R0, 0), BPF_MOV64_REG(R1, R10), EXIT, END } },
	{ "mov32 r10, r1", { BPF_MOV32_REG(R10, R1), EXIT, END }, 0, "r10", { BPF_MOV32_REG(R1, R10), EXIT, END } },
	{ "add r10, -8", { BPF_ALU64_IMM(BPF_ADD, R10, -8), EXIT, END }, 0, "r10",
	  { BPF_ALU64_IMM(BPF_ADD, R1, -8), EXIT, END } },
	{ "neg r10", { RAW(BPF_ALU64 | BPF_NEG, R10, 0, 0, 0), EXIT, END }, 0, "r10",
	  { RAW(BPF_ALU64 | BPF_NEG, R0, 0, 0, 0), EXIT, END } },
	{ "be64 r10", { BPF_ENDIAN(BPF_TO_BE, R10, 64), EXIT, END }, 0, "r10",
	  { BPF_ENDIAN(BPF_TO_BE, R0, 64), EXIT, END } },
	{ "ldxdw r10, [r1]", { BPF_LDX_MEM(BPF_DW, R10, R1, 0), EXIT, END }, 0, "r10",
	  { BPF_LDX_MEM(BPF_DW, R1, R10, -8), EXIT, END } },
	{ "lddw r10", { BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64(R10, 1), EXIT, END }, 1, "r10",
	  { BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64(R2, 1), EXIT, END } },
	{ "load_acquire r10", { BPF_LOAD_ACQUIRE(BPF_DW, R10, R1, 0), EXIT, END }, 0, "r10",
	  { BPF_LOAD_ACQUIRE(BPF_DW, R1, R10, -8), EXIT, END } },
	/* fetch atomics write their src register; plain ones and cmpxchg (which writes r0) do not */
	{ "lock fetch add [r1], r10", { BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, R1, R10, 0), EXIT, END }, 0, "r10",
	  { BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R1, R10, 0), EXIT, END } },
	{ "lock xchg32 [r1], r10", { BPF_ATOMIC_OP(BPF_W, BPF_XCHG, R1, R10, 0), EXIT, END }, 0, "r10",
	  { BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, R1, R10, 0), EXIT, END } },
	{ "lock fetch or32 [r1], r10", { BPF_ATOMIC_OP(BPF_W, BPF_OR | BPF_FETCH, R1, R10, 0), EXIT, END }, 0, "r10",
	  { BPF_ATOMIC_OP(BPF_W, BPF_OR | BPF_FETCH, R10, R1, -8), EXIT, END } },

	/* ---- jump targets ---- */
	{ "ja to -1", { BPF_JMP_A(-2), EXIT, END }, 0, "out of range", { BPF_JMP_A(0), EXIT, END } },
	{ "ja past the end", { BPF_MOV64_IMM(R0, 0), BPF_JMP_A(1), EXIT, END }, 1, "out of range",
	  { BPF_MOV64_IMM(R0, 0), BPF_JMP_A(0), EXIT, END } },
	{ "jeq past the end", { BPF_JMP_IMM(BPF_JEQ, R0, 0, 2), EXIT, END }, 0, "out of range",
	  { BPF_JMP_IMM(BPF_JEQ, R0, 0, 0), EXIT, END } },
	{ "jslt32 to -2", { BPF_MOV64_IMM(R0, 0), BPF_JMP32_REG(BPF_JSLT, R0, R1, -4), EXIT, END }, 1, "out of range",
	  { BPF_MOV64_IMM(R0, 0), BPF_JMP32_REG(BPF_JSLT, R0, R1, -2), EXIT, END } },
	{ "gotol past the end", { BPF_JMP32_A(5), EXIT, END }, 0, "out of range", { BPF_JMP32_A(0), EXIT, END } },
	{ "may_goto past the end", { BPF_MAY_GOTO_INSN(2), EXIT, END }, 0, "out of range",
	  { BPF_MAY_GOTO_INSN(0), EXIT, END } },
	{ "local call to -1", { BPF_MOV64_IMM(R0, 0), BPF_CALL_REL(-3), EXIT, END }, 1, "out of range",
	  { BPF_MOV64_IMM(R0, 0), BPF_CALL_REL(-2), EXIT, END } },
	{ "lddw func past the end", { BPF_LD_IMM64_RAW(R1, BPF_PSEUDO_FUNC, 2), EXIT, END }, 0, "out of range",
	  { BPF_LD_IMM64_RAW(R1, BPF_PSEUDO_FUNC, 2), EXIT, EXIT, END } },
	{ "ja into the second slot of lddw", { BPF_JMP_A(2), BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64(R0, 1), EXIT, END }, 0,
	  "lddw", { BPF_JMP_A(1), BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64(R0, 1), EXIT, END } },
	{ "jne back into the second slot of lddw",
	  { BPF_LD_IMM64(R0, 1), BPF_JMP_IMM(BPF_JNE, R0, 0, -2), EXIT, END }, 2, "lddw",
	  { BPF_LD_IMM64(R0, 1), BPF_JMP_IMM(BPF_JNE, R0, 0, -3), EXIT, END } },
	{ "local call into the second slot of lddw",
	  { BPF_CALL_REL(2), EXIT, BPF_LD_IMM64(R0, 1), EXIT, END }, 0, "lddw",
	  { BPF_CALL_REL(1), EXIT, BPF_LD_IMM64(R0, 1), EXIT, END } },

	/* ---- lddw pairs ---- */
	{ "lddw without its second slot", { BPF_MOV64_IMM(R0, 0), EXIT, RAW(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 1),
	  END }, 2, "lddw", { BPF_MOV64_IMM(R0, 0), EXIT, BPF_LD_IMM64(R0, 1), EXIT, END } },
	{ "lddw second slot with code 0x18", { RAW(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 1), RAW(0x18, 0, 0, 0, 0), EXIT,
	  END }, 1, "second slot", { BPF_LD_IMM64(R0, 1), EXIT, END } },
	{ "lddw second slot with dst 1", { BPF_MOV64_IMM(R0, 0), RAW(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 1),
	  RAW(0, 1, 0, 0, 0), EXIT, END }, 2, "second slot", { BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64(R0, 1), EXIT, END } },
	{ "lddw second slot with src 1", { RAW(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 1), RAW(0, 0, 1, 0, 0), EXIT, END },
	  1, "second slot", { BPF_LD_IMM64(R0, 1), EXIT, END } },
	{ "lddw second slot with off 1", { RAW(BPF_LD | BPF_DW | BPF_IMM, R0, 0, 0, 1), RAW(0, 0, 0, 1, 0), EXIT, END },
	  1, "second slot", { BPF_LD_IMM64(R0, 1), EXIT, END } },
	{ "lddw func with a second imm", { RAW(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_FUNC, 0, 2), LDDW2(1), EXIT, EXIT,
	  END }, 1, "second slot", { BPF_LD_IMM64_RAW(R1, BPF_PSEUDO_FUNC, 2), EXIT, EXIT, END } },
	{ "lddw map_fd with a second imm", { RAW(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_FD, 0, 3), LDDW2(1), EXIT,
	  END }, 1, "second slot", { BPF_LD_IMM64(R1, 3), EXIT, END } },

	/* ---- ends of programs and subprograms ---- */
	{ "falls off the end", { BPF_MOV64_IMM(R0, 0), END }, 0, "falls off", { BPF_MOV64_IMM(R0, 0), EXIT, END } },
	{ "ends in a conditional jump", { BPF_MOV64_IMM(R0, 0), BPF_JMP_IMM(BPF_JEQ, R0, 0, -2), END }, 1, "falls off",
	  { BPF_MOV64_IMM(R0, 0), BPF_JMP_A(-2), END } },
	{ "ends in a call", { BPF_MOV64_IMM(R0, 0), BPF_CALL_HELPER(2), END }, 1, "falls off",
	  { BPF_MOV64_IMM(R0, 0), BPF_CALL_HELPER(2), EXIT, END } },
	{ "ends in an lddw", { BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64(R0, 1), END }, 1, "falls off",
	  { BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64(R0, 1), EXIT, END } },
	{ "ends in may_goto", { BPF_MOV64_IMM(R0, 0), BPF_MAY_GOTO_INSN(-2), END }, 1, "falls off",
	  { BPF_MOV64_IMM(R0, 0), BPF_MAY_GOTO_INSN(-2), EXIT, END } },
	/* 0: r0 = 0; 1: call 3; 2: r0 = 1 (falls into the subprogram); 3: exit */
	{ "falls into a subprogram", { BPF_MOV64_IMM(R0, 0), BPF_CALL_REL(1), BPF_MOV64_IMM(R0, 1), EXIT, END }, 2,
	  "subprogram", { BPF_MOV64_IMM(R0, 0), BPF_CALL_REL(1), EXIT, EXIT, END } },
	/* 0: call 4; 1: call 5; 2: exit; 3: unused; 4: r0 = 1 (falls into 5); 5: exit */
	{ "subprogram falls into the next", { BPF_CALL_REL(3), BPF_CALL_REL(3), EXIT, EXIT, BPF_MOV64_IMM(R0, 1), EXIT,
	  END }, 4, "subprogram", { BPF_CALL_REL(3), BPF_CALL_REL(3), EXIT, EXIT, EXIT, EXIT, END } },
	/* 0: call 3; 1: goto 4 (inside the subprogram); 2: exit; 3: r0 = 1; 4: exit */
	{ "jump from main into a subprogram", { BPF_CALL_REL(2), BPF_JMP_A(2), EXIT, BPF_MOV64_IMM(R0, 1), EXIT, END }, 1,
	  "subprogram", { BPF_CALL_REL(2), BPF_JMP_A(0), EXIT, BPF_MOV64_IMM(R0, 1), EXIT, END } },
	/* 0: call 2; 1: exit; 2: if r1 == 0 goto 1 (back into main); 3: exit */
	{ "jump from a subprogram into main", { BPF_CALL_REL(1), EXIT, BPF_JMP_IMM(BPF_JEQ, R1, 0, -2), EXIT, END }, 2,
	  "subprogram", { BPF_CALL_REL(1), EXIT, BPF_JMP_IMM(BPF_JEQ, R1, 0, 0), EXIT, END } },
	/* lddw func also starts a subprogram: 0-1: r1 = func 4; 2: goto 4; 3: exit; 4: exit */
	{ "jump into a subprogram named by lddw func",
	  { BPF_LD_IMM64_RAW(R1, BPF_PSEUDO_FUNC, 3), BPF_JMP_A(1), EXIT, EXIT, END }, 2, "subprogram",
	  { BPF_LD_IMM64_RAW(R1, BPF_PSEUDO_FUNC, 3), BPF_JMP_A(0), EXIT, EXIT, END } },
};

static int load(const struct bpf_insn *p, size_t n, bpfvm_env *env, struct bpfvm_error *err)
{
	bpfvm_prog *prog = NULL;
	memset(err, 0, sizeof(*err));
	int rc = bpfvm_prog_load(env, p, n, TU_UNVERIFIED, &prog, err);
	if (rc == 0)
		assert_non_null(prog);
	else
		assert_null(prog);
	bpfvm_prog_free(prog);
	return rc;
}

static uint64_t h_zero(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, bpfvm_exec *ex)
{
	return 0;
}

static void test_cases(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	assert_int_equal(bpfvm_env_register_helper(env, 2, "zero", h_zero, NULL), 0);
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];
		size_t n = len(c->bad);
		long want = c->insn;
		const struct bpf_insn *bad_prog = c->bad;
		struct bpfvm_error err;
		int rc = load(bad_prog, n, env, &err);
		char buf[400];
		bpfvm_error_format(&err, buf, sizeof(buf));
		char where[32];
		snprintf(where, sizeof(where), "insn %ld: ", want);
		if (rc != BPFVM_EDECODE || err.code != rc || err.insn != want || !strstr(err.msg, c->what) ||
		    strncmp(buf, where, strlen(where)) != 0) {
			printf("FAIL %s: status %d, \"%s\"; expected %d at insn %ld mentioning \"%s\"\n", c->name, rc, buf,
			       BPFVM_EDECODE, want, c->what);
			bad++;
		}
		/* the validator itself says the same */
		struct bpfvm_error verr;
		if (isa_validate(bad_prog, n, &verr) != BPFVM_EDECODE || verr.insn != want) {
			printf("FAIL %s: isa_validate disagrees (insn %ld)\n", c->name, verr.insn);
			bad++;
		}
		size_t gn = len(c->good);
		rc = load(c->good, gn, env, &err);
		if (rc != 0) {
			printf("FAIL %s: the fixed program does not load: %s\n", c->name, bpfvm_error_format(&err, buf, sizeof(buf)));
			bad++;
		}
	}
	printf("%zu validator cases, %d failures\n", sizeof(cases) / sizeof(cases[0]), bad);
	bpfvm_env_free(env);
	assert_int_equal(bad, 0);
}

static void test_empty(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	struct bpf_insn one[] = { EXIT };
	struct bpfvm_error err;
	assert_int_equal(load(one, 0, env, &err), BPFVM_EDECODE);
	assert_int_equal(err.insn, -1);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(load(NULL, 0, env, &err), BPFVM_EDECODE);
	assert_int_equal(err.insn, -1);
	assert_int_equal(load(one, 1, env, &err), 0); /* control */
	bpfvm_env_free(env);
}

/* BPFVM_MAX_INSNS slots load; one more does not. */
static void test_size_limit(void **state)
{
	assert_int_equal(BPFVM_MAX_INSNS, 1000000);
	size_t n = 1000001;
	struct bpf_insn *p = malloc(n * sizeof(*p));
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = BPF_ALU64_IMM(BPF_ADD, R0, 1);
	p[0] = BPF_MOV64_IMM(R0, 0);
	p[n - 1] = EXIT;
	bpfvm_env *env = bpfvm_env_new();
	struct bpfvm_error err;
	assert_int_equal(load(p, n, env, &err), BPFVM_EDECODE);
	assert_int_equal(err.insn, -1);
	assert_non_null(strstr(err.msg, "too large"));
	p[n - 2] = EXIT;
	bpfvm_prog *prog = NULL;
	assert_int_equal(bpfvm_prog_load(env, p, n - 1, TU_UNVERIFIED, &prog, &err), 0);
	uint64_t r0 = 0;
	assert_int_equal(bpfvm_prog_run(prog, NULL, &r0, &err), 0);
	assert_int_equal(r0, 999998); /* slots 1..999998 each add 1 */
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	free(p);
}

/* Unknown helper ids fail at load with BPFVM_EHELPER naming the call;
 * registering the helper (any u32 id) fixes it. callx is checked at run time. */
static void test_unknown_helper(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	struct bpf_insn p[] = { BPF_MOV64_IMM(R0, 0), BPF_CALL_HELPER(100000), EXIT };
	struct bpf_insn sub[] = { BPF_CALL_REL(1), EXIT, BPF_MOV64_IMM(R1, 0), BPF_CALL_HELPER(-2), EXIT };
	struct bpf_insn x[] = { BPF_MOV64_IMM(R1, 100000), BPF_CALLX(R1), EXIT };
	struct bpfvm_error err;
	char buf[400];
	assert_int_equal(load(p, 3, env, &err), BPFVM_EHELPER);
	assert_int_equal(err.code, BPFVM_EHELPER);
	assert_int_equal(err.insn, 1);
	printf("%s\n", bpfvm_error_format(&err, buf, sizeof(buf)));
	assert_int_equal(load(sub, 5, env, &err), BPFVM_EHELPER);
	assert_int_equal(err.insn, 3);
	assert_int_equal(load(x, 3, env, &err), 0);
	assert_int_equal(bpfvm_env_register_helper(env, 100000, "h", h_zero, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, 0xfffffffeu, "h2", h_zero, NULL), 0);
	assert_int_equal(load(p, 3, env, &err), 0);
	assert_int_equal(load(sub, 5, env, &err), 0);
	bpfvm_env_free(env);
}

/* The table's rows are each valid on their own: a minimal instance of every
 * row (operands zero, discriminator set) passes the field checks. */
static void test_every_row_valid(void **state)
{
	char why[160];
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		const struct isa_row *r = &isa_table[op];
		struct bpf_insn in = RAW(r->code, 0, 0, 0, 0);
		switch (r->disc_kind) {
		case D_OFF: in.off = (int16_t)r->disc_value; break;
		case D_IMM: in.imm = r->disc_value; break;
		case D_SRC: in.src_reg = (uint8_t)r->disc_value; break;
		}
		if (r->shape == S_END)
			assert_int_equal(r->disc_kind, D_IMM);
		assert_int_equal(isa_lookup(&in), op);
		if (isa_check_fields(op, &in, why, sizeof(why)) != 0)
			fail_msg("row %s: %s", r->name, why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_unknown_helper),
		cmocka_unit_test(test_every_row_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
