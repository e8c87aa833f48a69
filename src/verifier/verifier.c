/* verifier.c - the driver: explores every path of the program from its
 * entry, one instruction at a time (a depth-first walk with a worklist of
 * the branches still to explore), and proves each one safe or says why it
 * is not. States at prune points are kept as checkpoints; a path reaching a
 * checkpoint that covers it (vf_states_equal) stops there. Loops are
 * explored iteration by iteration until they end or their state repeats
 * (an infinite loop); at most VF_COMPLEXITY_LIMIT instructions are
 * processed. Conditional jumps, with what they teach each branch, are
 * handled here. Also bpfvm_verify, the public entry point. */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "vm.h"
#include "verifier.h"

/* ---- worklist and history ---- */

struct vf_state *vf_push_stack(struct vf_env *e, int insn_idx, int prev_insn_idx)
{
	if (e->nstack >= VF_MAX_JMP_SEQ) {
		vf_fail(e, "The sequence of %d jumps is too complex.", (int)e->nstack + 1); /* the kernel counts the one that overflowed */
		return NULL;
	}
	if (e->nstack == e->cap_stack) {
		size_t cap = e->cap_stack ? e->cap_stack * 2 : 64;
		struct vf_elem *s = realloc(e->stack, cap * sizeof(*s));
		if (!s)
			return NULL;
		e->stack = s;
		e->cap_stack = cap;
	}
	struct vf_state *st = vf_state_new();
	if (!st || vf_state_copy(st, e->cur)) {
		vf_state_free(st);
		return NULL;
	}
	st->branches = 1;
	if (st->parent)
		st->parent->branches++;
	e->stack[e->nstack++] = (struct vf_elem){ st, insn_idx, prev_insn_idx, e->log_pos };
	return st;
}

int vf_push_hist(struct vf_env *e, struct vf_state *st, uint16_t flags, uint8_t frame, uint8_t spi, uint64_t linked)
{
	if (st == e->cur && e->cur_hist) {
		struct vf_hist *h = &st->hist[st->nhist - 1];
		h->flags |= flags;
		if (flags & VF_HIST_STACK) {
			h->frame = frame;
			h->spi = spi;
		}
		if (linked)
			h->linked = linked;
		return 0;
	}
	if (st->nhist == st->cap_hist) {
		uint32_t cap = st->cap_hist ? st->cap_hist * 2 : 8;
		struct vf_hist *h = realloc(st->hist, cap * sizeof(*h));
		if (!h)
			return VF_ENOMEM;
		st->hist = h;
		st->cap_hist = cap;
	}
	st->hist[st->nhist++] = (struct vf_hist){ e->insn_idx, e->prev_insn_idx, flags, frame, spi, linked };
	if (st == e->cur)
		e->cur_hist = &st->hist[st->nhist - 1];
	return 0;
}

/* An evicted checkpoint whose paths are all explored is never looked at
 * again (only the ancestors of a path being explored are walked: liveness,
 * precision, branch counts): its frames and history are freed; the shell
 * stays, its descendants point at it. */
static void release_evicted(struct vf_env *e, struct vf_state *st)
{
	struct vf_sl *sl = (struct vf_sl *)((char *)st - offsetof(struct vf_sl, st));
	e->ckpt_bytes -= sl->bytes;
	sl->bytes = 0;
	vf_state_free_content(st);
}

static void update_branch_counts(struct vf_env *e, struct vf_state *st)
{
	while (st) {
		if (--st->branches)
			break;
		if (st->evicted)
			release_evicted(e, st);
		st = st->parent;
	}
}

/* 1 when a branch was popped into e->cur, 0 when none is left. */
static int pop_stack(struct vf_env *e)
{
	if (!e->nstack)
		return 0;
	struct vf_elem el = e->stack[--e->nstack];
	vf_state_free(e->cur);
	e->cur = el.st;
	e->insn_idx = el.insn_idx;
	e->prev_insn_idx = el.prev_insn_idx;
	if (e->log_level == 1)
		vf_log_reset(e, el.log_pos);
	return 1;
}

/* ---- pruning ---- */

static void clear_precise(struct vf_state *st)
{
	for (int fr = 0; fr <= st->curframe; fr++) {
		struct vf_frame *f = st->frame[fr];
		for (int i = 0; i < 11; i++)
			f->regs[i].precise = 0;
		for (int i = 0; i < f->nslots; i++)
			f->stack[i].spilled.precise = 0;
	}
}

/* Everything every checkpoint of the path holds counts as read and precise:
 * after a loop converged against a state still being explored, whose marks
 * are not final. */
