/* test_kernel_diff.c - differential test of bpfvm's engines against the Linux
 * kernel (the referee, through bpf(2): BPF_PROG_LOAD + BPF_PROG_TEST_RUN of a
 * socket filter).
 *
 * 1. Random programs, seeded and reproducible: a default list of seeds, or
 *    BPFVM_DIFF_SEED=S for one; BPFVM_DIFF_COUNT=N programs per seed. Each
 *    program sets r0-r5 and r7-r9 to random values (half of them hidden from
 *    the verifier, so that its branches run in the JIT instead of being
 *    decided at load time; r6 keeps the skb context for LD_ABS), initialises
 *    a window of the stack, runs a body of random ALU/ALU64, forward
 *    JMP/JMP32 (if/else blocks and plain forward jumps), stack loads, stores
 *    and atomics, LD_ABS/LD_IND and lddw, then folds every register and stack
 *    slot into r0 and exits. The kernel returns 32 bits, so each program is
 *    loaded twice, as is and with r0 >>= 32 before the exit; bpfvm's 64-bit
 *    r0 must match both halves, on the checked and the trusted engine, as a
 *    raw program given the packet and as a socket filter given the frame. A
 *    disagreement prints the packet, both results and the program, then a
 *    minimised program (BPFVM_DIFF_SAVE=file also writes its raw bytes).
 * 2. Fixed edge cases (divisors 0 and -1, INT_MIN, packet boundaries...),
 *    with the expected values taken from the kernel.
 * 3. Two Linux 6.18 bugs the random programs found, each checked against the
 *    kernel's own answer for the equivalent program that avoids the bug (the
 *    generator steers clear of both), and the SKF_NET_OFF/SKF_LL_OFF packet
 *    offsets, which bpfvm does not implement.
 * 4. The conformance programs (assembled.tsv) that use no memory, helpers,
 *    calls or packet loads, run as socket filters (BPFVM_DIFF_VERBOSE=1 lists
 *    the ones the kernel refuses).
 *
 * The packet: TEST_RUN treats data_in as an Ethernet frame and a socket
 * filter sees it from the network header, so LD_ABS offset 0 is frame byte
 * 14; bpfvm gets exactly that view (frame + 14).
 *
 * Skips (exit 77) when not root or when bpf(2) cannot load and run a trivial
 * socket filter. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isa.h"
#include "kernel_bpf.h"
#include "testutil.h"

#define ETH_HDR 14
#define MAX_SLOTS 4096
#define MAX_PKT 160

/* ---------------------------------------------------------------- PRNG */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n) /* uniform-ish in [0, n) */
{
	return n ? (uint32_t)(splitmix(s) % n) : 0;
}

static int32_t interesting_imm(uint64_t *s)
{
	static const int32_t vals[] = { 0, 1, -1, 2, -2, 7, INT32_MIN, INT32_MAX, INT32_MIN + 1, 0x80, 0xff, 0x7fff,
					0x8000, 0xffff, 0x10000, 31, 32, 63, 64, -32, -64, 0x55555555, 0x0f0f0f0f };
	switch (rnd(s, 4)) {
	case 0: return vals[rnd(s, sizeof(vals) / sizeof(vals[0]))];
	case 1: return (int32_t)rnd(s, 33) - 16;
	case 2: return (int32_t)((1u << rnd(s, 32)) - rnd(s, 2));
	default: return (int32_t)(uint32_t)splitmix(s);
	}
}

static uint64_t interesting_u64(uint64_t *s)
{
	static const uint64_t vals[] = { 0, 1, UINT64_MAX, 2, (uint64_t)INT64_MIN, (uint64_t)INT64_MAX,
					 0x80000000ULL, 0xffffffffULL, 0x100000000ULL, 0x7fffffffULL,
					 0xffffffff80000000ULL, 0xffffffff7fffffffULL, 0x8000000000000001ULL,
					 0x00000000ffff8000ULL, 0x0123456789abcdefULL };
	switch (rnd(s, 5)) {
	case 0: return vals[rnd(s, sizeof(vals) / sizeof(vals[0]))];
	case 1: return (uint64_t)(int64_t)interesting_imm(s);
	case 2: return (1ULL << rnd(s, 64)) - rnd(s, 2);
	case 3: return (uint64_t)(uint32_t)splitmix(s);
	default: return splitmix(s);
	}
}

/* ------------------------------------------------------- the generator */

/* Registers holding plain numbers; r6 keeps the context, r10 the frame. */
static const uint8_t value_regs[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9 };
#define NVALUE_REGS (sizeof(value_regs) / sizeof(value_regs[0]))

struct pending_jump {
	size_t slot;       /* the jump instruction */
	size_t target_item; /* item number it lands on */
	int is_ja32;       /* offset in imm (gotol) */
};

struct gen {
	uint64_t rng;
	struct bpf_insn insn[MAX_SLOTS];
	size_t n;
	size_t items;         /* body items emitted so far */
	size_t body_items;    /* planned number of body items */
	size_t body_start;    /* first slot after the register and stack set-up */
	int stack_slots;      /* initialised 8-byte slots: [r10 - 8 * stack_slots, r10) */
	size_t pkt_len;       /* what the program sees (frame - 14) */
	struct pending_jump pend[512];
	size_t npend;
	int overflow;
};

static void emit(struct gen *g, struct bpf_insn in)
{
	if (g->n < MAX_SLOTS - 2)
		g->insn[g->n++] = in;
	else
		g->overflow = 1;
}

static void emit_lddw(struct gen *g, int dst, uint64_t v)
{
	struct bpf_insn pair[2] = { BPF_LD_IMM64(dst, v) };
	emit(g, pair[0]);
	emit(g, pair[1]);
}

/* Points the jump at slot (the current end) to g->n. */
static void patch_to_here(struct gen *g, size_t slot, int is_ja32)
{
	long off = (long)g->n - (long)slot - 1;
	if (is_ja32)
		g->insn[slot].imm = (int32_t)off;
	else
		g->insn[slot].off = (int16_t)off;
}

/* Starts a body item: jumps aimed at this item land here. Items are the
 * units jumps may target, so multi-slot items (lddw, LD_ABS + re-init) are
 * never entered in the middle. */
static void item_begin(struct gen *g)
{
	for (size_t i = 0; i < g->npend;) {
		if (g->pend[i].target_item <= g->items) {
			patch_to_here(g, g->pend[i].slot, g->pend[i].is_ja32);
			g->pend[i] = g->pend[--g->npend];
		} else {
			i++;
		}
	}
	g->items++;
}

static void add_pending(struct gen *g, size_t slot, size_t target_item, int is_ja32)
{
	if (g->npend < sizeof(g->pend) / sizeof(g->pend[0]))
		g->pend[g->npend++] = (struct pending_jump){ slot, target_item, is_ja32 };
	else
		patch_to_here(g, slot, is_ja32); /* cannot happen with the sizes used; keep it valid anyway */
}

static int value_reg(struct gen *g)
{
	return value_regs[rnd(&g->rng, NVALUE_REGS)];
}

static void set_random(struct gen *g, int reg)
{
	switch (rnd(&g->rng, 3)) {
	case 0: emit_lddw(g, reg, interesting_u64(&g->rng)); break;
	case 1: emit(g, BPF_MOV64_IMM(reg, interesting_imm(&g->rng))); break;
	default: emit(g, BPF_MOV32_IMM(reg, interesting_imm(&g->rng))); break;
	}
}

/* A stack offset aligned to size, inside the initialised window. */
static int16_t stack_off(struct gen *g, int size)
{
	int slot = 1 + (int)rnd(&g->rng, (uint32_t)g->stack_slots);
	int sub = (int)rnd(&g->rng, (uint32_t)(8 / size)) * size;
	return (int16_t)(-8 * slot + sub);
}

static const uint8_t sizes[4] = { BPF_B, BPF_H, BPF_W, BPF_DW };
static const int size_bytes[4] = { 1, 2, 4, 8 };

