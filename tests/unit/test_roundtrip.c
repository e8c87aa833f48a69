/* test_roundtrip.c - the disassembler and the assembler are inverses: every
 * row of the opcode table, in instances with edge-value operands (every
 * register; imm 0, 1, -1, INT32_MIN, INT32_MAX; off 0, 1, -1, SHRT_MIN,
 * SHRT_MAX), disassembled with bpfvm_disasm_insn in LLVM syntax (plain, with
 * BPFVM_DISASM_ALU32, without comments) and in uBPF syntax, assembles back
 * with bpfvm_asm (in that syntax and in AUTO) to the same bytes. So do the
 * conformance suite's programs, whole.
 *
 * What a syntax cannot say is asserted as such, not skipped:
 *  - LLVM syntax prints a bpf-to-bpf call (src 1) and a kfunc call (src 2)
 *    as `call N`, like a helper call: they reassemble as the helper call with
 *    the same imm (and off 0);
 *  - LLVM's ld_pseudo (lddw with a pseudo source) does not print the second
 *    slot's imm: it reassembles as 0;
 *  - the uBPF `call runtime N` has no place for a kfunc's off (the BTF fd
 *    index): it reassembles as 0. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "isa.h"

static const int32_t imm_edges[] = { 0, 1, -1, INT32_MIN, INT32_MAX, 42, -4660 };
static const int16_t off_edges[] = { 0, 1, -1, SHRT_MIN, SHRT_MAX, 8, -4 };
#define NEDGES 7
#define NVARIANTS 14 /* every register as dst, every edge value twice over */

/* Variant k of row op in slot[0] (and slot[1] for lddw): registers and the
 * operand fields its shape uses take edge values, the discriminator its fixed
 * value, everything else zero. Returns the number of slots. */
static int make_instance(int op, int k, struct bpf_insn slot[2])
{
	const struct isa_row *r = &isa_table[op];
	memset(slot, 0, 2 * sizeof(*slot));
	struct bpf_insn *in = &slot[0];
	const uint8_t dst = (uint8_t)(k % 11), src = (uint8_t)((k * 7 + 3) % 11);
	const int32_t imm = imm_edges[k % NEDGES];
	const int16_t off = off_edges[(k / 2 + k) % NEDGES];
	in->code = r->code;
	switch (r->shape) {
	case S_ALU_IMM: in->dst_reg = dst; in->imm = imm; break;
	case S_ALU_REG: in->dst_reg = dst; in->src_reg = src; break;
	case S_ALU_UN: case S_END: case S_CALLX: in->dst_reg = dst; break;
	case S_LDDW: in->dst_reg = dst; in->imm = imm; break;
	case S_LDABS: in->imm = imm; break;
	case S_LDIND: in->src_reg = src; in->imm = imm; break;
	case S_LDX: case S_STX: case S_ATOMIC: case S_LDACQ: case S_STREL:
		in->dst_reg = dst; in->src_reg = src; in->off = off; break;
	case S_ST: in->dst_reg = dst; in->off = off; in->imm = imm; break;
	case S_JA: case S_MAYGOTO: in->off = off; break;
	case S_JA32: case S_CALL: case S_CALL_LOCAL: in->imm = imm; break;
	case S_CALL_KFUNC: in->imm = imm; in->off = off; break;
	case S_JIMM: in->dst_reg = dst; in->imm = imm; in->off = off; break;
	case S_JREG: in->dst_reg = dst; in->src_reg = src; in->off = off; break;
	case S_EXIT: break;
	}
	switch (r->disc_kind) {
	case D_OFF: in->off = (int16_t)r->disc_value; break;
	case D_IMM: in->imm = r->disc_value; break;
	case D_SRC: in->src_reg = (uint8_t)r->disc_value; break;
	}
	if (r->shape != S_LDDW)
		return 1;
	int s = in->src_reg;
	if (s == 0 || s == BPF_PSEUDO_MAP_VALUE || s == BPF_PSEUDO_BTF_ID || s == BPF_PSEUDO_MAP_IDX_VALUE)
		slot[1].imm = imm_edges[(k + 3) % NEDGES];
	return 2;
}

