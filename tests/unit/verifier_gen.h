/* verifier_gen.h - random programs that exercise a verifier, shared by
 * test_verifier.c (accepted programs must run without faults) and
 * test_kernel_verifier.c (verdicts compared with the kernel's). Header-only
 * (static functions): each test program includes it once.
 *
 * A program is a socket filter or an XDP program built from "items": ALU
 * operations on scalars, stack stores and loads near the frame's edges,
 * context loads at valid and invalid offsets, map lookups (with and without
 * the null check) followed by constant and variable offset accesses near
 * the value's end, XDP packet accesses around a data_end check, pointer
 * arithmetic on the frame pointer, spills and fills of pointers, atomics,
 * helper calls, if/else blocks, bounded (and sometimes unbounded) loops and
 * bpf-to-bpf calls. Most items are well formed, some deliberately step over
 * an edge, so that both verdicts are common.
 *
 * Maps (index into fd_array): 0 = array, key 4, value VG_VAL0 bytes, 4
 * entries; 1 = hash, key 8, value VG_VAL1 bytes, 16 entries. */
#ifndef BPFVM_VERIFIER_GEN_H
#define BPFVM_VERIFIER_GEN_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bpfvm/insn.h"

#define VG_MAX_SLOTS 2048
#define VG_VAL0 48
#define VG_VAL1 24

struct vg {
	uint64_t s;
	struct bpf_insn in[VG_MAX_SLOTS];
	size_t n;
	uint32_t type;       /* BPF_PROG_TYPE_SOCKET_FILTER or BPF_PROG_TYPE_XDP */
	int depth;           /* nesting of blocks */
	int in_loop;         /* loop bodies hold straight-line items only */
	uint32_t busy;       /* registers the current block reserves */
	size_t calls[16];    /* subprogram call sites to patch */
	int ncalls;
	int overflow;
};

static uint64_t vg_next(struct vg *g)
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t vg_rnd(struct vg *g, uint32_t n)
{
	return n ? (uint32_t)(vg_next(g) % n) : 0;
}

static int vg_chance(struct vg *g, int percent)
{
	return (int)vg_rnd(g, 100) < percent;
}

static void vg_emit(struct vg *g, struct bpf_insn in)
{
	if (g->n < VG_MAX_SLOTS - 64)
		g->in[g->n++] = in;
	else
		g->overflow = 1;
}

static void vg_lddw(struct vg *g, int dst, uint64_t v)
{
	struct bpf_insn p[2] = { BPF_LD_IMM64(dst, v) };
	vg_emit(g, p[0]);
	vg_emit(g, p[1]);
}

static void vg_map(struct vg *g, int dst, int idx)
{
	struct bpf_insn p[2] = { BPF_LD_IMM64_RAW(dst, BPF_PSEUDO_MAP_IDX, idx) };
	vg_emit(g, p[0]);
	vg_emit(g, p[1]);
}

static int32_t vg_imm(struct vg *g)
{
	static const int32_t vals[] = { 0, 1, -1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 0x7fff, -8,
					-16, 0xffff, 0x10000, INT32_MAX, INT32_MIN, 1000, 4096, 512, 511, 513 };
	switch (vg_rnd(g, 3)) {
	case 0: return vals[vg_rnd(g, sizeof(vals) / sizeof(vals[0]))];
	case 1: return (int32_t)vg_rnd(g, 80) - 16;
	default: return (int32_t)(uint32_t)vg_next(g);
	}
}

/* A scalar register the current block may write. */
static int vg_sreg(struct vg *g)
{
	static const int regs_xdp[] = { 0, 1, 2, 3, 4, 5 };
	static const int regs_skb[] = { 0, 1, 2, 3, 4, 5, 7, 8 };
	const int *r = g->type == BPF_PROG_TYPE_XDP ? regs_xdp : regs_skb;
	int n = g->type == BPF_PROG_TYPE_XDP ? 6 : 8;
	for (int tries = 0; tries < 16; tries++) {
		int x = r[vg_rnd(g, (uint32_t)n)];
		if (!(g->busy & (1u << x)))
			return x;
	}
	return 0;
}

static const uint8_t vg_sizes[4] = { BPF_B, BPF_H, BPF_W, BPF_DW };
static const int vg_size_bytes[4] = { 1, 2, 4, 8 };

static void vg_item(struct vg *g);

/* Percent of choices that deliberately step over an edge. */
#define VG_BAD 3
static int vg_bad(struct vg *g)
{
	return vg_chance(g, VG_BAD);
}