static void gen_alu(struct gen *g)
{
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
				       BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH };
	int is64 = rnd(&g->rng, 2);
	uint8_t cls = is64 ? BPF_ALU64 : BPF_ALU;
	int dst = value_reg(g), src = value_reg(g);
	uint32_t kind = rnd(&g->rng, 20);
	if (kind < 2) { /* neg */
		emit(g, BPF_RAW_INSN(cls | BPF_NEG | BPF_K, dst, 0, 0, 0));
		return;
	}
	if (kind < 4) { /* byte swaps */
		static const int widths[] = { 16, 32, 64 };
		int w = widths[rnd(&g->rng, 3)];
		switch (rnd(&g->rng, 3)) {
		case 0: emit(g, BPF_ENDIAN(BPF_TO_LE, dst, w)); break;
		case 1: emit(g, BPF_ENDIAN(BPF_TO_BE, dst, w)); break;
		default: emit(g, BPF_BSWAP(dst, w)); break;
		}
		return;
	}
	if (kind < 6) { /* sign-extending moves */
		if (is64)
			emit(g, BPF_MOVSX64_REG(dst, src, 8 << rnd(&g->rng, 3)));
		else
			emit(g, BPF_MOVSX32_REG(dst, src, 8 << rnd(&g->rng, 2)));
		return;
	}
	if (kind < 9) { /* signed and unsigned division/modulo, with the edge operands */
		uint8_t op = rnd(&g->rng, 2) ? BPF_DIV : BPF_MOD;
		int16_t sgn = (int16_t)rnd(&g->rng, 2);
		if (rnd(&g->rng, 3) == 0) /* dividend INT_MIN (64 or 32 bit) */
			emit_lddw(g, dst, rnd(&g->rng, 2) ? (uint64_t)INT64_MIN : 0x80000000ULL | (splitmix(&g->rng) << 32));
		if (rnd(&g->rng, 2)) {
			int32_t k;
			do
				k = rnd(&g->rng, 2) ? -1 : interesting_imm(&g->rng);
			while (k == 0); /* the kernel refuses a constant divisor 0 */
			emit(g, BPF_RAW_INSN(cls | op | BPF_K, dst, 0, sgn, k));
		} else {
			switch (rnd(&g->rng, 4)) {
			case 0: emit(g, BPF_MOV64_IMM(src, 0)); break;
			case 1: emit(g, BPF_MOV64_IMM(src, -1)); break;
			case 2: emit(g, BPF_MOV32_IMM(src, -1)); break; /* -1 only in the low half */
			default: break;
			}
			emit(g, BPF_RAW_INSN(cls | op | BPF_X, dst, src, sgn, 0));
		}
		return;
	}
	uint8_t op = ops[rnd(&g->rng, sizeof(ops) / sizeof(ops[0]))];
	if (rnd(&g->rng, 2)) {
		emit(g, BPF_RAW_INSN(cls | op | BPF_X, dst, src, 0, 0));
		return;
	}
	int32_t k = interesting_imm(&g->rng);
	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
		k = (int32_t)rnd(&g->rng, is64 ? 64 : 32); /* the kernel refuses larger constant shifts */
	if ((op == BPF_DIV || op == BPF_MOD) && k == 0)
		k = 1;
	emit(g, BPF_RAW_INSN(cls | op | BPF_K, dst, 0, 0, k));
}

static uint8_t jump_op(struct gen *g)
{
	static const uint8_t ops[] = { BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
				       BPF_JSET, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE };
	return ops[rnd(&g->rng, sizeof(ops) / sizeof(ops[0]))];
}

/* A conditional jump with a placeholder offset; returns its slot. A third
 * of them first give their operands related values (equal, off by one, equal
 * in one half only, a single bit), so that both outcomes, and the 32-bit and
 * 64-bit views of the same registers, come up. */
static size_t emit_cond_jump(struct gen *g)
{
	uint8_t cls = rnd(&g->rng, 2) ? BPF_JMP : BPF_JMP32;
	uint8_t op = jump_op(g);
	int dst = value_reg(g), src = value_reg(g);
	int use_reg = rnd(&g->rng, 2);
	int32_t imm = interesting_imm(&g->rng);
	if (rnd(&g->rng, 3) == 0) {
		uint64_t v = interesting_u64(&g->rng), w;
		switch (rnd(&g->rng, 6)) {
		case 0: w = v; break;
		case 1: w = v + 1; break;
		case 2: w = v - 1; break;
		case 3: w = v ^ (splitmix(&g->rng) << 32); break;         /* same low half */
		case 4: w = v ^ (uint32_t)splitmix(&g->rng); break;       /* same high half */
		default: w = 1ULL << rnd(&g->rng, 64); break;             /* one bit (jset) */
		}
		emit_lddw(g, dst, v);
		if (use_reg) {
			if (src == dst)
				src = dst == 9 ? 8 : 9;
			emit_lddw(g, src, w);
		} else {
			imm = (int32_t)(uint32_t)w;
		}
	}
	size_t slot = g->n;
	if (use_reg)
		emit(g, BPF_RAW_INSN(cls | op | BPF_X, dst, src, 0, 0));
	else
		emit(g, BPF_RAW_INSN(cls | op | BPF_K, dst, 0, 0, imm));
	return slot;
}

static void gen_stack(struct gen *g)
{
	int si = (int)rnd(&g->rng, 4);
	uint8_t sz = sizes[si];
	int16_t off = stack_off(g, size_bytes[si]);
	switch (rnd(&g->rng, 5)) {
	case 0:
		emit(g, BPF_ST_MEM(sz, BPF_REG_10, off, interesting_imm(&g->rng)));
		break;
	case 1:
		emit(g, BPF_STX_MEM(sz, BPF_REG_10, value_reg(g), off));
		break;
	case 2:
		emit(g, BPF_LDX_MEM(sz, value_reg(g), BPF_REG_10, off));
		break;
	case 3: /* sign-extending loads exist for 1, 2 and 4 bytes */
		if (sz == BPF_DW) {
			sz = BPF_W;
			off = stack_off(g, 4);
		}
		emit(g, BPF_LDX_MEMSX(sz, value_reg(g), BPF_REG_10, off));
		break;
	default: { /* load-acquire / store-release (all sizes) */
		if (rnd(&g->rng, 2))
			emit(g, BPF_LOAD_ACQUIRE(sz, value_reg(g), BPF_REG_10, off));
		else
			emit(g, BPF_STORE_RELEASE(sz, BPF_REG_10, value_reg(g), off));
		break;
	}
	}
}

static void gen_atomic(struct gen *g)
{
	static const int32_t ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR };
	int dw = rnd(&g->rng, 2);
	int16_t off = stack_off(g, dw ? 8 : 4);
	int src = value_reg(g);
	int32_t op;
	uint32_t kind = rnd(&g->rng, 4);
	int fetch = kind < 2 || rnd(&g->rng, 2);
	/* Linux 6.18 does not carry precision from a fetching atomic's result
	 * back to the stack slot it read (test_atomic_fetch_precision), which
	 * can make its verifier prune a path wrongly and drop reachable code.
	 * The kernel is only exposed when the slot holds a constant it tracks:
	 * a non-fetching atomic first turns the slot into unknown data. */
	if (fetch)
		emit(g, BPF_ATOMIC_OP(dw ? BPF_DW : BPF_W, ops[rnd(&g->rng, 4)], BPF_REG_10, value_reg(g), off));
	switch (kind) {
	case 0: op = BPF_XCHG; break;
	case 1:
		op = BPF_CMPXCHG;
		if (rnd(&g->rng, 2)) { /* make the comparison succeed (for a 32-bit one: in the low half) */
			emit(g, BPF_LDX_MEM(dw ? BPF_DW : BPF_W, BPF_REG_0, BPF_REG_10, off));
			if (!dw && rnd(&g->rng, 2)) {
				int t = src == 9 ? 8 : 9;
				emit_lddw(g, t, splitmix(&g->rng) << 32);
				emit(g, BPF_ALU64_REG(BPF_XOR, BPF_REG_0, t));
			}
		}
		break;
	default: op = ops[rnd(&g->rng, 4)] | (fetch ? BPF_FETCH : 0); break;
	}
	emit(g, BPF_ATOMIC_OP(dw ? BPF_DW : BPF_W, op, BPF_REG_10, src, off));
	/* Linux 6.18 on x86-64 leaves r0's upper half in place after a 32-bit
	 * cmpxchg that succeeds, when its verifier misses the later 64-bit
	 * use of r0 (see test_cmpxchg32_pruned_use). Clear it here so that the
	 * random programs compare everything else; that test and the fixed
	 * cases cover the zero-extension itself. */
	if (!dw && op == BPF_CMPXCHG)
		emit(g, BPF_MOV32_REG(BPF_REG_0, BPF_REG_0));
}

/* A packet offset: mostly in bounds, often at the edge, sometimes far out
 * (never in the kernel's SKF_NET_OFF/SKF_LL_OFF windows, which bpfvm does not
 * implement). */
static int32_t pkt_off(struct gen *g, int size)
{
	int32_t len = (int32_t)g->pkt_len;
	uint32_t k = rnd(&g->rng, 40);
	if (k < 4 || len < size) { /* out of bounds: the program ends with 0 */
		switch (k & 3) {
		case 0: return len - size + 1 + (int32_t)rnd(&g->rng, (uint32_t)size); /* straddles the end */
		case 1: return len + (int32_t)rnd(&g->rng, 64);
		case 2: return -(int32_t)(1 + rnd(&g->rng, 32));
		default: return rnd(&g->rng, 2) ? INT32_MIN : INT32_MAX;
		}
	}
	if (k < 10)
		return rnd(&g->rng, 2) ? len - size : 0; /* first and last in bounds */
	return (int32_t)rnd(&g->rng, (uint32_t)(len - size + 1));
}

