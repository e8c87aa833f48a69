/* test_disasm.c - the disassembler (bpfvm_disasm_insn) against llvm-objdump 14
 * and against its own rules:
 *  - clang-compiled objects (every C file in tests/data/bpf, -mcpu=v1, v2, v3 and
 *    v2 + alu32) disassemble line for line as `llvm-objdump -d` prints them,
 *    with and without --mattr=+alu32 (BPFVM_DISASM_ALU32);
 *  - instances of every opcode-table row (edge-value operands) and the
 *    conformance suite's programs, turned into an object by llvm-mc, print as
 *    objdump prints them wherever LLVM 14 knows the instruction;
 *  - every row prints in both syntaxes without the ".quad" fallback; invalid
 *    encodings print a ".quad" that llvm-mc assembles back to the same bytes;
 *  - helper-name and local-call annotations; the buffer is never overrun.
 * The llvm parts skip with a printed reason when the tools are missing. */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "isa.h"

/* ---- small utilities ---- */

static uint64_t raw_of(const struct bpf_insn *in)
{
	uint8_t b[8];
	memcpy(b, in, sizeof(b));
	uint64_t w = 0;
	for (int i = 7; i >= 0; i--)
		w = (w << 8) | b[i];
	return w;
}

static int have_tool(const char *name)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* Runs cmd through the shell; returns its exit status and, in *out, its
 * stdout and stderr (malloc'd, NUL-terminated). */
static int run_capture(const char *cmd, char **out)
{
	char full[8192];
	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	assert_non_null(p);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, p)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	buf[n] = 0;
	int st = pclose(p);
	*out = buf;
	return st;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	if (tmpdir[0])
		return;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpfvm-disasm-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	if (!tmpdir[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	tmpdir[0] = 0;
}

/* Our text without its trailing " # comment". */
static void strip_comment(char *s)
{
	char *h = strstr(s, " #");
	if (h)
		*h = 0;
}

/* ---- instances of every row ---- */

static const int32_t imm_edges[] = { 0, 1, -1, INT32_MIN, INT32_MAX, 42, -4660 };
static const int16_t off_edges[] = { 0, 1, -1, SHRT_MIN, SHRT_MAX, 8, -4 };
#define NEDGES 7
#define NVARIANTS 11 /* every register as dst once */

/* Variant k of row op in slot[0] (and slot[1] for lddw): registers and
 * the operand fields its shape uses take edge values, the discriminator its
 * fixed value, everything else zero. Returns the number of slots. */
static int make_instance(int op, int k, struct bpf_insn slot[2])
{
	const struct isa_row *r = &isa_table[op];
	memset(slot, 0, 2 * sizeof(*slot));
	struct bpf_insn *in = &slot[0];
	const uint8_t dst = (uint8_t)(k % 11), src = (uint8_t)((k * 7 + 3) % 11);
	const int32_t imm = imm_edges[k % NEDGES];
	const int16_t off = off_edges[(k + 1) % NEDGES];
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
	/* The second slot carries the upper half, or for the pseudo sources
	 * that use it (map value offset, BTF fd), a value of its own. */
	int s = in->src_reg;
	if (s == 0 || s == BPF_PSEUDO_MAP_VALUE || s == BPF_PSEUDO_BTF_ID || s == BPF_PSEUDO_MAP_IDX_VALUE)
		slot[1].imm = imm_edges[(k + 3) % NEDGES];
	return 2;
}

/* Why llvm-objdump 14 prints an instance differently from the row's
 * template, or NULL when it must print it exactly as we do. (Forms it cannot
 * decode at all print "<unknown>" and are counted separately.) */
static const char *objdump14_quirk(int op, const struct bpf_insn *in, uint32_t flags)
{
	const struct isa_row *r = &isa_table[op];
	if (r->version == V4)
		return "ISA v4 form; LLVM 14 reads sdiv/movsx as div/mov";
	if (r->group == ext && r->shape != S_CALL_KFUNC)
		return "Linux extension newer than LLVM 14 (load-acquire reads as atomic add)";
	if (r->shape == S_CALLX)
		return "LLVM 14 takes callx's register from imm, the kernel from dst";
	if (r->shape == S_LDDW && in->src_reg == BPF_PSEUDO_MAP_VALUE && !in->dst_reg && !in->imm)
		return "LLVM 14 reads this exact encoding as its internal one-slot 'lea' pseudo";
	if (r->shape == S_LDIND && in->imm)
		return "LLVM's LD_IND has no offset operand";
	if (r->group == atomic32 && in->imm != BPF_ADD && !(flags & BPFVM_DISASM_ALU32))
		return "without +alu32 LLVM 14 reads every 32-bit atomic as atomic add";
	return NULL;
}

/* ---- llvm-objdump output ---- */

struct odline {
	char sec[128];
	long idx;
	char text[256];
};

struct odlist {
	struct odline *v;
	size_t n;
};

/* Instruction lines "   12:\ttext" of `llvm-objdump -d --no-show-raw-insn`,
 * with the section they belong to; objdump's trailing "<sym+0x..>" cut. */
static void parse_objdump(const char *out, struct odlist *l)
{
	char sec[128] = "";
	l->v = NULL;
	l->n = 0;
	for (const char *p = out; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (e ? 1 : 0);
		const char *prefix = "Disassembly of section ";
		if (!strncmp(line, prefix, strlen(prefix))) {
			snprintf(sec, sizeof(sec), "%s", line + strlen(prefix));
			char *c = strrchr(sec, ':');
			if (c)
				*c = 0;
			continue;
		}
		char *q = line;
		while (*q == ' ')
			q++;
		if (*q < '0' || *q > '9')
			continue;
		char *end;
		long idx = strtol(q, &end, 10);
		if (end[0] != ':' || end[1] != '\t')
			continue;
		char *text = end + 2;
		size_t tl = strlen(text);
		if (tl && text[tl - 1] == '>') {
			char *lt = strstr(text, " <");
			for (char *nx; lt && (nx = strstr(lt + 1, " <"));)
				lt = nx;
			if (lt)
				*lt = 0;
		}
		l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
		assert_non_null(l->v);
		struct odline *o = &l->v[l->n++];
		snprintf(o->sec, sizeof(o->sec), "%s", sec);
		o->idx = idx;
		snprintf(o->text, sizeof(o->text), "%s", text);
	}
}

struct mode {
	const char *name;
	const char *objdump_args;
	uint32_t flags;
};

static const struct mode modes[] = {
	{ "default", "", 0 },
	{ "+alu32", "--mattr=+alu32", BPFVM_DISASM_ALU32 },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

struct tally {
	long compared;    /* lines equal to objdump's */
	long unknown;     /* objdump printed <unknown>, we decoded */
	long quirk;       /* known LLVM 14 misreading */
	long mismatches;
};

/* Compares our LLVM-syntax disassembly of insns (n slots) with objdump's
 * lines for section sec. label names the object in messages. */
static void compare_section(const struct bpf_insn *insns, size_t n, const struct odlist *od, const char *sec,
			    const struct mode *m, const char *label, struct tally *t)
{
	/* our text at each instruction start, NULL inside lddw */
	char **ours = calloc(n ? n : 1, sizeof(*ours));
	int *ops = calloc(n ? n : 1, sizeof(*ops));
	assert_true(ours && ops);
	size_t starts = 0;
	for (size_t pc = 0; pc < n;) {
		char buf[256];
		int rc = bpfvm_disasm_insn(insns, n, pc, BPFVM_SYNTAX_LLVM, m->flags, buf, sizeof(buf));
		if (rc < 0) {
			printf("  %s [%s] insn %zu: not decoded: %s\n", label, sec, pc, buf);
			t->mismatches++;
			rc = 1;
		}
		strip_comment(buf);
		ours[pc] = strdup(buf);
		ops[pc] = isa_lookup(&insns[pc]);
		starts++;
		pc += (size_t)rc;
	}
	size_t seen = 0;
	for (size_t i = 0; i < od->n; i++) {
		const struct odline *o = &od->v[i];
		if (strcmp(o->sec, sec))
			continue;
		if (o->idx > 0 && (size_t)o->idx < n && !ours[o->idx] && ours[o->idx - 1] &&
		    ops[o->idx - 1] != ISA_OP_INVALID && isa_is_lddw(ops[o->idx - 1]) &&
		    objdump14_quirk(ops[o->idx - 1], &insns[o->idx - 1], m->flags)) {
			/* objdump read the lddw as one slot and this as another */
			t->quirk++;
			continue;
		}
		seen++;
		if (o->idx < 0 || (size_t)o->idx >= n || !ours[o->idx]) {
			printf("  %s [%s] objdump has an instruction at %ld, we do not\n", label, sec, o->idx);
			t->mismatches++;
			continue;
		}
		const char *mine = ours[o->idx];
		if (!strcmp(o->text, mine)) {
			t->compared++;
			continue;
		}
		if (!strcmp(o->text, "<unknown>") && ops[o->idx] != ISA_OP_INVALID) {
			t->unknown++;
			continue;
		}
		if (ops[o->idx] != ISA_OP_INVALID && objdump14_quirk(ops[o->idx], &insns[o->idx], m->flags)) {
			t->quirk++;
			continue;
		}
		if (t->mismatches++ < 40)
			printf("  %s [%s] %s insn %ld (0x%016" PRIx64 "):\n    objdump: %s\n    bpfvm:   %s\n", label,
			       sec, m->name, o->idx, raw_of(&insns[o->idx]), o->text, mine);
	}
	if (seen != starts) {
		printf("  %s [%s] %s: objdump printed %zu instructions, we %zu\n", label, sec, m->name, seen, starts);
		t->mismatches++;
	}
	for (size_t i = 0; i < n; i++)
		free(ours[i]);
	free(ours);
	free(ops);
}

static struct bpf_insn *read_insns(const char *path, size_t *n)
{
	size_t len = 0;
	char *bytes = tu_read_file(path, &len);
	assert_non_null(bytes);
	assert_int_equal(len % 8, 0);
	struct bpf_insn *insns = malloc(len ? len : 8);
	assert_non_null(insns);
	memcpy(insns, bytes, len);
	free(bytes);
	*n = len / 8;
	return insns;
}

/* ---- 1. clang-compiled objects ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_clang_objects(void **state)
{
	(void)state;
	const char *tools[] = { "clang", "llvm-objdump", "llvm-objcopy" };
	for (size_t i = 0; i < 3; i++)
		if (!have_tool(tools[i])) {
			printf("SKIP: %s not found; the objdump comparison needs clang and llvm tools\n", tools[i]);
			skip();
		}
	make_tmpdir();

	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/tests/data/bpf", tu_source_dir());
	DIR *d = opendir(dir);
	assert_non_null(d);
	char *srcs[64];
	size_t nsrc = 0;
	for (struct dirent *de; (de = readdir(d)) && nsrc < 64;) {
		size_t l = strlen(de->d_name);
		if (l > 2 && !strcmp(de->d_name + l - 2, ".c"))
			srcs[nsrc++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(srcs, nsrc, sizeof(*srcs), cmp_str);
	assert_true(nsrc >= 3);

	static const struct {
		const char *name, *flags;
	} cpus[] = {
		{ "v1", "-mcpu=v1 -DBPF_CPU=1" },
		{ "v2", "-mcpu=v2 -DBPF_CPU=2" },
		{ "v3", "-mcpu=v3 -DBPF_CPU=3" },
		{ "v2+alu32", "-mcpu=v2 -Xclang -target-feature -Xclang +alu32 -DBPF_CPU=2" },
	};
	struct tally t = { 0 };
	long objects = 0, sections = 0;
	for (size_t s = 0; s < nsrc; s++) {
		for (size_t c = 0; c < sizeof(cpus) / sizeof(cpus[0]); c++) {
			char obj[256], cmd[8192], label[256], *out;
			snprintf(label, sizeof(label), "%s -mcpu=%s", srcs[s], cpus[c].name);
			snprintf(obj, sizeof(obj), "%s/%.*s-%zu.o", tmpdir, (int)strlen(srcs[s]) - 2, srcs[s], c);
			snprintf(cmd, sizeof(cmd),
				 "clang -O2 -target bpf %s -I/usr/include/x86_64-linux-gnu -c '%s/%s' -o '%s'",
				 cpus[c].flags, dir, srcs[s], obj);
			if (run_capture(cmd, &out) != 0)
				fail_msg("%s: compile failed:\n%s", label, out);
			free(out);
			objects++;

			/* code sections: type TEXT, non-empty */
			snprintf(cmd, sizeof(cmd), "llvm-objdump -h '%s'", obj);
			assert_int_equal(run_capture(cmd, &out), 0);
			char secnames[32][128];
			size_t nsec = 0;
			for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
				unsigned idx;
				char name[128], type[32] = "";
				unsigned long size;
				if (sscanf(line, " %u %127s %lx %*s %31s", &idx, name, &size, type) == 4 &&
				    !strcmp(type, "TEXT") && size > 0 && nsec < 32 && !strchr(name, '\''))
					snprintf(secnames[nsec++], 128, "%s", name);
			}
			free(out);
			assert_true(nsec > 0);

			for (size_t mi = 0; mi < NMODES; mi++) {
				struct odlist od;
				snprintf(cmd, sizeof(cmd), "llvm-objdump -d --no-show-raw-insn %s '%s'",
					 modes[mi].objdump_args, obj);
				assert_int_equal(run_capture(cmd, &out), 0);
				parse_objdump(out, &od);
				free(out);
				for (size_t k = 0; k < nsec; k++) {
					char bin[300];
					snprintf(bin, sizeof(bin), "%s/sec.bin", tmpdir);
					snprintf(cmd, sizeof(cmd), "llvm-objcopy -O binary --only-section='%s' '%s' '%s'",
						 secnames[k], obj, bin);
					assert_int_equal(run_capture(cmd, &out), 0);
					free(out);
					size_t n;
					struct bpf_insn *insns = read_insns(bin, &n);
					long before = t.compared;
					compare_section(insns, n, &od, secnames[k], &modes[mi], label, &t);
					assert_true(t.compared > before);
					if (mi == 0)
						sections++;
					free(insns);
				}
				free(od.v);
			}
		}
	}
	for (size_t s = 0; s < nsrc; s++)
		free(srcs[s]);
	printf("clang objects: %ld objects, %ld code sections, %ld lines equal to llvm-objdump "
	       "(default and +alu32); %ld lines objdump 14 prints <unknown>, %ld known LLVM 14 misreadings, "
	       "%ld mismatches\n",
	       objects, sections, t.compared, t.unknown, t.quirk, t.mismatches);
	assert_int_equal(t.mismatches, 0);
}