static void vg_alu(struct vg *g)
{
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
				       BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_AND, BPF_ADD, BPF_MOV };
	uint8_t op = ops[vg_rnd(g, sizeof(ops))];
	int is64 = vg_chance(g, 70);
	int dst = vg_sreg(g), src = vg_sreg(g);
	switch (vg_rnd(g, 12)) {
	case 0:
		vg_emit(g, is64 ? BPF_ALU64_IMM(BPF_NEG, dst, 0) : BPF_ALU32_IMM(BPF_NEG, dst, 0));
		return;
	case 1: {
		static const int w[] = { 16, 32, 64 };
		vg_emit(g, BPF_ENDIAN(vg_chance(g, 50) ? BPF_TO_BE : BPF_TO_LE, dst, w[vg_rnd(g, 3)]));
		return;
	}
	case 2:
		vg_emit(g, ((struct bpf_insn){ .code = (uint8_t)((is64 ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X),
					       .dst_reg = (uint8_t)dst, .src_reg = (uint8_t)src,
					       .off = (int16_t)(is64 ? (8 << vg_rnd(g, 3)) : (8 << vg_rnd(g, 2))) }));
		return;
	case 3:
	case 4:
	case 5: {
		int32_t imm = vg_imm(g);
		if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && vg_chance(g, 95))
			imm = (int32_t)vg_rnd(g, is64 ? 64 : 32);
		if ((op == BPF_DIV || op == BPF_MOD) && imm == 0 && vg_chance(g, 90))
			imm = 3;
		vg_emit(g, is64 ? BPF_ALU64_IMM(op, dst, imm) : BPF_ALU32_IMM(op, dst, imm));
		return;
	}
	default:
		vg_emit(g, is64 ? BPF_ALU64_REG(op, dst, src) : BPF_ALU32_REG(op, dst, src));
		return;
	}
}

/* A stack offset near the frame's valid range. */
static int16_t vg_stack_off(struct vg *g, int size)
{
	int off;
	if (vg_bad(g)) {
		switch (vg_rnd(g, 3)) {
		case 0: off = -512 - (int)(1 + vg_rnd(g, 2)) * size; break;
		case 1: off = (int)vg_rnd(g, 2) * size; break;
		default: off = -(int)vg_rnd(g, 520); break;
		}
	} else if (vg_chance(g, 5)) {
		off = -512 + (int)vg_rnd(g, 4) * size; /* the frame's far end */
	} else {
		off = -(int)(1 + vg_rnd(g, 64 / (uint32_t)size)) * size;
	}
	return (int16_t)off;
}

static void vg_stack(struct vg *g)
{
	int si = (int)vg_rnd(g, 4);
	int size = vg_size_bytes[si];
	int16_t off = vg_stack_off(g, size);
	int r = vg_sreg(g);
	switch (vg_rnd(g, 4)) {
	case 0:
		vg_emit(g, BPF_ST_MEM(vg_sizes[si], BPF_REG_10, off, vg_imm(g)));
		break;
	case 1:
		vg_emit(g, BPF_STX_MEM(vg_sizes[si], BPF_REG_10, r, off));
		break;
	default:
		vg_emit(g, BPF_LDX_MEM(vg_sizes[si], r, BPF_REG_10, off));
		break;
	}
}

static void vg_ctx(struct vg *g)
{
	/* readable __sk_buff fields for socket filters: len .. cb[4], hash, napi_id, gso_segs, gso_size */
	static const int16_t skb_fields[] = { 0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68,
					      84, 164, 176 };
	int r = vg_sreg(g);
	int si = 2;
	int16_t off;
	if (g->type == BPF_PROG_TYPE_XDP) {
		off = (int16_t)(12 + 4 * (int)vg_rnd(g, 2));
		if (vg_bad(g)) {
			off = (int16_t)((int)vg_rnd(g, 32) - 4);
			si = (int)vg_rnd(g, 4);
		}
	} else {
		off = skb_fields[vg_rnd(g, sizeof(skb_fields) / sizeof(skb_fields[0]))];
		if (vg_chance(g, 30)) { /* narrow reads */
			si = (int)vg_rnd(g, 3);
			off = (int16_t)(off + (int)vg_rnd(g, 4 / (uint32_t)vg_size_bytes[si]) * vg_size_bytes[si]);
		}
		if (vg_bad(g)) {
			off = (int16_t)((int)vg_rnd(g, 200) - 8);
			si = (int)vg_rnd(g, 4);
		}
	}
	if (vg_chance(g, 10) && g->type == BPF_PROG_TYPE_SOCKET_FILTER) /* a write to cb[] (or elsewhere) */
		vg_emit(g, BPF_STX_MEM(vg_bad(g) ? BPF_DW : BPF_W, BPF_REG_6, r,
				       (int16_t)(vg_bad(g) ? 8 : 48 + 4 * (int)vg_rnd(g, 5))));
	else
		vg_emit(g, BPF_LDX_MEM(vg_sizes[si], r, BPF_REG_6, off));
}

/* Re-initialise r1-r5 after a call, most of the time. */
static void vg_refill(struct vg *g)
{
	int skip = vg_bad(g) ? 1 + (int)vg_rnd(g, 5) : 0;
	for (int r = 1; r <= 5; r++)
		if (!(g->busy & (1u << r)) && r != skip)
			vg_emit(g, BPF_MOV64_IMM(r, vg_imm(g)));
}

