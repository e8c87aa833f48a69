/* test_asm.c - the assembler (bpfvm_asm):
 * (1) every program of the conformance suite (assembled.tsv) assembled from
 *     its .data file's "-- asm" section must give upstream's exact bytes;
 * (2) the suite's negative assembler cases must fail with BPFVM_EASM at a
 *     line:column inside the offending line;
 * (3) LLVM syntax: lines generated from the opcode table's llvm templates,
 *     kept when llvm-mc 14 accepts them, must assemble to llvm-mc's bytes;
 *     llvm-objdump's listing of the same object must assemble back to them;
 *     so must clang -S output against clang -c (-mcpu=v1..v3);
 * (4) labels, aliases, syntax selection and the error messages;
 * (5) garbage input never crashes. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "testutil.h"
#include "isa.h"

/* ---- helpers ---- */

/* The 8-byte little-endian encoding of n slots. */
static uint8_t *encode(const struct bpf_insn *in, size_t n)
{
	uint8_t *b = malloc(n * 8 + 1);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = b + i * 8;
		uint16_t off = (uint16_t)in[i].off;
		uint32_t imm = (uint32_t)in[i].imm;
		p[0] = in[i].code;
		p[1] = (uint8_t)(in[i].dst_reg | in[i].src_reg << 4);
		p[2] = off & 0xff, p[3] = off >> 8;
		for (int k = 0; k < 4; k++)
			p[4 + k] = (uint8_t)(imm >> (8 * k));
	}
	return b;
}

/* Assembles a NUL-terminated string; returns the status. */
static int as(const char *src, int syntax, struct bpf_insn **insns, size_t *n, struct bpfvm_error *err)
{
	memset(err, 0, sizeof(*err));
	return bpfvm_asm(src, strlen(src), syntax, insns, n, err);
}

/* Asserts that src assembles to exactly one instruction equal to want. */
static void expect_one(const char *src, int syntax, uint8_t code, int dst, int src_reg, int off, int32_t imm)
{
	struct bpf_insn *in = NULL;
	size_t n = 0;
	struct bpfvm_error err;
	int rc = as(src, syntax, &in, &n, &err);
	if (rc)
		printf("assembling '%s': %s\n", src, err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_int_equal(in[0].code, code);
	assert_int_equal(in[0].dst_reg, dst);
	assert_int_equal(in[0].src_reg, src_reg);
	assert_int_equal(in[0].off, off);
	assert_int_equal(in[0].imm, imm);
	free(in);
}

/* Asserts that src fails with BPFVM_EASM at line:col and a message that
 * contains want. */
static void expect_err(const char *src, int syntax, int line, int col, const char *want)
{
	struct bpf_insn *in = (struct bpf_insn *)1;
	size_t n = 7;
	struct bpfvm_error err;
	int rc = as(src, syntax, &in, &n, &err);
	if (rc != BPFVM_EASM || err.line != line || err.column != col || !strstr(err.msg, want))
		printf("'%s': rc %d line %d:%d msg '%s' (want %d:%d '%s')\n", src, rc, err.line, err.column, err.msg,
		       line, col, want);
	assert_int_equal(rc, BPFVM_EASM);
	assert_int_equal(err.code, BPFVM_EASM);
	assert_null(in);
	assert_int_equal(n, 0);
	assert_int_equal(err.line, line);
	assert_int_equal(err.column, col);
	assert_non_null(strstr(err.msg, want));
}

/* ---- the conformance .data reader (rules from the suite's README) ---- */

struct datafile {
	char *asm_text; /* one line per file line; lines outside "-- asm" left empty */
	size_t asm_lines;
	int has_asm, has_raw, has_error, has_result, skipped;
	uint64_t raw[64];
	size_t nraw;
};

static void read_data(const char *text, struct datafile *df)
{
	memset(df, 0, sizeof(*df));
	size_t cap = strlen(text) + 2, n = 0;
	df->asm_text = malloc(cap);
	assert_non_null(df->asm_text);
	enum { NONE, ASM, RESULT, MEM, RAW, ERROR, OTHER } sec = NONE;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = strndup(p, len);
		assert_non_null(line);
		p += len + (eol ? 1 : 0);
		size_t l = strlen(line);
		while (l && line[l - 1] == '\r')
			line[--l] = 0;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		int stop = 0;
		if (strstr(line, "--")) {
			if (strstr(line, "asm"))
				sec = ASM, df->has_asm = 1;
			else if (strstr(line, "result"))
				sec = RESULT, df->has_result = 1;
			else if (strstr(line, "mem"))
				sec = MEM;
			else if (strstr(line, "raw"))
				sec = RAW, df->has_raw = 1;
			else if (strstr(line, "no register offset"))
				stop = 1;
			else if (strstr(line, " c"))
				sec = OTHER;
			else if (strstr(line, "error"))
				sec = ERROR, df->has_error = 1;
			else
				df->skipped = 1, stop = 1;
		} else if (sec == ASM) {
			size_t ll = strlen(line);
			memcpy(df->asm_text + n, line, ll);
			n += ll;
		} else if (sec == RAW) {
			for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t"))
				if (df->nraw < 64)
					df->raw[df->nraw++] = strncmp(tok, "0x", 2) ? strtoull(tok, NULL, 10)
										: strtoull(tok + 2, NULL, 16);
		}
		df->asm_text[n++] = '\n';
		df->asm_lines++;
		free(line);
		if (stop)
			break;
	}
	df->asm_text[n] = 0;
}