/* LD_ABS/LD_IND, then r1-r5 get fresh values: the kernel treats them as
 * clobbered by the load (it is a helper call underneath). */
static void gen_packet(struct gen *g)
{
	int si = (int)rnd(&g->rng, 3);
	uint8_t sz = sizes[si];
	int size = size_bytes[si];
	if (rnd(&g->rng, 2)) {
		emit(g, BPF_LD_ABS(sz, pkt_off(g, size)));
	} else {
		int src = value_reg(g);
		uint32_t how = rnd(&g->rng, 16);
		int32_t imm;
		if (how < 15) { /* src holds a known offset, imm adds to it */
			int32_t want = pkt_off(g, size);
			int32_t part = (int32_t)rnd(&g->rng, 40) - 8;
			if (how < 5) /* src carries garbage in its high half: only the low 32 bits count */
				emit_lddw(g, src, ((uint64_t)splitmix(&g->rng) << 32) | ((uint32_t)want - (uint32_t)part));
			else
				emit(g, BPF_MOV64_IMM(src, (int32_t)((uint32_t)want - (uint32_t)part)));
			imm = part;
		} else { /* whatever src holds */
			imm = (int32_t)rnd(&g->rng, 16);
		}
		emit(g, BPF_LD_IND(sz, src, imm));
	}
	for (int r = 1; r <= 5; r++)
		set_random(g, r);
}

static void gen_block(struct gen *g, size_t nitems, int depth);

/* One body item (may be a nested if/else, which is several items). */
static void gen_item(struct gen *g, int depth, size_t budget, size_t *used)
{
	uint32_t k = rnd(&g->rng, 100);
	*used = 1;
	if (k < 8 && depth < 3 && budget >= 4) { /* if (cond) { A } else { B } */
		item_begin(g);
		size_t j = emit_cond_jump(g);
		size_t a = 1 + rnd(&g->rng, (uint32_t)(budget - 2) / 2);
		size_t b = 1 + rnd(&g->rng, (uint32_t)(budget - 2 - a));
		gen_block(g, a, depth + 1);
		item_begin(g);
		size_t ja = g->n;
		int is32 = rnd(&g->rng, 2);
		emit(g, is32 ? BPF_JMP32_A(0) : BPF_JMP_A(0));
		patch_to_here(g, j, 0);
		gen_block(g, b, depth + 1);
		patch_to_here(g, ja, is32);
		*used = 2 + a + b;
		return;
	}
	item_begin(g);
	if (k < 20) { /* forward conditional jump over a few items, not necessarily nested */
		size_t j = emit_cond_jump(g);
		add_pending(g, j, g->items + rnd(&g->rng, 6), 0);
	} else if (k < 22) {
		emit(g, BPF_JMP_A(0));
	} else if (k < 55) {
		gen_alu(g);
	} else if (k < 60) {
		emit_lddw(g, value_reg(g), interesting_u64(&g->rng));
	} else if (k < 75) {
		gen_stack(g);
	} else if (k < 90) {
		gen_atomic(g);
	} else {
		gen_packet(g);
	}
}

static void gen_block(struct gen *g, size_t nitems, int depth)
{
	size_t done = 0;
	while (done < nitems) {
		size_t used;
		gen_item(g, depth, nitems - done, &used);
		done += used;
	}
}

/* Builds one program for packet length pkt_len (what the program sees).
 * The result ends in a single exit (the last slot). */
static void generate(struct gen *g, uint64_t seed, size_t pkt_len)
{
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	g->pkt_len = pkt_len;
	emit(g, BPF_MOV64_REG(BPF_REG_6, BPF_REG_1));
	/* Random values; about half of them "blinded": stored to the deepest
	 * stack slot, or-ed with 0 by an atomic (after which the verifier no
	 * longer knows the slot's value) and loaded back. Without that the
	 * verifier knows every register and turns most conditional jumps into
	 * unconditional ones before the JIT sees them. */
	emit(g, BPF_MOV64_IMM(BPF_REG_1, 0));
	for (size_t i = 0; i < NVALUE_REGS; i++) {
		int r = value_regs[(i + 2) % NVALUE_REGS]; /* r1 last: it holds 0 until then */
		set_random(g, r);
		if (r != BPF_REG_1 && rnd(&g->rng, 2)) {
			emit(g, BPF_STX_MEM(BPF_DW, BPF_REG_10, r, -512));
			emit(g, BPF_ATOMIC_OP(BPF_DW, BPF_OR, BPF_REG_10, BPF_REG_1, -512));
			emit(g, BPF_LDX_MEM(BPF_DW, r, BPF_REG_10, -512));
		}
	}
	g->stack_slots = 1 + (int)rnd(&g->rng, rnd(&g->rng, 4) ? 8 : 64);
	for (int s = 1; s <= g->stack_slots; s++) {
		switch (rnd(&g->rng, 3)) {
		case 0:
			emit(g, BPF_ST_MEM(BPF_DW, BPF_REG_10, (int16_t)(-8 * s), interesting_imm(&g->rng)));
			break;
		case 1:
			emit(g, BPF_STX_MEM(BPF_DW, BPF_REG_10, value_reg(g), (int16_t)(-8 * s)));
			break;
		default:
			emit(g, BPF_ST_MEM(BPF_W, BPF_REG_10, (int16_t)(-8 * s), interesting_imm(&g->rng)));
			emit(g, BPF_STX_MEM(BPF_W, BPF_REG_10, value_reg(g), (int16_t)(-8 * s + 4)));
			break;
		}
	}
	g->body_start = g->n;
	g->body_items = 5 + rnd(&g->rng, 60);
	gen_block(g, g->body_items, 0);
	item_begin(g);
	for (size_t i = 0; i < g->npend; i++) /* jumps past the last body item land on the fold */
		patch_to_here(g, g->pend[i].slot, g->pend[i].is_ja32);
	g->npend = 0;
	/* fold: r0 = r0 * C ^ rN for every value register, then every stack slot */
	for (size_t i = 1; i < NVALUE_REGS; i++) {
		emit(g, BPF_ALU64_IMM(BPF_MUL, BPF_REG_0, (int32_t)0x9e3779b1));
		emit(g, BPF_ALU64_REG(BPF_XOR, BPF_REG_0, value_regs[i]));
	}
	for (int s = 1; s <= g->stack_slots; s++) {
		emit(g, BPF_LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, (int16_t)(-8 * s)));
		emit(g, BPF_ALU64_IMM(BPF_MUL, BPF_REG_0, (int32_t)0x9e3779b1));
		emit(g, BPF_ALU64_REG(BPF_XOR, BPF_REG_0, BPF_REG_1));
	}
	emit(g, BPF_EXIT_INSN());
}

/* ------------------------------------------------- running both sides */

/* bpfvm's ways to run a program on the kernel's view of the packet: the raw
 * program type with the packet given as LD_ABS data, and the socket-filter
 * type (which sees its frame from byte 0, as a packet socket) given the frame
 * without its Ethernet header; each on the checked and the trusted engine. */
enum { RUN_RAW_CHECKED, RUN_RAW_TRUSTED, RUN_SKB_CHECKED, RUN_SKB_TRUSTED, NRUNS };
static const char *const run_names[NRUNS] = { "raw checked", "raw trusted", "socket filter checked",
					      "socket filter trusted" };

/* SKF_WINDOW: a disagreement on a program whose LD_ABS/LD_IND used the
 * kernel's SKF_NET_OFF/SKF_LL_OFF offsets (see skf_window_hit). */
enum verdict { AGREE, DISAGREE, REFUSED, KERNEL_ERROR, SKF_WINDOW };

struct outcome {
	uint64_t kernel;          /* both halves of the kernel's r0 */
	int bpfvm_rc[NRUNS];      /* per bpfvm run (RUN_*) */
	uint64_t bpfvm[NRUNS];
	struct bpfvm_error err[NRUNS];
	char log[16384];          /* verifier log when refused (its tail: the kernel rotates it) */
	int kernel_errno;
};

/* The same program returning r0 >> 32: every exit becomes a jump to an
 * appended `r0 >>= 32; exit`, so no other offset changes. */
static size_t high_half_variant(const struct bpf_insn *in, size_t n, struct bpf_insn *out)
{
	memcpy(out, in, n * sizeof(*in));
	for (size_t i = 0; i < n; i++) {
		if (in[i].code == (BPF_LD | BPF_DW | BPF_IMM)) {
			i++;
			continue;
		}
		if (in[i].code == (BPF_JMP | BPF_EXIT))
			out[i] = BPF_JMP_A((int16_t)(n - i - 1));
	}
	out[n] = BPF_ALU64_IMM(BPF_RSH, BPF_REG_0, 32);
	out[n + 1] = BPF_EXIT_INSN();
	return n + 2;
}

