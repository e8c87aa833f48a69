/* x86_emit.c - the x86-64 encoder behind x86_emit.h: prefixes, REX, ModRM,
 * SIB and displacements for each instruction form the JIT uses. */
#include <stdlib.h>
#include <string.h>

#include "x86_emit.h"

/* Encoding flags. */
enum {
	F_W = 1u << 0,    /* REX.W: 64-bit operand */
	F_66 = 1u << 1,   /* operand-size prefix: 16-bit operand */
	F_LOCK = 1u << 2, /* lock prefix */
	F_BREG = 1u << 3, /* the ModRM reg field is a byte register */
	F_BRM = 1u << 4,  /* the ModRM r/m register is a byte register */
};

/* The r/m operand: a register or [base + disp]. */
struct rm {
	int is_mem;
	int reg;
	struct x86_mem m;
};

static struct rm rm_reg(int reg)
{
	return (struct rm){ 0, reg, { 0, 0 } };
}

static struct rm rm_mem(struct x86_mem m)
{
	return (struct rm){ 1, 0, m };
}

void x86_buf_reset(struct x86_buf *b)
{
	b->len = 0;
	b->oom = 0;
}

void x86_buf_free(struct x86_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void put(struct x86_buf *b, uint8_t v)
{
	if (b->len == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint8_t *p = b->oom ? NULL : realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	b->p[b->len++] = v;
}

static void put16(struct x86_buf *b, uint16_t v)
{
	put(b, (uint8_t)v);
	put(b, (uint8_t)(v >> 8));
}

static void put32(struct x86_buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		put(b, (uint8_t)(v >> (8 * i)));
}

static void put64(struct x86_buf *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		put(b, (uint8_t)(v >> (8 * i)));
}

static int fits8(int64_t v)
{
	return v >= -128 && v <= 127;
}

static void modrm(struct x86_buf *b, int regfield, struct rm rm)
{
	if (!rm.is_mem) {
		put(b, (uint8_t)(0xc0 | (regfield & 7) << 3 | (rm.reg & 7)));
		return;
	}
	int base = rm.m.base & 7;
	int32_t d = rm.m.disp;
	/* mod 00 with base 5 (rbp/r13) means rip-relative: give it a disp8 */
	int mod = (d == 0 && base != 5) ? 0 : fits8(d) ? 1 : 2;
	put(b, (uint8_t)(mod << 6 | (regfield & 7) << 3 | base));
	if (base == 4) /* rsp/r12 as base need a SIB byte */
		put(b, 0x24);
	if (mod == 1)
		put(b, (uint8_t)d);
	else if (mod == 2)
		put32(b, (uint32_t)d);
}

static void encode(struct x86_buf *b, unsigned flags, const uint8_t *op, int nop, int regfield, struct rm rm)
{
	if (flags & F_LOCK)
		put(b, 0xf0);
	if (flags & F_66)
		put(b, 0x66);
	int rmreg = rm.is_mem ? rm.m.base : rm.reg;
	uint8_t rex = (uint8_t)(0x40 | (flags & F_W ? 8 : 0) | (regfield & 8 ? 4 : 0) | (rmreg & 8 ? 1 : 0));
	/* spl, bpl, sil and dil exist only with a REX prefix (else ah..bh) */
	int byte_rex = ((flags & F_BREG) && regfield >= 4 && regfield <= 7) ||
		       ((flags & F_BRM) && !rm.is_mem && rm.reg >= 4 && rm.reg <= 7);
	if (rex != 0x40 || byte_rex)
		put(b, rex);
	for (int i = 0; i < nop; i++)
		put(b, op[i]);
	modrm(b, regfield, rm);
}

#define OP(...) (const uint8_t[]){ __VA_ARGS__ }, (int)sizeof((const uint8_t[]){ __VA_ARGS__ })

static unsigned wflag(int w)
{
	return w == X86_W64 ? F_W : 0;
}

static unsigned size_flags(int size)
{
	return size == 8 ? F_W : size == 2 ? F_66 : size == 1 ? F_BREG : 0;
}

/* An opcode with the register in its low three bits (push, pop, bswap, mov imm). */
static void encode_opreg(struct x86_buf *b, unsigned flags, const uint8_t *op, int nop, int reg)
{
	uint8_t rex = (uint8_t)(0x40 | (flags & F_W ? 8 : 0) | (reg & 8 ? 1 : 0));
	if (rex != 0x40)
		put(b, rex);
	for (int i = 0; i < nop - 1; i++)
		put(b, op[i]);
	put(b, (uint8_t)(op[nop - 1] + (reg & 7)));
}

/* ---- data movement ---- */

void emit_mov_rr(struct x86_buf *b, int w, int dst, int src)
{
	encode(b, wflag(w), OP(0x89), src, rm_reg(dst));
}

void emit_mov_ri(struct x86_buf *b, int dst, uint64_t v)
{
	if (v <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
		encode_opreg(b, 0, OP(0xb8), dst);
		put32(b, (uint32_t)v);
	} else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) { /* mov r64, simm32 */
		encode(b, F_W, OP(0xc7), 0, rm_reg(dst));
		put32(b, (uint32_t)v);
	} else { /* movabs */
		encode_opreg(b, F_W, OP(0xb8), dst);
		put64(b, v);
	}
}

void emit_zero(struct x86_buf *b, int dst)
{
	encode(b, 0, OP(0x31), dst, rm_reg(dst));
}

void emit_lea(struct x86_buf *b, int dst, struct x86_mem m)
{
	encode(b, F_W, OP(0x8d), dst, rm_mem(m));
}

void emit_load(struct x86_buf *b, int size, int dst, struct x86_mem m)
{
	switch (size) {
	case 1: encode(b, 0, OP(0x0f, 0xb6), dst, rm_mem(m)); break;
	case 2: encode(b, 0, OP(0x0f, 0xb7), dst, rm_mem(m)); break;
	case 4: encode(b, 0, OP(0x8b), dst, rm_mem(m)); break;
	default: encode(b, F_W, OP(0x8b), dst, rm_mem(m)); break;
	}
}

void emit_load_sx(struct x86_buf *b, int size, int dst, struct x86_mem m)
{
	switch (size) {
	case 1: encode(b, F_W, OP(0x0f, 0xbe), dst, rm_mem(m)); break;
	case 2: encode(b, F_W, OP(0x0f, 0xbf), dst, rm_mem(m)); break;
	default: encode(b, F_W, OP(0x63), dst, rm_mem(m)); break;
	}
}

void emit_store(struct x86_buf *b, int size, struct x86_mem m, int src)
{
	if (size == 1)
		encode(b, F_BREG, OP(0x88), src, rm_mem(m));
	else
		encode(b, size_flags(size), OP(0x89), src, rm_mem(m));
}

void emit_store_imm(struct x86_buf *b, int size, struct x86_mem m, int32_t imm)
{
	switch (size) {
	case 1:
		encode(b, 0, OP(0xc6), 0, rm_mem(m));
		put(b, (uint8_t)imm);
		break;
	case 2:
		encode(b, F_66, OP(0xc7), 0, rm_mem(m));
		put16(b, (uint16_t)imm);
		break;
	default:
		encode(b, size == 8 ? F_W : 0, OP(0xc7), 0, rm_mem(m));
		put32(b, (uint32_t)imm);
		break;
	}
}

void emit_movzx_rr(struct x86_buf *b, int from_size, int dst, int src)
{
	if (from_size == 1)
		encode(b, F_BRM, OP(0x0f, 0xb6), dst, rm_reg(src));
	else
		encode(b, 0, OP(0x0f, 0xb7), dst, rm_reg(src));
}

void emit_movsx_rr(struct x86_buf *b, int w, int from_size, int dst, int src)
{
	switch (from_size) {
	case 1: encode(b, wflag(w) | F_BRM, OP(0x0f, 0xbe), dst, rm_reg(src)); break;
	case 2: encode(b, wflag(w), OP(0x0f, 0xbf), dst, rm_reg(src)); break;
	default: encode(b, F_W, OP(0x63), dst, rm_reg(src)); break;
	}
}

void emit_bswap(struct x86_buf *b, int w, int reg)
{
	encode_opreg(b, wflag(w), OP(0x0f, 0xc8), reg);
}

void emit_rot16_ri(struct x86_buf *b, enum x86_shift op, int reg, uint8_t count)
{
	encode(b, F_66, OP(0xc1), op, rm_reg(reg));
	put(b, count);
}

void emit_push(struct x86_buf *b, int reg)
{
	encode_opreg(b, 0, OP(0x50), reg);
}

void emit_pop(struct x86_buf *b, int reg)
{
	encode_opreg(b, 0, OP(0x58), reg);
}

void emit_push_m(struct x86_buf *b, struct x86_mem m)
{
	encode(b, 0, OP(0xff), 6, rm_mem(m));
}

/* ---- arithmetic ---- */

void emit_alu_rr(struct x86_buf *b, int w, enum x86_alu op, int dst, int src)
{
	encode(b, wflag(w), OP((uint8_t)(op << 3 | 1)), src, rm_reg(dst));
}

static void alu_imm(struct x86_buf *b, unsigned flags, enum x86_alu op, struct rm rm, int32_t imm)
{
	if (fits8(imm)) {
		encode(b, flags, OP(0x83), op, rm);
		put(b, (uint8_t)imm);
	} else {
		encode(b, flags, OP(0x81), op, rm);
		put32(b, (uint32_t)imm);
	}
}

void emit_alu_ri(struct x86_buf *b, int w, enum x86_alu op, int dst, int32_t imm)
{
	alu_imm(b, wflag(w), op, rm_reg(dst), imm);
}

void emit_alu_rm(struct x86_buf *b, int w, enum x86_alu op, int dst, struct x86_mem m)
{
	encode(b, wflag(w), OP((uint8_t)(op << 3 | 3)), dst, rm_mem(m));
}

void emit_alu_mi(struct x86_buf *b, int w, enum x86_alu op, struct x86_mem m, int32_t imm)
{
	alu_imm(b, wflag(w), op, rm_mem(m), imm);
}

void emit_alu_mr(struct x86_buf *b, int size, enum x86_alu op, struct x86_mem m, int src, int lock)
{
	encode(b, size_flags(size) | (lock ? F_LOCK : 0), OP((uint8_t)(op << 3 | 1)), src, rm_mem(m));
}

void emit_test_rr(struct x86_buf *b, int w, int a, int c)
{
	encode(b, wflag(w), OP(0x85), c, rm_reg(a));
}

void emit_test_ri(struct x86_buf *b, int w, int reg, int32_t imm)
{
	encode(b, wflag(w), OP(0xf7), 0, rm_reg(reg));
	put32(b, (uint32_t)imm);
}

void emit_imul_rr(struct x86_buf *b, int w, int dst, int src)
{
	encode(b, wflag(w), OP(0x0f, 0xaf), dst, rm_reg(src));
}

void emit_imul_rri(struct x86_buf *b, int w, int dst, int src, int32_t imm)
{
	if (fits8(imm)) {
		encode(b, wflag(w), OP(0x6b), dst, rm_reg(src));
		put(b, (uint8_t)imm);
	} else {
		encode(b, wflag(w), OP(0x69), dst, rm_reg(src));
		put32(b, (uint32_t)imm);
	}
}

void emit_unary(struct x86_buf *b, int w, enum x86_unary op, int reg)
{
	encode(b, wflag(w), OP(0xf7), op, rm_reg(reg));
}

void emit_sign_extend_ax(struct x86_buf *b, int w)
{
	if (w == X86_W64)
		put(b, 0x48);
	put(b, 0x99);
}

void emit_shift_ri(struct x86_buf *b, int w, enum x86_shift op, int reg, uint8_t count)
{
	if (count == 1) {
		encode(b, wflag(w), OP(0xd1), op, rm_reg(reg));
	} else {
		encode(b, wflag(w), OP(0xc1), op, rm_reg(reg));
		put(b, count);
	}
}

void emit_shift_rcl(struct x86_buf *b, int w, enum x86_shift op, int reg)
{
	encode(b, wflag(w), OP(0xd3), op, rm_reg(reg));
}

/* ---- atomics ---- */

void emit_xadd(struct x86_buf *b, int size, struct x86_mem m, int src)
{
	encode(b, F_LOCK | size_flags(size), OP(0x0f, 0xc1), src, rm_mem(m));
}

void emit_xchg(struct x86_buf *b, int size, struct x86_mem m, int src)
{
	encode(b, size_flags(size), OP(0x87), src, rm_mem(m));
}

void emit_cmpxchg(struct x86_buf *b, int size, struct x86_mem m, int src)
{
	encode(b, F_LOCK | size_flags(size), OP(0x0f, 0xb1), src, rm_mem(m));
}

/* ---- control ---- */

void emit_jcc_rel(struct x86_buf *b, enum x86_cc cc, int32_t rel, int is_short)
{
	if (is_short) {
		put(b, (uint8_t)(0x70 + cc));
		put(b, (uint8_t)rel);
	} else {
		put(b, 0x0f);
		put(b, (uint8_t)(0x80 + cc));
		put32(b, (uint32_t)rel);
	}
}

void emit_jmp_rel(struct x86_buf *b, int32_t rel, int is_short)
{
	if (is_short) {
		put(b, 0xeb);
		put(b, (uint8_t)rel);
	} else {
		put(b, 0xe9);
		put32(b, (uint32_t)rel);
	}
}

void emit_call_rel(struct x86_buf *b, int32_t rel)
{
	put(b, 0xe8);
	put32(b, (uint32_t)rel);
}

void emit_call_r(struct x86_buf *b, int reg)
{
	encode(b, 0, OP(0xff), 2, rm_reg(reg));
}

void emit_call_m(struct x86_buf *b, struct x86_mem m)
{
	encode(b, 0, OP(0xff), 2, rm_mem(m));
}

void emit_jmp_r(struct x86_buf *b, int reg)
{
	encode(b, 0, OP(0xff), 4, rm_reg(reg));
}

void emit_ret(struct x86_buf *b)
{
	put(b, 0xc3);
}