static void mark_path_conservative(struct vf_state *st)
{
	for (st = st->parent; st; st = st->parent) {
		for (int fr = 0; fr <= st->curframe; fr++) {
			struct vf_frame *f = st->frame[fr];
			for (int i = 0; i < 11; i++) {
				f->regs[i].live |= VF_LIVE_READ;
				if (f->regs[i].type == VF_SCALAR)
					f->regs[i].precise = 1;
			}
			for (int i = 0; i < f->nslots; i++) {
				f->stack[i].spilled.live |= VF_LIVE_READ;
				if (f->stack[i].spilled.type == VF_SCALAR)
					f->stack[i].spilled.precise = 1;
			}
		}
	}
}

static bool is_may_goto(const struct vf_env *e, int idx)
{
	return e->aux[idx].op >= 0 && isa_table[e->aux[idx].op].shape == S_MAYGOTO;
}

/* 1: cur is covered by an explored state (prune); 0: go on; <0: error. */
static int is_state_visited(struct vf_env *e, int idx)
{
	struct vf_state *cur = e->cur;
	bool force = e->aux[idx].force_checkpoint || cur->nhist > 40;
	bool add = force || (e->jmps_processed - e->prev_jmps_processed >= 2 &&
			     e->insn_processed - e->prev_insn_processed >= 8);
	uint32_t count = 0;
	struct vf_sl **link = &e->explored[idx];
	while (*link) {
		struct vf_sl *sl = *link;
		count++;
		if (sl->st.branches) {
			bool hit = false;
			if (is_may_goto(e, idx) && sl->st.may_goto_depth != cur->may_goto_depth &&
			    vf_states_equal(e, &sl->st, cur, VF_RANGE_WITHIN))
				hit = true;
			else if (e->aux[idx].calls_callback && vf_states_equal(e, &sl->st, cur, VF_RANGE_WITHIN))
				hit = true;
			if (hit) {
				sl->hit++;
				mark_path_conservative(cur);
				return 1;
			}
			if (!e->aux[idx].calls_callback && vf_states_maybe_looping(&sl->st, cur) &&
			    vf_states_equal(e, &sl->st, cur, VF_EXACT) && sl->st.may_goto_depth == cur->may_goto_depth &&
			    sl->st.callback_unroll_depth == cur->callback_unroll_depth) {
				vf_fail(e, "infinite loop detected at insn %d", idx);
				if (e->log_level) {
					vf_log(e, "cur state:");
					vf_log_state(e, cur, true);
					vf_log(e, "old state:");
					vf_log_state(e, &sl->st, true);
				}
				return VF_EREJECT;
			}
			/* inside a loop: do not add a state at every iteration */
			if (!force && e->jmps_processed - e->prev_jmps_processed < 20 &&
			    e->insn_processed - e->prev_insn_processed < 100)
				add = false;
		} else if (vf_states_equal(e, &sl->st, cur, VF_NOT_EXACT)) {
			sl->hit++;
			int rc = 0;
			if (e->prev_insn_idx >= 0 && e->prev_insn_idx + vf_insn_len(e, e->prev_insn_idx) != idx)
				rc = vf_push_hist(e, cur, 0, 0, 0, 0);
			if (!rc)
				rc = vf_propagate_liveness(e, &sl->st, cur);
			return rc ? rc : 1;
		}
		if (add)
			sl->miss++;
		uint32_t n = e->aux[idx].force_checkpoint && sl->st.branches > 0 ? 64 : 3;
		if (sl->miss > sl->hit * n + n) {
			/* rarely useful: stop comparing against it (children may
			 * still point at it: it is freed at the end) */
			*link = sl->next;
			sl->next = e->all_sl;
			sl->st.evicted = 1;
			e->all_sl = sl;
			e->cur_states--;
			if (!sl->st.branches)
				release_evicted(e, &sl->st);
			continue;
		}
		link = &sl->next;
	}
	if (e->max_states_per_insn < count)
		e->max_states_per_insn = count;
	if (!add)
		return 0;
	/* a memory bound for pathological programs: past it no more
	 * checkpoints are kept (pruning gets weaker; the instruction limit
	 * still ends the walk) */
	size_t bytes = sizeof(struct vf_sl) + cur->nhist * sizeof(struct vf_hist);
	for (int fr = 0; fr <= cur->curframe; fr++)
		bytes += sizeof(struct vf_frame) + (size_t)cur->frame[fr]->nslots * sizeof(struct vf_slot);
	if (e->ckpt_bytes + bytes > VF_MAX_CKPT_BYTES)
		return 0;
	e->ckpt_bytes += bytes;

	struct vf_sl *sl = calloc(1, sizeof(*sl));
	if (!sl)
		return VF_ENOMEM;
	sl->bytes = bytes;
	clear_precise(cur);
	if (vf_state_copy(&sl->st, cur)) {
		free(sl);
		return VF_ENOMEM;
	}
	e->total_states++;
	if (++e->cur_states > e->peak_states)
		e->peak_states = e->cur_states;
	e->prev_jmps_processed = e->jmps_processed;
	e->prev_insn_processed = e->insn_processed;
	sl->st.insn_idx = idx;
	sl->next = e->explored[idx];
	e->explored[idx] = sl;

	/* cur continues below the new checkpoint */
	struct vf_state *nw = &sl->st;
	cur->parent = nw;
	cur->first_insn_idx = idx;
	cur->seg = 0;
	cur->dfs_depth = nw->dfs_depth + 1;
	cur->nhist = 0;
	for (int fr = 0; fr <= cur->curframe; fr++) {
		struct vf_frame *f = cur->frame[fr], *nf = nw->frame[fr];
		for (int i = 0; i < 10; i++) {
			f->regs[i].parent = (fr < cur->curframe && i < 6) ? NULL : &nf->regs[i];
			f->regs[i].live = 0;
		}
		for (int i = 0; i < f->nslots; i++) {
			f->stack[i].spilled.parent = &nf->stack[i].spilled;
			f->stack[i].spilled.live = 0;
		}
	}
	return 0;
}

