/* fuzz_asm.c - libFuzzer target for the assembler and its inverse: arbitrary
 * text goes through bpfvm_asm_ex (AUTO syntax). When it assembles, every
 * slot is disassembled in LLVM syntax (plain, +alu32, without comments) and
 * in uBPF syntax, and each listing is assembled again, in its own syntax and
 * in AUTO, with the first run's maps passed as the caller's maps (the
 * listing names maps by index). That must give the same bytes, except what a
 * syntax cannot say (tests/unit/test_roundtrip.c asserts the same list):
 *   - LLVM syntax prints bpf-to-bpf calls and kfunc calls as `call N`: they
 *     come back as a helper call with the same imm (src 0, off 0);
 *   - LLVM's ld_pseudo (lddw with a pseudo source) does not print the second
 *     slot's imm: it comes back 0;
 *   - uBPF `call runtime N` has no place for a kfunc's off: it comes back 0.
 * Anything else aborts with both listings on stderr. Failures must be
 * BPFVM_EASM with a one-line message and a line number inside the text. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "isa.h"

#define MAX_TEXT 16384
#define LINE 512

static void dump(const char *what, const struct bpf_insn *v, size_t n)
{
	fprintf(stderr, "%s (%zu slots):", what, n);
	for (size_t i = 0; i < n && i < 64; i++) {
		const uint8_t *b = (const uint8_t *)&v[i];
		fprintf(stderr, " ");
		for (int j = 0; j < 8; j++)
			fprintf(stderr, "%02x", b[j]);
	}
	fprintf(stderr, "\n");
}

/* What slot pc of the original is expected to come back as from a listing in
 * syntax. */
static void expected_back(const struct bpf_insn *in, int slots, int syntax, struct bpf_insn want[2])
{
	memcpy(want, in, (size_t)slots * sizeof(*in));
	int shape = isa_table[isa_lookup(in)].shape;
	if (syntax == BPFVM_SYNTAX_LLVM) {
		if (shape == S_CALL_LOCAL || shape == S_CALL_KFUNC) {
			want[0].src_reg = 0;
			want[0].off = 0;
		}
		if (shape == S_LDDW && in->src_reg != 0)
			want[1].imm = 0;
	} else if (shape == S_CALL_KFUNC) {
		want[0].off = 0;
	}
}

static void check_error(const struct bpfvm_error *err, int rc, const char *text, size_t len, const char *what)
{
	long lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (rc != BPFVM_EASM && rc != BPFVM_ENOMEM) {
		fprintf(stderr, "fuzz_asm: %s: unexpected return %d\n", what, rc);
		abort();
	}
	if (err->code != rc || !memchr(err->msg, 0, sizeof(err->msg)) || strchr(err->msg, '\n') ||
	    (rc == BPFVM_EASM && (err->line < 1 || err->line > lines || err->column < 0))) {
		fprintf(stderr, "fuzz_asm: %s: bad error: code %d line %d column %d (text has %ld lines)\n", what,
			err->code, err->line, err->column, lines);
		abort();
	}
	char buf[400];
	bpfvm_error_format(err, buf, sizeof(buf));
	if (!memchr(buf, 0, sizeof(buf)) || strchr(buf, '\n')) {
		fprintf(stderr, "fuzz_asm: %s: bpfvm_error_format gave more than one line\n", what);
		abort();
	}
}

/* Disassembles prog in one syntax variant into a malloc'd listing and the
 * bytes it is expected to assemble back to. */