struct variant {
	const char *name;
	int syntax;
	uint32_t flags;
};

static const struct variant variants[] = {
	{ "llvm", BPFVM_SYNTAX_LLVM, 0 },
	{ "llvm+alu32", BPFVM_SYNTAX_LLVM, BPFVM_DISASM_ALU32 },
	{ "llvm, no comments", BPFVM_SYNTAX_LLVM, BPFVM_DISASM_NO_ANNOTATE },
	{ "ubpf", BPFVM_SYNTAX_UBPF, 0 },
};
#define NVARIANT_SYNTAX (sizeof(variants) / sizeof(variants[0]))

/* What the text of insn (and its second slot) in syntax is expected to
 * assemble to: itself, except where the syntax cannot express a field.
 * Returns 1 when an exception changed something. */
static int expected_back(const struct bpf_insn *in, int slots, int syntax, struct bpf_insn want[2])
{
	memcpy(want, in, (size_t)slots * sizeof(*in));
	int op = isa_lookup(in);
	assert_int_not_equal(op, ISA_OP_INVALID);
	int shape = isa_table[op].shape;
	if (syntax == BPFVM_SYNTAX_LLVM) {
		if (shape == S_CALL_LOCAL || shape == S_CALL_KFUNC) {
			/* `call N`: a helper call with the same imm */
			want[0].src_reg = 0;
			want[0].off = 0;
			assert_int_equal(isa_table[isa_lookup(&want[0])].shape, S_CALL);
		}
		if (shape == S_LDDW && in->src_reg != 0)
			want[1].imm = 0; /* ld_pseudo shows no second imm */
	} else if (shape == S_CALL_KFUNC) {
		want[0].off = 0; /* `call runtime N` shows no off */
	}
	return memcmp(want, in, (size_t)slots * sizeof(*in)) != 0;
}

static void hexdump(char *buf, size_t len, const struct bpf_insn *v, size_t n)
{
	size_t p = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && p + 20 < len; i++) {
		uint8_t b[8];
		memcpy(b, &v[i], 8);
		for (int j = 0; j < 8; j++)
			p += (size_t)snprintf(buf + p, len - p, "%02x", b[j]);
		p += (size_t)snprintf(buf + p, len - p, " ");
	}
}

/* Assembles text with syntax and checks it gives want[0..n). */
static void assemble_expect(const char *what, const char *text, int syntax, const struct bpf_insn *want, size_t n)
{
	struct bpf_insn *out = NULL;
	size_t got = 0;
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	int rc = bpfvm_asm(text, strlen(text), syntax, &out, &got, &err);
	if (rc != 0) {
		char msg[512];
		fail_msg("%s: \"%s\" does not assemble (syntax %d): %s", what, text, syntax,
			 bpfvm_error_format(&err, msg, sizeof(msg)));
	}
	if (got != n || memcmp(out, want, n * sizeof(*want))) {
		char a[256], b[256];
		hexdump(a, sizeof(a), want, n);
		hexdump(b, sizeof(b), out, got);
		free(out);
		fail_msg("%s: \"%s\" assembles (syntax %d) to %s, want %s", what, text, syntax, b, a);
	}
	free(out);
}

