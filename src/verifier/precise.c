/* precise.c - precision tracking. Pruning treats two scalars as equal
 * whatever their values, unless some decision made on the explored path
 * depended on the value: a pointer offset, a memory size, a branch the
 * verifier could decide, a callback's iteration count. When such a decision
 * happens, the value is traced backwards through the instructions of the
 * current path (the history records how each jump was reached and which
 * spills and fills touched the stack) to the registers and stack slots it
 * came from, and those are marked precise in every checkpoint on the way.
 * When the trail cannot be followed (a value computed through an unusual
 * route), every scalar of the path's checkpoints becomes precise: slower
 * pruning, never a wrong one. */
#include <string.h>

#include "verifier.h"

uint64_t vf_linked_pack(const struct vf_linked *l)
{
	uint64_t v = 0;
	for (int i = 0; i < l->n; i++) {
		uint64_t x = (uint64_t)(l->e[i].is_reg & 1) | (uint64_t)(l->e[i].frame & 7) << 1 |
			     (uint64_t)(l->e[i].idx & 63) << 4;
		v |= x << (i * 10);
	}
	return v | (uint64_t)l->n << 60;
}

void vf_linked_unpack(uint64_t v, struct vf_linked *l)
{
	l->n = (int)(v >> 60);
	if (l->n > VF_LINKED_MAX)
		l->n = VF_LINKED_MAX;
	for (int i = 0; i < l->n; i++) {
		uint64_t x = v >> (i * 10);
		l->e[i].is_reg = x & 1;
		l->e[i].frame = (x >> 1) & 7;
		l->e[i].idx = (x >> 4) & 63;
	}
}

static bool bt_empty(const struct vf_bt *bt)
{
	for (int i = 0; i < VF_MAX_FRAMES; i++)
		if (bt->reg[i] || bt->stack[i])
			return false;
	return true;
}

static bool reg_set(const struct vf_bt *bt, int r) { return bt->reg[bt->frame] & (1u << r); }
static void set_reg(struct vf_bt *bt, int r) { bt->reg[bt->frame] |= 1u << r; }
static void clear_reg(struct vf_bt *bt, int r) { bt->reg[bt->frame] &= ~(1u << r); }

#define ARGS_MASK 0x3eu /* r1-r5 */

/* Linked registers refined together at this jump: precise together. */
static void sync_linked(struct vf_bt *bt, const struct vf_hist *h)
{
	if (!h || !h->linked)
		return;
	struct vf_linked l;
	vf_linked_unpack(h->linked, &l);
	bool any = false;
	for (int i = 0; i < l.n; i++) {
		if (l.e[i].is_reg ? (bt->reg[l.e[i].frame] & (1u << l.e[i].idx))
				  : (bt->stack[l.e[i].frame] & (1ull << l.e[i].idx)))
			any = true;
	}
	if (!any)
		return;
	for (int i = 0; i < l.n; i++) {
		if (l.e[i].is_reg)
			bt->reg[l.e[i].frame] |= 1u << l.e[i].idx;
		else
			bt->stack[l.e[i].frame] |= 1ull << l.e[i].idx;
	}
}

#define BT_NOTSUPP 1

static bool is_pseudo_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

/* From what is needed after insn idx (reached by subseq_idx next), what is
 * needed before it. 0, BT_NOTSUPP (give up), or VF_EREJECT. */