/* ---- 2. every row, and the conformance programs, through llvm-mc ---- */

/* Writes insns as .quad lines, assembles them with llvm-mc and compares
 * objdump's reading (both modes) with ours. */
static void compare_raw_via_llvm_mc(const struct bpf_insn *insns, size_t n, const char *label, struct tally *t)
{
	char s_path[300], o_path[300], cmd[2048], *out;
	snprintf(s_path, sizeof(s_path), "%s/raw.s", tmpdir);
	snprintf(o_path, sizeof(o_path), "%s/raw.o", tmpdir);
	FILE *f = fopen(s_path, "w");
	assert_non_null(f);
	fprintf(f, "\t.text\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "\t.quad 0x%016" PRIx64 "\n", raw_of(&insns[i]));
	fclose(f);
	snprintf(cmd, sizeof(cmd), "llvm-mc -triple bpfel -filetype=obj '%s' -o '%s'", s_path, o_path);
	if (run_capture(cmd, &out) != 0)
		fail_msg("llvm-mc failed: %s", out);
	free(out);
	for (size_t mi = 0; mi < NMODES; mi++) {
		struct odlist od;
		snprintf(cmd, sizeof(cmd), "llvm-objdump -d --no-show-raw-insn %s '%s'", modes[mi].objdump_args, o_path);
		assert_int_equal(run_capture(cmd, &out), 0);
		parse_objdump(out, &od);
		free(out);
		compare_section(insns, n, &od, ".text", &modes[mi], label, t);
		free(od.v);
	}
}

static void test_rows_vs_objdump(void **state)
{
	(void)state;
	if (!have_tool("llvm-mc") || !have_tool("llvm-objdump")) {
		printf("SKIP: llvm-mc or llvm-objdump not found\n");
		skip();
	}
	make_tmpdir();
	struct bpf_insn *insns = malloc(BPFVM_OP__COUNT * NVARIANTS * 2 * sizeof(*insns));
	assert_non_null(insns);
	size_t n = 0;
	for (int op = 0; op < BPFVM_OP__COUNT; op++)
		for (int k = 0; k < NVARIANTS; k++)
			n += (size_t)make_instance(op, k, &insns[n]);
	struct tally t = { 0 };
	compare_raw_via_llvm_mc(insns, n, "opcode table", &t);
	printf("opcode table: %zu slots, %ld lines equal to llvm-objdump (2 modes), %ld <unknown> to LLVM 14, "
	       "%ld known LLVM 14 misreadings, %ld mismatches\n",
	       n, t.compared, t.unknown, t.quirk, t.mismatches);
	assert_int_equal(t.mismatches, 0);
	assert_true(t.compared > 0);
	free(insns);

	/* The conformance suite's programs, as upstream assembled them. */
	const char *cdir = tu_conformance_dir();
	if (!cdir) {
		printf("conformance suite not found; its programs were not compared\n");
		return;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/assembled.tsv", cdir);
	char *text = tu_read_file(path, NULL);
	assert_non_null(text);
	struct bpf_insn *all = NULL;
	size_t total = 0, programs = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *hex = strrchr(line, '\t');
		assert_non_null(hex);
		size_t bytes;
		uint8_t *prog = tu_hex_decode(hex + 1, &bytes);
		assert_non_null(prog);
		assert_int_equal(bytes % 8, 0);
		all = realloc(all, total * 8 + bytes);
		assert_non_null(all);
		memcpy(&all[total], prog, bytes);
		total += bytes / 8;
		programs++;
		free(prog);
	}
	free(text);
	struct tally tc = { 0 };
	compare_raw_via_llvm_mc(all, total, "conformance programs", &tc);
	printf("conformance programs: %zu programs, %zu slots, %ld lines equal to llvm-objdump (2 modes), "
	       "%ld <unknown> to LLVM 14, %ld known LLVM 14 misreadings, %ld mismatches\n",
	       programs, total, tc.compared, tc.unknown, tc.quirk, tc.mismatches);
	assert_int_equal(tc.mismatches, 0);
	free(all);
}

/* ---- 3. rules that need no tools ---- */

static void test_every_row_both_syntaxes(void **state)
{
	(void)state;
	const int syntaxes[] = { BPFVM_SYNTAX_LLVM, BPFVM_SYNTAX_UBPF };
	long checked = 0;
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		for (int k = 0; k < NVARIANTS; k++) {
			struct bpf_insn s[2];
			int slots = make_instance(op, k, s);
			char why[128];
			assert_int_equal(isa_lookup(&s[0]), op);
			if (isa_check_fields(op, &s[0], why, sizeof(why)))
				fail_msg("%s variant %d is not well-formed: %s", isa_table[op].name, k, why);
			for (int si = 0; si < 2; si++)
				for (uint32_t fl = 0; fl <= (BPFVM_DISASM_ALU32 | BPFVM_DISASM_NO_ANNOTATE); fl++) {
					char buf[256];
					int rc = bpfvm_disasm_insn(s, (size_t)slots, 0, syntaxes[si], fl, buf, sizeof(buf));
					if (rc != slots || !buf[0] || strstr(buf, ".quad") || strchr(buf, '$'))
						fail_msg("%s variant %d syntax %d flags %u: rc %d, \"%s\"", isa_table[op].name,
							 k, syntaxes[si], fl, rc, buf);
					if ((fl & BPFVM_DISASM_NO_ANNOTATE) && strchr(buf, '#'))
						fail_msg("%s: comment despite NO_ANNOTATE: %s", isa_table[op].name, buf);
					checked++;
				}
		}
	}
	printf("%d rows x %d variants: %ld disassemblies, none fell back to .quad\n", BPFVM_OP__COUNT, NVARIANTS,
	       checked);
}