static int kernel_run(const struct bpf_insn *insns, size_t n, const uint8_t *frame, size_t frame_len,
		      struct outcome *oc)
{
	static struct bpf_insn high[MAX_SLOTS + 2];
	uint32_t half[2];
	size_t nh = high_half_variant(insns, n, high);
	for (int v = 0; v < 2; v++) {
		int fd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, v ? high : insns, v ? nh : n, oc->log,
					sizeof(oc->log));
		if (fd < 0) {
			oc->kernel_errno = -fd;
			return REFUSED;
		}
		int rc = kbpf_test_run(fd, frame, frame_len, 1, &half[v], NULL);
		close(fd);
		if (rc < 0) {
			oc->kernel_errno = -rc;
			snprintf(oc->log, sizeof(oc->log), "BPF_PROG_TEST_RUN failed: %s", strerror(-rc));
			return KERNEL_ERROR;
		}
	}
	oc->kernel = (uint64_t)half[1] << 32 | half[0];
	return AGREE;
}

static bpfvm_env *the_env;

static int bpfvm_side(const struct bpf_insn *insns, size_t n, const uint8_t *frame, size_t frame_len, int how,
		      uint64_t *r0, struct bpfvm_error *err)
{
	int trusted = how == RUN_RAW_TRUSTED || how == RUN_SKB_TRUSTED;
	int skb = how >= RUN_SKB_CHECKED;
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "diff", .flags = trusted ? BPFVM_PROG_F_TRUSTED : BPFVM_PROG_F_NO_VERIFY,
				      .type = skb ? BPF_PROG_TYPE_SOCKET_FILTER : BPFVM_PROG_TYPE_RAW };
	bpfvm_prog *prog = NULL;
	int rc = bpfvm_prog_load(the_env, insns, n, &po, &prog, err);
	if (rc)
		return rc;
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = BPFVM_ENGINE_INTERP };
	if (skb) {
		ro.frame = frame + ETH_HDR;
		ro.frame_len = frame_len - ETH_HDR;
	} else {
		ro.packet = frame + ETH_HDR;
		ro.packet_len = frame_len - ETH_HDR;
	}
	rc = bpfvm_prog_run(prog, &ro, r0, err);
	bpfvm_prog_free(prog);
	return rc;
}

/* The kernel's negative LD_ABS/LD_IND offsets: SKF_NET_OFF + k reads the
 * network header + k, SKF_LL_OFF + k the link-layer header + k (here: the
 * frame + k). bpfvm treats every negative offset as out of bounds. */
#define KDIFF_SKF_NET_OFF (-0x100000)
#define KDIFF_SKF_LL_OFF (-0x200000)

struct skf_probe {
	size_t pkt_len;
	int hit;
};

static void skf_trace(void *cookie, size_t pc, const struct bpf_insn *in, const uint64_t regs[11])
{
	struct skf_probe *p = cookie;
	(void)pc;
	int mode = BPF_MODE(in->code);
	if (BPF_CLASS(in->code) != BPF_LD || (mode != BPF_ABS && mode != BPF_IND))
		return;
	int size = BPF_SIZE(in->code) == BPF_B ? 1 : BPF_SIZE(in->code) == BPF_H ? 2 : 4;
	int64_t k = mode == BPF_ABS ? in->imm : (int32_t)(uint32_t)(regs[in->src_reg] + (uint64_t)(int64_t)in->imm);
	if (k >= KDIFF_SKF_NET_OFF && k < 0)
		p->hit |= k - KDIFF_SKF_NET_OFF + size <= (int64_t)p->pkt_len;
	else if (k >= KDIFF_SKF_LL_OFF && k < KDIFF_SKF_NET_OFF)
		p->hit |= k - KDIFF_SKF_LL_OFF + size <= (int64_t)p->pkt_len + ETH_HDR;
}

/* 1 when a packet load of the program (as bpfvm runs it) used an offset
 * inside the kernel's SKF_NET_OFF/SKF_LL_OFF windows that the kernel would
 * have served from the packet. */
static int skf_window_hit(const struct bpf_insn *insns, size_t n, const uint8_t *frame, size_t frame_len)
{
	struct skf_probe probe = { frame_len - ETH_HDR, 0 };
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "skf", .flags = BPFVM_PROG_F_NO_VERIFY };
	bpfvm_prog *prog = NULL;
	if (bpfvm_prog_load(the_env, insns, n, &po, &prog, NULL))
		return 0;
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .packet = frame + ETH_HDR, .packet_len = frame_len - ETH_HDR,
				     .trace = skf_trace, .trace_cookie = &probe };
	uint64_t r0;
	bpfvm_prog_run(prog, &ro, &r0, NULL);
	bpfvm_prog_free(prog);
	return probe.hit;
}

/* Runs insns in the kernel and every bpfvm way; fills oc. */
static enum verdict compare(const struct bpf_insn *insns, size_t n, const uint8_t *frame, size_t frame_len,
			    struct outcome *oc)
{
	memset(oc, 0, sizeof(*oc));
	int k = kernel_run(insns, n, frame, frame_len, oc);
	if (k != AGREE)
		return (enum verdict)k;
	enum verdict v = AGREE;
	for (int e = 0; e < NRUNS; e++) {
		oc->bpfvm_rc[e] = bpfvm_side(insns, n, frame, frame_len, e, &oc->bpfvm[e], &oc->err[e]);
		if (oc->bpfvm_rc[e] != 0 || oc->bpfvm[e] != oc->kernel)
			v = DISAGREE;
	}
	if (v == DISAGREE && skf_window_hit(insns, n, frame, frame_len))
		v = SKF_WINDOW;
	return v;
}

/* ------------------------------------------------------------ reports */

/* The line of a verifier log that says why: the last one before the
 * "processed N insns" statistics. */
static void log_reason(const char *log, char *out, size_t len)
{
	const char *best = NULL, *p = log;
	size_t best_len = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l && strncmp(p, "processed ", 10) != 0 && strncmp(p, "verification time", 17) != 0 &&
		    strncmp(p, "stack depth", 11) != 0) {
			best = p;
			best_len = l;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!best) {
		snprintf(out, len, "(empty verifier log)");
		return;
	}
	snprintf(out, len, "%.*s", (int)(best_len > 300 ? 300 : best_len), best);
}

static int is_nop(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_JA) && in->off == 0 && in->imm == 0 && in->dst_reg == 0 && in->src_reg == 0;
}

static void dump_program(const struct bpf_insn *insns, size_t n, int skip_nops)
{
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *in = &insns[pc];
		if (skip_nops && is_nop(in))
			continue;
		char text[128];
		int w = bpfvm_disasm_insn(insns, n, pc, BPFVM_SYNTAX_LLVM, 0, text, sizeof(text));
		if (w < 0)
			snprintf(text, sizeof(text), "(?)");
		printf("    %4zu: %02x %x %x %6d %11d   %s\n", pc, in->code, in->dst_reg, in->src_reg, in->off, in->imm,
		       text);
		if (w == 2) {
			pc++;
			printf("    %4zu: %02x %x %x %6d %11d\n", pc, insns[pc].code, insns[pc].dst_reg, insns[pc].src_reg,
			       insns[pc].off, insns[pc].imm);
		}
	}
}

static void dump_outcome(const struct outcome *oc)
{
	printf("    kernel:  r0 = 0x%016" PRIx64 "\n", oc->kernel);
	for (int e = 0; e < NRUNS; e++) {
		if (oc->bpfvm_rc[e]) {
			char buf[400];
			printf("    bpfvm %s: error %s\n", run_names[e], bpfvm_error_format(&oc->err[e], buf, sizeof(buf)));
		} else {
			printf("    bpfvm %s: r0 = 0x%016" PRIx64 "%s\n", run_names[e], oc->bpfvm[e],
			       oc->bpfvm[e] == oc->kernel ? "" : "   <-- differs");
		}
	}
}

static void dump_frame(const uint8_t *frame, size_t len)
{
	printf("    frame (%zu bytes; the program sees it from byte %d):", len, ETH_HDR);
	for (size_t i = 0; i < len; i++)
		printf("%s%02x", i % 32 ? "" : "\n      ", frame[i]);
	printf("\n");
}

/* Copies in[0..n) to out without its `ja +0` slots, retargeting the jumps
 * (a jump to a removed slot goes to the next kept one). Returns the count. */
static size_t compact(const struct bpf_insn *in, size_t n, struct bpf_insn *out)
{
	size_t *idx = malloc((n + 1) * sizeof(*idx));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		idx[i] = m;
		m += !is_nop(&in[i]);
	}
	idx[n] = m;
	m = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_nop(&in[i]))
			continue;
		struct bpf_insn x = in[i];
		uint8_t cls = BPF_CLASS(x.code), op = BPF_OP(x.code);
		int is_lddw_hi = i > 0 && in[i - 1].code == (BPF_LD | BPF_DW | BPF_IMM);
		if (!is_lddw_hi && (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT) {
			int ja32 = cls == BPF_JMP32 && op == BPF_JA;
			long t = (long)i + 1 + (ja32 ? x.imm : x.off);
			if (t >= 0 && t <= (long)n) {
				long off = (long)idx[t] - (long)m - 1;
				if (ja32)
					x.imm = (int32_t)off;
				else
					x.off = (int16_t)off;
			}
		}
		out[m++] = x;
	}
	free(idx);
	return m;
}

