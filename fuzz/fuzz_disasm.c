/* fuzz_disasm.c - libFuzzer target for the disassembler: the input's whole
 * 8-byte words are instruction slots; every slot is disassembled in LLVM
 * syntax (plain, +alu32, without comments), in uBPF syntax and with AUTO,
 * and the result is checked against bpfvm_disasm_insn's contract (abort() on
 * a violation):
 *   - the return value is 1, 2 (an lddw with its second slot) or BPFVM_EDECODE,
 *     and agrees with the opcode table (isa_lookup + isa_check_fields);
 *   - an undecodable slot prints exactly ".quad 0x<its 16 hex digits>";
 *   - the text is NUL-terminated, and a smaller buffer (its size taken from
 *     the input's spare bytes) holds the same text cut to buflen - 1;
 *   - bad arguments (pc >= n, unknown syntax) give BPFVM_EINVAL;
 *   - the text of a decoded instruction among the first 8, assembled alone
 *     in its syntax and in AUTO, gives its bytes back (with arbitrary field
 *     values, which tests/unit/test_roundtrip.c samples only at edge
 *     values), except what the syntax cannot say: see fuzz_asm.c.
 * The input's last size % 8 bytes (if any) choose the small buffer sizes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "isa.h"

#define MAX_SLOTS 256
#define REASSEMBLE_SLOTS 8
#define BIG 1024

static void fail(const char *what, size_t pc, const char *text)
{
	fprintf(stderr, "fuzz_disasm: insn %zu: %s: \"%s\"\n", pc, what, text ? text : "");
	abort();
}

/* Called with a buffer one byte larger than buflen so overruns are visible:
 * the byte after the buffer must keep its guard value. */
static void check_small(const struct bpf_insn *insns, size_t n, size_t pc, int syntax, uint32_t flags,
			const char *full, int want_rc, size_t buflen)
{
	char small[64];
	memset(small, 0x5a, sizeof(small));
	if (buflen + 1 > sizeof(small))
		buflen = sizeof(small) - 1;
	int rc = bpfvm_disasm_insn(insns, n, pc, syntax, flags, buflen ? small : NULL, buflen);
	if (rc != want_rc)
		fail("a small buffer changed the return value", pc, full);
	if (small[buflen] != 0x5a)
		fail("wrote past the end of a small buffer", pc, full);
	if (buflen == 0)
		return;
	size_t want = strlen(full);
	if (want > buflen - 1)
		want = buflen - 1;
	if (memchr(small, 0, buflen) == NULL)
		fail("small buffer not NUL-terminated", pc, full);
	if (strlen(small) != want || memcmp(small, full, want) != 0)
		fail("small buffer is not the text cut short", pc, full);
}

/* The bytes the text of in (slots slots) in syntax assembles back to (the
 * same list as fuzz_asm.c and tests/unit/test_roundtrip.c). */
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

