/* validate.c - structural validation of raw bytecode, before any engine sees
 * it: known instructions, reserved fields, registers, lddw pairs, jump and
 * call targets, subprogram boundaries. Errors name the instruction index. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

static int fail(struct bpfvm_error *err, long insn, const char *fmt, ...)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = BPFVM_EDECODE;
		err->insn = insn;
		err->offset = -1;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return BPFVM_EDECODE;
}

/* Why an instruction matched no row: unknown code, or a known code with a
 * discriminator value no row has. */
static int explain_unknown(const struct bpf_insn *in, long pc, struct bpfvm_error *err)
{
	int disc = -1;
	for (int op = 0; op < BPFVM_OP__COUNT; op++)
		if (isa_table[op].code == in->code) {
			disc = isa_table[op].disc_kind;
			break;
		}
	switch (disc) {
	case D_OFF: return fail(err, pc, "invalid off %d for opcode 0x%02x", in->off, in->code);
	case D_IMM: return fail(err, pc, "invalid imm 0x%x for opcode 0x%02x", (unsigned)in->imm, in->code);
	case D_SRC: return fail(err, pc, "invalid src_reg %u for opcode 0x%02x", in->src_reg, in->code);
	default: return fail(err, pc, "unknown opcode 0x%02x", in->code);
	}
}

static int is_exit_or_goto(int op)
{
	int s = isa_table[op].shape;
	return s == S_EXIT || s == S_JA || s == S_JA32;
}

int isa_validate(const struct bpf_insn *insns, size_t n, struct bpfvm_error *err)
{
	if (n == 0)
		return fail(err, -1, "empty program");
	if (n > BPFVM_MAX_INSNS)
		return fail(err, -1, "program too large: %zu instructions, limit %d", n, BPFVM_MAX_INSNS);

	/* ops[i]: row of slot i; -2 marks the second slot of an lddw.
	 * sub[i]: 1 where a subprogram starts. */
	int *ops = malloc(n * sizeof(*ops));
	uint8_t *sub = calloc(n, 1);
	int rc = 0;
	if (!ops || !sub) {
		free(ops);
		free(sub);
		if (err) {
			memset(err, 0, sizeof(*err));
			err->code = BPFVM_ENOMEM;
			err->insn = -1;
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		}
		return BPFVM_ENOMEM;
	}
	sub[0] = 1;
	char why[160];

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *in = &insns[pc];
		int op = isa_lookup(in);
		if (op == ISA_OP_INVALID) {
			rc = explain_unknown(in, (long)pc, err);
			goto out;
		}
		if (isa_check_fields(op, in, why, sizeof(why))) {
			rc = fail(err, (long)pc, "%s (opcode 0x%02x)", why, in->code);
			goto out;
		}
		const struct isa_row *r = &isa_table[op];
		if (isa_writes_dst(op) && in->dst_reg == BPF_REG_10) {
			rc = fail(err, (long)pc, "cannot write to r10, the read-only frame pointer");
			goto out;
		}
		if (r->shape == S_ATOMIC && (in->imm & BPF_FETCH) && in->imm != BPF_CMPXCHG &&
		    in->src_reg == BPF_REG_10) {
			rc = fail(err, (long)pc, "cannot write to r10, the read-only frame pointer");
			goto out;
		}
		ops[pc] = op;
		if (r->shape == S_LDDW) {
			if (pc + 1 >= n) {
				rc = fail(err, (long)pc, "incomplete lddw: the second slot is missing");
				goto out;
			}
			const struct bpf_insn *hi = &insns[pc + 1];
			if (hi->code || hi->dst_reg || hi->src_reg || hi->off) {
				rc = fail(err, (long)pc + 1,
					  "invalid second slot of lddw: code, registers and off must be 0");
				goto out;
			}
			int s = in->src_reg;
			if ((s == BPF_PSEUDO_MAP_FD || s == BPF_PSEUDO_MAP_IDX || s == BPF_PSEUDO_FUNC) && hi->imm) {
				rc = fail(err, (long)pc + 1, "invalid second slot of lddw: imm must be 0 for pseudo source %d", s);
				goto out;
			}
			ops[++pc] = -2;
		}
	}

	/* Targets of jumps, calls and code addresses. */
	for (size_t pc = 0; pc < n; pc++) {
		if (ops[pc] < 0)
			continue;
		long t;
		if (isa_jump_target(ops[pc], &insns[pc], (long)pc, &t))
			continue;
		if (t < 0 || t >= (long)n) {
			rc = fail(err, (long)pc, "jump out of range: insn %zu to %ld (program has %zu)", pc, t, n);
			goto out;
		}
		if (ops[t] == -2) {
			rc = fail(err, (long)pc, "jump into the middle of lddw at insn %ld", t - 1);
			goto out;
		}
		int s = isa_table[ops[pc]].shape;
		if (s == S_CALL_LOCAL || s == S_LDDW)
			sub[t] = 1;
	}

	/* Each subprogram ends in exit or goto, and jumps stay inside it. */
	long start = 0;
	for (size_t pc = 0; pc <= n; pc++) {
		if (pc == n || (pc > 0 && sub[pc])) {
			long last = (long)pc - 1;
			if (ops[last] == -2)
				last--;
			if (!is_exit_or_goto(ops[last])) {
				rc = pc == n ? fail(err, last, "falls off the end: the last instruction is not exit or goto")
					     : fail(err, last, "falls into the subprogram at insn %zu: not exit or goto", pc);
				goto out;
			}
			for (long j = start; j < (long)pc; j++) {
				long t;
				if (ops[j] < 0 || !isa_is_jump(ops[j]) || isa_jump_target(ops[j], &insns[j], j, &t))
					continue;
				if (t < start || t >= (long)pc) {
					rc = fail(err, j, "jump out of its subprogram: insn %ld to %ld", j, t);
					goto out;
				}
			}
			start = (long)pc;
		}
	}
out:
	free(ops);
	free(sub);
	return rc;
}
