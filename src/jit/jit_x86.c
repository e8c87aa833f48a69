/* jit_x86.c - the x86-64 translator: one pre-decoded eBPF instruction at a
 * time into native code (conventions in jit.h), in three passes over the
 * program so that jumps get their short forms where they reach: pass 0 emits
 * every jump near and records where everything landed; pass 1 makes a jump
 * short when, measured on pass 0's layout, it fits in 8 bits (code only
 * shrinks between the passes, so it still fits); pass 2 repeats pass 1's
 * choices with pass 1's (now final) label offsets and writes the
 * displacements. Labels: one per instruction slot (plus one for the end of the
 * body), the shared thunks, and local ones (inside division sequences,
 * cmpxchg loops, slow-path stubs), numbered in creation order, which every
 * pass repeats.
 *
 * Layout of an image: the entry trampoline at offset 0, the body
 * (insn_off[pc] for each instruction), the thunks shared by all
 * instructions, then one small stub per slow path (out of line, so the fast
 * paths fall through).
 *
 * The checked variant adds, per basic block, `sub [ex->budget], len; jb` at
 * the block's first instruction (a block ends at every jump, call, exit and
 * packet load, so a block runs whole or faults; when the budget does not
 * cover it, the checked interpreter finishes it, so the budget runs out at
 * exactly the instruction where it would on the interpreter), and on every
 * memory access an inline test against the live stack [ex->stack, r10) and
 * against the run region the last slow-path check found, with a call to
 * vm_jit_check for any other address. Stack accesses through r10 with a
 * constant offset inside the current frame need no test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "jit.h"
#include "x86_emit.h"

#if defined(__x86_64__)

#define RAX X86_RAX
#define RCX X86_RCX
#define RDX X86_RDX
#define RBX X86_RBX
#define RSP X86_RSP
#define RBP X86_RBP
#define RSI X86_RSI
#define RDI X86_RDI
#define R8 X86_R8
#define R9 X86_R9
#define R10 X86_R10
#define R11 X86_R11
#define R12 X86_R12
#define R13 X86_R13
#define R14 X86_R14
#define R15 X86_R15
#define W32 X86_W32
#define W64 X86_W64

/* A field of the bpfvm_exec that r12 points to. */
#define EX(field) x86_mem(R12, (int32_t)offsetof(struct bpfvm_exec, field))

/* eBPF register -> x86-64 register. */
static const uint8_t reg_map[11] = { RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP };

/* The host's registers holding eBPF r1..r5, pushed around helper calls so
 * that they keep their values as on the interpreter. */
static const uint8_t arg_regs[5] = { RDI, RSI, RDX, RCX, R8 };
/* What a bpf-to-bpf call may save: r6..r9 (those the callee can write). */
static const uint8_t callee_regs[4] = { RBX, R13, R14, R15 };

#define UNBOUND UINT32_MAX

enum stub_kind { STUB_CHECK, STUB_BUDGET, STUB_FAULT, STUB_TAIL, STUB_PKT };

struct stub {
	uint8_t kind;
	uint32_t pc;
	uint32_t arg;  /* CHECK: the access (vm_jit_check's info); BUDGET: block length; FAULT: kind; PKT: size */
	int label;     /* where the stub starts */
	int resume;    /* CHECK, PKT: where the instruction continues */
};

struct jit {
	const bpfvm_prog *prog;
	int checked;
	int pass;
	struct x86_buf b;
	uint32_t *lab, *lab_prev;      /* label offsets, this pass and the previous one */
	size_t nlab, cap_lab;
	uint32_t *site, *site_prev;    /* where each jump was emitted */
	uint8_t *is_short;             /* pass 1's choice for each jump */
	size_t njmp, cap_jmp;
	struct stub *stubs;
	size_t nstubs, cap_stubs;
	uint8_t *leader;               /* checked: first instruction of a basic block */
	uint32_t *block_len;           /* checked: instructions of the block starting here */
	int oom, broken;
	uint8_t *callee_mask;          /* per call target: r6..r9 it may write (bit i: r6 + i), 0xff: not known yet */
	size_t mask_work;              /* instructions the analysis visited, bounded */
	/* shared thunks */
	int l_done, l_err, l_stop, l_pkt_end, l_pkt_slow, l_check, l_budget, l_fault, l_tail;
};

