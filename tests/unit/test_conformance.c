/* test_conformance.c - the public eBPF conformance suite on the library:
 * (1) every pre-assembled program of assembled.tsv run on the interpreter,
 * trusted and runtime-checked, r0 compared in full 64 bits; (2) every .data
 * file assembled by bpfvm's own assembler from its "-- asm" section and run.
 * Skips with a reason when ../shared/conformance is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "testutil.h"

struct row {
	char file[128];
	uint64_t expected;
	uint8_t *mem;
	size_t mem_len;
	struct bpf_insn *insns;
	size_t n;
};

static struct row *rows;
static size_t nrows;

static void load_rows(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/assembled.tsv", tu_conformance_dir());
	char *text = tu_read_file(path, NULL);
	assert_non_null(text);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *f[4] = { 0 };
		char *p = line;
		for (int i = 0; i < 4 && p; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		assert_non_null(f[3]);
		rows = realloc(rows, (nrows + 1) * sizeof(*rows));
		struct row *r = &rows[nrows++];
		memset(r, 0, sizeof(*r));
		snprintf(r->file, sizeof(r->file), "%s", f[0]);
		r->expected = strtoull(f[1], NULL, 0);
		r->mem = tu_hex_decode(f[2], &r->mem_len);
		size_t bytes;
		r->insns = (struct bpf_insn *)tu_hex_decode(f[3], &bytes);
		assert_non_null(r->insns);
		assert_int_equal(bytes % 8, 0);
		r->n = bytes / 8;
	}
	free(text);
}

static void run_all(uint32_t flags, const char *label)
{
	size_t pass = 0;
	for (size_t i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		uint64_t r0 = 0;
		struct bpfvm_error err;
		int rc = tu_run(r->insns, r->n, r->mem, r->mem_len, flags, &r0, &err);
		if (rc == 0 && r0 == r->expected) {
			pass++;
		} else {
			char buf[400];
			printf("FAIL %s (%s): rc %d r0 0x%llx expected 0x%llx %s\n", r->file, label, rc,
			       (unsigned long long)r0, (unsigned long long)r->expected,
			       rc ? bpfvm_error_format(&err, buf, sizeof(buf)) : "");
		}
	}
	printf("conformance (%s, assembled.tsv): %zu of %zu passed\n", label, pass, nrows);
	assert_int_equal(pass, nrows);
	assert_int_equal(nrows, 313);
}

static void test_assembled_checked(void **state) { run_all(0, "interp, checked"); }
static void test_assembled_trusted(void **state) { run_all(BPFVM_PROG_F_TRUSTED, "interp, trusted"); }

/* The "-- asm" section of a .data file, per the suite's reader rules. */
static char *asm_section(const char *text)
{
	size_t cap = strlen(text) + 1, n = 0;
	char *out = malloc(cap);
	int in_asm = 0;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[4096];
		size_t l = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
		memcpy(line, p, l);
		line[l] = 0;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		if (strstr(line, "--")) {
			in_asm = strstr(line, "asm") != NULL;
		} else if (in_asm) {
			size_t ll = strlen(line);
			memcpy(out + n, line, ll);
			n += ll;
			out[n++] = '\n';
		}
		p += len + (eol ? 1 : 0);
	}
	out[n] = 0;
	return out;
}

static void test_data_files_via_assembler(void **state)
{
	size_t pass = 0, total = 0;
	char path[4096];
	for (size_t i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		snprintf(path, sizeof(path), "%s/tests/%s", tu_conformance_dir(), r->file);
		char *text = tu_read_file(path, NULL);
		assert_non_null(text);
		total++;
		if (strstr(text, "-- raw")) { /* lddw.data: its program is the raw section (checked above) */
			free(text);
			pass++;
			continue;
		}
		char *src = asm_section(text);
		struct bpf_insn *insns = NULL;
		size_t n = 0;
		struct bpfvm_error err;
		uint64_t r0 = 0;
		int rc = bpfvm_asm(src, strlen(src), BPFVM_SYNTAX_AUTO, &insns, &n, &err);
		if (rc == 0)
			rc = tu_run(insns, n, r->mem, r->mem_len, 0, &r0, &err);
		if (rc == 0 && r0 == r->expected) {
			pass++;
		} else {
			char buf[400];
			printf("FAIL %s (own assembler): rc %d r0 0x%llx expected 0x%llx %s\n", r->file, rc,
			       (unsigned long long)r0, (unsigned long long)r->expected,
			       rc ? bpfvm_error_format(&err, buf, sizeof(buf)) : "");
		}
		free(insns);
		free(src);
		free(text);
	}
	printf("conformance (interp, own assembler, .data files): %zu of %zu passed\n", pass, total);
	assert_int_equal(pass, total);
}

int main(void)
{
	if (!tu_conformance_dir())
		tu_skip_all("conformance suite not found (set BPFVM_CONFORMANCE_DIR or place it at ../shared/conformance)");
	load_rows();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assembled_checked),
		cmocka_unit_test(test_assembled_trusted),
		cmocka_unit_test(test_data_files_via_assembler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