static void vg_patch(struct vg *g, size_t at)
{
	g->in[at].off = (int16_t)(g->n - at - 1);
}

/* An access through the pointer in reg whose memory holds size bytes:
 * constant offsets near the end, or a variable offset bounded by a mask or
 * a comparison. */
static void vg_access(struct vg *g, int reg, int size, int allow_var)
{
	int si = (int)vg_rnd(g, 4);
	int bytes = vg_size_bytes[si];
	int v = vg_sreg(g);
	int varpart = 0;
	if (v == reg)
		v = reg == 1 ? 2 : 1;
	if (allow_var && vg_chance(g, 40)) {
		/* variable part */
		if (vg_chance(g, 60)) {
			int bits = (int)vg_rnd(g, 5);
			if (vg_bad(g))
				bits = 6 + (int)vg_rnd(g, 3);
			varpart = (1 << bits) - 1;
			vg_emit(g, BPF_ALU64_IMM(BPF_AND, v, (int32_t)((1u << bits) - 1)));
		} else {
			size_t j = g->n;
			vg_emit(g, BPF_JMP_IMM(vg_chance(g, 85) ? BPF_JGT : BPF_JSGT, v, size - 8 - (int)vg_rnd(g, 4) + (vg_bad(g) ? 8 : 0), 0));
			vg_emit(g, BPF_ALU64_REG(BPF_ADD, reg, v));
			vg_emit(g, BPF_LDX_MEM(vg_sizes[si], v, reg, 0));
			vg_patch(g, j);
			return;
		}
		vg_emit(g, BPF_ALU64_REG(BPF_ADD, reg, v));
	}
	int16_t off = (int16_t)(vg_chance(g, 40) ? size - bytes : (int)vg_rnd(g, (uint32_t)(size - bytes + 1)));
	if (varpart)
		off = (int16_t)vg_rnd(g, (uint32_t)(size - bytes - varpart + 1 > 0 ? size - bytes - varpart + 1 : 1));
	if (vg_bad(g))
		off = (int16_t)(vg_chance(g, 50) ? size - bytes + 1 + (int)vg_rnd(g, 3) : -(int)vg_rnd(g, 9) - 1);
	switch (vg_rnd(g, 4)) {
	case 0:
		vg_emit(g, BPF_STX_MEM(vg_sizes[si], reg, v, off));
		break;
	case 1:
		vg_emit(g, BPF_ST_MEM(vg_sizes[si], reg, off, vg_imm(g)));
		break;
	default:
		vg_emit(g, BPF_LDX_MEM(vg_sizes[si], v, reg, off));
		break;
	}
}

static void vg_map_block(struct vg *g)
{
	int m = (int)vg_rnd(g, 2);
	int ks = m ? 8 : 4;
	if (vg_chance(g, 70))
		vg_emit(g, BPF_ST_MEM(ks == 8 ? BPF_DW : BPF_W, BPF_REG_10, (int16_t)-ks, (int32_t)vg_rnd(g, 6)));
	else
		vg_emit(g, BPF_STX_MEM(ks == 8 ? BPF_DW : BPF_W, BPF_REG_10, vg_sreg(g), (int16_t)-ks));
	vg_emit(g, BPF_MOV64_REG(BPF_REG_2, BPF_REG_10));
	vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, vg_bad(g) ? -ks + 4 : -ks));
	vg_map(g, BPF_REG_1, m);
	vg_emit(g, BPF_CALL_HELPER(BPF_FUNC_map_lookup_elem));
	size_t j = 0;
	int checked = !vg_bad(g);
	if (checked) {
		j = g->n;
		vg_emit(g, BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0));
	}
	uint32_t saved = g->busy;
	g->busy |= 1u << 0;
	vg_refill(g);
	int n = 1 + (int)vg_rnd(g, 3);
	for (int i = 0; i < n; i++) {
		if (vg_chance(g, 70)) {
			vg_emit(g, BPF_MOV64_REG(BPF_REG_3, BPF_REG_0));
			g->busy |= 1u << 3;
			vg_access(g, BPF_REG_3, m ? VG_VAL1 : VG_VAL0, 1);
			g->busy &= ~(1u << 3);
		} else {
			vg_item(g);
		}
	}
	if (vg_chance(g, 20)) /* keep the pointer */
		vg_emit(g, BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, -440));
	g->busy = saved;
	if (checked)
		vg_patch(g, j);
	vg_refill(g);
	if (!vg_bad(g)) /* r0 no longer holds the pointer */
		vg_emit(g, BPF_MOV64_IMM(BPF_REG_0, vg_imm(g)));
}