static int grow(void **p, size_t elem, size_t cap)
{
	void *q = realloc(*p, elem * cap);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

static int new_label(struct jit *j)
{
	if (j->nlab == j->cap_lab) {
		size_t cap = j->cap_lab ? j->cap_lab * 2 : 1024;
		if (grow((void **)&j->lab, sizeof(uint32_t), cap) || grow((void **)&j->lab_prev, sizeof(uint32_t), cap)) {
			j->oom = 1;
			return 0;
		}
		for (size_t i = j->cap_lab; i < cap; i++)
			j->lab_prev[i] = UNBOUND;
		j->cap_lab = cap;
	}
	j->lab[j->nlab] = UNBOUND;
	return (int)j->nlab++;
}

static void bind(struct jit *j, int label)
{
	if (!j->oom)
		j->lab[label] = (uint32_t)j->b.len;
}

static int fits8(int64_t v)
{
	return v >= -128 && v <= 127;
}

/* A jump (jcc with cc, or jmp) to label. */
static void jump_to(struct jit *j, int is_jcc, enum x86_cc cc, int label)
{
	if (j->oom)
		return;
	if (j->njmp == j->cap_jmp) {
		size_t cap = j->cap_jmp ? j->cap_jmp * 2 : 1024;
		if (grow((void **)&j->site, sizeof(uint32_t), cap) || grow((void **)&j->site_prev, sizeof(uint32_t), cap) ||
		    grow((void **)&j->is_short, 1, cap)) {
			j->oom = 1;
			return;
		}
		j->cap_jmp = cap;
	}
	size_t i = j->njmp++;
	int is_short = 0;
	if (j->pass == 1) {
		int64_t d = (int64_t)j->lab_prev[label] - ((int64_t)j->site_prev[i] + 2);
		is_short = j->lab_prev[label] != UNBOUND && fits8(d);
		j->is_short[i] = (uint8_t)is_short;
	} else if (j->pass == 2) {
		is_short = j->is_short[i];
	}
	j->site[i] = (uint32_t)j->b.len;
	int32_t rel = 0;
	if (j->pass == 2) {
		size_t len = is_short ? X86_JCC_SHORT_LEN : is_jcc ? X86_JCC_NEAR_LEN : X86_JMP_NEAR_LEN;
		int64_t d = (int64_t)j->lab_prev[label] - (int64_t)(j->b.len + len);
		if (j->lab_prev[label] == UNBOUND || (is_short && !fits8(d)))
			j->broken = 1;
		rel = (int32_t)d;
	}
	if (is_jcc)
		emit_jcc_rel(&j->b, cc, rel, is_short);
	else
		emit_jmp_rel(&j->b, rel, is_short);
}

static void jcc(struct jit *j, enum x86_cc cc, int label)
{
	jump_to(j, 1, cc, label);
}

static void jmp(struct jit *j, int label)
{
	jump_to(j, 0, X86_CC_O, label);
}

static void call_label(struct jit *j, int label)
{
	int32_t rel = 0;
	if (j->pass == 2) {
		if (j->lab_prev[label] == UNBOUND)
			j->broken = 1;
		rel = (int32_t)((int64_t)j->lab_prev[label] - (int64_t)(j->b.len + X86_CALL_REL_LEN));
	}
	emit_call_rel(&j->b, rel);
}

/* Calls a C function (any distance away). */
static void call_c(struct jit *j, const void *fn)
{
	emit_mov_ri(&j->b, R11, (uint64_t)(uintptr_t)fn);
	emit_call_r(&j->b, R11);
}

/* An out-of-line slow path; returns its label. */
static int add_stub(struct jit *j, int kind, size_t pc, uint32_t arg, int *resume)
{
	if (j->nstubs == j->cap_stubs) {
		size_t cap = j->cap_stubs ? j->cap_stubs * 2 : 256;
		if (grow((void **)&j->stubs, sizeof(struct stub), cap)) {
			j->oom = 1;
			return 0;
		}
		j->cap_stubs = cap;
	}
	struct stub *s = &j->stubs[j->nstubs++];
	s->kind = (uint8_t)kind;
	s->pc = (uint32_t)pc;
	s->arg = arg;
	s->label = new_label(j);
	s->resume = resume ? new_label(j) : -1;
	if (resume)
		*resume = s->resume;
	return s->label;
}

/* ---------------------------------------------------------------- ALU */

/* dst op= src (src >= 0) or imm (src < 0), for div/mod, signed or not, with
 * RFC 9669's rules: x / 0 = 0, x % 0 = x, INT_MIN / -1 = INT_MIN (= -x),
 * x % -1 = 0. x86 div/idiv take rdx:rax, so r0 and r3 are saved in r9/r10
 * around them unless they are the destination. */
static void divmod(struct jit *j, int w, int sgn, int mod, int d, int s, int32_t imm)
{
	struct x86_buf *b = &j->b;
	int l_zero = -1, l_m1 = -1, l_done = -1;
	if (s < 0) {
		uint64_t v = w == W64 ? (uint64_t)(int64_t)imm : (uint32_t)imm;
		if (v == 0) {
			if (!mod)
				emit_zero(b, d);
			else if (w == W32)
				emit_mov_rr(b, W32, d, d);
			return;
		}
		if (sgn && imm == -1) {
			if (!mod)
				emit_unary(b, w, X86_NEG, d);
			else
				emit_zero(b, d);
			return;
		}
		emit_mov_ri(b, R11, v);
	} else {
		l_zero = new_label(j);
		l_done = new_label(j);
		emit_mov_rr(b, w, R11, s);
		emit_test_rr(b, w, R11, R11);
		jcc(j, X86_CC_E, l_zero);
		if (sgn) {
			l_m1 = new_label(j);
			emit_alu_ri(b, w, X86_CMP, R11, -1);
			jcc(j, X86_CC_E, l_m1);
		}
	}
	/* rax and rdx are kept unless one is the destination; the divisor is
	 * already in r11. A 32-bit div/idiv zero-extends its results into
	 * rax/rdx like every 32-bit operation. */
	int res = mod ? RDX : RAX;
	if (d != RAX)
		emit_mov_rr(b, W64, R9, RAX);
	if (d != RDX)
		emit_mov_rr(b, W64, R10, RDX);
	if (d != RAX)
		emit_mov_rr(b, w, RAX, d);
	if (sgn)
		emit_sign_extend_ax(b, w);
	else
		emit_zero(b, RDX);
	emit_unary(b, w, sgn ? X86_IDIV : X86_DIV, R11);
	if (d != res)
		emit_mov_rr(b, w, d, res);
	if (d != RAX)
		emit_mov_rr(b, W64, RAX, R9);
	if (d != RDX)
		emit_mov_rr(b, W64, RDX, R10);
	if (s < 0)
		return;
	jmp(j, l_done);
	if (sgn) {
		bind(j, l_m1);
		if (!mod)
			emit_unary(b, w, X86_NEG, d);
		else
			emit_zero(b, d);
		jmp(j, l_done);
	}
	bind(j, l_zero);
	if (!mod)
		emit_zero(b, d);
	else if (w == W32)
		emit_mov_rr(b, W32, d, d);
	bind(j, l_done);
}

/* Shifts: counts masked to the width (x86 masks cl the same way). */
static void shift(struct jit *j, int w, enum x86_shift op, int d, int s, int32_t imm)
{
	struct x86_buf *b = &j->b;
	if (s < 0) {
		uint8_t c = (uint8_t)(imm & (w == W64 ? 63 : 31));
		if (c)
			emit_shift_ri(b, w, op, d, c);
		else if (w == W32)
			emit_mov_rr(b, W32, d, d);
		return;
	}
	if (s == RCX) {
		emit_shift_rcl(b, w, op, d);
		return;
	}
	emit_mov_rr(b, W64, R11, RCX);
	emit_mov_rr(b, W64, RCX, s);
	if (d == RCX) {
		emit_shift_rcl(b, w, op, R11);
		emit_mov_rr(b, W64, RCX, R11);
	} else {
		emit_shift_rcl(b, w, op, d);
		emit_mov_rr(b, W64, RCX, R11);
	}
}

/* ------------------------------------------------------------- memory */

static int log2_size(int size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

/* The operand for an access of size bytes at breg + off. Checked images
 * test the address first (r11 then holds it): inside the live stack
 * [ex->stack, r10), or inside the region the last slow-path check found
 * (ex->jit_rd_* or jit_wr_*), or else ask vm_jit_check. */
static struct x86_mem mem_operand(struct jit *j, size_t pc, int breg, int16_t off, int size, int write)
{
	struct x86_buf *b = &j->b;
	if (!j->checked || (breg == BPF_REG_10 && off >= -BPFVM_STACK_SIZE && off <= -size))
		return x86_mem(reg_map[breg], off);
	int resume;
	uint32_t info = (uint32_t)pc << 3 | (uint32_t)log2_size(size) << 1 | (uint32_t)(write != 0);
	int stub = add_stub(j, STUB_CHECK, pc, info, &resume);
	int not_stack = new_label(j);
	emit_lea(b, R11, x86_mem(reg_map[breg], off));
	emit_lea(b, R10, EX(stack));
	emit_alu_rr(b, W64, X86_CMP, R11, R10);
	jcc(j, X86_CC_B, not_stack);
	emit_lea(b, R10, x86_mem(RBP, -size));
	emit_alu_rr(b, W64, X86_CMP, R11, R10);
	jcc(j, X86_CC_BE, resume);
	bind(j, not_stack);
	/* (addr - lo) + size <= len, without wrapping */
	emit_mov_rr(b, W64, R10, R11);
	emit_alu_rm(b, W64, X86_SUB, R10, write ? EX(jit_wr_lo) : EX(jit_rd_lo));
	emit_alu_ri(b, W64, X86_ADD, R10, size);
	jcc(j, X86_CC_B, stub);
	emit_alu_rm(b, W64, X86_CMP, R10, write ? EX(jit_wr_len) : EX(jit_rd_len));
	jcc(j, X86_CC_A, stub);
	bind(j, resume);
	return x86_mem(R11, 0);
}

/* LD_ABS / LD_IND: r0 = size bytes of the packet at the offset, big-endian;
 * an offset outside the packet ends the run with r0 = 0. Negative offsets
 * (the kernel's SKF_NET_OFF / SKF_LL_OFF windows) go to vm_jit_pkt_load. */
static void pkt_load(struct jit *j, size_t pc, int size, int ind, int s, int32_t imm)
{
	struct x86_buf *b = &j->b;
	int resume;
	int slow = add_stub(j, STUB_PKT, pc, (uint32_t)size, &resume);
	if (!ind) {
		emit_mov_ri(b, R11, (uint32_t)imm);
		if (imm < 0) {
			jmp(j, slow);
			bind(j, resume);
			return;
		}
	} else {
		emit_mov_rr(b, W32, R11, s);
		emit_alu_ri(b, W32, X86_ADD, R11, imm);
		emit_test_rr(b, W32, R11, R11);
		jcc(j, X86_CC_S, slow);
	}
	emit_lea(b, R10, x86_mem(R11, size));
	emit_alu_rm(b, W64, X86_CMP, R10, EX(pkt_len));
	jcc(j, X86_CC_A, j->l_pkt_end);
	emit_alu_rm(b, W64, X86_ADD, R11, EX(pkt));
	emit_load(b, size, RAX, x86_mem(R11, 0));
	if (size == 2)
		emit_rot16_ri(b, X86_ROR, RAX, 8);
	else if (size == 4)
		emit_bswap(b, W32, RAX);
	bind(j, resume);
}

/* The atomic read-modify-write forms; op is the ALU operation (ADD, OR, AND,
 * XOR) or -1 for xchg, -2 for cmpxchg. */
static void atomic(struct jit *j, size_t pc, const struct vm_op *o, int size, int op, int fetch)
{
	struct x86_buf *b = &j->b;
	int w = size == 8 ? W64 : W32;
	int s = reg_map[o->src];
	struct x86_mem m = mem_operand(j, pc, o->dst, (int16_t)o->off, size, 1);
	if (op == -1) {
		emit_xchg(b, size, m, s);
	} else if (op == -2) {
		emit_cmpxchg(b, size, m, s);
		if (size == 4) /* cmpxchg leaves rax's upper half on success */
			emit_mov_rr(b, W32, RAX, RAX);
	} else if (!fetch) {
		emit_alu_mr(b, size, (enum x86_alu)op, m, s, 1);
	} else if (op == X86_ADD) {
		emit_xadd(b, size, m, s);
	} else {
		/* old = *m; do new = old op src until cmpxchg(m, old, new) succeeds;
		 * src = old. rax (r0) is the comparand: saved in r9. */
		if (m.base != R11) {
			emit_lea(b, R11, m);
			m = x86_mem(R11, 0);
		}
		int operand = s == RAX ? R9 : s;
		emit_mov_rr(b, W64, R9, RAX);
		emit_load(b, size, RAX, m);
		int loop = new_label(j);
		bind(j, loop);
		emit_mov_rr(b, w, R10, RAX);
		emit_alu_rr(b, w, (enum x86_alu)op, R10, operand);
		emit_cmpxchg(b, size, m, R10);
		jcc(j, X86_CC_NE, loop);
		if (s != RAX) {
			emit_mov_rr(b, w, s, RAX);
			emit_mov_rr(b, W64, RAX, R9);
		}
	}
}

/* -------------------------------------------------------------- calls */

static void push_args(struct jit *j)
{
	for (int i = 0; i < 5; i++)
		emit_push(&j->b, arg_regs[i]);
}

static void pop_args(struct jit *j)
{
	for (int i = 4; i >= 0; i--)
		emit_pop(&j->b, arg_regs[i]);
}

/* The call itself, with the helper entry in r11 and r1..r5 pushed. */
static void call_helper_in_r11(struct jit *j)
{
	struct x86_buf *b = &j->b;
	emit_store(b, 8, EX(helper), R11);
	/* ex->depth = (rbp - ex->stack) / 512 - 1, for the helpers that read it */
	emit_mov_rr(b, W64, R10, RBP);
	emit_alu_rr(b, W64, X86_SUB, R10, R12);
	emit_alu_ri(b, W64, X86_SUB, R10, (int32_t)(offsetof(struct bpfvm_exec, stack) + BPFVM_STACK_SIZE));
	emit_shift_ri(b, W64, X86_SHR, R10, 9);
	emit_store(b, 4, EX(depth), R10);
	if (j->checked) /* helpers check pointers against the live stack */
		emit_store(b, 8, EX(regions[0].end), RBP);
	emit_mov_rr(b, W64, R9, R12);
	emit_call_m(b, x86_mem(R11, (int32_t)offsetof(struct vm_helper, fn)));
	pop_args(j);
	if (j->checked) { /* the helper may have changed the regions */
		emit_store_imm(b, 8, EX(jit_rd_len), 0);
		emit_store_imm(b, 8, EX(jit_wr_len), 0);
	}
	emit_alu_mi(b, W32, X86_CMP, EX(stopped), 0);
	jcc(j, X86_CC_NE, j->l_stop);
}

static void helper_call(struct jit *j, size_t pc, const struct vm_helper *h)
{
	struct x86_buf *b = &j->b;
	push_args(j);
	emit_mov_ri(b, R11, (uint64_t)(uintptr_t)h);
	call_helper_in_r11(j);
	emit_alu_mi(b, W64, X86_CMP, EX(tail_prog), 0);
	jcc(j, X86_CC_NE, add_stub(j, STUB_TAIL, pc, 0, NULL));
}

static void call_indirect(struct jit *j, size_t pc, int dst_reg)
{
	struct x86_buf *b = &j->b;
	emit_mov_rr(b, W64, R11, reg_map[dst_reg]);
	push_args(j);
	emit_mov_rr(b, W64, RDI, R12);
	emit_mov_rr(b, W64, RSI, R11);
	emit_mov_ri(b, RDX, (uint32_t)pc << 4 | (uint32_t)dst_reg);
	call_c(j, (const void *)vm_jit_callx);
	emit_test_rr(b, W64, RAX, RAX);
	jcc(j, X86_CC_E, j->l_err);
	emit_mov_rr(b, W64, R11, RAX);
	for (int i = 0; i < 5; i++) /* reload r1..r5 from where push_args put them */
		emit_load(b, 8, arg_regs[i], x86_mem(RSP, 8 * (4 - i)));
	call_helper_in_r11(j);
}

/* Which of r6..r9 the function entered at target may write before it
 * returns (bit i: r6 + i): the registers written by any instruction
 * reachable from target without passing an exit. Its own bpf-to-bpf calls
 * preserve r6..r9 (each call site saves what its callee writes), helpers
 * preserve them (callee-saved host registers), and tail calls at depth > 0
 * fail. Any doubt (targets out of range, unknown classes, too much work)
 * answers "all four". Works on the raw instructions, so it holds for
 * programs the verifier never saw. */
static uint8_t callee_writes(struct jit *j, size_t target)
{
	const bpfvm_prog *p = j->prog;
	size_t n = p->n;
	if (target >= n)
		return 0xf;
	if (!j->callee_mask) {
		j->callee_mask = malloc(n);
		if (!j->callee_mask)
			return 0xf;
		memset(j->callee_mask, 0xff, n);
	}
	if (j->callee_mask[target] != 0xff)
		return j->callee_mask[target];
	uint8_t *seen = calloc(n, 1);
	uint32_t *todo = malloc(n * sizeof(uint32_t));
	uint8_t mask = 0;
	size_t ntodo = 0;
	if (!seen || !todo) {
		mask = 0xf;
		goto out;
	}
	seen[target] = 1;
	todo[ntodo++] = (uint32_t)target;
	while (ntodo && mask != 0xf) {
		size_t pc = todo[--ntodo];
		if (++j->mask_work > ((size_t)1 << 24)) {
			mask = 0xf;
			break;
		}
		const struct bpf_insn *in = &p->insns[pc];
		uint8_t cls = in->code & 0x07, op = in->code & 0xf0;
		int64_t next[2] = { (int64_t)pc + 1, -1 };
		int wr = -1, wr2 = -1;
		switch (cls) {
		case BPF_LD:
			if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) {
				wr = in->dst_reg;
				next[0] = (int64_t)pc + 2;
			}
			/* LD_ABS / LD_IND write r0 only */
			break;
		case BPF_LDX:
		case BPF_ALU:
		case BPF_ALU64:
			wr = in->dst_reg;
			break;
		case BPF_ST:
			break;
		case BPF_STX:
			if ((in->code & 0xe0) == BPF_ATOMIC)
				wr = in->src_reg, wr2 = in->dst_reg; /* fetch forms write src; dst conservatively */
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (op == BPF_EXIT && cls == BPF_JMP) {
				next[0] = -1;
			} else if (op == BPF_CALL && cls == BPF_JMP) {
				/* continues after the call */
			} else if (op == BPF_JA) {
				next[0] = p->ops[pc].off;
			} else {
				next[1] = p->ops[pc].off;
			}
			break;
		default:
			mask = 0xf;
			break;
		}
		if (wr >= 6 && wr <= 9)
			mask |= (uint8_t)(1u << (wr - 6));
		if (wr2 >= 6 && wr2 <= 9)
			mask |= (uint8_t)(1u << (wr2 - 6));
		for (int k = 0; k < 2; k++) {
			if (next[k] == -1) /* no successor */
				continue;
			if (next[k] < 0 || (uint64_t)next[k] >= n) {
				mask = 0xf;
				break;
			}
			if (!seen[next[k]]) {
				seen[next[k]] = 1;
				todo[ntodo++] = (uint32_t)next[k];
			}
		}
	}
out:
	free(seen);
	free(todo);
	j->callee_mask[target] = mask;
	return mask;
}

/* bpf-to-bpf call: r10 (rbp) is ex->stack + (depth + 1) * 512, so the depth
 * test compares rbp with its value at the deepest frame allowed (no depth
 * counter in memory; helper calls compute ex->depth from rbp). Saves only
 * the r6..r9 the callee may write, keeping the native stack 0 mod 16 at the
 * call. */
static void local_call(struct jit *j, size_t pc, size_t target)
{
	struct x86_buf *b = &j->b;
	uint8_t mask = callee_writes(j, target);
	emit_lea(b, R11, x86_mem(R12, (int32_t)(offsetof(struct bpfvm_exec, stack) +
					      (size_t)(BPFVM_MAX_CALL_DEPTH + 1) * BPFVM_STACK_SIZE)));
	emit_alu_rr(b, W64, X86_CMP, RBP, R11);
	jcc(j, X86_CC_AE, add_stub(j, STUB_FAULT, pc, VM_JIT_FAULT_STACK, NULL));
	int pushed = 0;
	for (int i = 0; i < 4; i++)
		if (mask & (1u << i)) {
			emit_push(b, callee_regs[i]);
			pushed++;
		}
	if (!(pushed & 1))
		emit_push(b, R11); /* alignment only */
	emit_alu_ri(b, W64, X86_ADD, RBP, BPFVM_STACK_SIZE);
	call_label(j, (int)target);
	emit_alu_ri(b, W64, X86_SUB, RBP, BPFVM_STACK_SIZE);
	if (!(pushed & 1))
		emit_pop(b, R11);
	for (int i = 3; i >= 0; i--)
		if (mask & (1u << i))
			emit_pop(b, callee_regs[i]);
}

/* ------------------------------------------------------- instructions */

static void cond_jump(struct jit *j, int w, enum x86_cc cc, int is_test, int d, int s, int32_t imm, int target)
{
	struct x86_buf *b = &j->b;
	if (s >= 0) {
		if (is_test)
			emit_test_rr(b, w, d, s);
		else
			emit_alu_rr(b, w, X86_CMP, d, s);
	} else if (imm == 0 && !is_test) {
		emit_test_rr(b, w, d, d); /* the same flags as cmp d, 0 */
	} else if (is_test) {
		emit_test_ri(b, w, d, imm);
	} else {
		emit_alu_ri(b, w, X86_CMP, d, imm);
	}
	jcc(j, is_test ? X86_CC_NE : cc, target);
}

/* Emits instruction pc; returns the slots it spans, or 0 when it has no
 * translation. */
static int translate(struct jit *j, size_t pc)
{
	struct x86_buf *b = &j->b;
	const struct vm_op *o = &j->prog->ops[pc];
	int d = reg_map[o->dst], s = reg_map[o->src];
	int32_t imm = (int32_t)o->imm;
	switch (o->op) {
#define ALU(NAME, XOP) \
	case BPFVM_OP_##NAME##64_IMM: emit_alu_ri(b, W64, XOP, d, imm); break; \
	case BPFVM_OP_##NAME##64_REG: emit_alu_rr(b, W64, XOP, d, s); break; \
	case BPFVM_OP_##NAME##32_IMM: emit_alu_ri(b, W32, XOP, d, imm); break; \
	case BPFVM_OP_##NAME##32_REG: emit_alu_rr(b, W32, XOP, d, s); break;
	ALU(ADD, X86_ADD)
	ALU(SUB, X86_SUB)
	ALU(OR, X86_OR)
	ALU(AND, X86_AND)
	ALU(XOR, X86_XOR)
#undef ALU
	case BPFVM_OP_MUL64_IMM: emit_imul_rri(b, W64, d, d, imm); break;
	case BPFVM_OP_MUL64_REG: emit_imul_rr(b, W64, d, s); break;
	case BPFVM_OP_MUL32_IMM: emit_imul_rri(b, W32, d, d, imm); break;
	case BPFVM_OP_MUL32_REG: emit_imul_rr(b, W32, d, s); break;
#define DIVMOD(NAME, SGN, MOD) \
	case BPFVM_OP_##NAME##64_IMM: divmod(j, W64, SGN, MOD, d, -1, imm); break; \
	case BPFVM_OP_##NAME##64_REG: divmod(j, W64, SGN, MOD, d, s, 0); break; \
	case BPFVM_OP_##NAME##32_IMM: divmod(j, W32, SGN, MOD, d, -1, imm); break; \
	case BPFVM_OP_##NAME##32_REG: divmod(j, W32, SGN, MOD, d, s, 0); break;
	DIVMOD(DIV, 0, 0)
	DIVMOD(MOD, 0, 1)
	DIVMOD(SDIV, 1, 0)
	DIVMOD(SMOD, 1, 1)
#undef DIVMOD
#define SHIFT(NAME, XOP) \
	case BPFVM_OP_##NAME##64_IMM: shift(j, W64, XOP, d, -1, imm); break; \
	case BPFVM_OP_##NAME##64_REG: shift(j, W64, XOP, d, s, 0); break; \
	case BPFVM_OP_##NAME##32_IMM: shift(j, W32, XOP, d, -1, imm); break; \
	case BPFVM_OP_##NAME##32_REG: shift(j, W32, XOP, d, s, 0); break;
	SHIFT(LSH, X86_SHL)
	SHIFT(RSH, X86_SHR)
	SHIFT(ARSH, X86_SAR)
#undef SHIFT
	case BPFVM_OP_MOV64_IMM:
		if (imm == 0)
			emit_zero(b, d);
		else
			emit_mov_ri(b, d, (uint64_t)(int64_t)imm);
		break;
	case BPFVM_OP_MOV32_IMM:
		if (imm == 0)
			emit_zero(b, d);
		else
			emit_mov_ri(b, d, (uint32_t)imm);
		break;
	case BPFVM_OP_MOV64_REG:
		if (d != s)
			emit_mov_rr(b, W64, d, s);
		break;
	case BPFVM_OP_MOV32_REG: emit_mov_rr(b, W32, d, s); break;
	case BPFVM_OP_MOVSX64_8: emit_movsx_rr(b, W64, 1, d, s); break;
	case BPFVM_OP_MOVSX64_16: emit_movsx_rr(b, W64, 2, d, s); break;
	case BPFVM_OP_MOVSX64_32: emit_movsx_rr(b, W64, 4, d, s); break;
	case BPFVM_OP_MOVSX32_8: emit_movsx_rr(b, W32, 1, d, s); break;
	case BPFVM_OP_MOVSX32_16: emit_movsx_rr(b, W32, 2, d, s); break;
	case BPFVM_OP_NEG64: emit_unary(b, W64, X86_NEG, d); break;
	case BPFVM_OP_NEG32: emit_unary(b, W32, X86_NEG, d); break;
	case BPFVM_OP_LE16: emit_movzx_rr(b, 2, d, d); break;
	case BPFVM_OP_LE32: emit_mov_rr(b, W32, d, d); break;
	case BPFVM_OP_LE64: break;
	case BPFVM_OP_BE16:
	case BPFVM_OP_BSWAP16:
		emit_rot16_ri(b, X86_ROR, d, 8);
		emit_movzx_rr(b, 2, d, d);
		break;
	case BPFVM_OP_BE32:
	case BPFVM_OP_BSWAP32: emit_bswap(b, W32, d); break;
	case BPFVM_OP_BE64:
	case BPFVM_OP_BSWAP64: emit_bswap(b, W64, d); break;

	case BPFVM_OP_LDDW: case BPFVM_OP_LDDW_MAP_FD: case BPFVM_OP_LDDW_MAP_VALUE: case BPFVM_OP_LDDW_BTF_ID:
	case BPFVM_OP_LDDW_FUNC: case BPFVM_OP_LDDW_MAP_IDX: case BPFVM_OP_LDDW_MAP_IDX_VALUE:
		if (o->imm == 0)
			emit_zero(b, d);
		else
			emit_mov_ri(b, d, o->imm);
		return 2;

	case BPFVM_OP_LDABS_B: pkt_load(j, pc, 1, 0, 0, imm); break;
	case BPFVM_OP_LDABS_H: pkt_load(j, pc, 2, 0, 0, imm); break;
	case BPFVM_OP_LDABS_W: pkt_load(j, pc, 4, 0, 0, imm); break;
	case BPFVM_OP_LDIND_B: pkt_load(j, pc, 1, 1, s, imm); break;
	case BPFVM_OP_LDIND_H: pkt_load(j, pc, 2, 1, s, imm); break;
	case BPFVM_OP_LDIND_W: pkt_load(j, pc, 4, 1, s, imm); break;

#define LOAD(ID, SIZE, EMIT) \
	case BPFVM_OP_##ID: EMIT(b, SIZE, d, mem_operand(j, pc, o->src, (int16_t)o->off, SIZE, 0)); break;
	LOAD(LDX_B, 1, emit_load)
	LOAD(LDX_H, 2, emit_load)
	LOAD(LDX_W, 4, emit_load)
	LOAD(LDX_DW, 8, emit_load)
	LOAD(LDXS_B, 1, emit_load_sx)
	LOAD(LDXS_H, 2, emit_load_sx)
	LOAD(LDXS_W, 4, emit_load_sx)
	/* x86-64 loads already have acquire and stores release ordering (TSO) */
	LOAD(LOAD_ACQ_B, 1, emit_load)
	LOAD(LOAD_ACQ_H, 2, emit_load)
	LOAD(LOAD_ACQ_W, 4, emit_load)
	LOAD(LOAD_ACQ_DW, 8, emit_load)
#undef LOAD
#define STORE_IMM(ID, SIZE) \
	case BPFVM_OP_##ID: emit_store_imm(b, SIZE, mem_operand(j, pc, o->dst, (int16_t)o->off, SIZE, 1), imm); break;
	STORE_IMM(ST_B, 1)
	STORE_IMM(ST_H, 2)
	STORE_IMM(ST_W, 4)
	STORE_IMM(ST_DW, 8)
#undef STORE_IMM
#define STORE(ID, SIZE) \
	case BPFVM_OP_##ID: emit_store(b, SIZE, mem_operand(j, pc, o->dst, (int16_t)o->off, SIZE, 1), s); break;
	STORE(STX_B, 1)
	STORE(STX_H, 2)
	STORE(STX_W, 4)
	STORE(STX_DW, 8)
	STORE(STORE_REL_B, 1)
	STORE(STORE_REL_H, 2)
	STORE(STORE_REL_W, 4)
	STORE(STORE_REL_DW, 8)
#undef STORE

#define ATOMIC(SZ, SIZE) \
	case BPFVM_OP_ATOMIC_ADD_##SZ: atomic(j, pc, o, SIZE, X86_ADD, 0); break; \
	case BPFVM_OP_ATOMIC_FETCH_ADD_##SZ: atomic(j, pc, o, SIZE, X86_ADD, 1); break; \
	case BPFVM_OP_ATOMIC_OR_##SZ: atomic(j, pc, o, SIZE, X86_OR, 0); break; \
	case BPFVM_OP_ATOMIC_FETCH_OR_##SZ: atomic(j, pc, o, SIZE, X86_OR, 1); break; \
	case BPFVM_OP_ATOMIC_AND_##SZ: atomic(j, pc, o, SIZE, X86_AND, 0); break; \
	case BPFVM_OP_ATOMIC_FETCH_AND_##SZ: atomic(j, pc, o, SIZE, X86_AND, 1); break; \
	case BPFVM_OP_ATOMIC_XOR_##SZ: atomic(j, pc, o, SIZE, X86_XOR, 0); break; \
	case BPFVM_OP_ATOMIC_FETCH_XOR_##SZ: atomic(j, pc, o, SIZE, X86_XOR, 1); break; \
	case BPFVM_OP_ATOMIC_XCHG_##SZ: atomic(j, pc, o, SIZE, -1, 1); break; \
	case BPFVM_OP_ATOMIC_CMPXCHG_##SZ: atomic(j, pc, o, SIZE, -2, 1); break;
	ATOMIC(W, 4)
	ATOMIC(DW, 8)
#undef ATOMIC

#define JMP(NAME, CC, TEST) \
	case BPFVM_OP_##NAME##_IMM: cond_jump(j, W64, CC, TEST, d, -1, imm, o->off); break; \
	case BPFVM_OP_##NAME##_REG: cond_jump(j, W64, CC, TEST, d, s, 0, o->off); break; \
	case BPFVM_OP_##NAME##32_IMM: cond_jump(j, W32, CC, TEST, d, -1, imm, o->off); break; \
	case BPFVM_OP_##NAME##32_REG: cond_jump(j, W32, CC, TEST, d, s, 0, o->off); break;
	JMP(JEQ, X86_CC_E, 0)
	JMP(JNE, X86_CC_NE, 0)
	JMP(JGT, X86_CC_A, 0)
	JMP(JGE, X86_CC_AE, 0)
	JMP(JLT, X86_CC_B, 0)
	JMP(JLE, X86_CC_BE, 0)
	JMP(JSET, X86_CC_NE, 1)
	JMP(JSGT, X86_CC_G, 0)
	JMP(JSGE, X86_CC_GE, 0)
	JMP(JSLT, X86_CC_L, 0)
	JMP(JSLE, X86_CC_LE, 0)
#undef JMP
	case BPFVM_OP_JA:
	case BPFVM_OP_JA32:
		jmp(j, o->off);
		break;
	case BPFVM_OP_MAY_GOTO:
		emit_alu_mi(b, W32, X86_CMP, EX(may_goto), 0);
		jcc(j, X86_CC_E, o->off);
		emit_alu_mi(b, W32, X86_SUB, EX(may_goto), 1);
		break;

	case BPFVM_OP_CALL: helper_call(j, pc, (const struct vm_helper *)(uintptr_t)o->imm); break;
	case BPFVM_OP_CALLX: call_indirect(j, pc, o->dst); break;
	case BPFVM_OP_CALL_LOCAL: local_call(j, pc, (size_t)o->off); break;
	case BPFVM_OP_CALL_KFUNC: jmp(j, add_stub(j, STUB_FAULT, pc, VM_JIT_FAULT_KFUNC, NULL)); break;
	case BPFVM_OP_EXIT: emit_ret(b); break;
	default:
		return 0;
	}
	return 1;
}

/* ---------------------------------------------------- entry and thunks */

/* int entry(ex = rdi, regs = rsi, r0 = rdx, body = rcx) */
static void emit_trampoline(struct jit *j)
{
	struct x86_buf *b = &j->b;
	static const uint8_t saved[6] = { RBP, RBX, R12, R13, R14, R15 };
	for (int i = 0; i < 6; i++)
		emit_push(b, saved[i]);
	emit_push(b, RDX);                                                  /* [rsp + 16]: r0 */
	emit_push_m(b, x86_mem(RDI, (int32_t)offsetof(struct bpfvm_exec, jit_sp))); /* [rsp + 8]: outer run's sp */
	emit_alu_ri(b, W64, X86_SUB, RSP, 8);                               /* the body starts 8 mod 16 */
	emit_mov_rr(b, W64, R12, RDI);
	emit_store(b, 8, EX(jit_sp), RSP);
	emit_mov_rr(b, W64, R11, RCX);
	for (int r = 0; r <= 10; r++)
		if (r != 2)
			emit_load(b, 8, reg_map[r], x86_mem(RSI, 8 * r));
	emit_load(b, 8, reg_map[2], x86_mem(RSI, 16)); /* rsi itself last */
	emit_call_r(b, R11);
	emit_load(b, 8, RDX, x86_mem(RSP, 16));
	emit_store(b, 8, x86_mem(RDX, 0), RAX);
	emit_zero(b, RAX);
	/* done: eax = status; every early end comes here from any depth */
	bind(j, j->l_done);
	emit_load(b, 8, RSP, EX(jit_sp));
	emit_alu_ri(b, W64, X86_ADD, RSP, 8);
	emit_pop(b, RCX);
	emit_store(b, 8, EX(jit_sp), RCX);
	emit_pop(b, RDX);
	for (int i = 5; i >= 0; i--)
		emit_pop(b, saved[i]);
	emit_ret(b);
}

static void emit_thunks(struct jit *j)
{
	struct x86_buf *b = &j->b;

	bind(j, j->l_stop);
	emit_mov_ri(b, RAX, VM_JIT_STOPPED);
	jmp(j, j->l_done);

	bind(j, j->l_err); /* end with the fault a C service recorded */
	emit_load(b, 8, RAX, EX(err));
	emit_load(b, 4, RAX, x86_mem(RAX, (int32_t)offsetof(struct bpfvm_error, code)));
	jmp(j, j->l_done);

	bind(j, j->l_pkt_end);
	emit_store_imm(b, 8, EX(jit_r0), 0);
	emit_mov_ri(b, RAX, VM_JIT_END);
	jmp(j, j->l_done);

	/* packet load at a negative offset: called with r11d = offset, r10d =
	 * size; r0 = the value, or the run ends */
	static const uint8_t args[5] = { RDI, RSI, RDX, RCX, R8 };
	bind(j, j->l_pkt_slow);
	for (int i = 0; i < 5; i++)
		emit_push(b, args[i]);
	emit_alu_ri(b, W64, X86_SUB, RSP, 8);
	emit_mov_rr(b, W64, RDI, R12);
	emit_mov_rr(b, W32, RSI, R11);
	emit_mov_rr(b, W32, RDX, R10);
	call_c(j, (const void *)vm_jit_pkt_load);
	emit_alu_ri(b, W64, X86_ADD, RSP, 8);
	for (int i = 4; i >= 0; i--)
		emit_pop(b, args[i]);
	emit_alu_ri(b, W64, X86_CMP, RAX, -1);
	jcc(j, X86_CC_E, j->l_pkt_end);
	emit_ret(b);

	/* memory check: called with r11 = address, r10d = info (rsp 0 mod 16) */
	static const uint8_t keep[7] = { RAX, RDI, RSI, RDX, RCX, R8, R11 };
	bind(j, j->l_check);
	for (int i = 0; i < 7; i++)
		emit_push(b, keep[i]);
	emit_alu_ri(b, W64, X86_SUB, RSP, 8);
	emit_mov_rr(b, W64, RDI, R12);
	emit_mov_rr(b, W64, RSI, R11);
	emit_mov_rr(b, W32, RDX, R10);
	emit_mov_rr(b, W64, RCX, RBP);
	call_c(j, (const void *)vm_jit_check);
	emit_alu_ri(b, W64, X86_ADD, RSP, 8);
	emit_test_rr(b, W32, RAX, RAX);
	for (int i = 6; i >= 0; i--) /* pop leaves the flags alone */
		emit_pop(b, keep[i]);
	jcc(j, X86_CC_E, j->l_err);
	emit_ret(b);

	/* budget exhausted: r10d = pc of the block; hand r0..r10 to the interpreter */
	bind(j, j->l_budget);
	emit_alu_ri(b, W64, X86_SUB, RSP, 88);
	for (int r = 0; r <= 10; r++)
		emit_store(b, 8, x86_mem(RSP, 8 * r), reg_map[r]);
	emit_mov_rr(b, W64, RDI, R12);
	emit_mov_rr(b, W64, RSI, RSP);
	emit_mov_rr(b, W32, RDX, R10);
	call_c(j, (const void *)vm_jit_budget_out);
	jmp(j, j->l_done);

	/* faults without a C check: r10d = pc, r11d = kind */
	bind(j, j->l_fault);
	emit_alu_ri(b, W64, X86_AND, RSP, -16);
	emit_mov_rr(b, W64, RDI, R12);
	emit_mov_rr(b, W32, RSI, R10);
	emit_mov_rr(b, W32, RDX, R11);
	call_c(j, (const void *)vm_jit_fault);
	jmp(j, j->l_done);

	/* tail call: r10d = pc; continue in the target's body with r1 = ctx */
	static const uint8_t live[5] = { RAX, RSI, RDX, RCX, R8 };
	bind(j, j->l_tail);
	for (int i = 0; i < 5; i++)
		emit_push(b, live[i]);
	emit_mov_rr(b, W64, RDI, R12);
	emit_mov_rr(b, W32, RSI, R10);
	call_c(j, (const void *)vm_jit_tail_call);
	emit_mov_rr(b, W64, R11, RAX);
	for (int i = 4; i >= 0; i--)
		emit_pop(b, live[i]);
	emit_test_rr(b, W64, R11, R11);
	jcc(j, X86_CC_E, j->l_err);
	emit_load(b, 8, RDI, EX(tail_ctx));
	emit_jmp_r(b, R11);
}

static void emit_stubs(struct jit *j)
{
	struct x86_buf *b = &j->b;
	for (size_t i = 0; i < j->nstubs; i++) {
		const struct stub *s = &j->stubs[i];
		bind(j, s->label);
		switch (s->kind) {
		case STUB_CHECK:
			emit_mov_ri(b, R10, s->arg);
			call_label(j, j->l_check);
			jmp(j, s->resume);
			break;
		case STUB_BUDGET:
			emit_alu_mi(b, W64, X86_ADD, EX(budget), (int32_t)s->arg); /* give back what the block took */
			emit_mov_ri(b, R10, s->pc);
			jmp(j, j->l_budget);
			break;
		case STUB_FAULT:
			emit_mov_ri(b, R10, s->pc);
			emit_mov_ri(b, R11, s->arg);
			jmp(j, j->l_fault);
			break;
		case STUB_PKT:
			emit_mov_ri(b, R10, s->arg);
			call_label(j, j->l_pkt_slow);
			jmp(j, s->resume);
			break;
		default:
			emit_mov_ri(b, R10, s->pc);
			jmp(j, j->l_tail);
			break;
		}
	}
}

/* Basic blocks, for the budget: where each starts and how many
 * instructions (dispatches: lddw counts once) it holds. */
static int find_blocks(struct jit *j)
{
	const bpfvm_prog *p = j->prog;
	j->leader = calloc(p->n + 1, 1);
	j->block_len = calloc(p->n + 1, sizeof(uint32_t));
	if (!j->leader || !j->block_len)
		return -1;
	j->leader[0] = 1;
	for (size_t pc = 0; pc < p->n; pc++) {
		const struct vm_op *o = &p->ops[pc];
		long t;
		switch (isa_table[o->op].shape) {
		case S_JA: case S_JA32: case S_JIMM: case S_JREG: case S_MAYGOTO: case S_CALL_LOCAL:
			if (o->off >= 0 && (size_t)o->off < p->n)
				j->leader[o->off] = 1;
			j->leader[pc + 1] = 1;
			break;
		case S_CALL: case S_CALLX: case S_CALL_KFUNC: case S_EXIT: case S_LDABS: case S_LDIND:
			j->leader[pc + 1] = 1;
			break;
		case S_LDDW:
			if (isa_jump_target(o->op, &p->insns[pc], (long)pc, &t) == 0 && t >= 0 && (size_t)t < p->n)
				j->leader[t] = 1; /* a callback's entry */
			pc++;
			break;
		default:
			break;
		}
	}
	size_t cur = 0;
	for (size_t pc = 0; pc < p->n; pc += isa_is_lddw(p->ops[pc].op) ? 2 : 1) {
		if (j->leader[pc])
			cur = pc;
		j->block_len[cur]++;
	}
	return 0;
}

static void start_pass(struct jit *j, int pass)
{
	uint32_t *t = j->lab;
	j->lab = j->lab_prev;
	j->lab_prev = t;
	t = j->site;
	j->site = j->site_prev;
	j->site_prev = t;
	j->pass = pass;
	j->nlab = 0;
	j->njmp = 0;
	j->nstubs = 0;
	x86_buf_reset(&j->b);
	for (size_t pc = 0; pc <= j->prog->n; pc++)
		new_label(j);
	j->l_done = new_label(j);
	j->l_err = new_label(j);
	j->l_stop = new_label(j);
	j->l_pkt_end = new_label(j);
	j->l_pkt_slow = new_label(j);
	j->l_check = new_label(j);
	j->l_budget = new_label(j);
	j->l_fault = new_label(j);
	j->l_tail = new_label(j);
}

static int set_err(struct bpfvm_error *err, int code, long insn, const char *msg)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		err->insn = insn;
		err->offset = -1;
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	}
	return code;
}