static void reassemble(const struct bpf_insn *in, int slots, int syntax, const char *text, size_t pc)
{
	struct bpf_insn want[2];
	expected_back(in, slots, syntax == BPFVM_SYNTAX_UBPF ? BPFVM_SYNTAX_UBPF : BPFVM_SYNTAX_LLVM, want);
	for (int k = 0; k < 2; k++) {
		int as = k ? BPFVM_SYNTAX_AUTO : syntax;
		struct bpf_insn *out = NULL;
		size_t n = 0;
		struct bpfvm_error err;
		int rc = bpfvm_asm(text, strlen(text), as, &out, &n, &err);
		if (rc == BPFVM_ENOMEM)
			continue;
		if (rc != 0) {
			char msg[400];
			fprintf(stderr, "fuzz_disasm: syntax %d: %s\n", as, bpfvm_error_format(&err, msg, sizeof(msg)));
			fail("the text does not assemble", pc, text);
		}
		if (n != (size_t)slots || memcmp(out, want, (size_t)slots * sizeof(*want)) != 0) {
			fprintf(stderr, "fuzz_disasm: syntax %d: want", as);
			for (int i = 0; i < slots * 8; i++)
				fprintf(stderr, " %02x", ((const uint8_t *)want)[i]);
			fprintf(stderr, "\n                        got ");
			for (size_t i = 0; i < n * 8; i++)
				fprintf(stderr, " %02x", ((const uint8_t *)out)[i]);
			fprintf(stderr, "\n");
			fail("the text assembles to other bytes", pc, text);
		}
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size / 8;
	if (n > MAX_SLOTS)
		n = MAX_SLOTS;
	const uint8_t *spare = data + size - size % 8;
	size_t nspare = size % 8;
	if (n == 0)
		return 0;
	struct bpf_insn *insns = malloc(n * sizeof(*insns)); /* exact size: ASan sees overreads */
	if (!insns)
		return 0;
	memcpy(insns, data, n * sizeof(*insns));

	static const struct {
		int syntax;
		uint32_t flags;
	} variants[] = {
		{ BPFVM_SYNTAX_LLVM, 0 },
		{ BPFVM_SYNTAX_LLVM, BPFVM_DISASM_ALU32 },
		{ BPFVM_SYNTAX_LLVM, BPFVM_DISASM_NO_ANNOTATE },
		{ BPFVM_SYNTAX_UBPF, 0 },
		{ BPFVM_SYNTAX_AUTO, BPFVM_DISASM_ALU32 | BPFVM_DISASM_NO_ANNOTATE },
	};
	char text[BIG];
	for (size_t pc = 0; pc < n; pc++) {
		/* What the table says the slot is. */
		char why[128];
		int op = isa_lookup(&insns[pc]);
		int valid = op != ISA_OP_INVALID && isa_check_fields(op, &insns[pc], why, sizeof(why)) == 0;
		for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
			memset(text, 0x5a, sizeof(text));
			int rc = bpfvm_disasm_insn(insns, n, pc, variants[v].syntax, variants[v].flags, text, BIG - 1);
			if (text[BIG - 1] != 0x5a)
				fail("wrote past the end of the buffer", pc, NULL);
			if (!memchr(text, 0, BIG - 1))
				fail("not NUL-terminated", pc, NULL);
			if (strlen(text) >= BIG - 2)
				fail("text fills the whole buffer (cut?)", pc, text);
			if (rc == BPFVM_EDECODE) {
				char want[32];
				uint64_t w = 0;
				for (int i = 7; i >= 0; i--)
					w = (w << 8) | ((const uint8_t *)&insns[pc])[i];
				snprintf(want, sizeof(want), ".quad 0x%016" PRIx64, w);
				if (strcmp(text, want) != 0)
					fail("undecodable slot does not print as its .quad", pc, text);
			} else if (rc == 1 || rc == 2) {
				if (!valid)
					fail("decoded a slot the opcode table rejects", pc, text);
				if ((rc == 2) != isa_is_lddw(op))
					fail("slot count disagrees with the opcode table", pc, text);
				if (rc == 2 && pc + 1 >= n)
					fail("lddw without its second slot decoded", pc, text);
				if (text[0] == '\0' || strstr(text, ".quad"))
					fail("valid slot printed empty or as .quad", pc, text);
				/* (the no-comment variant says nothing new; the first
				 * slots are enough: the assembler is the slow part) */
				if (v != 2 && pc < REASSEMBLE_SLOTS)
					reassemble(&insns[pc], rc, variants[v].syntax, text, pc);
			} else {
				fail("unexpected return value", pc, text);
			}
			if (rc == BPFVM_EDECODE && valid && !isa_is_lddw(op))
				fail("a slot the opcode table accepts did not decode", pc, text);
			for (size_t k = 0; k < nspare; k++)
				check_small(insns, n, pc, variants[v].syntax, variants[v].flags, text, rc,
					    spare[k] % 64);
		}
	}
	/* Bad arguments. */
	if (bpfvm_disasm_insn(insns, n, n, BPFVM_SYNTAX_LLVM, 0, text, sizeof(text)) != BPFVM_EINVAL || text[0])
		fail("pc == n not refused", n, text);
	if (bpfvm_disasm_insn(insns, n, 0, 3 + (nspare ? spare[0] : 0), 0, text, sizeof(text)) != BPFVM_EINVAL)
		fail("unknown syntax not refused", 0, text);
	free(insns);
	return 0;
}