/* Does any row have this code byte? */
static int code_used(uint8_t code)
{
	for (int op = 0; op < BPFVM_OP__COUNT; op++)
		if (isa_table[op].code == code)
			return 1;
	return 0;
}

static struct bpf_insn invalid[4096];
static size_t ninvalid;

/* Expects insns[pc] to print as its .quad and remembers it for llvm-mc. */
static void expect_quad(const struct bpf_insn *insns, size_t n, size_t pc, const char *what)
{
	const int syntaxes[] = { BPFVM_SYNTAX_LLVM, BPFVM_SYNTAX_UBPF };
	char want[64];
	snprintf(want, sizeof(want), ".quad 0x%016" PRIx64, raw_of(&insns[pc]));
	for (int si = 0; si < 2; si++) {
		char buf[128];
		int rc = bpfvm_disasm_insn(insns, n, pc, syntaxes[si], 0, buf, sizeof(buf));
		if (rc != BPFVM_EDECODE || strcmp(buf, want))
			fail_msg("%s: rc %d \"%s\", want %d \"%s\"", what, rc, buf, BPFVM_EDECODE, want);
	}
	if (ninvalid < sizeof(invalid) / sizeof(invalid[0]))
		invalid[ninvalid++] = insns[pc];
}

static void test_invalid_encodings(void **state)
{
	(void)state;
	ninvalid = 0;
	char what[128];
	/* codes no row has */
	for (int c = 0; c < 256; c++) {
		if (code_used((uint8_t)c))
			continue;
		struct bpf_insn in = { .code = (uint8_t)c, .dst_reg = 1, .imm = 0x12345678 };
		snprintf(what, sizeof(what), "unknown code 0x%02x", c);
		expect_quad(&in, 1, 0, what);
	}
	size_t unknown_codes = ninvalid;
	/* known codes with a discriminator no row has, and reserved fields or
	 * registers set: whatever the table says is not an instance */
	long disc = 0, reserved = 0, consistent = 0;
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		const struct isa_row *r = &isa_table[op];
		struct bpf_insn s[2];
		int slots = make_instance(op, 0, s);
		static const int32_t disc_try[] = { 2, 3, 7, 0x17, 0x7fff, -1, 0x200 };
		for (size_t i = 0; i < sizeof(disc_try) / sizeof(disc_try[0]) && r->disc_kind != D_NONE; i++) {
			struct bpf_insn b[2] = { s[0], s[1] };
			if (r->disc_kind == D_OFF)
				b[0].off = (int16_t)disc_try[i];
			else if (r->disc_kind == D_IMM)
				b[0].imm = disc_try[i];
			else
				b[0].src_reg = (uint8_t)(disc_try[i] & 15);
			if (isa_lookup(&b[0]) != ISA_OP_INVALID)
				continue;
			snprintf(what, sizeof(what), "%s with discriminator %d", r->name, disc_try[i]);
			expect_quad(b, (size_t)slots, 0, what);
			disc++;
		}
		/* poke each field; the table decides whether it is still valid */
		for (int f = 0; f < 4; f++) {
			struct bpf_insn b[2] = { s[0], s[1] };
			switch (f) {
			case 0: b[0].dst_reg = b[0].dst_reg ? 0 : 3; break;
			case 1: b[0].src_reg = b[0].src_reg ? 0 : 3; break;
			case 2: b[0].off = b[0].off ? 0 : 5; break;
			case 3: b[0].imm = b[0].imm ? 0 : 5; break;
			}
			int op2 = isa_lookup(&b[0]);
			char why[128];
			snprintf(what, sizeof(what), "%s with field %d changed", r->name, f);
			if (op2 == ISA_OP_INVALID || isa_check_fields(op2, &b[0], why, sizeof(why))) {
				expect_quad(b, (size_t)slots, 0, what);
				reserved++;
			} else {
				char buf[256];
				int rc = bpfvm_disasm_insn(b, isa_is_lddw(op2) ? 2 : 1, 0, BPFVM_SYNTAX_LLVM, 0, buf,
							   sizeof(buf));
				if (rc < 0)
					fail_msg("%s: valid per the table but printed \"%s\"", what, buf);
				consistent++;
			}
		}
		/* registers 11..15: out of range where dst/src is a register,
		 * a set reserved field or an unknown pseudo source elsewhere */
		for (int reg = 11; reg < 16; reg++) {
			struct bpf_insn b[2] = { s[0], s[1] };
			b[0].dst_reg = (uint8_t)reg;
			snprintf(what, sizeof(what), "%s with dst %d", r->name, reg);
			expect_quad(b, (size_t)slots, 0, what);
			b[0] = s[0];
			b[0].src_reg = (uint8_t)reg;
			snprintf(what, sizeof(what), "%s with src %d", r->name, reg);
			expect_quad(b, (size_t)slots, 0, what);
			reserved += 2;
		}
		if (r->shape == S_LDDW) {
			/* cut off, and with a bad second slot */
			snprintf(what, sizeof(what), "%s in the last slot", r->name);
			expect_quad(s, 1, 0, what);
			struct bpf_insn b[2] = { s[0], s[1] };
			b[1].code = 0x18;
			snprintf(what, sizeof(what), "%s with a second slot of code 0x18", r->name);
			expect_quad(b, 2, 0, what);
			b[1] = s[1];
			b[1].src_reg = 1;
			snprintf(what, sizeof(what), "%s with src set in the second slot", r->name);
			expect_quad(b, 2, 0, what);
		}
	}
	/* pseudo sources that carry nothing in the second slot */
	const int no_hi[] = { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_FUNC };
	for (int i = 0; i < 3; i++) {
		struct bpf_insn b[2] = { BPF_LD_IMM64_RAW(2, no_hi[i], 7) };
		b[1].imm = 1;
		snprintf(what, sizeof(what), "lddw src %d with a second imm", no_hi[i]);
		expect_quad(b, 2, 0, what);
	}
	printf("invalid: %zu unknown codes, %ld bad discriminators, %ld bad reserved fields/registers; "
	       "%ld field changes the table accepts printed normally\n",
	       unknown_codes, disc, reserved, consistent);
	assert_true(unknown_codes > 0 && disc > 0 && reserved > 0);

	/* Each .quad must be something llvm-mc assembles back to the bytes. */
	if (!have_tool("llvm-mc") || !have_tool("llvm-objcopy")) {
		printf("llvm-mc/llvm-objcopy not found: .quad lines not reassembled\n");
		return;
	}
	make_tmpdir();
	char s_path[300], o_path[300], b_path[300], cmd[2048], *out;
	snprintf(s_path, sizeof(s_path), "%s/quad.s", tmpdir);
	snprintf(o_path, sizeof(o_path), "%s/quad.o", tmpdir);
	snprintf(b_path, sizeof(b_path), "%s/quad.bin", tmpdir);
	FILE *f = fopen(s_path, "w");
	assert_non_null(f);
	fprintf(f, "\t.text\n");
	for (size_t i = 0; i < ninvalid; i++) {
		char buf[64];
		bpfvm_disasm_insn(&invalid[i], 1, 0, BPFVM_SYNTAX_LLVM, 0, buf, sizeof(buf));
		fprintf(f, "\t%s\n", buf);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "llvm-mc -triple bpfel -filetype=obj '%s' -o '%s' && llvm-objcopy -O binary --only-section=.text '%s' '%s'",
		 s_path, o_path, o_path, b_path);
	if (run_capture(cmd, &out) != 0)
		fail_msg("llvm-mc rejected the .quad lines: %s", out);
	free(out);
	size_t n;
	struct bpf_insn *back = read_insns(b_path, &n);
	assert_int_equal(n, ninvalid);
	assert_memory_equal(back, invalid, n * sizeof(*back));
	free(back);
	printf("%zu .quad lines reassembled by llvm-mc to the same bytes\n", ninvalid);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct bpf_insn prog[] = { BPF_EXIT_INSN() };
	char buf[32];
	assert_int_equal(bpfvm_disasm_insn(prog, 1, 1, BPFVM_SYNTAX_LLVM, 0, buf, sizeof(buf)), BPFVM_EINVAL);
	assert_int_equal(bpfvm_disasm_insn(prog, 1, 0, 9, 0, buf, sizeof(buf)), BPFVM_EINVAL);
	assert_int_equal(bpfvm_disasm_insn(NULL, 0, 0, BPFVM_SYNTAX_LLVM, 0, buf, sizeof(buf)), BPFVM_EINVAL);
	/* AUTO prints LLVM syntax */
	char a[64], l[64];
	struct bpf_insn ld[] = { BPF_LDX_MEM(BPF_W, 0, 1, 4) };
	assert_int_equal(bpfvm_disasm_insn(ld, 1, 0, BPFVM_SYNTAX_AUTO, 0, a, sizeof(a)), 1);
	assert_int_equal(bpfvm_disasm_insn(ld, 1, 0, BPFVM_SYNTAX_LLVM, 0, l, sizeof(l)), 1);
	assert_string_equal(a, l);
	assert_int_equal(bpfvm_disasm_insn(prog, 1, 0, BPFVM_SYNTAX_LLVM, 0, NULL, 0), 1);
}