static void vg_pkt_block(struct vg *g)
{
	int k = 1 + (int)vg_rnd(g, 40);
	int r = 1;
	vg_emit(g, BPF_MOV64_REG(r, BPF_REG_7));
	if (vg_chance(g, 30)) {
		/* a variable offset first */
		vg_emit(g, BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_6, 12));
		vg_emit(g, BPF_ALU64_IMM(BPF_AND, BPF_REG_2, (int32_t)((1u << vg_rnd(g, 6)) - 1)));
		vg_emit(g, BPF_ALU64_REG(BPF_ADD, r, BPF_REG_2));
	}
	vg_emit(g, BPF_MOV64_REG(BPF_REG_4, r));
	vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, k));
	static const uint8_t cmp[] = { BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE };
	uint8_t op = cmp[vg_rnd(g, 4)];
	size_t j = g->n;
	bool swapped = op == BPF_JLT || op == BPF_JLE;
	/* jump away when out of bounds */
	if (swapped)
		vg_emit(g, BPF_JMP_REG(op, BPF_REG_8, BPF_REG_4, 0));
	else
		vg_emit(g, BPF_JMP_REG(op, BPF_REG_4, BPF_REG_8, 0));
	uint32_t saved = g->busy;
	g->busy |= (1u << 1) | (1u << 4);
	int n = 1 + (int)vg_rnd(g, 3);
	int range = k + ((op == BPF_JGE || op == BPF_JLE) ? 1 : 0);
	if (vg_bad(g))
		range++;
	for (int i = 0; i < n; i++)
		if (range > 0)
			vg_access(g, BPF_REG_1, range, 0);
	g->busy = saved;
	vg_patch(g, j);
	if (!vg_bad(g)) {
		vg_emit(g, BPF_MOV64_IMM(BPF_REG_1, vg_imm(g)));
		vg_emit(g, BPF_MOV64_IMM(BPF_REG_4, vg_imm(g)));
	}
}

static void vg_block(struct vg *g, int items)
{
	for (int i = 0; i < items && !g->overflow; i++)
		vg_item(g);
}

static void vg_if(struct vg *g)
{
	static const uint8_t ops[] = { BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
				       BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET };
	uint8_t op = ops[vg_rnd(g, sizeof(ops))];
	int is32 = vg_chance(g, 25);
	int a = vg_sreg(g), b = vg_sreg(g);
	size_t j = g->n;
	if (vg_chance(g, 60))
		vg_emit(g, is32 ? BPF_JMP32_IMM(op, a, vg_imm(g), 0) : BPF_JMP_IMM(op, a, vg_imm(g), 0));
	else
		vg_emit(g, is32 ? BPF_JMP32_REG(op, a, b, 0) : BPF_JMP_REG(op, a, b, 0));
	g->depth++;
	vg_block(g, 1 + (int)vg_rnd(g, 3));
	if (vg_chance(g, 40)) {
		size_t k = g->n;
		vg_emit(g, BPF_JMP_A(0));
		vg_patch(g, j);
		vg_block(g, 1 + (int)vg_rnd(g, 3));
		vg_patch(g, k);
	} else {
		vg_patch(g, j);
	}
	g->depth--;
}

static void vg_loop(struct vg *g)
{
	if (g->busy & (1u << 9))
		return vg_alu(g);
	int bound = 1 + (int)vg_rnd(g, 24);
	vg_emit(g, BPF_MOV64_IMM(BPF_REG_9, vg_chance(g, 1) ? vg_imm(g) : 0));
	size_t top = g->n;
	uint32_t saved = g->busy;
	g->busy |= 1u << 9;
	g->depth++;
	g->in_loop++;
	vg_block(g, 1 + (int)vg_rnd(g, 2));
	g->in_loop--;
	g->depth--;
	g->busy = saved;
	vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_9, vg_chance(g, 1) ? (int)vg_rnd(g, 3) : 1));
	size_t j = g->n;
	if (!vg_chance(g, 1))
		vg_emit(g, BPF_JMP_IMM(vg_chance(g, 50) ? BPF_JLT : BPF_JNE, BPF_REG_9, bound, 0));
	else
		vg_emit(g, BPF_JMP_REG(BPF_JLT, BPF_REG_9, vg_sreg(g), 0));
	g->in[j].off = (int16_t)((long)top - (long)j - 1);
}

static void vg_fp_arith(struct vg *g)
{
	if (g->busy & (1u << 9))
		return vg_stack(g);
	int v = vg_sreg(g);
	vg_emit(g, BPF_MOV64_REG(BPF_REG_9, BPF_REG_10));
	if (vg_chance(g, 50)) {
		vg_emit(g, BPF_ALU64_IMM(BPF_AND, v, (int32_t)(vg_bad(g) ? 0xff : 0x38)));
		vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_9, -64 - 8 * (int)vg_rnd(g, 4)));
		vg_emit(g, BPF_ALU64_REG(BPF_ADD, BPF_REG_9, v));
	} else {
		vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_9, -8 * (int)vg_rnd(g, 9) - (vg_bad(g) ? 1 : 0)));
	}
	int si = (int)vg_rnd(g, 4);
	int16_t off = (int16_t)(-(int)vg_rnd(g, 3) * vg_size_bytes[si]);
	if (vg_bad(g))
		off = (int16_t)(off + 1);
	if (vg_chance(g, 50))
		vg_emit(g, BPF_STX_MEM(vg_sizes[si], BPF_REG_9, v, off));
	else
		vg_emit(g, BPF_LDX_MEM(vg_sizes[si], v, BPF_REG_9, off));
}

