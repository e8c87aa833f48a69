/* table.c - the opcode table expanded from opcodes.def, instruction lookup by
 * (code, discriminator) and the per-shape rules for reserved fields. */
#include <stdio.h>
#include <string.h>

#include "isa.h"

const struct isa_row isa_table[BPFVM_OP__COUNT] = {
#define INSN(id, code, dk, dv, shape, group, ver, ubpf, llvm, sem) \
	[BPFVM_OP_##id] = { #id, code, dk, dv, shape, group, ver, ubpf, llvm, sem },
#include "opcodes.def"
#undef INSN
};

const char *const isa_group_names[ISA_GROUP__COUNT] = {
	"base32", "base64", "atomic32", "atomic64", "divmul32", "divmul64", "callx", "packet", "ext",
};

/* For each opcode byte, the first row with that code and how many follow it
 * contiguously in the table is not guaranteed, so keep explicit lists. */
#define MAX_ROWS_PER_CODE 16
static struct {
	uint8_t n;
	int16_t rows[MAX_ROWS_PER_CODE];
} by_code[256];

/* Built once, at load time of the library (constructor), from the table. */
__attribute__((constructor)) static void build_index(void)
{
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		uint8_t c = isa_table[op].code;
		if (by_code[c].n < MAX_ROWS_PER_CODE)
			by_code[c].rows[by_code[c].n++] = (int16_t)op;
	}
}

int isa_lookup(const struct bpf_insn *insn)
{
	const uint8_t c = insn->code;
	for (int i = 0; i < by_code[c].n; i++) {
		int op = by_code[c].rows[i];
		const struct isa_row *r = &isa_table[op];
		switch (r->disc_kind) {
		case D_NONE: return op;
		case D_OFF: if (insn->off == r->disc_value) return op; break;
		case D_IMM: if (insn->imm == r->disc_value) return op; break;
		case D_SRC: if (insn->src_reg == r->disc_value) return op; break;
		}
	}
	return ISA_OP_INVALID;
}

/* Which fields each shape uses; the rest must be zero. Fields covered by the
 * row's discriminator are already fixed by isa_lookup. */
enum { F_DST = 1, F_SRC = 2, F_OFF = 4, F_IMM = 8 };
static const uint8_t shape_fields[] = {
	[S_ALU_IMM] = F_DST | F_IMM | F_OFF,  /* off: discriminator (0, or 1 for sdiv) */
	[S_ALU_REG] = F_DST | F_SRC | F_OFF,
	[S_ALU_UN] = F_DST,
	[S_END] = F_DST | F_IMM,
	[S_LDDW] = F_DST | F_SRC | F_IMM,
	[S_LDABS] = F_IMM,
	[S_LDIND] = F_SRC | F_IMM,
	[S_LDX] = F_DST | F_SRC | F_OFF,
	[S_ST] = F_DST | F_OFF | F_IMM,
	[S_STX] = F_DST | F_SRC | F_OFF,
	[S_ATOMIC] = F_DST | F_SRC | F_OFF | F_IMM,
	[S_LDACQ] = F_DST | F_SRC | F_OFF | F_IMM,
	[S_STREL] = F_DST | F_SRC | F_OFF | F_IMM,
	[S_JA] = F_OFF,
	[S_JA32] = F_IMM,
	[S_JIMM] = F_DST | F_OFF | F_IMM,
	[S_JREG] = F_DST | F_SRC | F_OFF,
	[S_CALL] = F_SRC | F_IMM,
	[S_CALL_LOCAL] = F_SRC | F_IMM,
	[S_CALL_KFUNC] = F_SRC | F_OFF | F_IMM,
	[S_CALLX] = F_DST,
	[S_EXIT] = 0,
	[S_MAYGOTO] = F_SRC | F_OFF,
};

int isa_check_fields(int op, const struct bpf_insn *insn, char *why, size_t whylen)
{
	const struct isa_row *r = &isa_table[op];
	uint8_t f = shape_fields[r->shape];
	if (!(f & F_DST) && insn->dst_reg) {
		snprintf(why, whylen, "reserved field dst_reg is %u, must be 0", insn->dst_reg);
		return -1;
	}
	if (!(f & F_SRC) && insn->src_reg) {
		snprintf(why, whylen, "reserved field src_reg is %u, must be 0", insn->src_reg);
		return -1;
	}
	if (!(f & F_OFF) && insn->off) {
		snprintf(why, whylen, "reserved field off is %d, must be 0", insn->off);
		return -1;
	}
	if (!(f & F_IMM) && insn->imm) {
		snprintf(why, whylen, "reserved field imm is %d, must be 0", insn->imm);
		return -1;
	}
	if ((f & F_DST) && insn->dst_reg > 10) {
		snprintf(why, whylen, "invalid register r%u", insn->dst_reg);
		return -1;
	}
	/* src is a register for every shape that uses it except lddw, calls and
	 * may_goto, where it is a pseudo source fixed by the discriminator. */
	if ((f & F_SRC) && insn->src_reg > 10) {
		snprintf(why, whylen, "invalid register r%u", insn->src_reg);
		return -1;
	}
	return 0;
}

int isa_is_jump(int op)
{
	switch (isa_table[op].shape) {
	case S_JA: case S_JA32: case S_JIMM: case S_JREG: case S_MAYGOTO: return 1;
	default: return 0;
	}
}

int isa_writes_dst(int op)
{
	switch (isa_table[op].shape) {
	case S_ALU_IMM: case S_ALU_REG: case S_ALU_UN: case S_END: case S_LDDW: case S_LDX: case S_LDACQ:
		return 1;
	default:
		return 0;
	}
}

/* Target of a jump, local call or code-address lddw at pc; 0 if op has one. */
int isa_jump_target(int op, const struct bpf_insn *insn, long pc, long *target)
{
	switch (isa_table[op].shape) {
	case S_JA: case S_JIMM: case S_JREG: case S_MAYGOTO:
		*target = pc + 1 + insn->off;
		return 0;
	case S_JA32: case S_CALL_LOCAL:
		*target = pc + 1 + (long)insn->imm;
		return 0;
	case S_LDDW:
		if (insn->src_reg == BPF_PSEUDO_FUNC) {
			*target = pc + 1 + (long)insn->imm;
			return 0;
		}
		return -1;
	default:
		return -1;
	}
}

const char *isa_helper_name(uint32_t id)
{
	switch (id) {
#define HELPER_NAME(id, name) case id: return "bpf_" #name;
#include "helper_names.def"
#undef HELPER_NAME
	default: return NULL;
	}
}