static int backtrack_insn(struct vf_env *e, int idx, int subseq_idx, const struct vf_hist *h, struct vf_bt *bt)
{
	const struct bpf_insn *in = &e->insns[idx];
	int op = e->aux[idx].op;
	if (op < 0)
		return 0; /* second half of lddw */
	int shape = isa_table[op].shape;
	int d = in->dst_reg, s = in->src_reg;

	sync_linked(bt, h);
	switch (shape) {
	case S_ALU_IMM:
	case S_ALU_REG:
	case S_ALU_UN:
	case S_END:
		if (!reg_set(bt, d))
			return 0;
		if (BPF_OP(in->code) == BPF_MOV) {
			clear_reg(bt, d);
			if (shape == S_ALU_REG && s != 10)
				set_reg(bt, s);
		} else if (shape == S_ALU_REG && s != 10) {
			set_reg(bt, s);
		}
		break;
	case S_LDX:
	case S_LDACQ:
		if (!reg_set(bt, d))
			return 0;
		clear_reg(bt, d);
		if (h && (h->flags & VF_HIST_STACK))
			bt->stack[h->frame] |= 1ull << h->spi;
		return 0;
	case S_ST:
	case S_STX:
	case S_STREL:
		if (reg_set(bt, d))
			return BT_NOTSUPP;
		if (!h || !(h->flags & VF_HIST_STACK))
			return 0;
		if (!(bt->stack[h->frame] & (1ull << h->spi)))
			return 0;
		bt->stack[h->frame] &= ~(1ull << h->spi);
		if (shape != S_ST)
			set_reg(bt, s);
		return 0;
	case S_ATOMIC: {
		if (reg_set(bt, d))
			return BT_NOTSUPP;
		int load = -1;
		if (in->imm & BPF_FETCH)
			load = in->imm == BPF_CMPXCHG ? 0 : s;
		bool slot = h && (h->flags & VF_HIST_STACK) && (bt->stack[h->frame] & (1ull << h->spi));
		if (slot) {
			/* the slot now holds a combination of old value and src */
			bt->stack[h->frame] &= ~(1ull << h->spi);
			set_reg(bt, s);
			if (in->imm == BPF_CMPXCHG)
				set_reg(bt, 0);
		}
		if (load >= 0 && reg_set(bt, load)) {
			clear_reg(bt, load);
			if (h && (h->flags & VF_HIST_STACK))
				bt->stack[h->frame] |= 1ull << h->spi;
			if (in->imm == BPF_CMPXCHG)
				set_reg(bt, s); /* the old value decided what was stored */
		}
		return 0;
	}
	case S_CALL_LOCAL: {
		/* reached from the callee's first instruction: leaving the
		 * callee backwards; only its arguments can be wanted */
		if (bt->reg[bt->frame] & ~ARGS_MASK)
			return BT_NOTSUPP;
		if (bt->stack[bt->frame])
			return BT_NOTSUPP;
		if (bt->frame == 0)
			return BT_NOTSUPP;
		bt->reg[bt->frame - 1] |= bt->reg[bt->frame] & ARGS_MASK;
		bt->reg[bt->frame] = 0;
		bt->frame--;
		return 0;
	}
	case S_CALL:
	case S_CALLX:
	case S_CALL_KFUNC:
		if (e->aux[idx].calls_callback && subseq_idx != idx + 1) {
			/* leaving a callback backwards to the helper calling it */
			if (bt->reg[bt->frame] & ~ARGS_MASK)
				return BT_NOTSUPP;
			if (bt->stack[bt->frame] || bt->frame == 0)
				return BT_NOTSUPP;
			bt->reg[bt->frame] = 0;
			bt->frame--;
			return 0;
		}
		clear_reg(bt, 0);
		if (bt->reg[bt->frame] & ARGS_MASK)
			return BT_NOTSUPP;
		if (shape == S_CALLX && reg_set(bt, d))
			return 0;
		return 0;
	case S_EXIT: {
		if (subseq_idx >= 0 && e->aux[subseq_idx].calls_callback)
			bt->reg[bt->frame] &= ~ARGS_MASK;
		if (bt->reg[bt->frame] & ARGS_MASK)
			return BT_NOTSUPP;
		bool r0 = subseq_idx >= 1 && is_pseudo_call(&e->insns[subseq_idx - 1]) && reg_set(bt, 0);
		clear_reg(bt, 0);
		if (bt->frame + 1 >= VF_MAX_FRAMES)
			return BT_NOTSUPP;
		bt->frame++;
		if (r0)
			set_reg(bt, 0);
		return 0;
	}
	case S_JREG:
		if (!reg_set(bt, d) && !reg_set(bt, s))
			break;
		set_reg(bt, s);
		set_reg(bt, d);
		break;
	case S_LDDW:
		if (reg_set(bt, d))
			clear_reg(bt, d);
		return 0;
	case S_LDABS:
	case S_LDIND:
		if (reg_set(bt, 0)) {
			clear_reg(bt, 0);
			return BT_NOTSUPP;
		}
		return 0;
	default:
		break;
	}
	sync_linked(bt, h);
	return 0;
}

/* The history entry of insn i in st's segment, consuming entries from the
 * end (*nhist). */
static const struct vf_hist *hist_entry(const struct vf_state *st, uint32_t nhist, int i)
{
	if (nhist && st->hist[nhist - 1].idx == i)
		return &st->hist[nhist - 1];
	return NULL;
}

static int prev_insn(const struct vf_env *e, const struct vf_state *st, int i, uint32_t *nhist)
{
	uint32_t cnt = *nhist;
	if (i == st->first_insn_idx) {
		if (cnt == 0)
			return -1;
		if (cnt == 1 && st->hist[0].idx == i)
			return -1;
	}
	if (cnt && st->hist[cnt - 1].idx == i) {
		(*nhist)--;
		return st->hist[cnt - 1].prev;
	}
	if (i > 0 && e->aux[i - 1].op == -2)
		return i - 2;
	return i - 1;
}