/* ---- conditional jumps ---- */

static void collect_linked(struct vf_state *st, uint32_t id, struct vf_linked *l)
{
	id &= ~VF_ADD_CONST;
	for (int fr = st->curframe; fr >= 0; fr--) {
		struct vf_frame *f = st->frame[fr];
		for (int i = 0; i < 10; i++) {
			struct vf_reg *r = &f->regs[i];
			if (r->type != VF_SCALAR || (r->id & ~VF_ADD_CONST) != id)
				continue;
			bool dup = false;
			for (int k = 0; k < l->n; k++)
				if (l->e[k].is_reg && l->e[k].frame == fr && l->e[k].idx == i)
					dup = true;
			if (dup)
				continue;
			if (l->n < VF_LINKED_MAX)
				l->e[l->n++] = (typeof(l->e[0])){ 1, (uint8_t)fr, (uint8_t)i };
			else
				r->id = 0, r->off = 0;
		}
		for (int i = 0; i < f->nslots && i < 64; i++) {
			struct vf_reg *r = &f->stack[i].spilled;
			if (!vf_is_spilled(&f->stack[i]) || r->type != VF_SCALAR || (r->id & ~VF_ADD_CONST) != id)
				continue;
			bool dup = false;
			for (int k = 0; k < l->n; k++)
				if (!l->e[k].is_reg && l->e[k].frame == fr && l->e[k].idx == i)
					dup = true;
			if (dup)
				continue;
			if (l->n < VF_LINKED_MAX)
				l->e[l->n++] = (typeof(l->e[0])){ 0, (uint8_t)fr, (uint8_t)i };
			else
				r->id = 0, r->off = 0;
		}
	}
}

/* Every register linked to known (same id) learns its new bounds. */
static void sync_linked(struct vf_state *st, const struct vf_reg *known, const struct vf_linked *l)
{
	for (int k = 0; k < l->n; k++) {
		struct vf_frame *f = st->frame[l->e[k].frame];
		struct vf_reg *r = l->e[k].is_reg ? &f->regs[l->e[k].idx] : &f->stack[l->e[k].idx].spilled;
		if (r == known || r->type != VF_SCALAR || (r->id & ~VF_ADD_CONST) != (known->id & ~VF_ADD_CONST))
			continue;
		uint32_t id = r->id;
		int32_t off = r->off;
		bool r_add = r->id & VF_ADD_CONST, k_add = known->id & VF_ADD_CONST;
		if ((!r_add && !k_add) || r->off == known->off) {
			vf_copy_reg(r, known);
		} else {
			struct vf_reg delta;
			memset(&delta, 0, sizeof(delta));
			vf_mark_unknown(&delta);
			vf_mark_known(&delta, (uint64_t)(int64_t)((int64_t)(r_add ? off : 0) - (k_add ? known->off : 0)));
			vf_copy_reg(r, known);
			r->id = 0;
			r->off = 0;
			vf_scalar_alu(NULL, BPF_ADD, false, r, delta);
		}
		r->id = id;
		r->off = off;
	}
}

static void update_raw_len(struct vf_env *e, struct vf_state *st, uint32_t raw_id)
{
	if (!raw_id)
		return;
	VF_FOR_EACH_REG(st, fr, reg, {
		if (reg->type == VF_SCALAR && reg->id == raw_id && reg->umin > st->raw_len)
			st->raw_len = reg->umin > UINT32_MAX ? UINT32_MAX : (uint32_t)reg->umin;
	});
	(void)e;
}