static void test_every_row(void **state)
{
	(void)state;
	long trips = 0, exceptions = 0;
	long per_shape_exceptions[3] = { 0 }; /* local/kfunc call, ld_pseudo hi, kfunc off (uBPF) */
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		for (int k = 0; k < NVARIANTS; k++) {
			struct bpf_insn s[2];
			int slots = make_instance(op, k, s);
			char why[128];
			assert_int_equal(isa_lookup(&s[0]), op);
			if (isa_check_fields(op, &s[0], why, sizeof(why)))
				fail_msg("%s variant %d is not well-formed: %s", isa_table[op].name, k, why);
			for (size_t v = 0; v < NVARIANT_SYNTAX; v++) {
				const struct variant *var = &variants[v];
				char text[256], what[160];
				int rc = bpfvm_disasm_insn(s, (size_t)slots, 0, var->syntax, var->flags, text, sizeof(text));
				assert_int_equal(rc, slots);
				struct bpf_insn want[2];
				if (expected_back(s, slots, var->syntax, want)) {
					exceptions++;
					int shape = isa_table[op].shape;
					per_shape_exceptions[shape == S_LDDW ? 1
							     : (var->syntax == BPFVM_SYNTAX_UBPF ? 2 : 0)]++;
				}
				snprintf(what, sizeof(what), "%s variant %d, %s", isa_table[op].name, k, var->name);
				assemble_expect(what, text, var->syntax, want, (size_t)slots);
				assemble_expect(what, text, BPFVM_SYNTAX_AUTO, want, (size_t)slots);
				trips += 2;
			}
		}
	}
	printf("%d rows x %d instances x %zu disassembly variants: %ld assemblies gave the original bytes; "
	       "%ld texts reassembled as asserted exceptions (%ld local/kfunc calls as helper calls in LLVM syntax, "
	       "%ld ld_pseudo without the second imm, %ld uBPF kfunc calls without off)\n",
	       BPFVM_OP__COUNT, NVARIANTS, NVARIANT_SYNTAX, trips, exceptions, per_shape_exceptions[0],
	       per_shape_exceptions[1], per_shape_exceptions[2]);
	/* The exceptions must really happen where the table has the rows. */
	assert_true(per_shape_exceptions[0] > 0 && per_shape_exceptions[1] > 0);
}

/* Whole programs: the conformance suite as upstream assembled it. */
static void test_conformance_programs(void **state)
{
	(void)state;
	const char *cdir = tu_conformance_dir();
	if (!cdir) {
		printf("SKIP: the conformance suite (../shared/conformance) is not here\n");
		skip();
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/assembled.tsv", cdir);
	char *tsv = tu_read_file(path, NULL);
	assert_non_null(tsv);
	long programs = 0, slots_total = 0, adjusted = 0;
	for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(line, "\t"), line);
		char *hex = strrchr(line, '\t');
		assert_non_null(hex);
		size_t bytes;
		struct bpf_insn *prog = (struct bpf_insn *)tu_hex_decode(hex + 1, &bytes);
		assert_non_null(prog);
		assert_int_equal(bytes % 8, 0);
		size_t n = bytes / 8;
		for (size_t v = 0; v < NVARIANT_SYNTAX; v++) {
			const struct variant *var = &variants[v];
			size_t cap = n * 128 + 1, len = 0;
			char *text = malloc(cap);
			struct bpf_insn *want = malloc(bytes);
			assert_true(text && want);
			text[0] = 0;
			for (size_t pc = 0; pc < n;) {
				char buf[256];
				int rc = bpfvm_disasm_insn(prog, n, pc, var->syntax, var->flags, buf, sizeof(buf));
				if (rc <= 0)
					fail_msg("%s insn %zu: not decoded: %s", name, pc, buf);
				adjusted += expected_back(&prog[pc], rc, var->syntax, &want[pc]);
				len += (size_t)snprintf(text + len, cap - len, "%s\n", buf);
				assert_true(len < cap);
				pc += (size_t)rc;
			}
			char what[200];
			snprintf(what, sizeof(what), "%s (%s)", name, var->name);
			assemble_expect(what, text, var->syntax, want, n);
			assemble_expect(what, text, BPFVM_SYNTAX_AUTO, want, n);
			free(text);
			free(want);
		}
		programs++;
		slots_total += (long)n;
		free(prog);
	}
	free(tsv);
	printf("%ld conformance programs (%ld slots) x %zu variants disassembled and reassembled to the same "
	       "bytes; %ld instructions as asserted LLVM-syntax exceptions (local calls)\n",
	       programs, slots_total, NVARIANT_SYNTAX, adjusted);
	assert_true(programs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row),
		cmocka_unit_test(test_conformance_programs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