static char *listing(const struct bpf_insn *prog, size_t n, int syntax, uint32_t flags, struct bpf_insn *want)
{
	size_t cap = n * LINE + 1, len = 0;
	char *text = malloc(cap);
	if (!text)
		return NULL;
	text[0] = 0;
	for (size_t pc = 0; pc < n;) {
		char buf[LINE - 1];
		int rc = bpfvm_disasm_insn(prog, n, pc, syntax, flags, buf, sizeof(buf));
		if (rc <= 0) {
			fprintf(stderr, "fuzz_asm: the assembler produced slot %zu that does not disassemble: %s\n", pc,
				buf);
			dump("program", prog, n);
			abort();
		}
		expected_back(&prog[pc], rc, syntax, &want[pc]);
		len += (size_t)snprintf(text + len, cap - len, "%s\n", buf);
		pc += (size_t)rc;
	}
	return text;
}

static void reassemble(const char *src, size_t srclen, const char *text, int syntax, const struct bpf_insn *want,
		       size_t n, const struct bpfvm_asm_result *orig, const char *variant)
{
	struct bpfvm_asm_opts o = { .sz = sizeof(o), .syntax = syntax, .maps = orig->maps, .nmaps = orig->nmaps };
	struct bpfvm_asm_result r = { .sz = sizeof(r) };
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	int rc = bpfvm_asm_ex(text, strlen(text), &o, &r, &err);
	if (rc == BPFVM_ENOMEM)
		return;
	if (rc != 0 || r.n != n || memcmp(r.insns, want, n * sizeof(*want)) != 0) {
		char msg[400];
		fprintf(stderr, "fuzz_asm: the %s listing (assembled with syntax %d) %s\n", variant, syntax,
			rc ? bpfvm_error_format(&err, msg, sizeof(msg)) : "gives other bytes");
		fprintf(stderr, "--- source ---\n%.*s\n--- listing ---\n%s", (int)srclen, src, text);
		dump("want", want, n);
		if (rc == 0)
			dump("got ", r.insns, r.n);
		abort();
	}
	bpfvm_asm_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_TEXT)
		return 0;
	const char *src = (const char *)data;
	struct bpfvm_asm_result res = { .sz = sizeof(res) };
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	int rc = bpfvm_asm_ex(src, size, NULL, &res, &err);
	if (rc != 0) {
		check_error(&err, rc, src, size, "bpfvm_asm_ex");
		return 0;
	}
	/* bpfvm_asm is the same assembler without the map list. */
	struct bpf_insn *plain = NULL;
	size_t nplain = 0;
	rc = bpfvm_asm(src, size, BPFVM_SYNTAX_AUTO, &plain, &nplain, &err);
	if (rc == 0 && (nplain != res.n || memcmp(plain, res.insns, res.n * sizeof(*plain)))) {
		fprintf(stderr, "fuzz_asm: bpfvm_asm and bpfvm_asm_ex disagree\n");
		abort();
	}
	if (rc != 0 && rc != BPFVM_ENOMEM) {
		fprintf(stderr, "fuzz_asm: bpfvm_asm_ex assembles, bpfvm_asm fails with %d\n", rc);
		abort();
	}
	free(plain);

	static const struct {
		const char *name;
		int syntax;
		uint32_t flags;
	} variants[] = {
		{ "llvm", BPFVM_SYNTAX_LLVM, 0 },
		{ "llvm+alu32", BPFVM_SYNTAX_LLVM, BPFVM_DISASM_ALU32 },
		{ "llvm, no comments", BPFVM_SYNTAX_LLVM, BPFVM_DISASM_NO_ANNOTATE },
		{ "ubpf", BPFVM_SYNTAX_UBPF, 0 },
	};
	size_t n = res.n;
	struct bpf_insn *want = malloc((n ? n : 1) * sizeof(*want));
	for (size_t v = 0; want && v < sizeof(variants) / sizeof(variants[0]); v++) {
		char *text = listing(res.insns, n, variants[v].syntax, variants[v].flags, want);
		if (!text)
			break;
		reassemble(src, size, text, variants[v].syntax, want, n, &res, variants[v].name);
		reassemble(src, size, text, BPFVM_SYNTAX_AUTO, want, n, &res, variants[v].name);
		free(text);
	}
	free(want);
	bpfvm_asm_result_free(&res);
	return 0;
}