/* 1 when the minimiser may remove slot pc of the set-up (before keep): the
 * value moves and loads, but not r6 = r1 or r1 = 0 (without them the
 * context pointer would leak into the values) and not the stack stores
 * (without them the kernel would read uninitialised stack, allowed to root). */
static int removable_setup(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code);
	if (cls == BPF_LDX || in->code == (BPF_LD | BPF_DW | BPF_IMM))
		return 1;
	return (cls == BPF_ALU || cls == BPF_ALU64) && in->dst_reg != BPF_REG_1 && in->dst_reg != BPF_REG_6;
}

/* A disagreement in which the bpfvm runs agree among themselves (else the
 * program depends on where its context or memory lives). */
static int clean_disagreement(const struct outcome *oc)
{
	for (int e = 1; e < NRUNS; e++)
		if (oc->bpfvm_rc[e] != oc->bpfvm_rc[0] || oc->bpfvm[e] != oc->bpfvm[0])
			return 0;
	return 1;
}

/* Greedy minimisation: replace slots by `ja +0` (keeps every offset) while
 * the kernel still accepts the program and bpfvm still disagrees. Before
 * slot keep (the set-up) only what removable_setup allows goes. */
static void minimise(struct bpf_insn *insns, size_t n, size_t keep, const uint8_t *frame, size_t frame_len)
{
	static struct outcome oc;
	int changed = 1;
	while (changed) {
		changed = 0;
		for (size_t pc = 0; pc + 1 < n; pc++) {
			if (is_nop(&insns[pc]) || (pc < keep && !removable_setup(&insns[pc])))
				continue;
			int two = insns[pc].code == (BPF_LD | BPF_DW | BPF_IMM);
			struct bpf_insn save[2] = { insns[pc], insns[pc + 1] };
			insns[pc] = BPF_JMP_A(0);
			if (two)
				insns[pc + 1] = BPF_JMP_A(0);
			if (compare(insns, n, frame, frame_len, &oc) == DISAGREE && clean_disagreement(&oc)) {
				changed = 1;
			} else {
				insns[pc] = save[0];
				if (two)
					insns[pc + 1] = save[1];
			}
			if (two)
				pc++;
		}
	}
	const char *save = getenv("BPFVM_DIFF_SAVE"); /* raw bytes of the minimised program, for bpftool & co */
	FILE *f = save ? fopen(save, "wb") : NULL;
	if (f) {
		fwrite(insns, sizeof(*insns), n, f);
		fclose(f);
		printf("  minimised program (with its ja +0 fillers) written to %s\n", save);
	}
	struct bpf_insn *small = malloc(n * sizeof(*small));
	size_t ns = compact(insns, n, small);
	if (compare(small, ns, frame, frame_len, &oc) == DISAGREE && clean_disagreement(&oc)) {
		printf("  minimised:\n");
		dump_program(small, ns, 0);
		dump_outcome(&oc);
		printf("  as C:\n");
		for (size_t pc = 0; pc < ns; pc++)
			printf("\t\tBPF_RAW_INSN(0x%02x, %d, %d, %d, %d),\n", small[pc].code, small[pc].dst_reg,
			       small[pc].src_reg, small[pc].off, small[pc].imm);
	} else { /* without the fillers it no longer disagrees: show it with them */
		compare(insns, n, frame, frame_len, &oc);
		printf("  minimised (the ja +0 fillers left out; indices are the original slots):\n");
		dump_program(insns, n, 1);
		dump_outcome(&oc);
	}
	free(small);
}

/* With do_minimise, also prints a minimised program; keep as for
 * minimise(). */
static void report_disagreement(const char *what, const struct bpf_insn *insns, size_t n, const uint8_t *frame,
				size_t frame_len, const struct outcome *oc, int do_minimise, size_t keep)
{
	printf("DISAGREEMENT: %s\n", what);
	dump_frame(frame, frame_len);
	dump_outcome(oc);
	printf("  program (%zu slots):\n", n);
	dump_program(insns, n, 0);
	if (do_minimise) {
		struct bpf_insn *copy = malloc(n * sizeof(*copy));
		memcpy(copy, insns, n * sizeof(*copy));
		minimise(copy, n, keep, frame, frame_len);
		free(copy);
	}
	fflush(stdout);
}

/* ----------------------------------------------- 1. random programs */

static unsigned long env_ulong(const char *name, unsigned long dflt, int *given)
{
	const char *v = getenv(name);
	if (given)
		*given = v && *v;
	if (!v || !*v)
		return dflt;
	char *end;
	unsigned long x = strtoul(v, &end, 0);
	return *end ? dflt : x;
}

/* The Ethernet type: TEST_RUN refuses (EINVAL) an IPv4 frame shorter than
 * 14 + 20 bytes and an IPv6 one shorter than 14 + 40; other types (0x88b5,
 * "local experimental") may be as short as the Ethernet header. */
static void set_ethertype(uint8_t *frame, size_t len, int prefer_ipv4)
{
	int ipv4 = prefer_ipv4 && len >= ETH_HDR + 20;
	frame[12] = ipv4 ? 0x08 : 0x88;
	frame[13] = ipv4 ? 0x00 : 0xb5;
}

static void random_frame(uint64_t *rng, uint8_t *frame, size_t *len)
{
	uint32_t k = rnd(rng, 8);
	*len = k < 5 ? 64 : ETH_HDR + rnd(rng, MAX_PKT - ETH_HDR + 1);
	for (size_t i = 0; i < *len; i++)
		frame[i] = (uint8_t)splitmix(rng);
	set_ethertype(frame, *len, rnd(rng, 4) != 0);
}

static void test_random_programs(void **state)
{
	(void)state;
	static const uint64_t default_seeds[] = { 1, 2, 3, 0x5eedf00d };
	int seed_given;
	unsigned long one_seed = env_ulong("BPFVM_DIFF_SEED", 0, &seed_given);
	uint64_t given_seed = one_seed;
	const uint64_t *seeds = default_seeds;
	size_t nseeds = sizeof(default_seeds) / sizeof(default_seeds[0]);
	if (seed_given) {
		seeds = &given_seed;
		nseeds = 1;
	}
	unsigned long count = env_ulong("BPFVM_DIFF_COUNT", seed_given ? 4000 : 1000, NULL);

	static struct gen g;
	static struct outcome oc;
	static unsigned long covered[BPFVM_OP__COUNT];
	unsigned long total_agree = 0, total_disagree = 0, total_refused = 0, zero_results = 0, slots = 0, skf = 0;
	int refusals_shown = 0;
	for (size_t si = 0; si < nseeds; si++) {
		uint64_t seed = seeds[si];
		unsigned long agree = 0, disagree = 0, refused = 0;
		for (unsigned long i = 0; i < count; i++) {
			uint64_t rng = seed * 0x100000001b3ULL ^ (i + 1) * 0x9e3779b97f4a7c15ULL;
			uint8_t frame[MAX_PKT];
			size_t frame_len;
			random_frame(&rng, frame, &frame_len);
			generate(&g, splitmix(&rng), frame_len - ETH_HDR);
			assert_false(g.overflow);
			enum verdict v = compare(g.insn, g.n, frame, frame_len, &oc);
			if (v == REFUSED || v == KERNEL_ERROR) {
				refused++;
				if (refusals_shown++ < 5) {
					char why[320];
					log_reason(oc.log, why, sizeof(why));
					printf("  kernel refused seed %" PRIu64 " program %lu (%s): %s\n", seed, i,
					       strerror(oc.kernel_errno), why);
				}
				continue;
			}
			for (size_t pc = 0; pc < g.n; pc++) {
				int op = isa_lookup(&g.insn[pc]);
				if (op >= 0) {
					covered[op]++;
					pc += (size_t)isa_is_lddw(op);
				}
			}
			if (v == AGREE) {
				agree++;
				zero_results += oc.kernel == 0;
				slots += g.n;
				continue;
			}
			if (v == SKF_WINDOW) {
				if (skf++ < 3)
					printf("  seed %" PRIu64 " program %lu: an LD_ABS/LD_IND offset fell in the kernel's "
					       "SKF_NET_OFF/SKF_LL_OFF window (kernel r0 = 0x%" PRIx64 ", bpfvm 0x%" PRIx64
					       "); bpfvm does not implement those, not counted\n", seed, i, oc.kernel,
					       oc.bpfvm[0]);
				continue;
			}
			disagree++;
			if (disagree <= 3) {
				char what[128];
				snprintf(what, sizeof(what), "seed %" PRIu64 " program %lu (BPFVM_DIFF_SEED=%" PRIu64
					 " BPFVM_DIFF_COUNT=%lu reproduces it)", seed, i, seed, i + 1);
				report_disagreement(what, g.insn, g.n, frame, frame_len, &oc, 1, g.body_start);
			}
		}
		printf("kernel differential: %lu agreed, %lu disagreed, %lu refused (seed %" PRIu64 ")\n", agree, disagree,
		       refused, seed);
		total_agree += agree;
		total_disagree += disagree;
		total_refused += refused;
	}
	unsigned long total = total_agree + total_disagree + total_refused + skf;
	printf("kernel differential total: %lu programs, %lu agreed, %lu disagreed, %lu refused (%.2f%%)\n", total,
	       total_agree, total_disagree, total_refused, total ? 100.0 * (double)total_refused / (double)total : 0.0);
	if (skf)
		printf("%lu programs used the kernel's SKF_NET_OFF/SKF_LL_OFF packet offsets, which bpfvm does not "
		       "implement (not counted above)\n", skf);
	printf("agreed programs: %.1f slots on average; %lu returned 0 (an out-of-bounds packet load ends a program "
	       "with 0)\n", total_agree ? (double)slots / (double)total_agree : 0.0, zero_results);
	int ncov = 0, nmissing = 0;
	char missing[2048] = "";
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		if (covered[op]) {
			ncov++;
		} else if (strlen(missing) + strlen(isa_table[op].name) + 2 < sizeof(missing)) {
			strcat(missing, " ");
			strcat(missing, isa_table[op].name);
			nmissing++;
		}
	}
	printf("instruction forms in the accepted programs: %d of %d; not generated:%s\n", ncov,
	       (int)BPFVM_OP__COUNT, missing);
	fflush(stdout);
	assert_int_equal(total_disagree, 0);
	/* the generator must produce programs the kernel takes */
	assert_true(total_refused * 20 <= total);
}

