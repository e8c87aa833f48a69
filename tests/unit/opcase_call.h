/* opcase_call.h - control cases for test_opcodes.c: helper calls (ids below
 * and above 1023, cookies, bpfvm_exec_stop), callx, bpf-to-bpf calls
 * (arguments, return value, r6-r9 and r10 preserved, a stack per frame, the
 * depth limit), may_goto, LD_ABS/LD_IND on a packet, and the runtime-checked
 * engine's faults (EFAULT, EBUDGET, EHELPER) with the instruction they name. */
#include <stdint.h>

#include "opcase_defs.h"

/* An IPv4 header's first 16 bytes. */
#define PKT \
	.pkt_len = 16, .pkt = { 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, \
				0x40, 0x01, 0xb7, 0x1c, 0xc0, 0xa8, 0x00, 0x01 }
#define PKTLD(NAME, INSN, RES) { .name = NAME, P(LD64(R0, -1), INSN, EXIT), PKT, .r0 = (RES) }
/* Out of bounds: r0 = 0 and the program ends (the mov after it never runs). */
#define PKTOOB(NAME, INSN) { .name = NAME, P(BPF_MOV64_IMM(R0, 7), INSN, BPF_MOV64_IMM(R0, 99), EXIT), PKT, .r0 = 0 }

#define FAULT(NAME, AT, ...) \
	{ .name = NAME, P(__VA_ARGS__), .mem_len = 16, .rc = BPFVM_EFAULT, .err_insn = (AT), .checked_only = 1 }

/* A recursive subprogram: sub(r1) = r1 ? sub(r1 - 1) + 1 : 0, called with
 * r1 = N from the entry frame; its deepest frame is N + 1 calls down.
 *   0: r1 = N; 1: call 3; 2: exit
 *   3: if r1 != 0 goto 6; 4: r0 = 0; 5: exit
 *   6: r1 -= 1; 7: call 3; 8: r0 += 1; 9: exit */
#define RECURSE(N) \
	P(BPF_MOV64_IMM(R1, N), BPF_CALL_REL(1), EXIT, BPF_JMP_IMM(BPF_JNE, R1, 0, 2), BPF_MOV64_IMM(R0, 0), EXIT, \
	  BPF_ALU64_IMM(BPF_SUB, R1, 1), BPF_CALL_REL(-5), BPF_ALU64_IMM(BPF_ADD, R0, 1), EXIT)