static void test_truncation(void **state)
{
	(void)state;
	long calls = 0;
	for (int op = 0; op < BPFVM_OP__COUNT; op++)
		for (int k = 0; k < 3; k++)
			for (int syntax = BPFVM_SYNTAX_LLVM; syntax <= BPFVM_SYNTAX_UBPF; syntax++) {
				struct bpf_insn s[2];
				int slots = make_instance(op, k, s);
				char full[256];
				int rc = bpfvm_disasm_insn(s, (size_t)slots, 0, syntax, 0, full, sizeof(full));
				size_t len = strlen(full);
				assert_true(len < sizeof(full) - 1);
				for (size_t bl = 0; bl <= len + 2; bl++) {
					char guard[300];
					memset(guard, 0xAA, sizeof(guard));
					assert_int_equal(bpfvm_disasm_insn(s, (size_t)slots, 0, syntax, 0,
									   bl ? guard : NULL, bl), rc);
					for (size_t i = bl; i < sizeof(guard); i++)
						assert_int_equal((unsigned char)guard[i], 0xAA);
					if (bl) {
						size_t want = len < bl - 1 ? len : bl - 1;
						assert_int_equal(strlen(guard), want);
						assert_memory_equal(guard, full, want);
					}
					calls++;
				}
			}
	/* the fallback text too */
	struct bpf_insn bad = { .code = 0xff };
	char small[7];
	memset(small, 0xAA, sizeof(small));
	assert_int_equal(bpfvm_disasm_insn(&bad, 1, 0, BPFVM_SYNTAX_LLVM, 0, small, 6), BPFVM_EDECODE);
	assert_string_equal(small, ".quad");
	assert_int_equal((unsigned char)small[6], 0xAA);
	printf("%ld truncated disassemblies stayed inside their buffers\n", calls);
}