static int check_cond_jmp(struct vf_env *e, const struct bpf_insn *insn, int *idx)
{
	struct vf_state *this_branch = e->cur;
	uint8_t op = BPF_OP(insn->code);
	bool is32 = BPF_CLASS(insn->code) == BPF_JMP32;
	int rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
	if (rc)
		return rc;
	struct vf_reg *regs = vf_cur_regs(this_branch);
	struct vf_reg *dst = &regs[insn->dst_reg], *src;
	if (BPF_SRC(insn->code) == BPF_X) {
		rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
		if (rc)
			return rc;
		src = &regs[insn->src_reg];
	} else {
		src = &e->fake[0];
		memset(src, 0, sizeof(*src));
		vf_mark_unknown(src);
		vf_mark_known(src, (uint64_t)(int64_t)insn->imm);
	}

	/* what is already decided */
	int pred = -1;
	if (!is32 && vf_is_pkt_pointer_any(dst) && vf_is_pkt_pointer_any(src)) {
		if (!vf_pkt_branch(dst, src, op, &pred))
			pred = -1;
	} else if (vf_is_pointer(dst) || vf_is_pointer(src)) {
		/* a non-null pointer is never 0; Linux decides the 32-bit
		 * comparisons too, but a pointer's low half may be 0: bpfvm
		 * explores both branches of those */
		struct vf_reg *p = dst, *k = src;
		uint8_t o = op;
		if (!vf_reg_is_const(k, is32)) {
			p = src;
			k = dst;
			o = vf_flip_op(op);
		}
		if (!is32 && vf_reg_is_const(k, false) && vf_is_pointer(p) && vf_reg_not_null(p) && vf_reg_const(k, false) == 0) {
			if (o == BPF_JEQ)
				pred = 0;
			else if (o == BPF_JNE)
				pred = 1;
		}
	} else {
		/* Linux 6.18 does not treat "if rX op rX" specially: both branches
		 * are explored (the dead one must be safe too) */
		pred = vf_is_branch_taken(dst, src, op, is32);
	}
	if (pred >= 0) {
		if (!vf_is_pointer(dst))
			rc = vf_mark_precise(e, insn->dst_reg);
		if (!rc && BPF_SRC(insn->code) == BPF_X && !vf_is_pointer(&vf_cur_regs(e->cur)[insn->src_reg]))
			rc = vf_mark_precise(e, insn->src_reg);
		if (rc)
			return rc;
		if (pred == 1) {
			long target;
			isa_jump_target(e->aux[*idx].op, insn, *idx, &target);
			*idx = (int)target;
		} else {
			*idx += 1;
		}
		return 0;
	}

	struct vf_linked linked = { 0 };
	if (BPF_SRC(insn->code) == BPF_X && src->type == VF_SCALAR && src->id)
		collect_linked(this_branch, src->id, &linked);
	if (dst->type == VF_SCALAR && dst->id)
		collect_linked(this_branch, dst->id, &linked);
	if (linked.n > 1) {
		rc = vf_push_hist(e, this_branch, 0, 0, 0, vf_linked_pack(&linked));
		if (rc)
			return rc;
	}

	long target;
	isa_jump_target(e->aux[*idx].op, insn, *idx, &target);
	struct vf_state *other = vf_push_stack(e, (int)target, *idx);
	if (!other)
		return e->failed ? VF_EREJECT : VF_ENOMEM;
	struct vf_reg *oregs = vf_cur_regs(other);
	regs = vf_cur_regs(this_branch);
	dst = &regs[insn->dst_reg];
	struct vf_reg *odst = &oregs[insn->dst_reg], *osrc;
	struct vf_reg fk_this, fk_other;
	if (BPF_SRC(insn->code) == BPF_X) {
		src = &regs[insn->src_reg];
		osrc = &oregs[insn->src_reg];
	} else {
		fk_this = e->fake[0];
		fk_other = e->fake[0];
		src = &fk_this;
		osrc = &fk_other;
	}

	if (dst->type == VF_SCALAR && src->type == VF_SCALAR && !(BPF_SRC(insn->code) == BPF_X && insn->src_reg == insn->dst_reg)) {
		/* the fall-through: !(dst op src); the jump: dst op src */
		vf_refine_cond(dst, src, vf_rev_op(op), is32);
		vf_bounds_sync(dst);
		vf_bounds_sync(src);
		vf_refine_cond(odst, osrc, op, is32);
		vf_bounds_sync(odst);
		vf_bounds_sync(osrc);
		/* contradictory bounds: that branch cannot happen (which the
		 * values decide, as for a decided branch) */
		bool jump_dead = !vf_bounds_sane(odst) || !vf_bounds_sane(osrc);
		bool fall_dead = !vf_bounds_sane(dst) || !vf_bounds_sane(src);
		if (jump_dead || fall_dead) {
			rc = vf_mark_precise(e, insn->dst_reg);
			if (!rc && BPF_SRC(insn->code) == BPF_X)
				rc = vf_mark_precise(e, insn->src_reg);
			if (rc)
				return rc;
		}
		if (jump_dead) {
			/* drop the pushed jump branch */
			e->nstack--;
			update_branch_counts(e, other);
			vf_state_free(other);
			other = NULL;
		} else if (fall_dead) {
			/* only the jump is possible: continue with it */
			*idx = (int)target;
			e->nstack--;
			update_branch_counts(e, this_branch);
			vf_state_free(this_branch);
			e->cur = other;
			this_branch = other;
			other = NULL;
		}
	}
	if (other) {
		if (BPF_SRC(insn->code) == BPF_X && src->type == VF_SCALAR && src->id) {
			sync_linked(this_branch, src, &linked);
			sync_linked(other, osrc, &linked);
		}
		if (dst->type == VF_SCALAR && dst->id) {
			sync_linked(this_branch, dst, &linked);
			sync_linked(other, odst, &linked);
		}
		update_raw_len(e, this_branch, e->raw_len_id);
		update_raw_len(e, other, e->raw_len_id);

		/* a maybe-null pointer compared with a non-null one */
		if (!is32 && BPF_SRC(insn->code) == BPF_X && vf_is_pointer(src) && vf_is_pointer(dst) &&
		    !!(src->type & VF_MAYBE_NULL) != !!(dst->type & VF_MAYBE_NULL) && (op == BPF_JEQ || op == BPF_JNE)) {
			struct vf_state *eq = op == BPF_JEQ ? other : this_branch;
			struct vf_reg *r = &vf_cur_regs(eq)[(src->type & VF_MAYBE_NULL) ? insn->src_reg : insn->dst_reg];
			vf_mark_ptr_or_null_regs(e, eq, r->id, false);
		}
		if (!is32 && BPF_SRC(insn->code) == BPF_K && insn->imm == 0 && (op == BPF_JEQ || op == BPF_JNE) &&
		    (dst->type & VF_MAYBE_NULL)) {
			uint32_t id = dst->id;
			vf_mark_ptr_or_null_regs(e, this_branch, id, op == BPF_JNE);
			vf_mark_ptr_or_null_regs(e, other, id, op == BPF_JEQ);
		} else {
			vf_try_match_pkt_pointers(e, insn, dst, BPF_SRC(insn->code) == BPF_X ? &regs[insn->src_reg] : src,
						  this_branch, other);
		}
		*idx += 1;
	}
	return 0;
}