static char *read_conf_file(const char *sub, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", tu_conformance_dir(), sub, name);
	return tu_read_file(path, NULL);
}

/* ---- (1) conformance programs, byte for byte ---- */

static void test_conformance_bytes(void **state)
{
	if (!tu_conformance_dir()) {
		printf("SKIP: conformance suite not found (BPFVM_CONFORMANCE_DIR)\n");
		skip();
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/assembled.tsv", tu_conformance_dir());
	char *tsv = tu_read_file(path, NULL);
	assert_non_null(tsv);
	size_t rows = 0, match_auto = 0, match_ubpf = 0, raw_checked = 0;
	char *save = NULL;
	for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *f[4] = {0}, *q = line;
		for (int i = 0; i < 4 && q; i++) {
			f[i] = q;
			q = strchr(q, '\t');
			if (q)
				*q++ = 0;
		}
		assert_non_null(f[3]);
		rows++;
		size_t want_len;
		uint8_t *want = tu_hex_decode(f[3], &want_len);
		assert_non_null(want);
		char *text = read_conf_file("tests", f[0]);
		assert_non_null(text);
		struct datafile df;
		read_data(text, &df);
		assert_true(df.has_asm);
		if (df.has_raw) {
			/* the raw words are the program upstream sends: check the row
			 * against them, then our assembly of the asm section below */
			assert_int_equal(want_len, df.nraw * 8);
			for (size_t i = 0; i < df.nraw; i++)
				for (int k = 0; k < 8; k++)
					assert_int_equal(want[i * 8 + k], (uint8_t)(df.raw[i] >> (8 * k)));
			raw_checked++;
		}
		for (int pass = 0; pass < 2; pass++) {
			int syntax = pass ? BPFVM_SYNTAX_UBPF : BPFVM_SYNTAX_AUTO;
			struct bpf_insn *in = NULL;
			size_t n = 0;
			struct bpfvm_error err;
			int rc = as(df.asm_text, syntax, &in, &n, &err);
			uint8_t *got = rc ? NULL : encode(in, n);
			if (!rc && n * 8 == want_len && !memcmp(got, want, want_len)) {
				*(pass ? &match_ubpf : &match_auto) += 1;
			} else if (rc) {
				char buf[400];
				printf("FAIL %s (%s): %s\n", f[0], pass ? "ubpf" : "auto", bpfvm_error_format(&err, buf, sizeof(buf)));
			} else {
				size_t i = 0;
				while (i < n && i * 8 + 8 <= want_len && !memcmp(got + i * 8, want + i * 8, 8))
					i++;
				printf("FAIL %s (%s): %zu slots (want %zu), first difference at slot %zu\n", f[0],
				       pass ? "ubpf" : "auto", n, want_len / 8, i);
			}
			free(got);
			free(in);
		}
		free(df.asm_text);
		free(text);
		free(want);
	}
	free(tsv);
	printf("conformance asm: %zu of %zu match byte for byte (auto), %zu (ubpf); raw section checked in %zu\n",
	       match_auto, rows, match_ubpf, raw_checked);
	assert_int_equal(rows, 313);
	assert_int_equal(match_auto, rows);
	assert_int_equal(match_ubpf, rows);
	assert_int_equal(raw_checked, 1);
}

/* ---- (2) the suite's negative assembler cases ---- */