static void vg_spill(struct vg *g)
{
	int16_t off = (int16_t)(-400 - 8 * (int)vg_rnd(g, 6));
	int r = vg_sreg(g);
	int src = vg_chance(g, 50) ? BPF_REG_6 : BPF_REG_10;
	vg_emit(g, BPF_STX_MEM(vg_bad(g) ? BPF_W : BPF_DW, BPF_REG_10, src, off));
	vg_emit(g, BPF_LDX_MEM(vg_bad(g) ? BPF_W : BPF_DW, r, BPF_REG_10, off));
	if (!vg_bad(g))
		vg_emit(g, BPF_LDX_MEM(BPF_W, r, r, src == BPF_REG_6 ? 0 : -8));
}

static void vg_atomic(struct vg *g)
{
	static const int ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG };
	int op = ops[vg_rnd(g, 7)];
	int size = vg_chance(g, 60) ? BPF_DW : BPF_W;
	int16_t off = vg_stack_off(g, size == BPF_DW ? 8 : 4);
	int r = vg_sreg(g);
	if (op == BPF_CMPXCHG && (g->busy & 1))
		op = BPF_ADD;
	vg_emit(g, BPF_ATOMIC_OP(size, op, BPF_REG_10, r, off));
}

static void vg_helper(struct vg *g)
{
	if (g->busy & 0x3f)
		return vg_alu(g);
	vg_emit(g, BPF_CALL_HELPER(vg_chance(g, 70) ? BPF_FUNC_get_prandom_u32 : BPF_FUNC_ktime_get_ns));
	if (vg_chance(g, 60))
		vg_emit(g, BPF_ALU64_IMM(BPF_AND, BPF_REG_0, (int32_t)((1u << vg_rnd(g, 10)) - 1)));
	vg_refill(g);
}