/* ---------------------------------------------- 2. fixed edge cases */

struct fixed_case {
	const char *name;
	size_t frame_len; /* 0: 64 */
	struct bpf_insn insn[24]; /* ends at the last exit; the rest is zero */
};

#define CASE(NAME, ...) { NAME, 0, { __VA_ARGS__ } }
#define CASE_LEN(NAME, LEN, ...) { NAME, LEN, { __VA_ARGS__ } }

static void test_fixed_cases(void **state)
{
	(void)state;
	/* automatic: the builder macros are compound literals */
	const struct fixed_case fixed_cases[] = {
	CASE("sdiv64 INT64_MIN / -1 (reg)", BPF_LD_IMM64(0, INT64_MIN), BPF_MOV64_IMM(1, -1),
	     BPF_ALU64_REG_OFF(BPF_DIV, 0, 1, 1), BPF_EXIT_INSN()),
	CASE("smod64 INT64_MIN % -1 (imm)", BPF_LD_IMM64(0, INT64_MIN), BPF_ALU64_IMM_OFF(BPF_MOD, 0, -1, 1),
	     BPF_EXIT_INSN()),
	CASE("sdiv32 INT32_MIN / -1, high half set", BPF_LD_IMM64(0, 0xdeadbeef80000000ULL), BPF_MOV32_IMM(1, -1),
	     BPF_ALU32_REG_OFF(BPF_DIV, 0, 1, 1), BPF_EXIT_INSN()),
	CASE("smod32 by 0 zero-extends", BPF_LD_IMM64(0, 0xfedcba9887654321ULL), BPF_MOV64_IMM(1, 0),
	     BPF_ALU32_REG_OFF(BPF_MOD, 0, 1, 1), BPF_EXIT_INSN()),
	CASE("mod64 by 0 keeps dst", BPF_LD_IMM64(0, 0xfedcba9887654321ULL), BPF_MOV64_IMM(1, 0),
	     BPF_ALU64_REG(BPF_MOD, 0, 1), BPF_EXIT_INSN()),
	CASE("div32 by a register whose low half is 0", BPF_MOV64_IMM(0, 77), BPF_LD_IMM64(1, 0x100000000ULL),
	     BPF_ALU32_REG(BPF_DIV, 0, 1), BPF_EXIT_INSN()),
	CASE("sdiv64 negative / positive rounds toward zero", BPF_MOV64_IMM(0, -7), BPF_ALU64_IMM_OFF(BPF_DIV, 0, 2, 1),
	     BPF_EXIT_INSN()),
	CASE("smod64 negative % negative", BPF_MOV64_IMM(0, -7), BPF_MOV64_IMM(1, -3),
	     BPF_ALU64_REG_OFF(BPF_MOD, 0, 1, 1), BPF_EXIT_INSN()),
	CASE("lsh64 by register 65 masks to 1", BPF_MOV64_IMM(0, 3), BPF_MOV64_IMM(1, 65), BPF_ALU64_REG(BPF_LSH, 0, 1),
	     BPF_EXIT_INSN()),
	CASE("arsh32 by register 33 masks to 1", BPF_MOV32_IMM(0, INT32_MIN), BPF_MOV64_IMM(1, 33),
	     BPF_ALU32_REG(BPF_ARSH, 0, 1), BPF_EXIT_INSN()),
	CASE("neg64 INT64_MIN", BPF_LD_IMM64(0, INT64_MIN), BPF_ALU64_IMM(BPF_NEG, 0, 0), BPF_EXIT_INSN()),
	CASE("movsx32 8 clears the high half", BPF_LD_IMM64(1, 0xffffffff00000080ULL), BPF_MOVSX32_REG(0, 1, 8),
	     BPF_EXIT_INSN()),
	CASE("movsx64 32", BPF_MOV32_IMM(1, INT32_MIN), BPF_MOVSX64_REG(0, 1, 32), BPF_EXIT_INSN()),
	CASE("be16 / le16 / bswap16", BPF_LD_IMM64(0, 0x1122334455667788ULL), BPF_ENDIAN(BPF_TO_BE, 0, 16),
	     BPF_LD_IMM64(1, 0x1122334455667788ULL), BPF_ENDIAN(BPF_TO_LE, 1, 16), BPF_ALU64_IMM(BPF_LSH, 1, 16),
	     BPF_ALU64_REG(BPF_OR, 0, 1), BPF_LD_IMM64(2, 0x1122334455667788ULL), BPF_BSWAP(2, 16),
	     BPF_ALU64_IMM(BPF_LSH, 2, 32), BPF_ALU64_REG(BPF_OR, 0, 2), BPF_EXIT_INSN()),
	CASE("bswap64", BPF_LD_IMM64(0, 0x0102030405060708ULL), BPF_BSWAP(0, 64), BPF_EXIT_INSN()),
	CASE("ldxsw sign-extends from the stack", BPF_MOV64_IMM(1, -5), BPF_STX_MEM(BPF_W, 10, 1, -4),
	     BPF_LDX_MEMSX(BPF_W, 0, 10, -4), BPF_EXIT_INSN()),
	CASE("cmpxchg32 miss zero-extends r0", BPF_LD_IMM64(1, 0x1111111122222222ULL), BPF_STX_MEM(BPF_DW, 10, 1, -8),
	     BPF_LD_IMM64(0, 0xffffffff00000000ULL), BPF_MOV64_IMM(2, 5),
	     BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, 10, 2, -8), BPF_LDX_MEM(BPF_DW, 3, 10, -8),
	     BPF_ALU64_REG(BPF_XOR, 0, 3), BPF_EXIT_INSN()),
	CASE("cmpxchg32 hit zero-extends r0", BPF_MOV64_IMM(1, 0x3f), BPF_STX_MEM(BPF_DW, 10, 1, -8),
	     BPF_LD_IMM64(0, 0xaaaaaaaa0000003fULL), BPF_MOV64_IMM(2, 5), BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, 10, 2, -8),
	     BPF_LDX_MEM(BPF_DW, 3, 10, -8), BPF_ALU64_IMM(BPF_LSH, 3, 8), BPF_ALU64_REG(BPF_XOR, 0, 3), BPF_EXIT_INSN()),
	CASE("fetch-add32 zero-extends src", BPF_MOV64_IMM(1, -1), BPF_STX_MEM(BPF_DW, 10, 1, -8), BPF_MOV64_IMM(0, 1),
	     BPF_ATOMIC_OP(BPF_W, BPF_ADD | BPF_FETCH, 10, 0, -8), BPF_LDX_MEM(BPF_DW, 2, 10, -8),
	     BPF_ALU64_IMM(BPF_LSH, 2, 1), BPF_ALU64_REG(BPF_XOR, 0, 2), BPF_EXIT_INSN()),
	CASE("jsgt32 compares the low halves signed", BPF_LD_IMM64(1, 0x00000000ffffffffULL), BPF_MOV64_IMM(0, 1),
	     BPF_JMP32_IMM(BPF_JSGT, 1, 0, 1), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()),
	CASE("gotol (the jeq keeps the skipped insn reachable for the verifier)", BPF_MOV64_IMM(0, 1),
	     BPF_JMP_IMM(BPF_JEQ, 0, 2, 1), BPF_JMP32_A(1), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()),
	CASE_LEN("ldabsw at the last in-bounds offset", 64, BPF_MOV64_REG(6, 1), BPF_LD_ABS(BPF_W, 64 - ETH_HDR - 4),
		 BPF_EXIT_INSN()),
	CASE_LEN("ldabsw one byte past the end returns 0", 64, BPF_MOV64_REG(6, 1), BPF_MOV64_IMM(0, 9),
		 BPF_LD_ABS(BPF_W, 64 - ETH_HDR - 3), BPF_MOV64_IMM(0, 9), BPF_EXIT_INSN()),
	CASE_LEN("ldabsb at a negative offset returns 0", 64, BPF_MOV64_REG(6, 1), BPF_LD_ABS(BPF_B, -1),
		 BPF_MOV64_IMM(0, 9), BPF_EXIT_INSN()),
	CASE_LEN("ldindh uses the low 32 bits of src + imm", 64, BPF_MOV64_REG(6, 1),
		 BPF_LD_IMM64(7, 0x1234567800000010ULL), BPF_LD_IND(BPF_H, 7, 2), BPF_EXIT_INSN()),
	CASE_LEN("ldindb with src + imm wrapping to a small offset", 64, BPF_MOV64_REG(6, 1), BPF_MOV64_IMM(7, -1),
		 BPF_LD_IND(BPF_B, 7, 5), BPF_EXIT_INSN()),
	CASE_LEN("ldabsb on an empty payload returns 0", ETH_HDR, BPF_MOV64_REG(6, 1), BPF_MOV64_IMM(0, 9),
		 BPF_LD_ABS(BPF_B, 0), BPF_MOV64_IMM(0, 9), BPF_EXIT_INSN()),
	};
	static struct outcome oc;
	int bad = 0, refused = 0;
	size_t ncases = sizeof(fixed_cases) / sizeof(fixed_cases[0]);
	for (size_t i = 0; i < ncases; i++) {
		const struct fixed_case *c = &fixed_cases[i];
		size_t n = sizeof(c->insn) / sizeof(c->insn[0]);
		while (n > 0 && c->insn[n - 1].code != (BPF_JMP | BPF_EXIT))
			n--;
		uint8_t frame[MAX_PKT];
		size_t len = c->frame_len ? c->frame_len : 64;
		for (size_t b = 0; b < len; b++)
			frame[b] = (uint8_t)(0x30 + b * 7);
		set_ethertype(frame, len, 1);
		enum verdict v = compare(c->insn, n, frame, len, &oc);
		if (v == REFUSED || v == KERNEL_ERROR) {
			char why[320];
			log_reason(oc.log, why, sizeof(why));
			printf("  fixed case \"%s\": kernel refused (%s): %s\n", c->name, strerror(oc.kernel_errno), why);
			refused++;
			continue;
		}
		if (v == DISAGREE || v == SKF_WINDOW) {
			bad++;
			report_disagreement(c->name, c->insn, n, frame, len, &oc, 0, 0);
		}
	}
	printf("fixed cases: %zu run, %d disagreed, %d refused\n", ncases, bad, refused);
	fflush(stdout);
	assert_int_equal(bad, 0);
	assert_int_equal(refused, 0);
}