void vf_mark_all_scalars_precise(struct vf_env *e, struct vf_state *st)
{
	(void)e;
	for (st = st->parent; st; st = st->parent) {
		for (int fr = 0; fr <= st->curframe; fr++) {
			struct vf_frame *f = st->frame[fr];
			for (int i = 0; i < 10; i++)
				if (f->regs[i].type == VF_SCALAR)
					f->regs[i].precise = 1;
			for (int i = 0; i < f->nslots; i++)
				if (vf_is_spilled(&f->stack[i]) && f->stack[i].spilled.type == VF_SCALAR)
					f->stack[i].spilled.precise = 1;
		}
	}
}

static bool bt_equal(const struct vf_bt *a, const struct vf_bt *b)
{
	if (a->frame != b->frame)
		return false;
	for (int i = 0; i < VF_MAX_FRAMES; i++)
		if (a->reg[i] != b->reg[i] || a->stack[i] != b->stack[i])
			return false;
	return true;
}

/* The walk from start ended without giving up: later walks of the segment
 * may stop where this one stood after its first step (memo). */
static int walk_done(struct vf_env *e, struct vf_state *start, const struct vf_bt_memo *memo)
{
	if (memo->seg) {
		if (!start->seg)
			start->seg = ++e->seg_gen ? e->seg_gen : ++e->seg_gen; /* never 0 */
		e->bt_memo = *memo;
		e->bt_memo.seg = start->seg;
	}
	return 0;
}

/* The walk gave up: every scalar of the path's checkpoints is precise. */
static int walk_lost(struct vf_env *e, struct vf_state *start)
{
	e->bt_memo.seg = 0;
	vf_mark_all_scalars_precise(e, start);
	return 0;
}

int vf_mark_precise_bt(struct vf_env *e, struct vf_state *start, struct vf_bt *bt)
{
	struct vf_state *st = start;
	int first = st->first_insn_idx, last = st->insn_idx, subseq = -1;
	bool skip_first = true;
	struct vf_bt_memo memo = { 0 };
	bool use_memo = start->seg && e->bt_memo.seg == start->seg;
	if (bt_empty(bt))
		return 0;
	if (e->log_level > 1)
		vf_log(e, "mark_precise: frame%d: last_idx %d first_idx %d\n", bt->frame, last, first);
	for (;;) {
		uint32_t nhist = st->nhist;
		for (int i = last;;) {
			int rc = 0;
			if (skip_first) {
				skip_first = false;
			} else {
				if (st == start) {
					if (!memo.seg)
						memo = (struct vf_bt_memo){ 1, i, subseq, nhist, *bt };
					if (use_memo && i == e->bt_memo.idx && nhist == e->bt_memo.nhist &&
					    subseq == e->bt_memo.subseq && bt_equal(bt, &e->bt_memo.bt))
						return walk_done(e, start, &memo);
				}
				rc = backtrack_insn(e, i, subseq, hist_entry(st, nhist, i), bt);
			}
			if (rc == BT_NOTSUPP)
				return walk_lost(e, start);
			if (rc) {
				e->bt_memo.seg = 0;
				return rc;
			}
			if (bt_empty(bt))
				return walk_done(e, start, &memo);
			subseq = i;
			i = prev_insn(e, st, i, &nhist);
			if (i < 0)
				break;
		}
		st = st->parent;
		if (!st)
			break;
		if (bt->frame != st->curframe)
			return walk_lost(e, start);
		for (int fr = bt->frame; fr >= 0; fr--) {
			struct vf_frame *f = st->frame[fr];
			for (int i = 0; i < 11; i++) {
				if (!(bt->reg[fr] & (1u << i)))
					continue;
				struct vf_reg *r = &f->regs[i];
				if (r->type != VF_SCALAR || r->precise)
					bt->reg[fr] &= ~(1u << i);
				else
					r->precise = 1;
			}
			for (int i = 0; i < 64; i++) {
				if (!(bt->stack[fr] & (1ull << i)))
					continue;
				if (i >= f->nslots || !vf_is_spilled_scalar(&f->stack[i])) {
					bt->stack[fr] &= ~(1ull << i);
					continue;
				}
				struct vf_reg *r = &f->stack[i].spilled;
				if (r->precise)
					bt->stack[fr] &= ~(1ull << i);
				else
					r->precise = 1;
			}
		}
		if (bt_empty(bt))
			return walk_done(e, start, &memo);
		subseq = first;
		last = st->last_insn_idx;
		first = st->first_insn_idx;
	}
	/* reached the program's entry with something left: the trail was lost */
	if (!bt_empty(bt))
		return walk_lost(e, start);
	return walk_done(e, start, &memo);
}

int vf_mark_precise(struct vf_env *e, int regno)
{
	if (regno < 0)
		return 0;
	struct vf_state *st = e->cur;
	if (vf_cur_regs(st)[regno].type != VF_SCALAR)
		return 0;
	struct vf_bt bt;
	memset(&bt, 0, sizeof(bt));
	bt.frame = st->curframe;
	bt.reg[bt.frame] = 1u << regno;
	return vf_mark_precise_bt(e, st, &bt);
}