static void vg_call(struct vg *g)
{
	if (g->ncalls >= 16 || (g->busy & 0x3f))
		return vg_alu(g);
	vg_emit(g, BPF_MOV64_IMM(BPF_REG_1, vg_imm(g)));
	g->calls[g->ncalls++] = g->n;
	vg_emit(g, BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
	vg_refill(g);
}


/* A value chosen on two branches, maybe spilled and filled, maybe copied,
 * then used as an offset into the stack or a map value: precision tracking
 * and pruning must keep the two branches apart. */
static void vg_choose_then_use(struct vg *g)
{
	int a = vg_sreg(g), b;
	uint32_t saved = g->busy;
	do
		b = vg_sreg(g);
	while (b == a && g->type == BPF_PROG_TYPE_SOCKET_FILTER && vg_chance(g, 90));
	if (b == a)
		return vg_alu(g);
	int32_t c1 = -8 * (int32_t)(1 + vg_rnd(g, 60)), c2 = -8 * (int32_t)(1 + vg_rnd(g, 60));
	if (vg_bad(g))
		c2 = vg_chance(g, 50) ? 0 : -520;
	if (vg_chance(g, 50)) {
		int32_t t = c1;
		c1 = c2;
		c2 = t;
	}
	size_t j = g->n;
	vg_emit(g, BPF_JMP_IMM(vg_chance(g, 50) ? BPF_JGT : BPF_JSLT, a, vg_imm(g), 0));
	vg_emit(g, BPF_MOV64_IMM(b, c1));
	size_t k = g->n;
	vg_emit(g, BPF_JMP_A(0));
	vg_patch(g, j);
	vg_emit(g, BPF_MOV64_IMM(b, c2));
	vg_patch(g, k);
	g->busy |= 1u << b;
	int spilled = vg_chance(g, 30);
	if (spilled)
		vg_emit(g, BPF_STX_MEM(BPF_DW, BPF_REG_10, b, -456));
	vg_block(g, (int)vg_rnd(g, 3));
	if (spilled)
		vg_emit(g, BPF_LDX_MEM(BPF_DW, b, BPF_REG_10, -456));
	int c = b;
	if (vg_chance(g, 30)) { /* a copy carries the value */
		c = vg_sreg(g);
		if (c != b)
			vg_emit(g, BPF_MOV64_REG(c, b));
	}
	if (!(g->busy & (1u << 9))) {
		vg_emit(g, BPF_MOV64_REG(BPF_REG_9, BPF_REG_10));
		vg_emit(g, BPF_ALU64_REG(BPF_ADD, BPF_REG_9, c));
		vg_emit(g, vg_chance(g, 50) ? BPF_ST_MEM(BPF_DW, BPF_REG_9, 0, 1) : BPF_LDX_MEM(BPF_DW, b, BPF_REG_9, 0));
	}
	g->busy = saved;
}

/* An offset computed by a chain of operations and bounded by a (maybe
 * 32-bit, maybe signed) comparison, used on the stack. */
static void vg_computed_offset(struct vg *g)
{
	if (g->busy & (1u << 9))
		return vg_alu(g);
	int v = vg_sreg(g);
	int steps = 1 + (int)vg_rnd(g, 3);
	for (int i = 0; i < steps; i++) {
		switch (vg_rnd(g, 6)) {
		case 0: vg_emit(g, BPF_ALU64_IMM(BPF_AND, v, (int32_t)((1u << vg_rnd(g, 10)) - 1))); break;
		case 1: vg_emit(g, BPF_ALU32_IMM(BPF_AND, v, (int32_t)((1u << vg_rnd(g, 10)) - 1))); break;
		case 2: vg_emit(g, BPF_ALU64_IMM(BPF_LSH, v, (int32_t)vg_rnd(g, 4))); break;
		case 3: vg_emit(g, BPF_ALU64_IMM(BPF_RSH, v, (int32_t)vg_rnd(g, 8))); break;
		case 4: vg_emit(g, BPF_ALU64_IMM(BPF_ADD, v, (int32_t)vg_rnd(g, 16) - 8)); break;
		default: vg_emit(g, ((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = (uint8_t)v,
						     .src_reg = (uint8_t)v, .off = (int16_t)(vg_chance(g, 50) ? 8 : 16) })); break;
		}
	}
	static const uint8_t ops[] = { BPF_JGT, BPF_JGE, BPF_JSGT, BPF_JSGE };
	int bound = 8 * (int)(1 + vg_rnd(g, 60));
	if (vg_bad(g))
		bound += 8 * (int)(1 + vg_rnd(g, 4));
	size_t j = g->n;
	int is32 = vg_chance(g, 30);
	vg_emit(g, is32 ? BPF_JMP32_IMM(ops[vg_rnd(g, 4)], v, bound - 8, 0) : BPF_JMP_IMM(ops[vg_rnd(g, 4)], v, bound - 8, 0));
	if (vg_chance(g, 60) && !is32) {
		size_t j2 = g->n; /* the lower bound too, for signed values */
		vg_emit(g, BPF_JMP_IMM(BPF_JSLT, v, 0, 0));
		vg_emit(g, BPF_MOV64_REG(BPF_REG_9, BPF_REG_10));
		vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_9, -bound));
		vg_emit(g, BPF_ALU64_REG(BPF_ADD, BPF_REG_9, v));
		vg_emit(g, BPF_LDX_MEM(BPF_B, v, BPF_REG_9, 0));
		vg_patch(g, j2);
	} else {
		vg_emit(g, BPF_MOV64_REG(BPF_REG_9, BPF_REG_10));
		vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_9, -bound));
		vg_emit(g, BPF_ALU64_REG(BPF_ADD, BPF_REG_9, v));
		vg_emit(g, BPF_ST_MEM(BPF_B, BPF_REG_9, 0, 7));
	}
	vg_patch(g, j);
}

/* bpf_loop with a callback (appended at the end) that updates a counter
 * in the caller's stack. */
static void vg_loop_cb(struct vg *g)
{
	if (g->ncalls >= 16 || (g->busy & 0x3f))
		return vg_alu(g);
	if (vg_chance(g, 70))
		vg_emit(g, BPF_MOV64_IMM(BPF_REG_1, (int32_t)vg_rnd(g, 12)));
	else
		vg_emit(g, BPF_ALU64_IMM(BPF_AND, BPF_REG_1, 15));
	g->calls[g->ncalls++] = g->n | (1u << 29);
	vg_emit(g, BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_FUNC, 0, 0));
	vg_emit(g, BPF_RAW_INSN(0, 0, 0, 0, 0));
	if (vg_chance(g, 80)) {
		vg_emit(g, BPF_ST_MEM(BPF_DW, BPF_REG_10, -472, 0));
		vg_emit(g, BPF_MOV64_REG(BPF_REG_3, BPF_REG_10));
		vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_3, -472));
	} else {
		vg_emit(g, BPF_MOV64_IMM(BPF_REG_3, 0));
	}
	vg_emit(g, BPF_MOV64_IMM(BPF_REG_4, 0));
	vg_emit(g, BPF_CALL_HELPER(BPF_FUNC_loop));
	vg_refill(g);
	if (!vg_bad(g) && !(g->busy & 1))
		vg_emit(g, BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, -472));
}