/* A 32-bit cmpxchg that succeeds, with garbage in r0's upper half, whose
 * r0 reaches the exit on a path the verifier prunes. RFC 9669 and the kernel's
 * own docs say r0 receives the old value zero-extended; x86-64 cmpxchg leaves
 * rax alone on success, and the kernel's verifier adds the zero-extension
 * only where it saw r0 read as 64 bits (aux zext_dst), which it does not on a
 * pruned path. Linux 6.18 here returns the upper half unchanged. bpfvm must
 * return what the kernel returns for the same operation without the branch. */
static void test_cmpxchg32_pruned_use(void **state)
{
	(void)state;
	const struct bpf_insn branchy[] = {
		BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(3, 7), /* r3 = 7, unknown to the verifier: */
		BPF_STX_MEM(BPF_DW, 10, 3, -16), BPF_ATOMIC_OP(BPF_DW, BPF_OR, 10, 1, -16), BPF_LDX_MEM(BPF_DW, 3, 10, -16),
		BPF_MOV64_IMM(1, 0x3f), BPF_STX_MEM(BPF_DW, 10, 1, -8), BPF_LD_IMM64(0, 0xaaaaaaaa0000003fULL),
		BPF_MOV64_IMM(2, 5), BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, 10, 2, -8),
		BPF_JMP_IMM(BPF_JEQ, 3, 7, 1), BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN(),
	};
	const struct bpf_insn straight[] = {
		BPF_MOV64_IMM(1, 0x3f), BPF_STX_MEM(BPF_DW, 10, 1, -8), BPF_LD_IMM64(0, 0xaaaaaaaa0000003fULL),
		BPF_MOV64_IMM(2, 5), BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, 10, 2, -8), BPF_EXIT_INSN(),
	};
	static struct outcome ob, os;
	uint8_t frame[64] = { 0 };
	set_ethertype(frame, sizeof(frame), 0);
	enum verdict vb = compare(branchy, sizeof(branchy) / sizeof(branchy[0]), frame, sizeof(frame), &ob);
	enum verdict vs = compare(straight, sizeof(straight) / sizeof(straight[0]), frame, sizeof(frame), &os);
	assert_true(vb == AGREE || vb == DISAGREE);
	assert_int_equal(vs, AGREE);
	for (int e = 0; e < NRUNS; e++) {
		assert_int_equal(ob.bpfvm_rc[e], 0);
		assert_true(ob.bpfvm[e] == os.kernel);
	}
	if (ob.kernel != os.kernel)
		printf("note: this kernel's JIT returns r0 = 0x%016" PRIx64 " after a successful 32-bit cmpxchg whose "
		       "use of r0 the verifier pruned, 0x%016" PRIx64 " without the branch (a Linux bug: the upper half "
		       "is not cleared); bpfvm returns the latter\n", ob.kernel, os.kernel);
	else
		printf("cmpxchg32 with a pruned use of r0: the kernel zero-extends r0 (0x%016" PRIx64 ")\n", ob.kernel);
	fflush(stdout);
}

/* An atomic fetch from a stack slot holding a constant the verifier
 * tracks, on two paths that store different constants there. Linux 6.18's
 * precision backtracking treats the fetch's result register as an input of
 * the atomic instead of a load from the slot, so the stored constant is never
 * marked precise, the second path is pruned as "safe" where both paths meet,
 * and the branch only that path takes is removed as dead code: the program
 * returns 2 where it must return 1. bpfvm must return what the kernel
 * returns for the same program with the path fixed. */
static void test_atomic_fetch_precision(void **state)
{
	(void)state;
	/* r2 = 64, unknown to the verifier; r1 = r2 == 64 ? 1 << 40 : 0x0fff...;
	 * fp[-16] = r1; r8 = fetch_xor(fp[-16], 0); return w8 < 12 ? 1 : 2 */
	const struct bpf_insn branchy[] = {
		BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(2, 64),
		BPF_STX_MEM(BPF_DW, 10, 2, -512), BPF_ATOMIC_OP(BPF_DW, BPF_OR, 10, 1, -512), BPF_LDX_MEM(BPF_DW, 2, 10, -512),
		BPF_JMP_IMM(BPF_JEQ, 2, 64, 3), BPF_LD_IMM64(1, 0x0fffffffffffffffULL), BPF_JMP_A(2),
		BPF_LD_IMM64(1, 0x10000000000ULL),
		BPF_STX_MEM(BPF_DW, 10, 1, -16), BPF_MOV64_IMM(8, 0),
		BPF_ATOMIC_OP(BPF_DW, BPF_XOR | BPF_FETCH, 10, 8, -16),
		BPF_JMP32_IMM(BPF_JLT, 8, 12, 2), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(),
		BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN(),
	};
	const struct bpf_insn fixed[] = {
		BPF_LD_IMM64(1, 0x10000000000ULL),
		BPF_STX_MEM(BPF_DW, 10, 1, -16), BPF_MOV64_IMM(8, 0),
		BPF_ATOMIC_OP(BPF_DW, BPF_XOR | BPF_FETCH, 10, 8, -16),
		BPF_JMP32_IMM(BPF_JLT, 8, 12, 2), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(),
		BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN(),
	};
	static struct outcome ob, of;
	uint8_t frame[64] = { 0 };
	set_ethertype(frame, sizeof(frame), 0);
	enum verdict vb = compare(branchy, sizeof(branchy) / sizeof(branchy[0]), frame, sizeof(frame), &ob);
	enum verdict vf = compare(fixed, sizeof(fixed) / sizeof(fixed[0]), frame, sizeof(frame), &of);
	assert_true(vb == AGREE || vb == DISAGREE);
	assert_int_equal(vf, AGREE);
	for (int e = 0; e < NRUNS; e++) {
		assert_int_equal(ob.bpfvm_rc[e], 0);
		assert_true(ob.bpfvm[e] == of.kernel);
	}
	if (ob.kernel != of.kernel)
		printf("note: this kernel returns %" PRIu64 " for a fetch_xor whose stack slot differs between two "
		       "paths, %" PRIu64 " with the path fixed (a Linux verifier bug: precision is not carried from "
		       "an atomic fetch to its stack slot, so a reachable branch is dropped); bpfvm returns the latter\n",
		       ob.kernel, of.kernel);
	else
		printf("atomic fetch precision: the kernel agrees with the fixed-path program (%" PRIu64 ")\n", ob.kernel);
	fflush(stdout);
}