static void free_state(struct jit *j)
{
	x86_buf_free(&j->b);
	free(j->lab);
	free(j->lab_prev);
	free(j->site);
	free(j->site_prev);
	free(j->is_short);
	free(j->stubs);
	free(j->leader);
	free(j->block_len);
	free(j->callee_mask);
}

int vm_jit_compile(const bpfvm_prog *prog, int checked, struct vm_jit_image **out, struct bpfvm_error *err)
{
	struct jit j;
	memset(&j, 0, sizeof(j));
	j.prog = prog;
	j.checked = checked;
	*out = NULL;
	int rc = 0;
	if (checked && find_blocks(&j)) {
		rc = set_err(err, BPFVM_ENOMEM, -1, "out of memory");
		goto done;
	}
	for (int pass = 0; pass < 3; pass++) {
		start_pass(&j, pass);
		emit_trampoline(&j);
		for (size_t pc = 0; pc < prog->n && !j.oom;) {
			bind(&j, (int)pc);
			if (checked && j.leader[pc]) {
				emit_alu_mi(&j.b, W64, X86_SUB, EX(budget), (int32_t)j.block_len[pc]);
				jcc(&j, X86_CC_B, add_stub(&j, STUB_BUDGET, pc, j.block_len[pc], NULL));
			}
			int slots = translate(&j, pc);
			if (slots == 0) {
				char msg[128];
				snprintf(msg, sizeof(msg), "the JIT has no translation for %s", isa_table[prog->ops[pc].op].name);
				rc = set_err(err, BPFVM_EUNSUPP, (long)pc, msg);
				goto done;
			}
			if (slots == 2)
				bind(&j, (int)pc + 1); /* the second lddw slot: no code of its own */
			pc += (size_t)slots;
		}
		bind(&j, (int)prog->n);
		emit_thunks(&j);
		emit_stubs(&j);
		if (j.oom || j.b.oom) {
			rc = set_err(err, BPFVM_ENOMEM, -1, "out of memory");
			goto done;
		}
	}
	for (size_t i = 0; i < j.nlab; i++)
		if (j.lab[i] != j.lab_prev[i])
			j.broken = 1;
	if (j.broken || j.b.len > INT32_MAX) {
		rc = set_err(err, BPFVM_EUNSUPP, -1, "internal error: the JIT's code layout did not converge");
		goto done;
	}

	struct vm_jit_image *img = calloc(1, sizeof(*img));
	if (img)
		img->insn_off = malloc((prog->n + 1) * sizeof(uint32_t));
	if (img && img->insn_off)
		img->code = vm_jit_mem_alloc(j.b.len, &img->map_len);
	if (!img || !img->insn_off || !img->code) {
		vm_jit_free(img);
		rc = set_err(err, BPFVM_ENOMEM, -1, "out of memory for the JIT image");
		goto done;
	}
	memcpy(img->code, j.b.p, j.b.len);
	memcpy(img->insn_off, j.lab, (prog->n + 1) * sizeof(uint32_t));
	img->len = j.b.len;
	img->n = prog->n;
	img->checked = checked;
	if (vm_jit_mem_seal(img->code, img->map_len) != 0) {
		vm_jit_free(img);
		rc = set_err(err, BPFVM_EUNSUPP, -1, "cannot make the JIT image executable (mprotect refused)");
		goto done;
	}
	*out = img;
done:
	free_state(&j);
	return rc;
}

#else /* not x86-64 */

int vm_jit_compile(const bpfvm_prog *prog, int checked, struct vm_jit_image **out, struct bpfvm_error *err)
{
	*out = NULL;
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = BPFVM_EUNSUPP;
		err->insn = -1;
		err->offset = -1;
		snprintf(err->msg, sizeof(err->msg), "the JIT supports x86-64 hosts only");
	}
	return BPFVM_EUNSUPP;
}

#endif