/* A call that gets a pointer to the caller's stack and writes through it. */
static void vg_call_ptr(struct vg *g)
{
	if (g->ncalls >= 16 || (g->busy & 0x3f))
		return vg_alu(g);
	vg_emit(g, BPF_MOV64_REG(BPF_REG_1, BPF_REG_10));
	vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, -8 * (int)(1 + vg_rnd(g, 8)) - (vg_bad(g) ? 512 : 0)));
	g->calls[g->ncalls++] = g->n | (1u << 30);
	vg_emit(g, BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
	vg_refill(g);
}

/* An unknown value through a chain of random ALU operations (32- and
 * 64-bit, sign extension, byte swaps, multiplication, shifts), then one or
 * two random comparisons, then used as an offset from the middle of the
 * stack: where the range arithmetic of two verifiers differs. */
static void vg_arith_offset(struct vg *g)
{
	if (g->busy & (1u << 9))
		return vg_alu(g);
	int v = vg_sreg(g);
	if (vg_chance(g, 50))
		vg_emit(g, BPF_LDX_MEM(vg_sizes[vg_rnd(g, 3)], v, BPF_REG_6, g->type == BPF_PROG_TYPE_XDP ? 12 : 0));
	int steps = 1 + (int)vg_rnd(g, 4);
	for (int i = 0; i < steps; i++) {
		int is64 = vg_chance(g, 60);
		static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH };
		uint8_t op = ops[vg_rnd(g, sizeof(ops))];
		int32_t imm;
		switch (op) {
		case BPF_LSH: case BPF_RSH: case BPF_ARSH: imm = (int32_t)vg_rnd(g, is64 ? 64 : 32); break;
		case BPF_MUL: imm = (int32_t)vg_rnd(g, 9) - 2; break;
		case BPF_AND: imm = (int32_t)((1u << vg_rnd(g, 12)) - 1); break;
		default: imm = vg_imm(g); break;
		}
		switch (vg_rnd(g, 8)) {
		case 0:
			vg_emit(g, ((struct bpf_insn){ .code = (uint8_t)((is64 ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X),
						       .dst_reg = (uint8_t)v, .src_reg = (uint8_t)v,
						       .off = (int16_t)(is64 ? (8 << vg_rnd(g, 3)) : (8 << vg_rnd(g, 2))) }));
			break;
		case 1:
			vg_emit(g, BPF_ENDIAN(vg_chance(g, 50) ? BPF_TO_BE : BPF_TO_LE, v, 16 << vg_rnd(g, 3)));
			break;
		case 2:
			vg_emit(g, is64 ? BPF_ALU64_IMM(BPF_NEG, v, 0) : BPF_ALU32_IMM(BPF_NEG, v, 0));
			break;
		default:
			vg_emit(g, is64 ? BPF_ALU64_IMM(op, v, imm) : BPF_ALU32_IMM(op, v, imm));
			break;
		}
	}
	static const uint8_t cmp[] = { BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JEQ,
				       BPF_JNE, BPF_JSET };
	size_t jumps[2];
	int nj = 1 + (int)vg_rnd(g, 2);
	for (int i = 0; i < nj; i++) {
		jumps[i] = g->n;
		int32_t k = vg_chance(g, 70) ? (int32_t)vg_rnd(g, 300) - 20 : vg_imm(g);
		vg_emit(g, vg_chance(g, 30) ? BPF_JMP32_IMM(cmp[vg_rnd(g, sizeof(cmp))], v, k, 0)
					    : BPF_JMP_IMM(cmp[vg_rnd(g, sizeof(cmp))], v, k, 0));
	}
	vg_emit(g, BPF_MOV64_REG(BPF_REG_9, BPF_REG_10));
	vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_9, -256));
	vg_emit(g, BPF_ALU64_REG(BPF_ADD, BPF_REG_9, v));
	vg_emit(g, vg_chance(g, 50) ? BPF_ST_MEM(BPF_B, BPF_REG_9, 0, 3) : BPF_LDX_MEM(BPF_B, v, BPF_REG_9, 0));
	for (int i = 0; i < nj; i++)
		vg_patch(g, jumps[i]);
}

static void vg_item(struct vg *g)
{
	if (g->overflow)
		return;
	uint32_t k = vg_rnd(g, 100);
	if (g->depth > 3 && k >= 40 && k < 70)
		k = 0;
	if (g->in_loop && k >= 42)
		k = vg_rnd(g, 42); /* no branches, calls or nested loops in loop bodies */
	if (k < 24)
		k < 3 ? vg_arith_offset(g) : vg_alu(g);
	else if (k < 36)
		vg_stack(g);
	else if (k < 42)
		vg_ctx(g);
	else if (k < 52)
		vg_if(g);
	else if (k < 60 && !(g->busy & 0x3f))
		vg_map_block(g);
	else if (k < 68 && g->type == BPF_PROG_TYPE_XDP)
		vg_pkt_block(g);
	else if (k < 72)
		vg_loop(g);
	else if (k < 77)
		vg_fp_arith(g);
	else if (k < 81)
		vg_spill(g);
	else if (k < 85)
		vg_atomic(g);
	else if (k < 89)
		vg_helper(g);
	else if (k < 91)
		vg_call(g);
	else if (k < 94)
		vg_choose_then_use(g);
	else if (k < 97)
		vg_computed_offset(g);
	else if (k < 98)
		k & 1 ? vg_call_ptr(g) : vg_loop_cb(g);
	else
		vg_arith_offset(g);
}