/* The n-th line (1-based) of text, malloc'd. */
static char *nth_line(const char *text, size_t n)
{
	for (size_t i = 1; i < n && text; i++) {
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	if (!text)
		return NULL;
	const char *e = strchr(text, '\n');
	return strndup(text, e ? (size_t)(e - text) : strlen(text));
}

static void test_negative(void **state)
{
	if (!tu_conformance_dir()) {
		printf("SKIP: conformance suite not found (BPFVM_CONFORMANCE_DIR)\n");
		skip();
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/negative", tu_conformance_dir());
	DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *de;
	size_t cases = 0, ok_valid = 0;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 5, ".data"))
			continue;
		char *text = read_conf_file("negative", de->d_name);
		assert_non_null(text);
		struct datafile df;
		read_data(text, &df);
		int asm_case = df.has_asm && !df.skipped && !df.has_raw && !strncmp(de->d_name, "invalid_", 8);
		if (!df.has_asm || df.skipped || df.has_raw || asm_case) {
			if (asm_case) {
				/* the offending line: the first that fails on its own */
				size_t bad = 0;
				for (size_t i = 1; i <= df.asm_lines && !bad; i++) {
					char *l = nth_line(df.asm_text, i);
					struct bpf_insn *in = NULL;
					size_t n = 0;
					struct bpfvm_error e1;
					int blank = strspn(l, " \t\r") == strlen(l);
					if (!blank && as(l, BPFVM_SYNTAX_UBPF, &in, &n, &e1))
						bad = i;
					free(in);
					free(l);
				}
				assert_true(bad > 0);
				struct bpf_insn *in = NULL;
				size_t n = 0;
				struct bpfvm_error err;
				char buf[400];
				for (int syntax = 0; syntax <= 2; syntax += 2) {
					int rc = as(df.asm_text, syntax, &in, &n, &err);
					char *l = nth_line(df.asm_text, bad);
					printf("negative %s: %s  [line: %s]\n", de->d_name, bpfvm_error_format(&err, buf, sizeof(buf)), l);
					assert_int_equal(rc, BPFVM_EASM);
					assert_null(in);
					assert_int_equal(err.line, (int)bad);
					assert_true(err.column >= 1 && (size_t)err.column <= strlen(l) + 1);
					/* the message quotes text of that line: a '...' part
					 * of it, or the token at the column */
					char *q1 = strchr(err.msg, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
					char *quoted = q2 ? strndup(q1 + 1, (size_t)(q2 - q1 - 1)) : NULL;
					const char *at = l + err.column - 1;
					at += *at == '+';
					char *tok = strndup(at, strcspn(at, " \t,])"));
					assert_true((quoted && *quoted && strstr(l, quoted)) || (*tok && strstr(err.msg, tok)));
					free(quoted);
					free(tok);
					free(l);
				}
				cases++;
			}
			free(df.asm_text);
			free(text);
			continue;
		}
		/* the other files with a runnable asm section are valid assembly
		 * (their failure is at run time) */
		struct bpf_insn *in = NULL;
		size_t n = 0;
		struct bpfvm_error err;
		int rc = as(df.asm_text, BPFVM_SYNTAX_UBPF, &in, &n, &err);
		if (rc)
			printf("negative %s: unexpected assembly error: %s\n", de->d_name, err.msg);
		if (n > 0)
			assert_int_equal(rc, 0);
		ok_valid += rc == 0;
		free(in);
		free(df.asm_text);
		free(text);
	}
	closedir(d);
	printf("negative: %zu assembler error cases rejected at the right line, %zu valid-asm files assembled\n", cases,
	       ok_valid);
	assert_true(cases >= 10);
}

/* ---- (3) LLVM syntax against llvm-mc 14 ---- */

/* The first of two tool names found on PATH (a string constant), or NULL. */
static const char *find_tool(const char *a, const char *b)
{
	const char *names[] = {a, b};
	for (int i = 0; i < 2; i++) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", names[i]);
		if (system(cmd) == 0)
			return names[i];
	}
	return NULL;
}

/* Sample operand text for each escape; variant v picks among them. */
static const char *sample(char e, int v)
{
	static const char *const imm[] = {"1", "-1", "0", "2147483647", "-2147483648", "0x10", "42"};
	static const char *const imm64[] = {"0x1122334455667788", "-1", "4660", "0", "-9223372036854775808"};
	static const char *const off[] = {"+ 8", "- 8", "+ 0", "+ 32767", "- 32768"};
	static const char *const tgt[] = {"+1", "-1", "+0", "+32767", "-32768"};
	static const char *const dreg[] = {"r1", "r0", "r10", "r5", "r9"};
	static const char *const sreg[] = {"r2", "r9", "r0", "r10", "r6"};
	static const char *const dw[] = {"w1", "w0", "w10", "w5", "w9"};
	static const char *const sw[] = {"w2", "w9", "w0", "w10", "w6"};
	static const char *const aw[] = {"r1", "w1", "r0", "w10", "r5", "w9"};
	static const char *const bw[] = {"w2", "r9", "w0", "r10", "w6", "r3"};
	static const char *const uimm[] = {"1", "4294967295", "0", "2147483648", "7"};
#define PICK(a) a[v % (int)(sizeof(a) / sizeof(a[0]))]
	switch (e) {
	case 'D': return PICK(dreg);
	case 'S': return PICK(sreg);
	case 'd': return PICK(dw);
	case 's': return PICK(sw);
	case 'a': return PICK(aw);
	case 'b': return PICK(bw);
	case 'u': return PICK(uimm);
	case 'i': case 'n': case 'c': return PICK(imm);
	case 'X': case 'I': return PICK(imm64);
	case 'o': case 'O': return PICK(off);
	case 'k': return v % 2 ? " + 4" : "";
	case 't': case 'T': case 'L': return PICK(tgt);
	default: return "?";
	}
#undef PICK
}

static void instantiate(const char *tpl, int v, char *out, size_t outsz)
{
	size_t j = 0;
	for (const char *t = tpl; *t && j + 32 < outsz; t++) {
		if (*t == '$' && t[1]) {
			const char *s = sample(t[1], v);
			j += (size_t)snprintf(out + j, outsz - j, "%s", s);
			t++;
		} else {
			out[j++] = *t == '\t' ? ' ' : *t;
		}
	}
	out[j] = 0;
}

static char tmpdir[256];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Assembles src with llvm-mc into tmpdir/NAME.o and returns the .text bytes
 * (NULL when llvm-mc refused it). */