/* may_goto: the jump is taken when the run's budget is spent; the loop body
 * (fall-through) is explored with one more level of depth. */
static int check_may_goto(struct vf_env *e, const struct bpf_insn *insn, int *idx)
{
	struct vf_state *cur = e->cur;
	struct vf_state *prev = NULL;
	/* the previous iteration: an ancestor at this instruction older than
	 * the checkpoint just made for this visit */
	const struct vf_state *ref = cur->parent ? cur->parent : cur;
	for (struct vf_sl *sl = e->explored[*idx]; sl; sl = sl->next)
		if (sl->st.branches && sl->st.curframe == cur->curframe && sl->st.dfs_depth < ref->dfs_depth) {
			prev = &sl->st;
			break;
		}
	struct vf_state *q = vf_push_stack(e, *idx + 1, *idx);
	if (!q)
		return e->failed ? VF_EREJECT : VF_ENOMEM;
	q->may_goto_depth++;
	if (prev)
		vf_widen_imprecise(e, prev, q);
	long target;
	isa_jump_target(e->aux[*idx].op, insn, *idx, &target);
	*idx = (int)target;
	return 0;
}

/* ---- the main loop ---- */

static int do_check(struct vf_env *e)
{
	bool print_state = true;
	for (;;) {
		int idx = e->insn_idx;
		if (idx < 0 || (size_t)idx >= e->n)
			return vf_fail(e, "invalid insn idx %d insn_cnt %zu", idx, e->n);
		const struct bpf_insn *insn = &e->insns[idx];
		struct vf_state *st = e->cur;
		if (++e->insn_processed > VF_COMPLEXITY_LIMIT)
			return vf_fail(e, "BPF program is too large. Processed %llu insn",
				       (unsigned long long)e->insn_processed);
		st->last_insn_idx = e->prev_insn_idx;
		st->insn_idx = idx;
		e->cur_hist = NULL;
		int rc;
		if (e->aux[idx].prune_point) {
			rc = is_state_visited(e, idx);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				if (e->log_level) {
					if (print_state)
						vf_log(e, "\nfrom %d to %d: safe\n", e->prev_insn_idx, idx);
					else
						vf_log(e, "%d: safe\n", idx);
				}
				goto process_exit;
			}
		}
		st = e->cur;
		if (e->prev_insn_idx >= 0 && e->prev_insn_idx + vf_insn_len(e, e->prev_insn_idx) != idx) {
			rc = vf_push_hist(e, st, 0, 0, 0, 0);
			if (rc)
				return rc;
		}
		if (e->log_level && print_state) {
			if (e->prev_insn_idx >= 0)
				vf_log(e, "\nfrom %d to %d:", e->prev_insn_idx, idx);
			else
				vf_log(e, "%d:", idx);
			vf_log_state(e, st, true);
			print_state = false;
		}
		vf_log_insn(e, idx);
		e->scratched_regs = 0;
		e->scratched_stack = 0;
		e->aux[idx].seen = 1;
		int next = idx + vf_insn_len(e, idx);
		int shape = isa_table[e->aux[idx].op].shape;
		uint8_t cls = BPF_CLASS(insn->code);
		if (cls == BPF_JMP || cls == BPF_JMP32)
			e->jmps_processed++;
		switch (shape) {
		case S_ALU_IMM:
		case S_ALU_REG:
		case S_ALU_UN:
		case S_END:
			rc = vf_check_alu(e, insn);
			break;
		case S_LDX:
			rc = vf_check_ldx(e, insn);
			break;
		case S_ST:
			rc = vf_check_st(e, insn);
			break;
		case S_STX:
			rc = vf_check_stx(e, insn);
			break;
		case S_ATOMIC:
		case S_LDACQ:
		case S_STREL:
			rc = vf_check_atomic(e, insn);
			break;
		case S_LDABS:
		case S_LDIND:
			rc = vf_check_ld_abs(e, insn);
			break;
		case S_LDDW:
			rc = vf_check_ld_imm64(e, insn);
			break;
		case S_JA:
		case S_JA32: {
			long target;
			isa_jump_target(e->aux[idx].op, insn, idx, &target);
			next = (int)target;
			rc = 0;
			break;
		}
		case S_JIMM:
		case S_JREG:
			next = idx;
			rc = check_cond_jmp(e, insn, &next);
			break;
		case S_MAYGOTO:
			next = idx;
			rc = check_may_goto(e, insn, &next);
			break;
		case S_CALL:
			rc = vf_check_helper_call(e, insn, &next);
			break;
		case S_CALLX:
			rc = vf_check_callx(e, insn);
			break;
		case S_CALL_LOCAL:
			next = idx;
			rc = vf_check_subprog_call(e, insn, &next);
			break;
		case S_CALL_KFUNC:
			rc = vf_fail(e, "kernel function calls (call src=2, BTF id %d) are not available outside the kernel",
				     insn->imm);
			break;
		case S_EXIT:
			if (e->cur->curframe > 0) {
				next = idx;
				rc = vf_prepare_func_exit(e, &next);
				if (!rc)
					print_state = e->log_level > 1;
				break;
			}
			rc = vf_check_exit(e);
			if (rc)
				return rc;
			goto process_exit;
		default:
			rc = vf_fail(e, "unknown opcode %02x", insn->code);
			break;
		}
		if (rc)
			return rc;
		vf_log_insn_state(e, e->cur);
		e->prev_insn_idx = idx;
		e->insn_idx = next;
		continue;
process_exit:
		update_branch_counts(e, e->cur);
		if (!pop_stack(e))
			return 0;
		print_state = true;
	}
}