/* A whole program; returns its length in slots. */
static size_t vg_program(struct vg *g, uint64_t seed, uint32_t type)
{
	memset(g, 0, sizeof(*g));
	g->s = seed;
	g->type = type;
	g->busy = (1u << 6) | (type == BPF_PROG_TYPE_XDP ? (1u << 7) | (1u << 8) : 0);
	vg_emit(g, BPF_MOV64_REG(BPF_REG_6, BPF_REG_1));
	if (type == BPF_PROG_TYPE_XDP) {
		vg_emit(g, BPF_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_6, 0));
		vg_emit(g, BPF_LDX_MEM(BPF_W, BPF_REG_8, BPF_REG_6, 4));
	}
	/* registers: constants, and values the verifier cannot know */
	for (int r = 0; r <= 9; r++) {
		if (g->busy & (1u << r) || r == 9)
			continue;
		switch (vg_rnd(g, 5)) {
		case 0: vg_lddw(g, r, vg_next(g)); break;
		case 1: vg_emit(g, BPF_LDX_MEM(BPF_W, r, BPF_REG_6, type == BPF_PROG_TYPE_XDP ? 16 : 0)); break;
		case 2: vg_emit(g, BPF_LDX_MEM(BPF_W, r, BPF_REG_6, type == BPF_PROG_TYPE_XDP ? 12 : 4 * (int)vg_rnd(g, 12))); break;
		case 3: if (!vg_bad(g)) vg_emit(g, BPF_MOV64_IMM(r, vg_imm(g))); break;
		default: vg_emit(g, BPF_MOV32_IMM(r, vg_imm(g))); break;
		}
	}
	int items = 4 + (int)vg_rnd(g, 28);
	vg_block(g, items);
	if (vg_chance(g, 97))
		vg_emit(g, BPF_MOV64_REG(BPF_REG_0, vg_sreg(g)));
	vg_emit(g, BPF_EXIT_INSN());
	if (g->ncalls) {
		/* the subprograms: r0 = f(r1) with a little stack and a branch;
		 * p(r1) writes through its pointer argument */
		int plain = 0, ptr = 0, cb = 0;
		for (int i = 0; i < g->ncalls; i++) {
			if (g->calls[i] & (1u << 30))
				ptr = 1;
			else if (g->calls[i] & (1u << 29))
				cb = 1;
			else
				plain = 1;
		}
		size_t start = g->n;
		if (plain) {
			vg_emit(g, BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, -8));
			vg_emit(g, BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, -8));
			vg_emit(g, BPF_ALU64_IMM(BPF_AND, BPF_REG_0, 0xff));
			vg_emit(g, BPF_JMP_IMM(BPF_JGT, BPF_REG_0, 100, 1));
			vg_emit(g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 1));
			vg_emit(g, BPF_EXIT_INSN());
		}
		size_t pstart = g->n;
		if (ptr) {
			vg_emit(g, BPF_ST_MEM(BPF_DW, BPF_REG_1, 0, 5));
			vg_emit(g, BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_1, 0));
			vg_emit(g, BPF_EXIT_INSN());
		}
		size_t cstart = g->n;
		if (cb) {
			/* callback(index, ctx): ctx may be NULL */
			vg_emit(g, BPF_MOV64_IMM(BPF_REG_0, 0));
			vg_emit(g, BPF_JMP_IMM(BPF_JEQ, BPF_REG_2, 0, 3));
			vg_emit(g, BPF_LDX_MEM(BPF_DW, BPF_REG_3, BPF_REG_2, 0));
			vg_emit(g, BPF_ALU64_REG(BPF_ADD, BPF_REG_3, BPF_REG_1));
			vg_emit(g, BPF_STX_MEM(BPF_DW, BPF_REG_2, BPF_REG_3, 0));
			if (vg_chance(g, 30))
				vg_emit(g, BPF_ALU64_IMM(BPF_AND, BPF_REG_1, vg_bad(g) ? 3 : 1));
			if (vg_chance(g, 30))
				vg_emit(g, BPF_MOV64_REG(BPF_REG_0, BPF_REG_1));
			vg_emit(g, BPF_EXIT_INSN());
		}
		for (int i = 0; i < g->ncalls; i++) {
			size_t at = g->calls[i] & ~((1u << 30) | (1u << 29));
			size_t to = (g->calls[i] & (1u << 30)) ? pstart : (g->calls[i] & (1u << 29)) ? cstart : start;
			g->in[at].imm = (int32_t)((long)to - (long)at - 1);
		}
	}
	return g->n;
}

#endif
