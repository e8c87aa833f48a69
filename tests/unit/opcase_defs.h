/* opcase_defs.h - the shape of one table-driven instruction test case for
 * test_opcodes.c and the shorthand macros the opcase_*.h tables use.
 *
 * Every expected value in the tables is a literal worked out by hand from the
 * RFC 9669 rules (and, for Linux-only forms, the kernel's documented
 * behaviour); none is computed by the engine under test. */
#ifndef OPCASE_DEFS_H
#define OPCASE_DEFS_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"

#define OC_MAX_SLOTS 40
#define OC_MEM 64

struct opcase {
	const char *name;
	struct bpf_insn insns[OC_MAX_SLOTS]; /* up to the last non-zero code (see oc_len) */
	uint64_t r0;                        /* expected r0 when rc == 0 */
	int rc;                             /* expected status of bpfvm_prog_run */
	long err_insn;                      /* rc != 0: the instruction err must name */
	size_t mem_len;                     /* r1 = copy of mem, r2 = mem_len (0: no memory) */
	uint8_t mem[OC_MEM];
	int check_mem;                      /* compare the memory after the run with mem_out */
	uint8_t mem_out[OC_MEM];
	size_t pkt_len;                     /* LD_ABS/LD_IND data (0: the packet is mem) */
	uint8_t pkt[OC_MEM];
	uint64_t budget;                    /* checked runs; 0: the default */
	int checked_only;                   /* faulting programs: never on the trusted engine */
};

/* P(insn, ...): the program. */
#define P(...) .insns = { __VA_ARGS__ }

/* Length of a case's program in slots: every program ends in exit or a goto,
 * never in an lddw's second slot (code 0), so the program runs up to the last
 * slot whose code is not zero; the zero-filled rest is not part of it. */
static inline size_t oc_len(const struct opcase *c)
{
	size_t n = OC_MAX_SLOTS;
	while (n > 0 && c->insns[n - 1].code == 0)
		n--;
	return n;
}

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R8 BPF_REG_8
#define R9 BPF_REG_9
#define R10 BPF_REG_10

#define EXIT BPF_EXIT_INSN()
#define LD64(r, v) BPF_LD_IMM64(r, (uint64_t)(v))

/* ALU cases operate on dst r3 and src r7 (not r0/r1, so the register fields
 * are really decoded), then copy r3 to r0. */
#define RD R3
#define RS R7
#define A64R(OP) BPF_ALU64_REG(BPF_##OP, RD, RS)
#define A64I(OP, IMM) BPF_ALU64_IMM(BPF_##OP, RD, IMM)
#define A32R(OP) BPF_ALU32_REG(BPF_##OP, RD, RS)
#define A32I(OP, IMM) BPF_ALU32_IMM(BPF_##OP, RD, IMM)
#define S64R(OP) BPF_ALU64_REG_OFF(BPF_##OP, RD, RS, 1)
#define S64I(OP, IMM) BPF_ALU64_IMM_OFF(BPF_##OP, RD, IMM, 1)
#define S32R(OP) BPF_ALU32_REG_OFF(BPF_##OP, RD, RS, 1)
#define S32I(OP, IMM) BPF_ALU32_IMM_OFF(BPF_##OP, RD, IMM, 1)

/* dst = a, src = b, one instruction, r0 = dst. */
#define BIN(INSN, A, B, RES) \
	{ .name = #INSN " with dst=" #A " src=" #B, \
	  P(LD64(RD, A), LD64(RS, B), INSN, BPF_MOV64_REG(R0, RD), EXIT), .r0 = (RES) }
/* dst = a, one instruction, r0 = dst (unary ops, byte swaps, imm forms). */
#define UN(INSN, A, RES) \
	{ .name = #INSN " with dst=" #A, \
	  P(LD64(RS, 0x5a5a5a5a5a5a5a5aULL), LD64(RD, A), INSN, BPF_MOV64_REG(R0, RD), EXIT), .r0 = (RES) }

/* Conditional jumps: dst = a, src = b; r0 = 1 when the jump is taken. */
#define JR(OP) BPF_JMP_REG(BPF_##OP, RD, RS, 2)
#define JI(OP, IMM) BPF_JMP_IMM(BPF_##OP, RD, IMM, 2)
#define J32R(OP) BPF_JMP32_REG(BPF_##OP, RD, RS, 2)
#define J32I(OP, IMM) BPF_JMP32_IMM(BPF_##OP, RD, IMM, 2)
#define JC(INSN, A, B, TAKEN) \
	{ .name = #INSN " with dst=" #A " src=" #B, \
	  P(LD64(RD, A), LD64(RS, B), INSN, BPF_MOV64_IMM(R0, 0), EXIT, BPF_MOV64_IMM(R0, 1), EXIT), \
	  .r0 = (TAKEN) }

/* Little-endian bytes of a 64-bit value, for mem initialisers. */
#define LE64B(v) \
	(uint8_t)((uint64_t)(v)), (uint8_t)((uint64_t)(v) >> 8), (uint8_t)((uint64_t)(v) >> 16), \
	(uint8_t)((uint64_t)(v) >> 24), (uint8_t)((uint64_t)(v) >> 32), (uint8_t)((uint64_t)(v) >> 40), \
	(uint8_t)((uint64_t)(v) >> 48), (uint8_t)((uint64_t)(v) >> 56)

/* Helper ids the test environment registers (see test_opcodes.c). */
#define H_PACK 7              /* r0 = low bytes of r1..r5 packed: r5 r4 r3 r2 r1 */
#define H_COOKIE_A 10         /* r0 = *(u64 *)cookie, cookie holds 111 */
#define H_COOKIE_B 5000       /* same function, cookie holds 222 (id above 1023) */
#define H_BIG 4000000000u     /* r0 = r1 + 1000 (id above INT32_MAX) */
#define H_STOP 20             /* bpfvm_exec_stop(r1 + 1) */
#define H_CLOBBER 21          /* r0 = 0; tries nothing else (r6..r9 must survive) */

#endif