/* LD_ABS at SKF_NET_OFF and SKF_LL_OFF: the kernel reads the network header
 * and the Ethernet header. bpfvm implements both windows: a socket filter
 * given the whole frame (the packet-socket view) must read the kernel's
 * bytes; the raw runs here are given the frame without its Ethernet header,
 * so SKF_NET_OFF must read the kernel's bytes and SKF_LL_OFF (no link layer in
 * raw memory) must end the program with 0. The differential harness's socket
 * filter runs model TEST_RUN's view (data from the network header), in which
 * the windows do not exist: they are not compared here. */
static void test_skf_windows(void **state)
{
	(void)state;
	uint8_t frame[64];
	for (size_t b = 0; b < sizeof(frame); b++)
		frame[b] = (uint8_t)(0xa0 + b);
	set_ethertype(frame, sizeof(frame), 1);
	static const int32_t offs[] = { KDIFF_SKF_NET_OFF + 2, KDIFF_SKF_LL_OFF + 2 };
	static const char *const names[] = { "SKF_NET_OFF + 2", "SKF_LL_OFF + 2" };
	for (int i = 0; i < 2; i++) {
		const struct bpf_insn prog[] = { BPF_MOV64_REG(6, 1), BPF_LD_ABS(BPF_W, offs[i]), BPF_EXIT_INSN() };
		static struct outcome oc;
		(void)compare(prog, 3, frame, sizeof(frame), &oc);
		for (int e = RUN_RAW_CHECKED; e <= RUN_RAW_TRUSTED; e++) {
			assert_int_equal(oc.bpfvm_rc[e], 0);
			assert_true(oc.bpfvm[e] == (i == 0 ? oc.kernel : 0));
		}
		/* the packet-socket view: the whole frame */
		struct bpfvm_prog_opts po = { .sz = sizeof(po), .type = BPF_PROG_TYPE_SOCKET_FILTER,
					      .flags = BPFVM_PROG_F_NO_VERIFY };
		bpfvm_prog *prog_skb = NULL;
		struct bpfvm_error err;
		assert_int_equal(bpfvm_prog_load(the_env, prog, 3, &po, &prog_skb, &err), 0);
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = frame, .frame_len = sizeof(frame) };
		uint64_t r0 = 0;
		assert_int_equal(bpfvm_prog_run(prog_skb, &ro, &r0, &err), 0);
		bpfvm_prog_free(prog_skb);
		assert_true(r0 == oc.kernel);
		printf("ldabsw %s: kernel 0x%08" PRIx64 ", bpfvm socket filter 0x%08" PRIx64 ", raw 0x%08" PRIx64 "\n",
		       names[i], oc.kernel, r0, oc.bpfvm[RUN_RAW_CHECKED]);
	}
	fflush(stdout);
}

/* ------------------------------------------- 3. conformance programs */

/* 1 when the program can run as a socket filter with the same meaning: no
 * calls, and every memory access goes through r10. */
static int conformance_eligible(const struct bpf_insn *in, size_t n, const char **why)
{
	for (size_t pc = 0; pc < n; pc++) {
		uint8_t cls = BPF_CLASS(in[pc].code);
		if (in[pc].code == (BPF_LD | BPF_DW | BPF_IMM)) {
			pc++;
			continue;
		}
		if (cls == BPF_JMP && (BPF_OP(in[pc].code) == BPF_CALL)) {
			*why = "calls";
			return 0;
		}
		int acquire = cls == BPF_STX && BPF_MODE(in[pc].code) == BPF_ATOMIC && in[pc].imm == BPF_LOAD_ACQ;
		if (((cls == BPF_LDX || acquire) && in[pc].src_reg != BPF_REG_10) ||
		    ((cls == BPF_ST || cls == BPF_STX) && !acquire && in[pc].dst_reg != BPF_REG_10)) {
			*why = "memory";
			return 0;
		}
		if (cls == BPF_LD) {
			*why = "packet loads";
			return 0;
		}
	}
	return 1;
}

static void test_conformance_programs(void **state)
{
	(void)state;
	const char *dir = tu_conformance_dir();
	if (!dir) {
		printf("conformance programs: skipped, the conformance directory is missing\n");
		skip();
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/assembled.tsv", dir);
	char *text = tu_read_file(path, NULL);
	if (!text) {
		printf("conformance programs: skipped, cannot read %s\n", path);
		skip();
	}
	static struct outcome oc;
	int total = 0, excluded = 0, agree = 0, disagree = 0, refused = 0, off_expected = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !line[0])
			continue;
		char *f[4] = { 0 };
		char *p = line;
		for (int k = 0; k < 4; k++) {
			f[k] = p;
			char *t = p ? strchr(p, '\t') : NULL;
			if (t) {
				*t = 0;
				p = t + 1;
			} else {
				p = NULL;
			}
		}
		if (!f[3])
			continue;
		total++;
		if (f[2][0]) { /* uses input memory through r1 */
			excluded++;
			continue;
		}
		size_t nbytes;
		uint8_t *bytes = tu_hex_decode(f[3], &nbytes);
		assert_non_null(bytes);
		size_t n = nbytes / 8;
		struct bpf_insn *insns = calloc(n + 2, sizeof(*insns));
		memcpy(insns, bytes, n * sizeof(*insns));
		free(bytes);
		const char *why = NULL;
		if (n == 0 || n > MAX_SLOTS || !conformance_eligible(insns, n, &why)) {
			excluded++;
			free(insns);
			continue;
		}
		uint8_t frame[64];
		for (size_t b = 0; b < sizeof(frame); b++)
			frame[b] = (uint8_t)b;
		set_ethertype(frame, sizeof(frame), 1);
		enum verdict v = compare(insns, n, frame, sizeof(frame), &oc);
		if (v == REFUSED || v == KERNEL_ERROR) {
			refused++;
			char reason[320];
			log_reason(oc.log, reason, sizeof(reason));
			if (getenv("BPFVM_DIFF_VERBOSE"))
				printf("  conformance %s: kernel refused: %s\n", f[0], reason);
		} else if (v == DISAGREE || v == SKF_WINDOW) {
			disagree++;
			char what[300];
			snprintf(what, sizeof(what), "conformance %s", f[0]);
			report_disagreement(what, insns, n, frame, sizeof(frame), &oc, 0, 0);
		} else {
			agree++;
			uint64_t expected = strtoull(f[1], NULL, 0);
			if (expected != oc.kernel) {
				off_expected++;
				printf("  note: conformance %s: the kernel returns 0x%" PRIx64 ", the file expects 0x%" PRIx64
				       "\n", f[0], oc.kernel, expected);
			}
		}
		free(insns);
	}
	free(text);
	printf("conformance programs as socket filters: %d in the suite, %d excluded (memory, calls, packet loads), "
	       "%d agreed, %d disagreed, %d refused by the kernel (BPFVM_DIFF_VERBOSE=1 lists them)\n",
	       total, excluded, agree, disagree, refused);
	fflush(stdout);
	assert_true(total > 0);
	assert_int_equal(disagree, 0);
	(void)off_expected;
}

/* ------------------------------------------------------------- main */

int main(void)
{
	char why[400];
	if (geteuid() != 0)
		tu_skip_all("kernel differential test needs root (bpf(2) with the privileged verifier)");
	if (!kbpf_available(why, sizeof(why)))
		tu_skip_all("kernel differential test: %s", why);
	the_env = bpfvm_env_new();
	if (!the_env)
		tu_skip_all("out of memory");
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_cases),
		cmocka_unit_test(test_random_programs),
		cmocka_unit_test(test_cmpxchg32_pruned_use),
		cmocka_unit_test(test_atomic_fetch_precision),
		cmocka_unit_test(test_skf_windows),
		cmocka_unit_test(test_conformance_programs),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	bpfvm_env_free(the_env);
	return rc;
}