static uint8_t *llvm_mc(const char *mc, const char *objcopy, const char *name, const char *src, size_t *len)
{
	char s[512], o[512], b[512];
	snprintf(s, sizeof(s), "%s/%s.s", tmpdir, name);
	snprintf(o, sizeof(o), "%s/%s.o", tmpdir, name);
	snprintf(b, sizeof(b), "%s/%s.bin", tmpdir, name);
	write_file(s, src);
	if (run("%s -triple bpfel -mattr=+alu32 -filetype=obj %s -o %s 2>%s/%s.err", mc, s, o, tmpdir, name))
		return NULL;
	if (run("%s -O binary --only-section=.text %s %s", objcopy, o, b))
		return NULL;
	return (uint8_t *)tu_read_file(b, len);
}

static void test_llvm_mc(void **state)
{
	const char *mc = find_tool("llvm-mc-14", "llvm-mc");
	const char *objcopy = find_tool("llvm-objcopy-14", "llvm-objcopy");
	const char *objdump = find_tool("llvm-objdump-14", "llvm-objdump");
	if (!mc || !objcopy) {
		printf("SKIP: llvm-mc or llvm-objcopy not found\n");
		skip();
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpfvm-test-asm-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));

	/* every llvm template, several operand variants each */
	enum { VARIANTS = 5 };
	size_t nlines = (size_t)BPFVM_OP__COUNT * VARIANTS;
	char (*lines)[160] = calloc(nlines, sizeof(*lines));
	int *line_op = calloc(nlines, sizeof(int));
	assert_non_null(lines);
	size_t k = 0;
	for (int op = 0; op < BPFVM_OP__COUNT; op++)
		for (int v = 0; v < VARIANTS; v++) {
			instantiate(isa_table[op].llvm, v, lines[k], sizeof(lines[k]));
			line_op[k++] = op;
		}
	size_t cap = nlines * 170 + 1, n = 0;
	char *all = malloc(cap);
	assert_non_null(all);
	for (size_t i = 0; i < nlines; i++)
		n += (size_t)snprintf(all + n, cap - n, "%s\n", lines[i]);
	char path[600];
	snprintf(path, sizeof(path), "%s/all.s", tmpdir);
	write_file(path, all);
	/* llvm-mc reports every line it refuses as "FILE:LINE:COL: error" */
	run("%s -triple bpfel -mattr=+alu32 -filetype=obj %s -o /dev/null 2>%s/all.err", mc, path, tmpdir);
	snprintf(path, sizeof(path), "%s/all.err", tmpdir);
	char *errs = tu_read_file(path, NULL);
	assert_non_null(errs);
	char *rejected = calloc(nlines + 1, 1);
	for (char *e = strstr(errs, "all.s:"); e; e = strstr(e + 1, "all.s:")) {
		char *end;
		long ln = strtol(e + 6, &end, 10), col;
		if (*end == ':' && (col = strtol(end + 1, &end, 10)) > 0 && !strncmp(end, ": error", 7) && ln >= 1 &&
		    (size_t)ln <= nlines)
			rejected[ln - 1] = 1;
	}
	free(errs);

	/* the accepted lines, assembled by both */
	n = 0;
	size_t accepted = 0;
	int row_ok[BPFVM_OP__COUNT] = {0};
	for (size_t i = 0; i < nlines; i++)
		if (!rejected[i]) {
			n += (size_t)snprintf(all + n, cap - n, "%s\n", lines[i]);
			accepted++;
			row_ok[line_op[i]] = 1;
		}
	size_t ref_len = 0;
	uint8_t *ref = llvm_mc(mc, objcopy, "ok", all, &ref_len);
	assert_non_null(ref);
	size_t pos = 0, mismatches = 0;
	for (size_t i = 0; i < nlines; i++) {
		if (rejected[i])
			continue;
		struct bpf_insn *in = NULL;
		size_t cnt = 0;
		struct bpfvm_error err;
		for (int syntax = 0; syntax <= 1; syntax++) {
			int rc = as(lines[i], syntax, &in, &cnt, &err);
			if (rc) {
				printf("FAIL llvm '%s' (%s): %s\n", lines[i], isa_table[line_op[i]].name, err.msg);
				mismatches++;
				break;
			}
			uint8_t *got = encode(in, cnt);
			if (pos + cnt * 8 > ref_len || memcmp(got, ref + pos, cnt * 8)) {
				printf("FAIL llvm '%s' (%s): bytes differ from llvm-mc\n", lines[i], isa_table[line_op[i]].name);
				mismatches++;
			}
			free(got);
			free(in);
			in = NULL;
			if (syntax == 1)
				pos += cnt * 8;
		}
		if (mismatches > 20)
			break;
	}
	assert_int_equal(mismatches, 0);
	assert_int_equal(pos, ref_len);
	int rows_ok = 0;
	printf("llvm-mc 14 refused the llvm templates of:");
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		rows_ok += row_ok[op];
		if (!row_ok[op])
			printf(" %s", isa_table[op].name);
	}
	printf("\nllvm: %zu of %zu generated lines accepted by llvm-mc (%d of %d rows); all %zu match bpfvm_asm byte for byte\n",
	       accepted, nlines, rows_ok, BPFVM_OP__COUNT, accepted);
	assert_true(rows_ok > 100);

	/* the whole object's llvm-objdump listing (both register spellings)
	 * assembled back; lines it prints as <unknown> are left out */
	struct bpf_insn *in = NULL;
	size_t cnt = 0;
	struct bpfvm_error err;
	for (int alu32 = 0; alu32 < 2 && objdump; alu32++) {
		run("%s -d %s %s/ok.o > %s/ok.dis", objdump, alu32 ? "--mattr=+alu32" : "", tmpdir, tmpdir);
		snprintf(path, sizeof(path), "%s/ok.dis", tmpdir);
		char *dis = tu_read_file(path, NULL);
		assert_non_null(dis);
		char *kept = malloc(strlen(dis) + 1);
		uint8_t *want = malloc(ref_len + 1);
		assert_true(kept && want);
		size_t kl = 0, wl = 0, unknown = 0, next = 0;
		for (char *l = dis; *l;) {
			char *e = strchr(l, '\n');
			size_t ll = e ? (size_t)(e - l) : strlen(l);
			char *colon = memchr(l, ':', ll), *endp;
			long slot = strtol(l, &endp, 10);
			int is_insn = colon && endp == colon && endp > l + strspn(l, " ");
			if (is_insn) {
				/* slots up to this one belong to the previous line */
				size_t upto = (size_t)slot * 8;
				assert_true(upto >= next && upto <= ref_len);
				next = upto;
			}
			if (is_insn && memmem(l, ll, "<unknown>", 9)) {
				unknown++;
				if (next + 8 <= ref_len)
					next += 8; /* skipped */
			} else {
				if (is_insn) {
					/* the bytes of this line: up to the next address */
					char *nxt = e ? e + 1 : l + ll;
					long nslot = -1;
					for (char *m = nxt; *m; m = strchr(m, '\n') ? strchr(m, '\n') + 1 : m + strlen(m)) {
						char *c2 = strchr(m, ':');
						char *ep2;
						long v = strtol(m, &ep2, 10);
						if (c2 && ep2 == c2 && ep2 > m + strspn(m, " ") && (!strchr(m, '\n') || c2 < strchr(m, '\n'))) {
							nslot = v;
							break;
						}
					}
					size_t end = nslot < 0 ? ref_len : (size_t)nslot * 8;
					memcpy(want + wl, ref + next, end - next);
					wl += end - next;
					next = end;
				}
				memcpy(kept + kl, l, ll);
				kl += ll;
				kept[kl++] = '\n';
			}
			l += ll + (e ? 1 : 0);
		}
		int rc = bpfvm_asm(kept, kl, BPFVM_SYNTAX_AUTO, &in, &cnt, &err);
		if (rc)
			printf("objdump listing: line %d:%d: %s\n", err.line, err.column, err.msg);
		assert_int_equal(rc, 0);
		uint8_t *got = encode(in, cnt);
		assert_int_equal(cnt * 8, wl);
		assert_memory_equal(got, want, wl);
		printf("llvm-objdump%s listing: %zu slots assemble back to llvm-mc's bytes (%zu <unknown> left out)\n",
		       alu32 ? " --mattr=+alu32" : "", cnt, unknown);
		free(got);
		free(in);
		free(dis);
		free(kept);
		free(want);
	}
	if (!objdump)
		printf("llvm-objdump not found: listing round trip not checked\n");

	/* labels: jumps and local calls by name */
	static const char *const labelled =
		"foo:\n"
		"  r0 = 1\n"
		"  call foo\n"
		"  goto LBB0_2\n"
		"  if r1 > 5 goto LBB0_2\n"
		"  if w1 s< w2 goto foo\n"
		"  call 1\n"
		"LBB0_2:\n"
		"  r1 = 4660 ll\n"
		"  goto foo\n"
		"  exit\n";
	ref = (free(ref), llvm_mc(mc, objcopy, "labels", labelled, &ref_len));
	assert_non_null(ref);
	assert_int_equal(as(labelled, BPFVM_SYNTAX_LLVM, &in, &cnt, &err), 0);
	uint8_t *got = encode(in, cnt);
	assert_int_equal(cnt * 8, ref_len);
	assert_memory_equal(got, ref, ref_len);
	free(got);
	free(in);
	free(ref);
	free(rejected);
	free(all);
	free(lines);
	free(line_op);
}

