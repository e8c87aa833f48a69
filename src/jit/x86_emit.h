/* x86_emit.h - a small x86-64 instruction encoder for the JIT: one function
 * per instruction form, named by operand shape (_rr register, register; _ri
 * register, immediate; _rm register, memory; _mr memory, register; _mi
 * memory, immediate). Widths are X86_W32 / X86_W64 for ALU operations (32-bit
 * results are zero-extended by the CPU) and 1, 2, 4 or 8 bytes for memory
 * accesses. The translator (jit_x86.c) composes these and writes no bytes
 * itself. Memory operands are [base + disp]; no index registers. */
#ifndef BPFVM_X86_EMIT_H
#define BPFVM_X86_EMIT_H

#include <stddef.h>
#include <stdint.h>

enum x86_reg {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

enum x86_width { X86_W32 = 32, X86_W64 = 64 };

/* ALU operations of the 0x00-0x3f family and of group 1 (0x81/0x83 /ext). */
enum x86_alu { X86_ADD = 0, X86_OR = 1, X86_AND = 4, X86_SUB = 5, X86_XOR = 6, X86_CMP = 7 };

/* Group 2 (shifts and rotates, 0xc1/0xd3 /ext). */
enum x86_shift { X86_ROL = 0, X86_ROR = 1, X86_SHL = 4, X86_SHR = 5, X86_SAR = 7 };

/* Group 3 (0xf7 /ext): one-operand forms; MUL/DIV/IDIV work on rdx:rax. */
enum x86_unary { X86_NOT = 2, X86_NEG = 3, X86_MUL = 4, X86_IMUL1 = 5, X86_DIV = 6, X86_IDIV = 7 };

/* Condition codes (the low nibble of jcc). */
enum x86_cc {
	X86_CC_O = 0, X86_CC_NO, X86_CC_B, X86_CC_AE, X86_CC_E, X86_CC_NE, X86_CC_BE, X86_CC_A,
	X86_CC_S, X86_CC_NS, X86_CC_P, X86_CC_NP, X86_CC_L, X86_CC_GE, X86_CC_LE, X86_CC_G,
};

/* Encoded lengths of the relative branches. */
#define X86_JCC_SHORT_LEN 2
#define X86_JCC_NEAR_LEN 6
#define X86_JMP_SHORT_LEN 2
#define X86_JMP_NEAR_LEN 5
#define X86_CALL_REL_LEN 5

struct x86_mem {
	uint8_t base;   /* enum x86_reg */
	int32_t disp;
};

static inline struct x86_mem x86_mem(int base, int32_t disp)
{
	return (struct x86_mem){ (uint8_t)base, disp };
}

/* A growing code buffer; oom is set (and further bytes dropped) when it
 * cannot grow. */
struct x86_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

void x86_buf_reset(struct x86_buf *b);   /* len = 0, keeps the memory */
void x86_buf_free(struct x86_buf *b);

/* ---- data movement ---- */
void emit_mov_rr(struct x86_buf *b, int w, int dst, int src);
/* dst = v with the shortest encoding that leaves the flags alone. */
void emit_mov_ri(struct x86_buf *b, int dst, uint64_t v);
/* dst = 0 (xor: clobbers the flags). */
void emit_zero(struct x86_buf *b, int dst);
void emit_lea(struct x86_buf *b, int dst, struct x86_mem m);
/* dst = zero-extended size bytes at m (size 1, 2, 4, 8). */
void emit_load(struct x86_buf *b, int size, int dst, struct x86_mem m);
/* dst = sign-extended size bytes at m (size 1, 2, 4), 64-bit result. */
void emit_load_sx(struct x86_buf *b, int size, int dst, struct x86_mem m);
void emit_store(struct x86_buf *b, int size, struct x86_mem m, int src);
/* size bytes of imm at m (8: imm sign-extended). */
void emit_store_imm(struct x86_buf *b, int size, struct x86_mem m, int32_t imm);
/* dst = zero-extended low from_size (1, 2) bytes of src, 32-bit (so 64-bit) result. */
void emit_movzx_rr(struct x86_buf *b, int from_size, int dst, int src);
/* dst = sign-extended low from_size (1, 2, 4) bytes of src, to width w (4 needs W64). */
void emit_movsx_rr(struct x86_buf *b, int w, int from_size, int dst, int src);
void emit_bswap(struct x86_buf *b, int w, int reg);
/* 16-bit rotate of the low word (rol/ror r16, count); the rest of reg is kept. */
void emit_rot16_ri(struct x86_buf *b, enum x86_shift op, int reg, uint8_t count);
void emit_push(struct x86_buf *b, int reg);
void emit_pop(struct x86_buf *b, int reg);
void emit_push_m(struct x86_buf *b, struct x86_mem m);

/* ---- arithmetic ---- */
void emit_alu_rr(struct x86_buf *b, int w, enum x86_alu op, int dst, int src);
void emit_alu_ri(struct x86_buf *b, int w, enum x86_alu op, int dst, int32_t imm);
void emit_alu_rm(struct x86_buf *b, int w, enum x86_alu op, int dst, struct x86_mem m);
void emit_alu_mi(struct x86_buf *b, int w, enum x86_alu op, struct x86_mem m, int32_t imm);
/* [m] op= src on size (4, 8) bytes; lock makes it atomic. */
void emit_alu_mr(struct x86_buf *b, int size, enum x86_alu op, struct x86_mem m, int src, int lock);
void emit_test_rr(struct x86_buf *b, int w, int a, int c);
void emit_test_ri(struct x86_buf *b, int w, int reg, int32_t imm);
void emit_imul_rr(struct x86_buf *b, int w, int dst, int src);
void emit_imul_rri(struct x86_buf *b, int w, int dst, int src, int32_t imm);
void emit_unary(struct x86_buf *b, int w, enum x86_unary op, int reg);
/* Sign-extends rax into rdx (cqo, W64) or eax into edx (cdq, W32). */
void emit_sign_extend_ax(struct x86_buf *b, int w);
void emit_shift_ri(struct x86_buf *b, int w, enum x86_shift op, int reg, uint8_t count);
void emit_shift_rcl(struct x86_buf *b, int w, enum x86_shift op, int reg);

/* ---- atomics (size 4 or 8) ---- */
void emit_xadd(struct x86_buf *b, int size, struct x86_mem m, int src);    /* lock xadd */
void emit_xchg(struct x86_buf *b, int size, struct x86_mem m, int src);    /* xchg (locked) */
void emit_cmpxchg(struct x86_buf *b, int size, struct x86_mem m, int src); /* lock cmpxchg, rax compared */

/* ---- control ---- */
/* rel is relative to the end of the instruction. */
void emit_jcc_rel(struct x86_buf *b, enum x86_cc cc, int32_t rel, int is_short);
void emit_jmp_rel(struct x86_buf *b, int32_t rel, int is_short);
void emit_call_rel(struct x86_buf *b, int32_t rel);
void emit_call_r(struct x86_buf *b, int reg);
void emit_call_m(struct x86_buf *b, struct x86_mem m);
void emit_jmp_r(struct x86_buf *b, int reg);
void emit_ret(struct x86_buf *b);

#endif
