/* cfg.c - the program's shape before any path is explored, with the
 * kernel's checks and messages: every instruction known and well-formed,
 * subprograms (the entry, targets of bpf-to-bpf calls and of callback
 * addresses), jumps that stay inside their subprogram, subprograms that end
 * in exit or goto, no jump into the second half of an lddw, and every
 * instruction reachable. Marks the prune points, the instructions where the
 * driver compares states: conditional jumps, jump targets, call sites and
 * the instructions after calls. */
#include <stdlib.h>
#include <string.h>

#include "verifier.h"

int vf_insn_len(const struct vf_env *e, int idx)
{
	return isa_is_lddw(e->aux[idx].op) ? 2 : 1;
}

int vf_find_subprog(const struct vf_env *e, int start)
{
	int lo = 0, hi = e->nsub - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (e->sub[mid].start == start)
			return mid;
		if (e->sub[mid].start < start)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static int add_subprog(struct vf_env *e, int start)
{
	if (start < 0 || (size_t)start >= e->n)
		return vf_fail(e, "call to invalid destination");
	int i = 0;
	while (i < e->nsub && e->sub[i].start < start)
		i++;
	if (i < e->nsub && e->sub[i].start == start)
		return 0;
	if (e->nsub >= VF_MAX_SUBPROGS)
		return vf_fail(e, "too many subprograms");
	memmove(&e->sub[i + 1], &e->sub[i], (size_t)(e->nsub - i) * sizeof(e->sub[0]));
	memset(&e->sub[i], 0, sizeof(e->sub[i]));
	e->sub[i].start = start;
	e->nsub++;
	return 0;
}

static bool is_call_local(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

static bool is_func_addr(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC;
}

static int decode(struct vf_env *e)
{
	char why[160];
	for (size_t pc = 0; pc < e->n; pc++) {
		const struct bpf_insn *in = &e->insns[pc];
		int op = isa_lookup(in);
		if (op == ISA_OP_INVALID) {
			e->insn_idx = (int)pc;
			return vf_fail(e, "unknown opcode %02x", in->code);
		}
		if (isa_check_fields(op, in, why, sizeof(why))) {
			e->insn_idx = (int)pc;
			return vf_fail(e, "invalid instruction: %s", why);
		}
		e->aux[pc].op = (int16_t)op;
		if (isa_is_lddw(op)) {
			const struct bpf_insn *hi = pc + 1 < e->n ? &e->insns[pc + 1] : NULL;
			if (!hi || hi->code || hi->dst_reg || hi->src_reg || hi->off) {
				e->insn_idx = (int)pc;
				return vf_fail(e, "invalid bpf_ld_imm64 insn");
			}
			e->aux[++pc].op = -2;
		}
	}
	return 0;
}

/* Subprogram boundaries, jumps inside them, last instructions. */
static int check_subprogs(struct vf_env *e)
{
	int rc = add_subprog(e, 0);
	for (size_t pc = 0; !rc && pc < e->n; pc++) {
		const struct bpf_insn *in = &e->insns[pc];
		if (e->aux[pc].op == -2)
			continue;
		if (is_call_local(in) || is_func_addr(in)) {
			e->insn_idx = (int)pc;
			rc = add_subprog(e, (int)pc + in->imm + 1);
		}
	}
	if (rc)
		return rc;
	e->sub[e->nsub].start = (int)e->n; /* sentinel */
	for (int s = 0; s < e->nsub; s++) {
		e->sub[s].end = e->sub[s + 1].start;
		for (int pc = e->sub[s].start; pc < e->sub[s].end; pc++) {
			const struct bpf_insn *in = &e->insns[pc];
			e->aux[pc].subprog = (uint16_t)s;
			if (e->aux[pc].op == -2)
				continue;
			int op = e->aux[pc].op;
			if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0 && in->imm == BPF_FUNC_tail_call)
				e->sub[s].has_tail_call = 1;
			if (isa_table[op].shape == S_LDABS || isa_table[op].shape == S_LDIND)
				e->sub[s].has_ld_abs = 1;
			long target;
			if (isa_is_jump(op) && !isa_jump_target(op, in, pc, &target) &&
			    (target < e->sub[s].start || target >= e->sub[s].end)) {
				e->insn_idx = pc;
				return vf_fail(e, "jump out of range from insn %d to %ld", pc, target);
			}
		}
		int last = e->sub[s].end - 1;
		if (e->aux[last].op == -2)
			last--;
		int shape = isa_table[e->aux[last].op].shape;
		if (shape != S_EXIT && shape != S_JA && shape != S_JA32) {
			e->insn_idx = last;
			return vf_fail(e, "last insn is not an exit or jmp");
		}
	}
	return 0;
}

static void mark_prune(struct vf_env *e, long idx)
{
	if (idx >= 0 && (size_t)idx < e->n)
		e->aux[idx].prune_point = 1;
}

static bool calls_callback(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0 &&
	       (in->imm == BPF_FUNC_loop || in->imm == BPF_FUNC_for_each_map_elem);
}

/* Depth-first walk from the entry over every edge (calls and callback
 * addresses lead into their subprograms). */
int vf_check_cfg(struct vf_env *e)
{
	int rc = decode(e);
	if (!rc)
		rc = check_subprogs(e);
	if (rc)
		return rc;
	uint8_t *seen = calloc(e->n, 1);
	int *work = malloc(e->n * 2 * sizeof(int) + sizeof(int));
	if (!seen || !work) {
		free(seen);
		free(work);
		return VF_ENOMEM;
	}
	size_t nwork = 0;
	work[nwork++] = 0;
	seen[0] = 1;
#define VISIT(t)                                                                 \
	do {                                                                     \
		long t_ = (t);                                                   \
		if (t_ >= 0 && (size_t)t_ < e->n && !seen[t_]) {                 \
			seen[t_] = 1;                                            \
			work[nwork++] = (int)t_;                                 \
		}                                                                \
	} while (0)
	while (nwork) {
		int t = work[--nwork];
		const struct bpf_insn *in = &e->insns[t];
		int op = e->aux[t].op;
		if (op < 0) /* the second slot of an lddw is never an instruction of its own */
			continue;
		int shape = isa_table[op].shape;
		int len = vf_insn_len(e, t);
		long target;
		switch (shape) {
		case S_EXIT:
			break;
		case S_JA:
		case S_JA32:
			isa_jump_target(op, in, t, &target);
			mark_prune(e, target);
			VISIT(target);
			break;
		case S_JIMM:
		case S_JREG:
		case S_MAYGOTO:
			isa_jump_target(op, in, t, &target);
			mark_prune(e, t);
			mark_prune(e, target);
			if (shape == S_MAYGOTO)
				e->aux[t].force_checkpoint = 1;
			VISIT(t + 1);
			VISIT(target);
			break;
		case S_CALL:
		case S_CALL_LOCAL:
		case S_CALLX:
		case S_CALL_KFUNC:
			mark_prune(e, t + 1);
			VISIT(t + 1);
			if (shape == S_CALL_LOCAL) {
				mark_prune(e, t);
				VISIT(t + in->imm + 1);
			}
			if (calls_callback(in)) {
				e->aux[t].calls_callback = 1;
				e->aux[t].force_checkpoint = 1;
				mark_prune(e, t);
			}
			break;
		case S_LDDW:
			if (in->src_reg == BPF_PSEUDO_FUNC) {
				mark_prune(e, t + len);
				VISIT(t + in->imm + 1);
			}
			VISIT(t + len);
			break;
		default:
			VISIT(t + len);
			break;
		}
	}
#undef VISIT
	rc = 0;
	for (size_t i = 0; i < e->n; i++) {
		if (e->aux[i].op == -2) {
			if (seen[i]) {
				e->insn_idx = (int)i - 1;
				rc = vf_fail(e, "jump into the middle of ldimm64 insn %zu", i - 1);
				break;
			}
			continue;
		}
		if (!seen[i]) {
			e->insn_idx = (int)i;
			rc = vf_fail(e, "unreachable insn %zu", i);
			break;
		}
	}
	free(seen);
	free(work);
	return rc;
}