/* clang -S output (directives, labels, comments, local calls, atomics that
 * llvm-mc 14 cannot parse) against the .text clang -c produces, for
 * -mcpu=v1..v3. No globals, so the code has no relocations. */
static const char clang_src[] =
	"typedef unsigned long long u64; typedef unsigned int u32; typedef unsigned short u16;\n"
	"typedef unsigned char u8;\n"
	"static u64 (*ktime)(void) = (void *)5;\n"
	"static long (*lookup)(void *m, void *k) = (void *)1;\n"
	"struct pkt { u8 a; u16 b; u32 c; u64 d; signed char e; short f; };\n"
	"static __attribute__((noinline)) int sub(int a, unsigned b) { return a * b + (a >> 3) - (b / 7) + (b % 5); }\n"
	"static __attribute__((noinline)) u64 sub2(u64 a) { return a / 3 + (a << 13) + ((long long)a >> 2) + a % 10; }\n"
	"int loop(int *p, int n) { int s = 0; for (int i = 0; i < n && i < 64; i++) s += p[i] ^ (s << 2);\n"
	"  return s + sub(s, n) + (int)sub2(s); }\n"
	"u64 big(u64 x) { return x * 0x1122334455667788ULL + (x >> 7) - 0xdeadbeefcafeULL; }\n"
	"int sw(int x) { switch (x) { case 1: return 7; case 2: return 9; case 5: return 11;\n"
	"  default: return (int)ktime(); } }\n"
	"#if __BPF_CPU_VERSION__ >= 3\n"
	"u64 at(u64 *p, u32 *q) { u64 old = __sync_fetch_and_add(p, 5); __sync_fetch_and_add(q, 3);\n"
	"  __sync_fetch_and_or(p, 3); return old + __sync_lock_test_and_set(p, 9) + __sync_val_compare_and_swap(p, 1, 2); }\n"
	"#endif\n"
	"long st(struct pkt *k, u64 *out) { k->a = 1; k->b = 0x1234; k->c = 0xdeadbeef; k->d = k->c + k->e + k->f;\n"
	"  out[1] = __builtin_bswap32(k->c) + __builtin_bswap64(k->d); return lookup(k, out) ? -1 : k->b < k->a; }\n";