/* ---- call chains and stack use ---- */

static int round_stack(int depth)
{
	return (depth + 15) / 16 * 16;
}

/* The deepest chain of calls (and callbacks) from the entry: at most 8
 * frames and 512 bytes of stack in all, and 256 below a tail call. */
static int check_max_stack_depth(struct vf_env *e)
{
	int frame_sub[VF_MAX_FRAMES + 1], ret_insn[VF_MAX_FRAMES + 1], depth_at[VF_MAX_FRAMES + 1];
	int frame = 0, sub = 0, i = 0, depth = 0;
	e->max_stack_depth = 0;
process:
	if (sub && e->sub[sub].has_tail_call && depth >= VF_MAX_TAIL_CALL_STACK) {
		e->insn_idx = e->sub[sub].start;
		return vf_fail(e, "tail_calls are not allowed when call stack of previous frames is %d bytes. Too large",
			       depth);
	}
	depth_at[frame] = depth;
	depth += round_stack(e->sub[sub].stack_depth);
	if (depth > VF_MAX_STACK) {
		e->insn_idx = e->sub[sub].start;
		return vf_fail(e, "combined stack size of %d calls is %d. Too large", frame + 1, depth);
	}
	if (depth > e->max_stack_depth)
		e->max_stack_depth = depth;
	i = e->sub[sub].start;
continue_func:
	for (; i < e->sub[sub].end; i++) {
		const struct bpf_insn *in = &e->insns[i];
		if (e->aux[i].op < 0)
			continue;
		bool call = in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
		bool func = in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC;
		if (!call && !func)
			continue;
		int target = vf_find_subprog(e, i + in->imm + 1);
		if (target < 0)
			continue;
		frame_sub[frame] = sub;
		ret_insn[frame] = i + 1;
		frame++;
		if (frame >= VF_MAX_FRAMES) {
			e->insn_idx = i;
			return vf_fail(e, "the call stack of %d frames is too deep !", frame);
		}
		sub = target;
		goto process;
	}
	if (frame == 0)
		return 0;
	depth = depth_at[frame];
	frame--;
	sub = frame_sub[frame];
	i = ret_insn[frame];
	goto continue_func;
}