static const struct opcase call_cases[] = {
	/* ---- helpers ---- */
	{ .name = "call helper 7 with r1..r5",
	  P(BPF_MOV64_IMM(R1, 1), BPF_MOV64_IMM(R2, 2), BPF_MOV64_IMM(R3, 3), BPF_MOV64_IMM(R4, 4),
	    BPF_MOV64_IMM(R5, 5), BPF_CALL_HELPER(H_PACK), EXIT),
	  .r0 = 0x0504030201ULL },
	{ .name = "r6..r9 survive a helper call",
	  P(BPF_MOV64_IMM(R6, 0x11), BPF_MOV64_IMM(R7, 0x22), BPF_MOV64_IMM(R8, 0x33), BPF_MOV64_IMM(R9, 0x44),
	    BPF_CALL_HELPER(H_PACK), BPF_MOV64_REG(R0, R6), BPF_ALU64_REG(BPF_ADD, R0, R7),
	    BPF_ALU64_REG(BPF_ADD, R0, R8), BPF_ALU64_REG(BPF_ADD, R0, R9), EXIT),
	  .r0 = 0xaa },
	{ .name = "helpers see their own cookies (ids 10 and 5000)",
	  P(BPF_CALL_HELPER(H_COOKIE_A), BPF_MOV64_REG(R6, R0), BPF_CALL_HELPER(H_COOKIE_B),
	    BPF_ALU64_IMM(BPF_MUL, R0, 1000), BPF_ALU64_REG(BPF_ADD, R0, R6), EXIT),
	  .r0 = 222111 },
	{ .name = "call helper 4000000000", P(BPF_MOV64_IMM(R1, 41), BPF_CALL_HELPER((int32_t)H_BIG), EXIT),
	  .r0 = 1041 },
	{ .name = "bpfvm_exec_stop ends the program",
	  P(BPF_MOV64_IMM(R1, 41), BPF_CALL_HELPER(H_STOP), BPF_MOV64_IMM(R0, 0), EXIT), .r0 = 42 },
	/* ---- callx: the helper id in a register ---- */
	{ .name = "callx r8 = 7",
	  P(BPF_MOV64_IMM(R1, 1), BPF_MOV64_IMM(R2, 2), BPF_MOV64_IMM(R3, 3), BPF_MOV64_IMM(R4, 4),
	    BPF_MOV64_IMM(R5, 5), BPF_MOV64_IMM(R8, H_PACK), BPF_CALLX(R8), EXIT),
	  .r0 = 0x0504030201ULL },
	{ .name = "callx r8 = 5000 (cookie)", P(BPF_MOV64_IMM(R8, H_COOKIE_B), BPF_CALLX(R8), EXIT), .r0 = 222 },
	{ .name = "callx r0 = 4000000000",
	  P(BPF_MOV64_IMM(R1, 1), LD64(R0, H_BIG), BPF_CALLX(R0), EXIT), .r0 = 1001 },
	{ .name = "callx stop", P(BPF_MOV64_IMM(R1, 6), BPF_MOV64_IMM(R3, H_STOP), BPF_CALLX(R3), BPF_MOV64_IMM(R0, 0), EXIT),
	  .r0 = 7 },
	{ .name = "callx unknown helper 999", P(BPF_MOV64_IMM(R0, 1), BPF_MOV64_IMM(R8, 999), BPF_CALLX(R8), EXIT),
	  .rc = BPFVM_EHELPER, .err_insn = 2 },
	{ .name = "callx 2^32 + 7 is no helper", P(LD64(R8, 0x100000007ULL), BPF_CALLX(R8), EXIT),
	  .rc = BPFVM_EHELPER, .err_insn = 2 },

	/* ---- bpf-to-bpf calls ---- */
	/* 5: call 7; sub: r0 = r5 r4 r3 r2 r1 packed bytewise */
	{ .name = "local call: r1..r5 in, r0 out",
	  P(BPF_MOV64_IMM(R1, 1), BPF_MOV64_IMM(R2, 2), BPF_MOV64_IMM(R3, 3), BPF_MOV64_IMM(R4, 4),
	    BPF_MOV64_IMM(R5, 5), BPF_CALL_REL(1), EXIT,
	    BPF_MOV64_REG(R0, R5), BPF_ALU64_IMM(BPF_LSH, R0, 8), BPF_ALU64_REG(BPF_OR, R0, R4),
	    BPF_ALU64_IMM(BPF_LSH, R0, 8), BPF_ALU64_REG(BPF_OR, R0, R3), BPF_ALU64_IMM(BPF_LSH, R0, 8),
	    BPF_ALU64_REG(BPF_OR, R0, R2), BPF_ALU64_IMM(BPF_LSH, R0, 8), BPF_ALU64_REG(BPF_OR, R0, R1), EXIT),
	  .r0 = 0x0504030201ULL },
	/* 0-3: r6..r9 = 0x11..0x44; 4,5: caller's stack [-8] = 0x1111, [-512] = 0x3333; 6: call 16;
	 * 7-15: r0 = r6 + r7 + r8 + r9 + [-8] + [-512]; 16-23: the callee overwrites r6..r9 and its
	 * own [-8], [-512]. 0xaa + 0x1111 + 0x3333 = 0x44ee. */
	{ .name = "local call: r6-r9 and the caller's stack preserved",
	  P(BPF_MOV64_IMM(R6, 0x11), BPF_MOV64_IMM(R7, 0x22), BPF_MOV64_IMM(R8, 0x33), BPF_MOV64_IMM(R9, 0x44),
	    BPF_ST_MEM(BPF_DW, R10, -8, 0x1111), BPF_ST_MEM(BPF_DW, R10, -512, 0x3333), BPF_CALL_REL(9),
	    BPF_MOV64_REG(R0, R6), BPF_ALU64_REG(BPF_ADD, R0, R7), BPF_ALU64_REG(BPF_ADD, R0, R8),
	    BPF_ALU64_REG(BPF_ADD, R0, R9), BPF_LDX_MEM(BPF_DW, R1, R10, -8), BPF_ALU64_REG(BPF_ADD, R0, R1),
	    BPF_LDX_MEM(BPF_DW, R1, R10, -512), BPF_ALU64_REG(BPF_ADD, R0, R1), EXIT,
	    BPF_MOV64_IMM(R6, 0x1000), BPF_MOV64_IMM(R7, 0x1000), BPF_MOV64_IMM(R8, 0x1000), BPF_MOV64_IMM(R9, 0x1000),
	    BPF_ST_MEM(BPF_DW, R10, -8, 0x2222), BPF_ST_MEM(BPF_DW, R10, -512, 0x4444), BPF_MOV64_IMM(R0, 0), EXIT),
	  .r0 = 0x44ee },
	/* the callee reads its own fresh slot and the caller's through a pointer */
	{ .name = "local call: pointer to the caller's stack",
	  P(BPF_ST_MEM(BPF_DW, R10, -8, 77), BPF_MOV64_REG(R1, R10), BPF_ALU64_IMM(BPF_ADD, R1, -8), BPF_CALL_REL(1),
	    EXIT, BPF_ST_MEM(BPF_DW, R10, -8, 5), BPF_LDX_MEM(BPF_DW, R0, R1, 0), BPF_LDX_MEM(BPF_DW, R2, R10, -8),
	    BPF_ALU64_REG(BPF_MUL, R0, R2), EXIT),
	  .r0 = 385 },
	{ .name = "local call: r10 differs in the callee",
	  P(BPF_MOV64_REG(R6, R10), BPF_CALL_REL(4), BPF_ALU64_REG(BPF_SUB, R0, R6), BPF_JMP_IMM(BPF_JEQ, R0, 0, 1),
	    BPF_MOV64_IMM(R0, 1), EXIT, BPF_MOV64_REG(R0, R10), EXIT),
	  .r0 = 1 },
	/* 8 frames in all, as the kernel's MAX_CALL_FRAMES: 7 nested calls */
	{ .name = "local calls nested 7 deep", RECURSE(6), .r0 = 6 },
	{ .name = "local calls nested 8 deep: BPFVM_ESTACK", RECURSE(7), .rc = BPFVM_ESTACK, .err_insn = 7 },
	{ .name = "bpfvm_exec_stop inside a subprogram",
	  P(BPF_CALL_REL(2), BPF_MOV64_IMM(R0, 5), EXIT, BPF_MOV64_IMM(R1, 41), BPF_CALL_HELPER(H_STOP),
	    BPF_MOV64_IMM(R0, 9), EXIT),
	  .r0 = 42 },

	/* ---- may_goto: falls through 8M times (the kernel's BPF_MAX_LOOPS), then jumps ----
	 * 0: r0 = 0; 1: may_goto +2; 2: r0 += 1; 3: goto 1; 4: exit */
	{ .name = "may_goto counts 8388608 iterations",
	  P(BPF_MOV64_IMM(R0, 0), BPF_MAY_GOTO_INSN(2), BPF_ALU64_IMM(BPF_ADD, R0, 1), BPF_JMP_A(-3), EXIT),
	  .r0 = 8388608, .budget = 100000000 },
	{ .name = "may_goto falls through", P(BPF_MOV64_IMM(R0, 1), BPF_MAY_GOTO_INSN(1), BPF_MOV64_IMM(R0, 2), EXIT),
	  .r0 = 2 },

	/* ---- LD_ABS / LD_IND: network byte order, zero-extended into r0 ---- */
	PKTLD("ldabsb 0", BPF_LD_ABS(BPF_B, 0), 0x45),
	PKTLD("ldabsb 15 (last byte)", BPF_LD_ABS(BPF_B, 15), 0x01),
	PKTLD("ldabsh 2", BPF_LD_ABS(BPF_H, 2), 0x0054),
	PKTLD("ldabsh 4", BPF_LD_ABS(BPF_H, 4), 0x1234),
	PKTLD("ldabsh 14 (last two bytes)", BPF_LD_ABS(BPF_H, 14), 0x0001),
	PKTLD("ldabsw 4", BPF_LD_ABS(BPF_W, 4), 0x12344000),
	PKTLD("ldabsw 12 (bit 31 set, not sign-extended)", BPF_LD_ABS(BPF_W, 12), 0xc0a80001ULL),
	{ .name = "ldindb r3 = 2, imm 3", P(BPF_MOV64_IMM(R3, 2), BPF_LD_IND(BPF_B, R3, 3), EXIT), PKT, .r0 = 0x34 },
	{ .name = "ldindh r3 = 6, imm -2", P(BPF_MOV64_IMM(R3, 6), BPF_LD_IND(BPF_H, R3, -2), EXIT), PKT,
	  .r0 = 0x1234 },
	{ .name = "ldindw r3 = -2, imm 6", P(BPF_MOV64_IMM(R3, -2), BPF_LD_IND(BPF_W, R3, 6), EXIT), PKT,
	  .r0 = 0x12344000 },
	{ .name = "ldindw r9 = 12, imm 0", P(BPF_MOV64_IMM(R9, 12), BPF_LD_IND(BPF_W, R9, 0), EXIT), PKT,
	  .r0 = 0xc0a80001ULL },
	PKTOOB("ldabsb 16 out of bounds", BPF_LD_ABS(BPF_B, 16)),
	PKTOOB("ldabsh 15 out of bounds", BPF_LD_ABS(BPF_H, 15)),
	PKTOOB("ldabsw 13 out of bounds", BPF_LD_ABS(BPF_W, 13)),
	PKTOOB("ldabsw -1 out of bounds", BPF_LD_ABS(BPF_W, -1)),
	{ .name = "ldindw r3 = 10, imm 4 out of bounds",
	  P(BPF_MOV64_IMM(R0, 7), BPF_MOV64_IMM(R3, 10), BPF_LD_IND(BPF_W, R3, 4), BPF_MOV64_IMM(R0, 99), EXIT), PKT,
	  .r0 = 0 },
	{ .name = "ldindb r3 = 0x7fffffff, imm 0x7fffffff out of bounds",
	  P(BPF_MOV64_IMM(R0, 7), BPF_MOV64_IMM(R3, 0x7fffffff), BPF_LD_IND(BPF_B, R3, 0x7fffffff),
	    BPF_MOV64_IMM(R0, 99), EXIT), PKT, .r0 = 0 },
	{ .name = "ldabsh with the packet defaulting to mem",
	  P(BPF_LD_ABS(BPF_H, 1), EXIT), .mem_len = 4, .mem = { 0x01, 0x02, 0x03, 0x04 }, .r0 = 0x0203 },
	{ .name = "ldabsb out of bounds inside a subprogram ends the program",
	  P(BPF_MOV64_IMM(R0, 3), BPF_CALL_REL(2), BPF_MOV64_IMM(R0, 5), EXIT, BPF_LD_ABS(BPF_B, 1000),
	    BPF_MOV64_IMM(R0, 9), EXIT), PKT, .r0 = 0 },

	/* ---- runtime-checked engine: faults name the instruction ---- */
	{ .name = "ldxb [r1+15] (last byte of mem)", P(BPF_LDX_MEM(BPF_B, R0, R1, 15), EXIT), .mem_len = 16,
	  .mem = { [15] = 0x9c }, .r0 = 0x9c },
	FAULT("ldxb [r1+16] just past mem", 0, BPF_LDX_MEM(BPF_B, R0, R1, 16), EXIT),
	FAULT("ldxdw [r1+9] straddles the end of mem", 0, BPF_LDX_MEM(BPF_DW, R0, R1, 9), EXIT),
	FAULT("ldxb [r1-1] just before mem", 0, BPF_LDX_MEM(BPF_B, R0, R1, -1), EXIT),
	FAULT("stxb [r1+16] just past mem", 1, BPF_MOV64_IMM(R0, 1), BPF_STX_MEM(BPF_B, R1, R0, 16), EXIT),
	FAULT("stdw [r1+12] straddles the end of mem", 0, BPF_ST_MEM(BPF_DW, R1, 12, 0), EXIT),
	FAULT("sth [r1-2] before mem", 0, BPF_ST_MEM(BPF_H, R1, -2, 0), EXIT),
	FAULT("ldxb [r10-513] just before the stack", 0, BPF_LDX_MEM(BPF_B, R0, R10, -513), EXIT),
	FAULT("stxdw [r10-520] below the stack", 1, BPF_MOV64_IMM(R0, 0), BPF_STX_MEM(BPF_DW, R10, R0, -520), EXIT),
	FAULT("ldxdw from a null pointer", 1, BPF_MOV64_IMM(R2, 0), BPF_LDX_MEM(BPF_DW, R0, R2, 0), EXIT),
	FAULT("stw to a null pointer", 1, BPF_MOV64_IMM(R2, 0), BPF_ST_MEM(BPF_W, R2, 0, 1), EXIT),
	FAULT("ldxw from address 16", 1, BPF_MOV64_IMM(R2, 16), BPF_LDX_MEM(BPF_W, R0, R2, 0), EXIT),
	FAULT("lock fetch add to a null pointer", 2, BPF_MOV64_IMM(R2, 0), BPF_MOV64_IMM(R3, 1),
	      BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, R2, R3, 0), EXIT),
	FAULT("lock add32 at [r1+16] past mem", 0, BPF_ATOMIC_OP(BPF_W, BPF_ADD, R1, R1, 16), EXIT),
	FAULT("cmpxchg at [r1+12] straddles the end", 0, BPF_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, R1, R2, 12), EXIT),
	FAULT("xchg32 before mem", 0, BPF_ATOMIC_OP(BPF_W, BPF_XCHG, R1, R2, -4), EXIT),
	FAULT("load_acquire from a null pointer", 1, BPF_MOV64_IMM(R2, 0), BPF_LOAD_ACQUIRE(BPF_W, R0, R2, 0), EXIT),
	FAULT("store_release past mem", 0, BPF_STORE_RELEASE(BPF_B, R1, R2, 16), EXIT),
	FAULT("ldxsw past mem", 0, BPF_LDX_MEMSX(BPF_W, R0, R1, 13), EXIT),
	FAULT("ldxdw at 2^64 - 4 (address wraps)", 2, LD64(R2, 0xfffffffffffffffcULL), BPF_LDX_MEM(BPF_DW, R0, R2, 0),
	      EXIT),
	FAULT("fault inside a subprogram names its instruction", 4, BPF_CALL_REL(1), EXIT, BPF_MOV64_IMM(R0, 0),
	      BPF_MOV64_IMM(R2, 8), BPF_LDX_MEM(BPF_B, R0, R2, 0), EXIT),
	{ .name = "ldxb [r1+0] without memory (r1 = 0)", P(BPF_LDX_MEM(BPF_B, R0, R1, 0), EXIT), .rc = BPFVM_EFAULT,
	  .err_insn = 0, .checked_only = 1 },
	{ .name = "ja -1 with the default budget", P(BPF_JMP_A(-1)), .rc = BPFVM_EBUDGET, .err_insn = 0,
	  .checked_only = 1 },
	{ .name = "ja -1 with budget 1000", P(BPF_JMP_A(-1)), .budget = 1000, .rc = BPFVM_EBUDGET, .err_insn = 0,
	  .checked_only = 1 },
	{ .name = "two instructions with budget 2", P(BPF_MOV64_IMM(R0, 1), EXIT), .budget = 2, .r0 = 1,
	  .checked_only = 1 },
	{ .name = "two instructions with budget 1", P(BPF_MOV64_IMM(R0, 1), EXIT), .budget = 1, .rc = BPFVM_EBUDGET,
	  .err_insn = 1, .checked_only = 1 },
	/* 1 + 2 * N + 1 instructions: N = 4999999 is exactly the default 10,000,000 */
	{ .name = "10,000,000 instructions fit the default budget",
	  P(BPF_MOV64_IMM(R0, 4999999), BPF_ALU64_IMM(BPF_SUB, R0, 1), BPF_JMP_IMM(BPF_JNE, R0, 0, -2), EXIT),
	  .r0 = 0 },
	/* N = 5000000: after mov + 4999999 iterations + one more sub, the jne at 2 is over budget */
	{ .name = "10,000,002 instructions exceed the default budget",
	  P(BPF_MOV64_IMM(R0, 5000000), BPF_ALU64_IMM(BPF_SUB, R0, 1), BPF_JMP_IMM(BPF_JNE, R0, 0, -2), EXIT),
	  .rc = BPFVM_EBUDGET, .err_insn = 2, .checked_only = 1 },
};

#undef PKT
#undef PKTLD
#undef PKTOOB
#undef FAULT
#undef RECURSE