static void test_clang(void **state)
{
	const char *clang = find_tool("clang-14", "clang");
	const char *objcopy = find_tool("llvm-objcopy-14", "llvm-objcopy");
	if (!clang || !objcopy) {
		printf("SKIP: clang or llvm-objcopy not found\n");
		skip();
	}
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpfvm-test-asm-XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/prog.c", tmpdir);
	write_file(path, clang_src);
	size_t total = 0;
	for (int cpu = 1; cpu <= 3; cpu++) {
		const char *flags = "-fno-crash-diagnostics -O2 -target bpf";
		assert_int_equal(run("%s %s -mcpu=v%d -S %s/prog.c -o %s/prog.s", clang, flags, cpu, tmpdir, tmpdir), 0);
		assert_int_equal(run("%s %s -mcpu=v%d -c %s/prog.c -o %s/prog.o", clang, flags, cpu, tmpdir, tmpdir), 0);
		assert_int_equal(run("%s -O binary --only-section=.text %s/prog.o %s/prog.bin", objcopy, tmpdir, tmpdir), 0);
		size_t sl, bl;
		snprintf(path, sizeof(path), "%s/prog.s", tmpdir);
		char *src = tu_read_file(path, &sl);
		snprintf(path, sizeof(path), "%s/prog.bin", tmpdir);
		uint8_t *ref = (uint8_t *)tu_read_file(path, &bl);
		assert_true(src && ref && bl > 0);
		struct bpf_insn *in = NULL;
		size_t n = 0;
		struct bpfvm_error err;
		int rc = bpfvm_asm(src, sl, BPFVM_SYNTAX_LLVM, &in, &n, &err);
		if (rc)
			printf("clang -S -mcpu=v%d: line %d:%d: %s\n", cpu, err.line, err.column, err.msg);
		assert_int_equal(rc, 0);
		uint8_t *got = encode(in, n);
		assert_int_equal(n * 8, bl);
		assert_memory_equal(got, ref, bl);
		total += n;
		free(got);
		free(in);
		free(src);
		free(ref);
	}
	printf("clang -S output for -mcpu=v1..v3 (%zu slots) assembles to clang -c's .text\n", total);
}

/* ---- (4) features and messages ---- */