/* ---- setup and the public entry ---- */

/* The first state of a walk from subprogram sub's first instruction: one
 * frame, nothing but r10 initialised. */
static struct vf_state *entry_state(struct vf_env *e, int sub)
{
	struct vf_state *st = vf_state_new();
	if (!st)
		return NULL;
	st->frame[0] = vf_frame_new(0, sub, -1);
	if (!st->frame[0]) {
		vf_state_free(st);
		return NULL;
	}
	st->branches = 1;
	st->first_insn_idx = e->sub[sub].start;
	st->last_insn_idx = -1;
	return st;
}

static int init_state(struct vf_env *e)
{
	struct vf_state *st = entry_state(e, 0);
	if (!st)
		return VF_ENOMEM;
	struct vf_reg *regs = st->frame[0]->regs;
	if (e->prog_type == BPFVM_PROG_TYPE_RAW) {
		vf_mark_known_zero_ptr(&regs[1], VF_PTR_TO_MEM | VF_RAWMEM);
		vf_mark_unknown(&regs[2]);
		regs[2].umin = e->raw_mem_size;
		vf_bounds_sync(&regs[2]);
		regs[2].id = ++e->id_gen;
		e->raw_len_id = regs[2].id;
		st->raw_len = e->raw_mem_size;
	} else {
		vf_mark_known_zero_ptr(&regs[1], VF_PTR_TO_CTX);
	}
	e->cur = st;
	return 0;
}

/* The walk of a global function: frame 0 of that subprogram, its arguments
 * as their types allow (any scalar, the context, memory of the pointed-to
 * type's size or NULL). The checkpoints of earlier walks are set aside:
 * they belong to other call chains. */
static int check_global(struct vf_env *e, int sub)
{
	const struct bpfvm_func_info *g = &e->gfuncs[e->sub[sub].global - 1];
	e->sub[sub].verified = 1;
	for (size_t i = 0; i < e->n; i++)
		while (e->explored[i]) {
			struct vf_sl *sl = e->explored[i];
			e->explored[i] = sl->next;
			sl->next = e->all_sl;
			e->all_sl = sl;
		}
	vf_state_free(e->cur);
	e->cur = NULL;
	struct vf_state *st = entry_state(e, sub);
	if (!st)
		return VF_ENOMEM;
	struct vf_reg *regs = st->frame[0]->regs;
	for (int a = 0; a < g->nargs; a++) {
		struct vf_reg *r = &regs[a + 1];
		switch (g->arg[a]) {
		case BPFVM_FUNC_ARG_SCALAR:
			vf_mark_unknown(r);
			break;
		case BPFVM_FUNC_ARG_CTX:
			vf_mark_known_zero_ptr(r, VF_PTR_TO_CTX);
			break;
		case BPFVM_FUNC_ARG_MEM:
			vf_mark_known_zero_ptr(r, VF_PTR_TO_MEM | VF_MAYBE_NULL);
			r->range = g->arg_size[a];
			r->id = ++e->id_gen;
			break;
		default:
			break; /* a call could not pass it: no caller reaches here */
		}
	}
	e->cur = st;
	e->in_global = sub;
	e->insn_idx = e->sub[sub].start;
	e->prev_insn_idx = -1;
	if (e->log_level)
		vf_log(e, "Validating %s() func#%d...\n", g->name ? g->name : "", sub);
	return 0;
}