static void test_annotations(void **state)
{
	(void)state;
	/* a helper with a known name and one without */
	int32_t named = -1, unnamed = -1;
	for (int32_t id = 0; id < 100000 && (named < 0 || unnamed < 0); id++) {
		if (isa_helper_name((uint32_t)id) && named < 0)
			named = id;
		if (!isa_helper_name((uint32_t)id) && unnamed < 0)
			unnamed = id;
	}
	assert_true(named >= 0 && unnamed >= 0);
	for (int syntax = BPFVM_SYNTAX_LLVM; syntax <= BPFVM_SYNTAX_UBPF; syntax++) {
		struct bpf_insn call[] = { BPF_CALL_HELPER(named), BPF_CALL_HELPER(unnamed) };
		char buf[128], want[128];
		assert_int_equal(bpfvm_disasm_insn(call, 2, 0, syntax, 0, buf, sizeof(buf)), 1);
		snprintf(want, sizeof(want), "call %d # %s", named, isa_helper_name((uint32_t)named));
		assert_string_equal(buf, want);
		assert_int_equal(bpfvm_disasm_insn(call, 2, 0, syntax, BPFVM_DISASM_NO_ANNOTATE, buf, sizeof(buf)), 1);
		snprintf(want, sizeof(want), "call %d", named);
		assert_string_equal(buf, want);
		assert_int_equal(bpfvm_disasm_insn(call, 2, 1, syntax, 0, buf, sizeof(buf)), 1);
		assert_null(strchr(buf, '#'));
	}
	/* bpf-to-bpf calls: LLVM prints them like helper calls, the comment says
	 * where they go when the target is inside the program */
	struct bpf_insn prog[] = {
		BPF_CALL_REL(2), BPF_EXIT_INSN(), BPF_CALL_REL(-3), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(),
	};
	char buf[128], want[128];
	assert_int_equal(bpfvm_disasm_insn(prog, 5, 0, BPFVM_SYNTAX_LLVM, 0, buf, sizeof(buf)), 1);
	snprintf(want, sizeof(want), "call %d # local call to insn %d", 2, 0 + 1 + 2);
	assert_string_equal(buf, want);
	assert_int_equal(bpfvm_disasm_insn(prog, 5, 2, BPFVM_SYNTAX_LLVM, 0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "call -3 # local call to insn 0");
	assert_int_equal(bpfvm_disasm_insn(prog, 2, 0, BPFVM_SYNTAX_LLVM, 0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "call 2"); /* target 3 is outside a 2-slot program */
	assert_int_equal(bpfvm_disasm_insn(prog, 5, 0, BPFVM_SYNTAX_UBPF, 0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "call local +2");
}

/* The uBPF syntax as the conformance suite writes it (its README and .data
 * files), and the LLVM forms named in the objdump comparison. */
static void test_syntax_examples(void **state)
{
	(void)state;
	static const struct {
		struct bpf_insn insn[2];
		int syntax;
		uint32_t flags;
		const char *text;
	} ex[] = {
		{ { BPF_ALU32_IMM(BPF_ADD, 0, 1) }, BPFVM_SYNTAX_UBPF, 0, "add32 %r0, 1" },
		{ { BPF_LDX_MEM(BPF_W, 0, 1, 4) }, BPFVM_SYNTAX_UBPF, 0, "ldxw %r0, [%r1+4]" },
		{ { BPF_STX_MEM(BPF_DW, 10, 1, -8) }, BPFVM_SYNTAX_UBPF, 0, "stxdw [%r10-8], %r1" },
		{ { BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, 1, 2, 0) }, BPFVM_SYNTAX_UBPF, 0,
		  "lock fetch add [%r1+0], %r2" },
		{ { BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, 10, 1, -8) }, BPFVM_SYNTAX_UBPF, 0, "lock cmpxchg32 [%r10-8], %r1" },
		{ { BPF_JMP_IMM(BPF_JEQ, 1, 5, 2) }, BPFVM_SYNTAX_UBPF, 0, "jeq %r1, 5, +2" },
		{ { BPF_JMP32_REG(BPF_JSLT, 1, 2, -3) }, BPFVM_SYNTAX_UBPF, 0, "jslt32 %r1, %r2, -3" },
		{ { BPF_CALL_REL(3) }, BPFVM_SYNTAX_UBPF, 0, "call local +3" },
		{ { BPF_CALLX(2) }, BPFVM_SYNTAX_UBPF, 0, "call %r2" },
		{ { BPF_LD_IMM64(0, 0x123456789abcdef0ULL) }, BPFVM_SYNTAX_UBPF, 0, "lddw %r0, 0x123456789abcdef0" },
		{ { BPF_BSWAP(3, 16) }, BPFVM_SYNTAX_UBPF, 0, "bswap16 %r3" },
		{ { BPF_MOVSX64_REG(1, 2, 16) }, BPFVM_SYNTAX_UBPF, 0, "movsx1664 %r1, %r2" },
		{ { BPF_ALU64_IMM_OFF(BPF_MOD, 1, -7, 1) }, BPFVM_SYNTAX_UBPF, 0, "smod %r1, -7" },
		{ { BPF_JMP32_A(-1) }, BPFVM_SYNTAX_UBPF, 0, "ja32 -1" },
		{ { BPF_MOV64_IMM(1, -1) }, BPFVM_SYNTAX_LLVM, 0, "r1 = -1" },
		{ { BPF_LD_IMM64(1, 4660) }, BPFVM_SYNTAX_LLVM, 0, "r1 = 4660 ll" },
		{ { BPF_ALU64_IMM(BPF_ADD, 2, -4) }, BPFVM_SYNTAX_LLVM, 0, "r2 += -4" },
		{ { BPF_JMP_A(-1) }, BPFVM_SYNTAX_LLVM, 0, "goto -1" },
		{ { BPF_JMP_A(0) }, BPFVM_SYNTAX_LLVM, 0, "goto +0" },
		{ { BPF_STX_MEM(BPF_W, 10, 1, -4) }, BPFVM_SYNTAX_LLVM, 0, "*(u32 *)(r10 - 4) = r1" },
		{ { BPF_STX_MEM(BPF_W, 10, 1, -4) }, BPFVM_SYNTAX_LLVM, BPFVM_DISASM_ALU32, "*(u32 *)(r10 - 4) = w1" },
		{ { BPF_LDX_MEM(BPF_B, 3, 10, -4) }, BPFVM_SYNTAX_LLVM, BPFVM_DISASM_ALU32, "w3 = *(u8 *)(r10 - 4)" },
		{ { BPF_LD_MAP_VALUE(1, 7, 16) }, BPFVM_SYNTAX_LLVM, 0, "ld_pseudo\tr1, 2, 7" },
		{ { BPF_LD_MAP_VALUE(1, 7, 16) }, BPFVM_SYNTAX_UBPF, 0, "lddw %r1, map_value 7, 16" },
	};
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		char buf[128];
		size_t n = ex[i].insn[0].code == (BPF_LD | BPF_DW | BPF_IMM) ? 2 : 1;
		int rc = bpfvm_disasm_insn(ex[i].insn, n, 0, ex[i].syntax, ex[i].flags, buf, sizeof(buf));
		assert_int_equal(rc, (int)n);
		assert_string_equal(buf, ex[i].text);
	}
}

static int teardown(void **state)
{
	(void)state;
	remove_tmpdir();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_both_syntaxes),
		cmocka_unit_test(test_invalid_encodings),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_syntax_examples),
		cmocka_unit_test(test_rows_vs_objdump),
		cmocka_unit_test(test_clang_objects),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