static void test_features(void **state)
{
	struct bpf_insn *in = NULL;
	size_t n = 0;
	struct bpfvm_error err;

	/* uBPF forms named in the suite's README */
	expect_one("call %r2", BPFVM_SYNTAX_UBPF, BPF_JMP | BPF_CALL | BPF_X, 2, 0, 0, 0);
	expect_one("call 5", BPFVM_SYNTAX_UBPF, BPF_JMP | BPF_CALL, 0, 0, 0, 5);
	expect_one("call helper 5", BPFVM_SYNTAX_UBPF, BPF_JMP | BPF_CALL, 0, 0, 0, 5);
	expect_one("call runtime 7", BPFVM_SYNTAX_UBPF, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 7);
	expect_one("call local +3", BPFVM_SYNTAX_UBPF, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 3);
	expect_one("swap16 %r3", BPFVM_SYNTAX_UBPF, BPF_ALU64 | BPF_END | BPF_TO_LE, 3, 0, 0, 16);
	expect_one("bswap64 %r3", BPFVM_SYNTAX_UBPF, BPF_ALU64 | BPF_END | BPF_TO_LE, 3, 0, 0, 64);
	expect_one("add %r1 %r2", BPFVM_SYNTAX_UBPF, BPF_ALU64 | BPF_ADD | BPF_X, 1, 2, 0, 0);
	expect_one("  jeq  %r1 ,0xffffffff,  -2 # comment", BPFVM_SYNTAX_UBPF, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, -2, -1);
	expect_one("ldxw %r0, [%r1 + 4]", BPFVM_SYNTAX_UBPF, BPF_LDX | BPF_MEM | BPF_W, 0, 1, 4, 0);
	expect_one("ldxw %r0, [%r1]", BPFVM_SYNTAX_UBPF, BPF_LDX | BPF_MEM | BPF_W, 0, 1, 0, 0);
	expect_one("stw [%r10-0x10], -3", BPFVM_SYNTAX_UBPF, BPF_ST | BPF_MEM | BPF_W, 10, 0, -16, -3);
	expect_one("lock fetch xor32 [%r1+8], %r2", BPFVM_SYNTAX_UBPF, BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 8,
		   BPF_XOR | BPF_FETCH);
	expect_one("mov32 %r0, -2147483648", BPFVM_SYNTAX_UBPF, BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, INT32_MIN);
	/* LLVM forms, including llvm-objdump's decorations */
	expect_one("w0 += 1", BPFVM_SYNTAX_LLVM, BPF_ALU | BPF_ADD | BPF_K, 0, 0, 0, 1);
	expect_one("      12:\tb7 00 00 00 01 00 00 00\tr0 = 1", BPFVM_SYNTAX_AUTO, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
	expect_one("      3:\tr0 = 1", BPFVM_SYNTAX_AUTO, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
	expect_one("goto -1 <f+0x18>", BPFVM_SYNTAX_LLVM, BPF_JMP | BPF_JA, 0, 0, -1, 0);
	expect_one("r0 = *(u32 *)(r1+4) // comment", BPFVM_SYNTAX_LLVM, BPF_LDX | BPF_MEM | BPF_W, 0, 1, 4, 0);
	expect_one("r1 = be16 r1", BPFVM_SYNTAX_LLVM, BPF_ALU | BPF_END | BPF_TO_BE, 1, 0, 0, 16);
	expect_one("r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)", BPFVM_SYNTAX_LLVM, BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0,
		   BPF_ADD | BPF_FETCH);
	expect_one("call bpf_map_lookup_elem", BPFVM_SYNTAX_AUTO, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);

	/* lddw: two slots, 64-bit values in hex or decimal */
	assert_int_equal(as("lddw %r1, 0x8000000000000001\nr2 = -2 ll\nlddw %r3, 18446744073709551615", 0, &in, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(in[0].code, BPF_LD | BPF_IMM | BPF_DW);
	assert_int_equal(in[0].imm, 1);
	assert_int_equal(in[1].imm, INT32_MIN);
	assert_int_equal(in[1].code, 0);
	assert_int_equal(in[2].dst_reg, 2);
	assert_int_equal(in[2].imm, -2);
	assert_int_equal(in[3].imm, -1);
	assert_int_equal(in[4].imm, -1);
	assert_int_equal(in[5].imm, -1);
	free(in);

	/* labels: forward, backward, last line, implicit exit, explicit exit wins */
	assert_int_equal(as("start:\n ja end\n jne %r0, 0, exit\n exit\n ja start\nend:", 0, &in, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(in[0].off, 3);  /* end is slot 4 */
	assert_int_equal(in[1].off, 0);  /* exit is slot 2 */
	assert_int_equal(in[3].off, -4); /* start is slot 0 */
	free(in);
	assert_int_equal(as("jeq %r1, 0, exit\nexit\nmov %r0, 1\nexit:\nexit", 0, &in, &n, &err), 0);
	assert_int_equal(in[0].off, 2);
	free(in);
	assert_int_equal(as("lddw %r1, 1\nja32 next\nnext: exit\ncall local next", 0, &in, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(in[2].code, BPF_JMP32 | BPF_JA);
	assert_int_equal(in[2].imm, 0);
	assert_int_equal(in[4].imm, -2);
	free(in);

	/* syntax selection */
	expect_err("r0 = 1", BPFVM_SYNTAX_UBPF, 1, 1, "unknown instruction 'r0 = 1'");
	expect_err("mov %r0, 1", BPFVM_SYNTAX_LLVM, 1, 1, "unknown instruction");
	assert_int_equal(as("mov %r0, 1\nr0 += 2\nexit", BPFVM_SYNTAX_AUTO, &in, &n, &err), 0);
	assert_int_equal(n, 3);
	free(in);

	/* messages and positions */
	expect_err("mov %r0, 1\n  addx %r0, 1\nexit", 0, 2, 3, "unknown instruction 'addx %r0, 1'");
	expect_err("add %r11, 1", 0, 1, 5, "invalid register '%r11'");
	expect_err("r1 = r11", 0, 1, 6, "invalid register 'r11'");
	expect_err("mov32 %r0, 4294967296", 0, 1, 12, "immediate 4294967296 out of range");
	expect_err("mov %r0, 2147483648", 0, 1, 10, "immediate 2147483648 out of range");
	expect_err("mov %r0, 0x1ffffffff", 0, 1, 10, "out of range");
	expect_err("ldxb %r0, [%r1+40000]", 0, 1, 15, "offset 40000 out of range");
	expect_err("r0 = *(u8 *)(r1 - 40000)", 0, 1, 17, "offset -40000 out of range");
	expect_err("ja foo\nexit", 0, 1, 4, "undefined label 'foo'");
	expect_err("x:\nexit\n x:", 0, 3, 2, "duplicate label 'x'");
	expect_err("ja +40000", 0, 1, 4, "jump offset +40000 out of range");
	expect_err("lddw %r0", 0, 1, 9, "missing operand in 'lddw %r0'");
	expect_err("ldxb %r0, %r1", 0, 1, 11, "unexpected '%r1'");
	expect_err("r1 = -r2", 0, 1, 7, "'r2' must be the same register as 'r1'");
	expect_err("", 0, 1, 1, "no instructions");
	expect_err("# nothing\n\nlabel:\n", 0, 3, 1, "no instructions");
	expect_err("exit\nlock", 0, 2, 5, "missing operand");

	/* a jump too far for the 16-bit offset, by label */
	size_t big = 40000;
	char *src = malloc(big * 5 + 64);
	assert_non_null(src);
	size_t j = (size_t)sprintf(src, "ja far\n");
	for (size_t i = 0; i < big; i++)
		j += (size_t)sprintf(src + j, "exit\n");
	sprintf(src + j, "far: exit\n");
	expect_err(src, 0, 1, 4, "jump offset out of range");
	free(src);
}

/* ---- (5) garbage ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)rng;
}

static void survive(const char *src, size_t len)
{
	struct bpf_insn *in = NULL;
	size_t n = 0;
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	for (int syntax = 0; syntax <= 2; syntax++) {
		int rc = bpfvm_asm(src, len, syntax, &in, &n, &err);
		if (rc == 0) {
			assert_non_null(in);
			assert_true(n >= 1);
			free(in);
		} else {
			assert_int_equal(rc, BPFVM_EASM);
			assert_null(in);
			assert_true(err.line >= 1 && err.column >= 1);
			assert_true(strlen(err.msg) > 0 && strlen(err.msg) < sizeof(err.msg));
		}
	}
}

static void test_garbage(void **state)
{
	static const char *const bits[] = {
		"[", "%r", "%r1", "lddw", "lddw %r0,", "call", "call local", "call helper", "ja", "jeq %r1", "exit\0exit",
		"%r99999999999999999999", "r99999999999999999999 = 1", "r1 = 0x", "r1 = 99999999999999999999999 ll",
		"-", "+", ":", "::", "a:b:c", "<x>", "0:", "12:\t", "12:\taa bb", "0000 <>:", "0000 <f>:\n0000 <f>:",
		"exit:", "lock fetch", "lock *(u64 *)(r1 + ", "*(", "if r1 > goto", "goto +", "goto -", "r1 = -",
		"ld_pseudo r1, 9, 1", "ldxb %r0, [%r1+", "ldxb %r0, [%r1+0x]", "mov %r0,,,, 1", "\xff\xfe\x80", "\r\n\r\n",
		"exit\r", "//", "#", "call bpf_", "Disassembly of section", "x: file format elf64-bpf",
	};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		survive(bits[i], strlen(bits[i]) + (i == 10 ? 5 : 0));
	survive(NULL, 0);
	/* bad arguments */
	struct bpf_insn *in;
	size_t n;
	assert_int_equal(bpfvm_asm("exit", 4, 9, &in, &n, NULL), BPFVM_EINVAL);
	assert_int_equal(bpfvm_asm("exit", 4, 0, NULL, &n, NULL), BPFVM_EINVAL);
	assert_int_equal(bpfvm_asm(NULL, 4, 0, &in, &n, NULL), BPFVM_EINVAL);
	assert_int_equal(bpfvm_asm("bogus", 5, 0, &in, &n, NULL), BPFVM_EASM); /* err may be NULL */

	/* very long lines */
	size_t big = 1 << 20;
	char *buf = malloc(big + 16);
	assert_non_null(buf);
	memset(buf, 'a', big);
	survive(buf, big);
	memset(buf, ' ', big);
	memcpy(buf + big - 4, "exit", 4);
	survive(buf, big);
	for (size_t i = 0; i + 5 <= big; i += 5)
		memcpy(buf + i, "r1 = ", 5);
	survive(buf, big);
	memset(buf, '9', big);
	memcpy(buf, "r1 = ", 5);
	survive(buf, big);
	/* random bytes, and random bytes drawn from assembly's alphabet */
	static const char alpha[] = "%r0123456789abcdefxl+-[]*(),:#/<> \t\nwsuldxexitcallgotoif=&|^!";
	for (int round = 0; round < 3000; round++) {
		size_t len = rnd() % 300;
		for (size_t i = 0; i < len; i++)
			buf[i] = round & 1 ? (char)rnd() : alpha[rnd() % (sizeof(alpha) - 1)];
		survive(buf, len);
	}
	/* mutated conformance programs */
	if (tu_conformance_dir()) {
		static const char *const files[] = {"call_local.data", "lock_cmpxchg32.data", "lddw.data", "ja32.data"};
		for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			char *text = read_conf_file("tests", files[f]);
			assert_non_null(text);
			size_t len = strlen(text);
			for (int round = 0; round < 300; round++) {
				char *m = malloc(len + 1);
				memcpy(m, text, len + 1);
				for (int k = 0; k < 4; k++)
					m[rnd() % len] = round & 1 ? (char)rnd() : alpha[rnd() % (sizeof(alpha) - 1)];
				survive(m, len);
				free(m);
			}
			free(text);
		}
	}
	free(buf);
}

/* Removes the llvm-mc scratch directory, even after a failed test. */
static int remove_tmpdir(void **state)
{
	if (tmpdir[0] && strstr(tmpdir, "/tmp/bpfvm-test-asm-") == tmpdir)
		run("rm -rf '%s'", tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_bytes),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_llvm_mc),
		cmocka_unit_test(test_clang),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, remove_tmpdir);
}