static void env_free(struct vf_env *e)
{
	for (size_t i = 0; i < e->nstack; i++)
		vf_state_free(e->stack[i].st);
	free(e->stack);
	vf_state_free(e->cur);
	/* checkpoints point at their parents: free them all at the end */
	if (e->explored) {
		for (size_t i = 0; i < e->n; i++) {
			struct vf_sl *sl = e->explored[i];
			while (sl) {
				struct vf_sl *next = sl->next;
				vf_state_free_content(&sl->st);
				free(sl);
				sl = next;
			}
		}
	}
	for (struct vf_sl *sl = e->all_sl, *next; sl; sl = next) {
		next = sl->next;
		vf_state_free_content(&sl->st);
		free(sl);
	}
	free(e->explored);
	free(e->aux);
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

int bpfvm_verify(bpfvm_env *env, const struct bpf_insn *insns, size_t n, const struct bpfvm_verify_opts *opts,
		 struct bpfvm_verify_result *res, char *log, size_t log_len, struct bpfvm_error *err)
{
	struct bpfvm_verify_opts o = { 0 };
	if (opts) {
		size_t sz = opts->sz < sizeof(o) ? opts->sz : sizeof(o);
		memcpy(&o, opts, sz);
	}
	if (res) {
		size_t sz = res->sz;
		memset(res, 0, sz < sizeof(*res) ? sz : sizeof(*res));
		res->sz = sz;
	}
	if (log && log_len)
		log[0] = 0;
	if (!env || (!insns && n))
		return set_err(err, BPFVM_EINVAL, -1, "invalid argument to bpfvm_verify");
	if (n == 0)
		return set_err(err, BPFVM_EVERIFY, -1, "empty program");
	if (n > BPFVM_MAX_INSNS)
		return set_err(err, BPFVM_EVERIFY, -1, "program too large");
	if (!vm_ctx_supported(o.prog_type))
		return set_err(err, BPFVM_EUNSUPP, -1, "program type is not supported");

	struct vf_env *e = calloc(1, sizeof(*e));
	if (!e)
		return set_err(err, BPFVM_ENOMEM, -1, "out of memory");
	e->env = env;
	e->insns = insns;
	e->n = n;
	e->prog_type = o.prog_type;
	e->fd_array = o.fd_array;
	e->fd_array_len = o.fd_array ? o.fd_array_len : 0;
	e->raw_mem_size = o.raw_mem_size;
	e->log_level = log && log_len > 1 ? o.log_level : 0;
	e->log = log;
	e->log_len = log_len;
	e->insn_idx = 0;
	e->prev_insn_idx = -1;
	e->aux = calloc(n, sizeof(*e->aux));
	e->explored = calloc(n, sizeof(*e->explored));
	int rc = (!e->aux || !e->explored) ? VF_ENOMEM : 0;
	e->gfuncs = o.global_funcs;
	e->ngfuncs = o.global_funcs ? o.nglobal_funcs : 0;
	e->in_global = -1;
	if (!rc)
		rc = vf_check_cfg(e);
	for (size_t g = 0; !rc && g < e->ngfuncs; g++) {
		int s = vf_find_subprog(e, (int)e->gfuncs[g].insn);
		if (s > 0) /* never the program itself */
			e->sub[s].global = (int16_t)(g + 1);
	}
	if (!rc) {
		e->insn_idx = 0;
		rc = init_state(e);
	}
	if (!rc)
		rc = do_check(e);
	/* then the global functions that were called, each on its own (a
	 * walk may call further ones) */
	for (bool more = true; !rc && more;) {
		more = false;
		for (int s = 0; !rc && s < e->nsub; s++)
			if (e->sub[s].global && e->sub[s].called && !e->sub[s].verified) {
				rc = check_global(e, s);
				if (!rc)
					rc = do_check(e);
				if (!rc && e->log_level)
					vf_log(e, "Func#%d ('%s') is safe for any args that match its prototype\n", s,
					       e->gfuncs[e->sub[s].global - 1].name ? e->gfuncs[e->sub[s].global - 1].name : "");
				more = true;
			}
	}
	if (!rc)
		rc = check_max_stack_depth(e);
	if (!rc) {
		/* the loader's structural rules too (a program the verifier
		 * accepts must load): whatever the checks above let through */
		struct bpfvm_error verr;
		if (isa_validate(insns, n, &verr)) {
			e->insn_idx = verr.insn >= 0 ? (int)verr.insn : 0;
			rc = vf_fail(e, "%s", verr.msg);
		}
	}
	if (e->log_level)
		vf_log(e, "processed %llu insns (limit %d) max_states_per_insn %u total_states %u peak_states %u\n",
		       (unsigned long long)e->insn_processed, VF_COMPLEXITY_LIMIT, e->max_states_per_insn,
		       e->total_states, e->peak_states);
	vf_log_finish(e);
	if (res) {
		struct bpfvm_verify_result r = { .sz = res->sz };
		r.accepted = rc == 0;
		r.insns_processed = e->insn_processed;
		r.total_states = e->total_states;
		r.peak_states = e->peak_states;
		r.max_states_per_insn = e->max_states_per_insn;
		r.max_stack_depth = (uint32_t)e->max_stack_depth;
		r.error_insn = rc ? e->err_insn : -1;
		size_t sz = res->sz < sizeof(r) ? res->sz : sizeof(r);
		memcpy(res, &r, sz);
	}
	int code = 0;
	if (rc == VF_ENOMEM)
		code = set_err(err, BPFVM_ENOMEM, -1, "out of memory");
	else if (rc)
		code = set_err(err, BPFVM_EVERIFY, e->err_insn, e->msg);
	env_free(e);
	free(e);
	return code;
}
