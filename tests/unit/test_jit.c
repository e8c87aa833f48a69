/* test_jit.c - the x86-64 JIT (BPFVM_ENGINE_JIT) against the references:
 * 1. the conformance suite (assembled.tsv, 313 programs) on the JIT, trusted
 *    and runtime-checked, r0 compared with the file's expected value;
 * 2. the hand-worked instruction tables of test_opcodes.c (opcase_*.h: every
 *    opcode, RFC 9669 edge cases, faults with the instruction they name,
 *    budgets) on both JIT images, status, r0, error position and memory;
 * 3. random programs (seeded, BPFVM_JIT_SEED / BPFVM_JIT_COUNT), run on the
 *    interpreter and on the JIT, checked and trusted, comparing status, r0,
 *    the error (code, instruction, message), the input memory and the whole
 *    stack afterwards: ALU of every kind, forward jumps, loops (counted,
 *    may_goto, unbounded ones that end on the budget), stack and input memory
 *    (in and out of bounds), atomics, packet loads, helper calls (including
 *    one that stops the run), callx, bpf-to-bpf calls (also too deep), lddw,
 *    and small budgets that end inside a block;
 * 4. what the tables cannot show: tail calls between JIT images (and to a
 *    program without one), bpf_loop callbacks, maps through helpers, several
 *    threads sharing one image, the native-code accessor (offsets checked
 *    against objdump's instruction boundaries when objdump is installed), the
 *    load and run errors;
 * 5. a timing of a loop-heavy program (prime counting) on each engine,
 *    printed, never asserted.
 * Skips (77) when the host cannot JIT (not x86-64). */
#include <inttypes.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "isa.h"
#include "testutil.h"
#include "vm.h"

#include "opcase_alu.h"
#include "opcase_jmp.h"
#include "opcase_mem.h"
#include "opcase_call.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ helpers */

/* The helpers of test_opcodes.c, for the opcase tables. */
static uint64_t h_pack(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	return (r1 & 0xff) | (r2 & 0xff) << 8 | (r3 & 0xff) << 16 | (r4 & 0xff) << 24 | (r5 & 0xff) << 32;
}

static uint64_t h_cookie(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	const uint64_t *c = bpfvm_exec_cookie(ex);
	return c ? *c : 0;
}

static uint64_t h_big(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	return r1 + 1000;
}

static uint64_t h_stop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	bpfvm_exec_stop(ex, r1 + 1);
	return 12345;
}

static uint64_t cookie_a = 111, cookie_b = 222;

/* Helpers of the random programs. */
#define H_MIX 500      /* a function of r1..r5 */
#define H_MAYSTOP 501  /* stops the run with r0 = r2 when r1 % 16 == 13 */
#define H_COOKIE 5001  /* the cookie (above 1023) */
static uint64_t h_mix(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	return (r1 * 3 ^ r2) + (r3 << 7) - (r4 ^ (r5 >> 3));
}

static uint64_t h_maystop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	if (r1 % 16 == 13)
		bpfvm_exec_stop(ex, r2);
	return r1 + 1;
}

static uint64_t cookie_r = 0x5eed;

static bpfvm_env *new_env(void)
{
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	assert_int_equal(bpfvm_env_register_helper(env, H_PACK, "pack", h_pack, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_COOKIE_A, "cookie_a", h_cookie, &cookie_a), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_COOKIE_B, "cookie_b", h_cookie, &cookie_b), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_BIG, "big", h_big, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_STOP, "stop", h_stop, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_MIX, "mix", h_mix, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_MAYSTOP, "maystop", h_maystop, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_COOKIE, "cookie", h_cookie, &cookie_r), 0);
	return env;
}

static const char *engine_name(int jit, int trusted)
{
	return jit ? (trusted ? "jit trusted" : "jit checked") : (trusted ? "interp trusted" : "interp checked");
}

static uint32_t load_flags(int jit, int trusted)
{
	return (jit ? BPFVM_PROG_F_JIT : 0) | (trusted ? BPFVM_PROG_F_TRUSTED : BPFVM_PROG_F_NO_VERIFY);
}

/* ---------------------------------------------------- 1. conformance */

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
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
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
		assert_non_null(rows);
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

static int run_conformance_row(const struct row *r, uint32_t flags, int engine, uint64_t *r0, struct bpfvm_error *err)
{
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	tu_register_conformance_helpers(env);
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = r->file, .flags = flags };
	bpfvm_prog *prog = NULL;
	int rc = bpfvm_prog_load(env, r->insns, r->n, &po, &prog, err);
	if (rc == 0) {
		uint8_t *copy = r->mem_len ? malloc(r->mem_len) : NULL;
		if (r->mem_len)
			memcpy(copy, r->mem, r->mem_len);
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = engine, .mem = copy, .mem_len = r->mem_len };
		rc = bpfvm_prog_run(prog, &ro, r0, err);
		free(copy);
	}
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	return rc;
}

static void conformance(int trusted)
{
	if (!tu_conformance_dir()) {
		printf("conformance: skipped, the conformance suite is missing (BPFVM_CONFORMANCE_DIR)\n");
		skip();
	}
	if (!rows)
		load_rows();
	size_t pass = 0;
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		uint64_t r0 = 0;
		struct bpfvm_error err;
		int rc = run_conformance_row(r, load_flags(1, trusted), BPFVM_ENGINE_JIT, &r0, &err);
		if (rc == 0 && r0 == r->expected) {
			pass++;
		} else {
			char buf[400];
			printf("FAIL %s (%s): rc %d r0 0x%" PRIx64 " expected 0x%" PRIx64 " %s\n", r->file,
			       engine_name(1, trusted), rc, r0, r->expected, rc ? bpfvm_error_format(&err, buf, sizeof(buf)) : "");
		}
	}
	printf("conformance (%s, assembled.tsv): %zu of %zu passed\n", engine_name(1, trusted), pass, nrows);
	assert_int_equal(nrows, 313);
	assert_int_equal(pass, nrows);
}

static void test_conformance_checked(void **state) { conformance(0); }
static void test_conformance_trusted(void **state) { conformance(1); }

/* ------------------------------------------------ 2. opcase tables */

/* Runs c on the JIT; returns the number of mismatches (each printed). */
static int run_case(const struct opcase *c, int trusted)
{
	bpfvm_env *env = new_env();
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = c->name, .flags = load_flags(1, trusted) };
	bpfvm_prog *prog = NULL;
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	int bad = 0;
	int rc = bpfvm_prog_load(env, c->insns, oc_len(c), &po, &prog, &err);
	if (rc) {
		char buf[400];
		printf("FAIL [%s] %s: load failed: %s\n", engine_name(1, trusted), c->name,
		       bpfvm_error_format(&err, buf, sizeof(buf)));
		bpfvm_env_free(env);
		return 1;
	}
	uint8_t *mem = NULL, *pkt = NULL;
	if (c->mem_len) {
		mem = malloc(c->mem_len);
		assert_non_null(mem);
		memcpy(mem, c->mem, c->mem_len);
	}
	if (c->pkt_len) {
		pkt = malloc(c->pkt_len);
		assert_non_null(pkt);
		memcpy(pkt, c->pkt, c->pkt_len);
	}
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = BPFVM_ENGINE_JIT, .mem = mem, .mem_len = c->mem_len,
				     .packet = pkt, .packet_len = c->pkt_len, .budget = c->budget };
	uint64_t r0 = 0xbad0bad0bad0bad0ULL;
	memset(&err, 0, sizeof(err));
	rc = bpfvm_prog_run(prog, &ro, &r0, &err);
	const char *en = engine_name(1, trusted);
	if (rc != c->rc) {
		char buf[400];
		printf("FAIL [%s] %s: status %d (%s), expected %d (%s)\n", en, c->name, rc,
		       rc ? bpfvm_error_format(&err, buf, sizeof(buf)) : "ok", c->rc, bpfvm_strerror(c->rc));
		bad++;
	} else if (rc == 0 && r0 != c->r0) {
		printf("FAIL [%s] %s: r0 = 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", en, c->name, r0, c->r0);
		bad++;
	} else if (rc != 0 && (err.code != rc || err.insn != c->err_insn || !err.msg[0])) {
		printf("FAIL [%s] %s: err names insn %ld (code %d, msg \"%s\"), expected insn %ld\n", en, c->name,
		       err.insn, err.code, err.msg, c->err_insn);
		bad++;
	}
	if (rc == 0 && c->check_mem && memcmp(mem, c->mem_out, c->mem_len) != 0) {
		printf("FAIL [%s] %s: memory after the run differs\n", en, c->name);
		bad++;
	}
	free(mem);
	free(pkt);
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	return bad;
}

static const struct {
	const char *name;
	const struct opcase *cases;
	size_t n;
} tables[] = {
	{ "alu", alu_cases, ARRAY_SIZE(alu_cases) },
	{ "jmp", jmp_cases, ARRAY_SIZE(jmp_cases) },
	{ "mem", mem_cases, ARRAY_SIZE(mem_cases) },
	{ "call", call_cases, ARRAY_SIZE(call_cases) },
};

static void test_opcase_tables(void **state)
{
	int total_bad = 0;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		int bad = 0, runs = 0;
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct opcase *c = &tables[t].cases[i];
			bad += run_case(c, 0);
			runs++;
			if (!c->checked_only) {
				bad += run_case(c, 1);
				runs++;
			}
		}
		printf("opcase table %s on the JIT: %zu cases, %d runs, %d mismatches\n", tables[t].name, tables[t].n,
		       runs, bad);
		total_bad += bad;
	}
	assert_int_equal(total_bad, 0);
}

/* ------------------------------------- 3. random programs vs interpreter */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(splitmix(s) % n) : 0;
}

static int32_t some_imm(uint64_t *s)
{
	static const int32_t vals[] = { 0, 1, -1, 2, 7, INT32_MIN, INT32_MAX, 0x80, 0xff, 0x8000, 0xffff,
					31, 32, 63, 64, -64, 0x55555555 };
	switch (rnd(s, 4)) {
	case 0: return vals[rnd(s, ARRAY_SIZE(vals))];
	case 1: return (int32_t)rnd(s, 33) - 16;
	case 2: return (int32_t)((1u << rnd(s, 32)) - rnd(s, 2));
	default: return (int32_t)(uint32_t)splitmix(s);
	}
}

static uint64_t some_u64(uint64_t *s)
{
	static const uint64_t vals[] = { 0, 1, UINT64_MAX, (uint64_t)INT64_MIN, (uint64_t)INT64_MAX, 0x80000000ULL,
					 0xffffffffULL, 0x100000000ULL, 0xffffffff80000000ULL, 0x0123456789abcdefULL };
	switch (rnd(s, 4)) {
	case 0: return vals[rnd(s, ARRAY_SIZE(vals))];
	case 1: return (uint64_t)(int64_t)some_imm(s);
	case 2: return (1ULL << rnd(s, 64)) - rnd(s, 2);
	default: return splitmix(s);
	}
}

#define G_MAX 2048
#define G_MEM 64      /* bytes of input memory (r6 keeps its address) */
#define G_PKT 40      /* bytes of packet */
#define G_SUBS 3

/* Registers the body may write: all but r6 (the memory pointer) and r10. */
static const uint8_t g_regs[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9 };

struct pend {
	size_t slot;
	size_t item;
	int ja32;
};

struct gen {
	uint64_t rng;
	struct bpf_insn insn[G_MAX];
	size_t n;
	int full;
	size_t items;
	struct pend pend[256];
	size_t npend;
	size_t calls[64]; /* local call slots; imm holds the subprogram number until patched */
	size_t ncalls;
	int nsubs, in_sub;
	int loop_depth;
};

static void g_emit(struct gen *g, struct bpf_insn in)
{
	if (g->n < G_MAX - 8)
		g->insn[g->n++] = in;
	else
		g->full = 1;
}

static void g_lddw(struct gen *g, int dst, uint64_t v)
{
	struct bpf_insn pair[2] = { BPF_LD_IMM64(dst, v) };
	g_emit(g, pair[0]);
	g_emit(g, pair[1]);
}

static int g_reg(struct gen *g)
{
	return g_regs[rnd(&g->rng, ARRAY_SIZE(g_regs))];
}

static void g_patch(struct gen *g, size_t slot, int ja32)
{
	long off = (long)g->n - (long)slot - 1;
	if (ja32)
		g->insn[slot].imm = (int32_t)off;
	else
		g->insn[slot].off = (int16_t)off;
}

static void g_item_begin(struct gen *g)
{
	for (size_t i = 0; i < g->npend;) {
		if (g->pend[i].item <= g->items) {
			g_patch(g, g->pend[i].slot, g->pend[i].ja32);
			g->pend[i] = g->pend[--g->npend];
		} else {
			i++;
		}
	}
	g->items++;
}

/* Pending jumps made since there were keep of them land here. */
static void g_land_here(struct gen *g, size_t keep)
{
	while (g->npend > keep) {
		g->npend--;
		g_patch(g, g->pend[g->npend].slot, g->pend[g->npend].ja32);
	}
}

static void g_flush_pending(struct gen *g)
{
	for (size_t i = 0; i < g->npend; i++)
		g_patch(g, g->pend[i].slot, g->pend[i].ja32);
	g->npend = 0;
}

static void g_alu(struct gen *g)
{
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
				       BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH };
	uint8_t cls = rnd(&g->rng, 2) ? BPF_ALU64 : BPF_ALU;
	int dst = g_reg(g), src = rnd(&g->rng, 8) ? g_reg(g) : BPF_REG_10;
	uint32_t k = rnd(&g->rng, 24);
	if (k < 2) {
		g_emit(g, BPF_RAW_INSN(cls | BPF_NEG, dst, 0, 0, 0));
	} else if (k < 4) {
		static const int widths[] = { 16, 32, 64 };
		int w = widths[rnd(&g->rng, 3)];
		switch (rnd(&g->rng, 3)) {
		case 0: g_emit(g, BPF_ENDIAN(BPF_TO_LE, dst, w)); break;
		case 1: g_emit(g, BPF_ENDIAN(BPF_TO_BE, dst, w)); break;
		default: g_emit(g, BPF_BSWAP(dst, w)); break;
		}
	} else if (k < 6) {
		if (cls == BPF_ALU64)
			g_emit(g, BPF_MOVSX64_REG(dst, src, 8 << rnd(&g->rng, 3)));
		else
			g_emit(g, BPF_MOVSX32_REG(dst, src, 8 << rnd(&g->rng, 2)));
	} else if (k < 10) { /* division and modulo with their edge operands */
		uint8_t op = rnd(&g->rng, 2) ? BPF_DIV : BPF_MOD;
		int16_t sgn = (int16_t)rnd(&g->rng, 2);
		if (rnd(&g->rng, 3) == 0)
			g_lddw(g, dst, rnd(&g->rng, 2) ? (uint64_t)INT64_MIN : 0x80000000ULL | (splitmix(&g->rng) << 32));
		if (rnd(&g->rng, 2)) {
			int32_t imm = rnd(&g->rng, 3) == 0 ? (int32_t)rnd(&g->rng, 3) - 1 : some_imm(&g->rng);
			g_emit(g, BPF_RAW_INSN(cls | op | BPF_K, dst, 0, sgn, imm));
		} else {
			if (src == BPF_REG_10)
				src = g_reg(g);
			switch (rnd(&g->rng, 4)) {
			case 0: g_emit(g, BPF_MOV64_IMM(src, 0)); break;
			case 1: g_emit(g, BPF_MOV64_IMM(src, -1)); break;
			case 2: g_emit(g, BPF_MOV32_IMM(src, -1)); break;
			default: break;
			}
			g_emit(g, BPF_RAW_INSN(cls | op | BPF_X, dst, src, sgn, 0));
		}
	} else {
		uint8_t op = ops[rnd(&g->rng, ARRAY_SIZE(ops))];
		if (rnd(&g->rng, 2))
			g_emit(g, BPF_RAW_INSN(cls | op | BPF_X, dst, src, 0, 0));
		else
			g_emit(g, BPF_RAW_INSN(cls | op | BPF_K, dst, 0, 0, some_imm(&g->rng)));
	}
}

static size_t g_cond_jump(struct gen *g)
{
	static const uint8_t ops[] = { BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
				       BPF_JSET, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE };
	uint8_t cls = rnd(&g->rng, 2) ? BPF_JMP : BPF_JMP32;
	uint8_t op = ops[rnd(&g->rng, ARRAY_SIZE(ops))];
	int dst = g_reg(g), src = g_reg(g);
	if (rnd(&g->rng, 3) == 0) { /* related operands, so that both outcomes come up */
		uint64_t v = some_u64(&g->rng);
		g_lddw(g, dst, v);
		if (src != dst)
			g_lddw(g, src, rnd(&g->rng, 2) ? v : v + rnd(&g->rng, 3) - 1);
	}
	size_t slot = g->n;
	if (rnd(&g->rng, 2))
		g_emit(g, BPF_RAW_INSN(cls | op | BPF_X, dst, src, 0, 0));
	else
		g_emit(g, BPF_RAW_INSN(cls | op | BPF_K, dst, 0, 0, some_imm(&g->rng)));
	return slot;
}

static const uint8_t g_sizes[4] = { BPF_B, BPF_H, BPF_W, BPF_DW };
static const int g_bytes[4] = { 1, 2, 4, 8 };

/* Memory at fixed addresses the programs may name with lddw: two extra
 * regions of the run (read-only and writable) and the packet (read-only). */
#define G_EXTRA 32
static uint8_t g_ro[G_EXTRA], g_rw[G_EXTRA], g_pkt[G_PKT];

/* A memory access: through r10 (mostly inside the frame), through a
 * pointer into the stack, through r6 (the input, sometimes out of bounds),
 * or through a pointer to an extra region or the packet. Returns the base
 * register to use (may emit a pointer set-up) and the offset. */
static void g_addr(struct gen *g, int size, int *base, int16_t *off)
{
	uint32_t k = rnd(&g->rng, 18);
	if (k >= 16) {
		static uint8_t *const where[3] = { g_ro, g_rw, g_pkt };
		int r = g_reg(g);
		g_lddw(g, r, (uint64_t)(uintptr_t)where[rnd(&g->rng, 3)]);
		*base = r;
		*off = (int16_t)(rnd(&g->rng, 10) == 0 ? (int)rnd(&g->rng, 48) - 8 : (int)rnd(&g->rng, G_EXTRA - size + 1));
		return;
	}
	if (k < 7) {
		*base = BPF_REG_10;
		*off = (int16_t)(-(int)(1 + rnd(&g->rng, 64)) * 8 + (int)rnd(&g->rng, 8 / size) * size);
		if (rnd(&g->rng, 40) == 0)
			*off = (int16_t)((int)rnd(&g->rng, 16) - 8 - (rnd(&g->rng, 2) ? 512 : 0)); /* around the frame's ends */
	} else if (k < 9) {
		int r = g_reg(g);
		g_emit(g, BPF_MOV64_REG(r, BPF_REG_10));
		g_emit(g, BPF_ALU64_IMM(BPF_ADD, r, -(int32_t)(8 * (1 + rnd(&g->rng, 32)))));
		*base = r;
		*off = (int16_t)((int)rnd(&g->rng, 16) - 8);
	} else {
		*base = BPF_REG_6;
		*off = (int16_t)(rnd(&g->rng, 20) == 0 ? (int)rnd(&g->rng, 24) - 12 + (rnd(&g->rng, 2) ? G_MEM : 0)
						   : (int)rnd(&g->rng, (uint32_t)(G_MEM - size + 1)));
	}
}

static void g_mem(struct gen *g)
{
	int si = (int)rnd(&g->rng, 4);
	int base;
	int16_t off;
	g_addr(g, g_bytes[si], &base, &off);
	uint8_t sz = g_sizes[si];
	switch (rnd(&g->rng, 6)) {
	case 0: g_emit(g, BPF_ST_MEM(sz, base, off, some_imm(&g->rng))); break;
	case 1: g_emit(g, BPF_STX_MEM(sz, base, g_reg(g), off)); break;
	case 2: g_emit(g, BPF_LDX_MEM(sz, g_reg(g), base, off)); break;
	case 3: g_emit(g, BPF_LDX_MEMSX(sz == BPF_DW ? BPF_W : sz, g_reg(g), base, off)); break;
	case 4: g_emit(g, BPF_LOAD_ACQUIRE(sz, g_reg(g), base, off)); break;
	default: g_emit(g, BPF_STORE_RELEASE(sz, base, g_reg(g), off)); break;
	}
}

static void g_atomic(struct gen *g)
{
	static const int32_t ops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
				       BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG };
	int dw = rnd(&g->rng, 2);
	int base;
	int16_t off;
	g_addr(g, dw ? 8 : 4, &base, &off);
	int32_t op = ops[rnd(&g->rng, ARRAY_SIZE(ops))];
	int src = rnd(&g->rng, 6) ? g_reg(g) : BPF_REG_0;
	if (op == BPF_CMPXCHG && rnd(&g->rng, 2)) /* make it succeed sometimes */
		g_emit(g, BPF_LDX_MEM(dw ? BPF_DW : BPF_W, BPF_REG_0, base, off));
	g_emit(g, BPF_ATOMIC_OP(dw ? BPF_DW : BPF_W, op, base, src, off));
}

static void g_packet(struct gen *g)
{
	int si = (int)rnd(&g->rng, 3);
	int32_t off = (int32_t)rnd(&g->rng, G_PKT - g_bytes[si] + 1);
	switch (rnd(&g->rng, 12)) {
	case 0: off = (int32_t)rnd(&g->rng, 80) - 20; break;                        /* often out of bounds */
	case 1: off += rnd(&g->rng, 2) ? -0x100000 : -0x200000; break;               /* SKF_NET_OFF / SKF_LL_OFF */
	case 2: off = (rnd(&g->rng, 2) ? -0x100000 : -0x200000) - 1 - (int32_t)rnd(&g->rng, 4); break;
	default: break;
	}
	if (rnd(&g->rng, 2)) {
		g_emit(g, BPF_LD_ABS(g_sizes[si], off));
	} else {
		int src = g_reg(g);
		int32_t part = (int32_t)rnd(&g->rng, 16);
		if (rnd(&g->rng, 3) == 0)
			g_lddw(g, src, (splitmix(&g->rng) << 32) | (uint32_t)(off - part));
		else
			g_emit(g, BPF_MOV64_IMM(src, off - part));
		g_emit(g, BPF_LD_IND(g_sizes[si], src, part));
	}
}

static void g_call(struct gen *g)
{
	uint32_t k = rnd(&g->rng, 10);
	if (k < 4) {
		g_emit(g, BPF_CALL_HELPER(H_MIX));
	} else if (k < 5) {
		g_emit(g, BPF_CALL_HELPER(H_MAYSTOP));
	} else if (k < 6) {
		g_emit(g, BPF_CALL_HELPER(H_COOKIE));
	} else if (k < 8) {
		static const int32_t ids[] = { H_MIX, H_MAYSTOP, H_COOKIE, 999 };
		int r = g_reg(g);
		g_emit(g, BPF_MOV64_IMM(r, ids[rnd(&g->rng, rnd(&g->rng, 8) ? 3 : 4)]));
		g_emit(g, BPF_CALLX(r));
	} else if (g->nsubs > 0 && g->ncalls < ARRAY_SIZE(g->calls)) {
		g->calls[g->ncalls++] = g->n;
		g_emit(g, BPF_CALL_REL(rnd(&g->rng, (uint32_t)g->nsubs))); /* patched to the subprogram later */
	} else {
		g_emit(g, BPF_CALL_HELPER(H_MIX));
	}
}

static void g_block(struct gen *g, size_t nitems, int depth);

/* A loop: counted (a register from 1..5 iterations, jne back), the same
 * with a may_goto guard at the top, or (rarely) with a backward conditional
 * jump on random data, which may not end: then the budget decides. */
static void g_loop(struct gen *g, int depth)
{
	uint32_t k = rnd(&g->rng, 6);
	int kind = k < 3 ? 0 : k < 5 ? 1 : 2;
	int ctr = g_reg(g);
	if (kind != 2)
		g_emit(g, BPF_MOV64_IMM(ctr, 1 + (int32_t)rnd(&g->rng, 5)));
	size_t top = g->n;
	size_t exit_slot = 0;
	if (kind == 1) {
		exit_slot = g->n;
		g_emit(g, BPF_MAY_GOTO_INSN(0));
	}
	size_t saved_npend = g->npend;
	g->loop_depth++;
	g_block(g, 1 + rnd(&g->rng, 4), depth + 1);
	g->loop_depth--;
	g_item_begin(g);
	g_land_here(g, saved_npend); /* jumps from inside the body that were not resolved */
	if (kind != 2) {
		g_emit(g, BPF_ALU64_IMM(BPF_SUB, ctr, 1));
		g_emit(g, BPF_JMP_IMM(BPF_JNE, ctr, 0, (int16_t)((long)top - (long)g->n - 1)));
		if (kind == 1)
			g_patch(g, exit_slot, 0);
	} else {
		size_t j = g_cond_jump(g);
		g->insn[j].off = (int16_t)((long)top - (long)j - 1);
	}
}

static void g_item(struct gen *g, int depth, size_t left, size_t *used)
{
	uint32_t k = rnd(&g->rng, 100);
	*used = 1;
	if (k < 7 && depth < 3 && left >= 4) { /* if / else */
		g_item_begin(g);
		size_t j = g_cond_jump(g);
		size_t a = 1 + rnd(&g->rng, (uint32_t)(left - 2) / 2);
		size_t b = 1 + rnd(&g->rng, (uint32_t)(left - 2 - a));
		size_t saved = g->npend;
		g_block(g, a, depth + 1);
		g_item_begin(g);
		g_land_here(g, saved);
		size_t ja = g->n;
		int is32 = rnd(&g->rng, 2);
		g_emit(g, is32 ? BPF_JMP32_A(0) : BPF_JMP_A(0));
		g_patch(g, j, 0);
		g_block(g, b, depth + 1);
		g_land_here(g, saved);
		g_patch(g, ja, is32);
		*used = 2 + a + b;
		return;
	}
	if (k < 12 && depth < 3 && g->loop_depth < 2) {
		g_item_begin(g);
		g_loop(g, depth);
		*used = 3;
		return;
	}
	g_item_begin(g);
	if (k < 22) {
		size_t j = g_cond_jump(g);
		if (g->npend < ARRAY_SIZE(g->pend))
			g->pend[g->npend++] = (struct pend){ j, g->items + rnd(&g->rng, 5), 0 };
		else
			g_patch(g, j, 0);
	} else if (k < 50) {
		g_alu(g);
	} else if (k < 55) {
		g_lddw(g, g_reg(g), some_u64(&g->rng));
	} else if (k < 70) {
		g_mem(g);
	} else if (k < 80) {
		g_atomic(g);
	} else if (k < 86) {
		g_packet(g);
	} else {
		g_call(g);
	}
}

static void g_block(struct gen *g, size_t nitems, int depth)
{
	size_t done = 0;
	while (done < nitems && !g->full) {
		size_t used;
		g_item(g, depth, nitems - done, &used);
		done += used;
	}
}

/* One function: random registers, a body, a fold of every register into
 * r0, exit. */
static void g_function(struct gen *g, int is_main)
{
	g->items = 0;
	g->npend = 0;
	if (is_main) {
		g_emit(g, BPF_MOV64_REG(BPF_REG_6, BPF_REG_1));
		for (size_t i = 0; i < ARRAY_SIZE(g_regs); i++)
			if (rnd(&g->rng, 4))
				g_lddw(g, g_regs[i], some_u64(&g->rng));
		for (int s = 1; s <= 8; s++)
			g_emit(g, BPF_ST_MEM(BPF_DW, BPF_REG_10, (int16_t)(-8 * s), some_imm(&g->rng)));
	}
	g_block(g, 4 + rnd(&g->rng, is_main ? 40 : 12), 0);
	g_item_begin(g);
	g_flush_pending(g);
	for (size_t i = 1; i < ARRAY_SIZE(g_regs); i++) {
		g_emit(g, BPF_ALU64_IMM(BPF_MUL, BPF_REG_0, (int32_t)0x9e3779b1));
		g_emit(g, BPF_ALU64_REG(BPF_XOR, BPF_REG_0, g_regs[i]));
	}
	g_emit(g, BPF_EXIT_INSN());
}

/* A program: main, then up to G_SUBS subprograms (which may call each
 * other, so that some recursions run out of frames). */
static void generate(struct gen *g, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	g->nsubs = (int)rnd(&g->rng, G_SUBS + 1);
	size_t entry[G_SUBS + 1];
	entry[0] = 0;
	g_function(g, 1);
	for (int s = 0; s < g->nsubs; s++) {
		entry[s + 1] = g->n;
		g->in_sub = 1;
		g_function(g, 0);
	}
	for (size_t i = 0; i < g->ncalls; i++) {
		size_t slot = g->calls[i];
		size_t target = entry[1 + g->insn[slot].imm];
		g->insn[slot].imm = (int32_t)((long)target - (long)slot - 1);
	}
}

/* ---- running one side ---- */

struct outcome {
	int rc;
	uint64_t r0;
	struct bpfvm_error err;
	uint8_t mem[G_MEM];
	uint8_t rw[G_EXTRA];
	uint8_t stack[VM_MAX_FRAMES * BPFVM_STACK_SIZE];
};

static int run_side(bpfvm_env *env, bpfvm_exec *ex, const struct bpf_insn *insns, size_t n, int jit, int trusted,
		    uint64_t budget, const uint8_t *mem0, struct outcome *out)
{
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "random", .flags = load_flags(jit, trusted) };
	bpfvm_prog *prog = NULL;
	memset(out, 0, sizeof(*out));
	int rc = bpfvm_prog_load(env, insns, n, &po, &prog, &out->err);
	if (rc)
		return rc;
	static uint8_t mem[G_MEM]; /* one buffer for every run: the same addresses */
	memcpy(mem, mem0, G_MEM);
	memcpy(g_rw, mem0 + 8, G_EXTRA);
	memset(ex->stack, 0, sizeof(ex->stack));
	const struct bpfvm_region extra[2] = {
		{ .start = (uint64_t)(uintptr_t)g_ro, .len = G_EXTRA, .writable = 0 },
		{ .start = (uint64_t)(uintptr_t)g_rw, .len = G_EXTRA, .writable = 1 },
	};
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = jit ? BPFVM_ENGINE_JIT : BPFVM_ENGINE_INTERP,
				     .mem = mem, .mem_len = G_MEM, .packet = g_pkt, .packet_len = G_PKT, .budget = budget,
				     .regions = extra, .nregions = 2 };
	out->r0 = 0;
	out->rc = bpfvm_exec_run(ex, prog, &ro, &out->r0, &out->err);
	memcpy(out->mem, mem, G_MEM);
	memcpy(out->rw, g_rw, G_EXTRA);
	memcpy(out->stack, ex->stack, sizeof(ex->stack));
	bpfvm_prog_free(prog);
	return 0;
}

static int outcomes_differ(const struct outcome *a, const struct outcome *b, char *why, size_t len)
{
	if (a->rc != b->rc) {
		snprintf(why, len, "status %d vs %d (%s / %s)", a->rc, b->rc, a->err.msg, b->err.msg);
		return 1;
	}
	if (a->rc == 0 && a->r0 != b->r0) {
		snprintf(why, len, "r0 0x%" PRIx64 " vs 0x%" PRIx64, a->r0, b->r0);
		return 1;
	}
	if (a->rc != 0 && (a->err.insn != b->err.insn || strcmp(a->err.msg, b->err.msg) != 0)) {
		snprintf(why, len, "error at insn %ld \"%s\" vs insn %ld \"%s\"", a->err.insn, a->err.msg, b->err.insn,
			 b->err.msg);
		return 1;
	}
	if (memcmp(a->mem, b->mem, G_MEM) != 0 || memcmp(a->rw, b->rw, G_EXTRA) != 0) {
		snprintf(why, len, "input memory or the writable extra region differs");
		return 1;
	}
	for (size_t i = 0; i < sizeof(a->stack); i++) {
		if (a->stack[i] != b->stack[i]) {
			snprintf(why, len, "stack byte %zu differs (0x%02x vs 0x%02x)", i, a->stack[i], b->stack[i]);
			return 1;
		}
	}
	return 0;
}

static void print_program(const struct bpf_insn *insns, size_t n)
{
	char line[160];
	for (size_t pc = 0; pc < n;) {
		int k = bpfvm_disasm_insn(insns, n, pc, BPFVM_SYNTAX_LLVM, 0, line, sizeof(line));
		printf("    %4zu: %s\n", pc, line);
		pc += k > 0 ? (size_t)k : 1;
	}
}

static void test_random_programs(void **state)
{
	const char *s_env = getenv("BPFVM_JIT_SEED"), *c_env = getenv("BPFVM_JIT_COUNT");
	uint64_t seed0 = s_env ? strtoull(s_env, NULL, 0) : 0x6a17;
	size_t count = c_env ? strtoull(c_env, NULL, 0) : 3000;
	bpfvm_env *env = new_env();
	bpfvm_exec *ex = bpfvm_exec_new(env);
	assert_non_null(ex);
	static struct gen g;
	static struct outcome a, b;
	size_t compared = 0, checked_ok = 0, faults = 0, budget_ends = 0, trusted_runs = 0, bad = 0;
	size_t by_code[16] = { 0 }; /* checked runs by -status */
	uint64_t rng = seed0;
	for (size_t i = 0; i < count; i++) {
		uint64_t seed = splitmix(&rng);
		generate(&g, seed);
		uint8_t mem0[G_MEM];
		for (size_t k = 0; k < G_MEM; k++)
			mem0[k] = (uint8_t)splitmix(&g.rng);
		for (size_t k = 0; k < G_PKT; k++)
			g_pkt[k] = (uint8_t)splitmix(&g.rng);
		for (size_t k = 0; k < G_EXTRA; k++)
			g_ro[k] = (uint8_t)splitmix(&g.rng);
		/* budgets: mostly plenty, sometimes tiny (ends inside a block) */
		uint64_t budget = rnd(&g.rng, 6) == 0 ? 1 + rnd(&g.rng, 300) : 20000;
		for (int trusted = 0; trusted < 2; trusted++) {
			if (trusted && a.rc != 0)
				break; /* only programs that ran to the end without faults are safe unchecked */
			assert_int_equal(run_side(env, ex, g.insn, g.n, 0, trusted, budget, mem0, &a), 0);
			int lrc = run_side(env, ex, g.insn, g.n, 1, trusted, budget, mem0, &b);
			char why[600];
			if (lrc) {
				snprintf(why, sizeof(why), "JIT load failed: %s", b.err.msg);
			} else if (!outcomes_differ(&a, &b, why, sizeof(why))) {
				compared++;
				if (!trusted && a.rc <= 0 && a.rc > -16)
					by_code[-a.rc]++;
				if (trusted)
					trusted_runs++;
				else if (a.rc == 0)
					checked_ok++;
				else if (a.rc == BPFVM_EBUDGET)
					budget_ends++;
				else
					faults++;
				continue;
			}
			bad++;
			printf("MISMATCH seed 0x%" PRIx64 " (%s vs %s, budget %" PRIu64 "): %s\n", seed,
			       engine_name(0, trusted), engine_name(1, trusted), budget, why);
			if (bad <= 3)
				print_program(g.insn, g.n);
		}
	}
	printf("random programs: %zu programs, %zu comparisons agreed (checked: %zu ran to the end, %zu faulted, "
	       "%zu ran out of budget; trusted: %zu), %zu mismatches\n", count, compared, checked_ok, faults,
	       budget_ends, trusted_runs, bad);
	printf("random programs, checked runs by status: ok %zu, EFAULT %zu, EBUDGET %zu, ESTACK %zu, EHELPER %zu\n",
	       by_code[0], by_code[-BPFVM_EFAULT], by_code[-BPFVM_EBUDGET], by_code[-BPFVM_ESTACK],
	       by_code[-BPFVM_EHELPER]);
	bpfvm_exec_free(ex);
	bpfvm_env_free(env);
	assert_int_equal(bad, 0);
	assert_true(checked_ok > 0 && budget_ends > 0 && trusted_runs > 0);
	assert_true(by_code[-BPFVM_EFAULT] > 0 && by_code[-BPFVM_ESTACK] > 0 && by_code[-BPFVM_EHELPER] > 0);
}

/* ------------------------------------------- 4. beyond the tables */

static bpfvm_prog *load(bpfvm_env *env, const struct bpf_insn *insns, size_t n, uint32_t flags, const int *fds,
			size_t nfds)
{
	if (!(flags & BPFVM_PROG_F_TRUSTED))
		flags |= BPFVM_PROG_F_NO_VERIFY;
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = flags, .fd_array = fds, .fd_array_len = nfds };
	bpfvm_prog *prog = NULL;
	struct bpfvm_error err;
	char buf[400];
	int rc = bpfvm_prog_load(env, insns, n, &po, &prog, &err);
	if (rc)
		fail_msg("load: %s", bpfvm_error_format(&err, buf, sizeof(buf)));
	return prog;
}

static int run_jit(const bpfvm_prog *prog, int checked, void *mem, size_t mem_len, uint64_t *r0,
		   struct bpfvm_error *err)
{
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = BPFVM_ENGINE_JIT, .mem = mem, .mem_len = mem_len,
				     .flags = checked ? BPFVM_RUN_CHECKED : 0 };
	return bpfvm_prog_run(prog, &ro, r0, err);
}

/* Tail calls: a JIT program continues in another JIT image with r1 = ctx;
 * an empty slot fails and the program goes on; a target loaded without the
 * JIT ends the run with BPFVM_EUNSUPP naming the call. */
static void test_tail_calls(void **state)
{
	bpfvm_env *env = new_env();
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "progs", .type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4,
				     .value_size = 4, .max_entries = 4 };
	int mfd = bpfvm_map_create(env, &mo);
	assert_true(mfd >= 3);
	bpfvm_map *map = bpfvm_map_from_fd(env, mfd);
	int fds[1] = { mfd };
	/* target: r0 = *(u64 *)r1 + 1000 + r7 (r7 survives the tail call) */
	struct bpf_insn target[] = { BPF_LDX_MEM(BPF_DW, R0, R1, 0), BPF_ALU64_IMM(BPF_ADD, R0, 1000),
				     BPF_ALU64_REG(BPF_ADD, R0, R7), EXIT };
	/* caller: r7 = 5; tail_call(ctx, map, r8) for r8 = 3 (empty), then 1; return 1 if it falls through */
	struct bpf_insn caller[] = {
		BPF_MOV64_REG(R6, R1), BPF_MOV64_IMM(R7, 5), BPF_MOV64_IMM(R3, 3),
		BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, R2, BPF_PSEUDO_MAP_IDX, 0, 0), BPF_RAW_INSN(0, 0, 0, 0, 0),
		BPF_CALL_HELPER(BPF_FUNC_tail_call), BPF_MOV64_REG(R1, R6), BPF_MOV64_IMM(R3, 1),
		BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, R2, BPF_PSEUDO_MAP_IDX, 0, 0), BPF_RAW_INSN(0, 0, 0, 0, 0),
		BPF_CALL_HELPER(BPF_FUNC_tail_call), BPF_MOV64_IMM(R0, 1), EXIT,
	};
	for (int trusted = 0; trusted < 2; trusted++) {
		uint32_t fl = load_flags(1, trusted);
		bpfvm_prog *t = load(env, target, ARRAY_SIZE(target), fl, NULL, 0);
		bpfvm_prog *plain = load(env, target, ARRAY_SIZE(target), trusted ? BPFVM_PROG_F_TRUSTED : 0, NULL, 0);
		bpfvm_prog *c = load(env, caller, ARRAY_SIZE(caller), fl, fds, 1);
		uint32_t key = 1, v = (uint32_t)bpfvm_prog_fd(t);
		assert_int_equal(bpfvm_map_update(map, &key, &v, BPF_ANY), 0);
		uint64_t mem = 40, r0 = 0;
		struct bpfvm_error err;
		for (int engine = 0; engine < 2; engine++) {
			struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = engine, .mem = &mem, .mem_len = 8 };
			assert_int_equal(bpfvm_prog_run(c, &ro, &r0, &err), 0);
			assert_int_equal(r0, 1045);
		}
		/* the target without an image */
		v = (uint32_t)bpfvm_prog_fd(plain);
		assert_int_equal(bpfvm_map_update(map, &key, &v, BPF_ANY), 0);
		assert_int_equal(run_jit(c, 0, &mem, 8, &r0, &err), BPFVM_EUNSUPP);
		assert_int_equal(err.insn, 10);
		printf("tail call to a program without an image (%s): %s\n", engine_name(1, trusted), err.msg);
		/* the interpreter runs the same */
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = &mem, .mem_len = 8 };
		assert_int_equal(bpfvm_prog_run(c, &ro, &r0, &err), 0);
		assert_int_equal(r0, 1045);
		bpfvm_prog_free(c);
		bpfvm_prog_free(plain);
		bpfvm_prog_free(t);
	}
	bpfvm_env_free(env);
}

/* bpf_loop with a callback subprogram, on the JIT: the callback runs in its
 * own frame (its stack is not the caller's), its r0 stops the loop; the
 * budget runs out inside it where it does on the interpreter; a stop inside
 * it ends the run, and a fault ends it naming the callback's instruction. */
static void test_bpf_loop_callback(void **state)
{
	bpfvm_env *env = new_env();
	/* main: [r10-8] = 0; bpf_loop(10, cb, r10 - 8, 0); r0 = ret * 1000 + [r10-8]
	 * cb(i, ctx): *ctx += i + 1; [r10-8] = 99 (own frame); return i == 6 */
	struct bpf_insn p[] = {
		BPF_ST_MEM(BPF_DW, R10, -8, 0), BPF_MOV64_IMM(R1, 10),
		BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, R2, BPF_PSEUDO_FUNC, 0, 8), BPF_RAW_INSN(0, 0, 0, 0, 0),
		BPF_MOV64_REG(R3, R10), BPF_ALU64_IMM(BPF_ADD, R3, -8), BPF_MOV64_IMM(R4, 0),
		BPF_CALL_HELPER(BPF_FUNC_loop), BPF_ALU64_IMM(BPF_MUL, R0, 1000), BPF_LDX_MEM(BPF_DW, R1, R10, -8),
		BPF_ALU64_REG(BPF_ADD, R0, R1), EXIT,
		/* 12: cb */
		BPF_LDX_MEM(BPF_DW, R3, R2, 0), BPF_ALU64_REG(BPF_ADD, R3, R1), BPF_ALU64_IMM(BPF_ADD, R3, 1),
		BPF_STX_MEM(BPF_DW, R2, R3, 0), BPF_ST_MEM(BPF_DW, R10, -8, 99), BPF_MOV64_IMM(R0, 0),
		BPF_JMP_IMM(BPF_JNE, R1, 6, 1), BPF_MOV64_IMM(R0, 1), EXIT,
	};
	/* fix the lddw: target = pc + 1 + imm = 12 */
	p[2].imm = 12 - 2 - 1;
	for (int trusted = 0; trusted < 2; trusted++) {
		bpfvm_prog *prog = load(env, p, ARRAY_SIZE(p), load_flags(1, trusted), NULL, 0);
		uint64_t r0 = 0;
		struct bpfvm_error err;
		for (int engine = 0; engine < 2; engine++) {
			struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = engine };
			int rc = bpfvm_prog_run(prog, &ro, &r0, &err);
			if (rc)
				fail_msg("%s: %s", engine_name(engine, trusted), err.msg);
			assert_int_equal(r0, 7 * 1000 + 28); /* 7 calls (i = 0..6), sum of 1..7 */
		}
		bpfvm_prog_free(prog);
	}
	/* the budget runs out inside a callback, at the interpreter's instruction */
	bpfvm_prog *prog = load(env, p, ARRAY_SIZE(p), BPFVM_PROG_F_JIT, NULL, 0);
	uint64_t r0 = 0;
	struct bpfvm_error err, ref;
	for (uint64_t budget = 1;; budget++) { /* every budget up to the first that suffices */
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .budget = budget };
		int ref_rc = bpfvm_prog_run(prog, &ro, &r0, &ref);
		ro.engine = BPFVM_ENGINE_JIT;
		assert_int_equal(bpfvm_prog_run(prog, &ro, &r0, &err), ref_rc);
		if (ref_rc == 0) {
			assert_int_equal(r0, 7 * 1000 + 28);
			break;
		}
		assert_int_equal(ref_rc, BPFVM_EBUDGET);
		assert_int_equal(err.insn, ref.insn);
	}
	bpfvm_prog_free(prog);
	/* a stop in the callback ends the whole run: cb calls stop(41) */
	struct bpf_insn q[ARRAY_SIZE(p)];
	memcpy(q, p, sizeof(p));
	q[12] = BPF_MOV64_IMM(R1, 41);
	q[13] = BPF_CALL_HELPER(H_STOP);
	prog = load(env, q, ARRAY_SIZE(q), BPFVM_PROG_F_JIT | BPFVM_PROG_F_TRUSTED, NULL, 0);
	for (int checked = 0; checked < 2; checked++) {
		assert_int_equal(run_jit(prog, checked, NULL, 0, &r0, &err), 0);
		assert_int_equal(r0, 42);
	}
	bpfvm_prog_free(prog);
	/* a fault in the callback: cb reads address 8 */
	q[12] = BPF_MOV64_IMM(R3, 8);
	q[13] = BPF_LDX_MEM(BPF_DW, R3, R3, 0);
	prog = load(env, q, ARRAY_SIZE(q), BPFVM_PROG_F_JIT, NULL, 0);
	assert_int_equal(run_jit(prog, 1, NULL, 0, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 13);
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
}

/* Maps through helpers: lookup, update, atomic add on the value, on both
 * JIT images; the map holds what the interpreter would leave. */
static void test_map_helpers(void **state)
{
	bpfvm_env *env = new_env();
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "counts", .type = BPF_MAP_TYPE_HASH, .key_size = 4,
				     .value_size = 8, .max_entries = 16 };
	int mfd = bpfvm_map_create(env, &mo);
	assert_true(mfd >= 3);
	bpfvm_map *map = bpfvm_map_from_fd(env, mfd);
	int fds[1] = { mfd };
	/* for key in 0..5: v = lookup(key); if !v { update(key, 0); v = lookup(key) } ; *v += key * 3 (atomic)
	 * r0 = sum of keys looked up */
	struct bpf_insn p[] = {
		BPF_MOV64_IMM(R6, 0), BPF_MOV64_IMM(R7, 0),
		/* 2: loop */
		BPF_STX_MEM(BPF_W, R10, R6, -4), BPF_ST_MEM(BPF_DW, R10, -16, 0),
		BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_IDX, 0, 0), BPF_RAW_INSN(0, 0, 0, 0, 0),
		BPF_MOV64_REG(R2, R10), BPF_ALU64_IMM(BPF_ADD, R2, -4), BPF_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JNE, R0, 0, 11),
		BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_IDX, 0, 0), BPF_RAW_INSN(0, 0, 0, 0, 0),
		BPF_MOV64_REG(R2, R10), BPF_ALU64_IMM(BPF_ADD, R2, -4), BPF_MOV64_REG(R3, R10),
		BPF_ALU64_IMM(BPF_ADD, R3, -16), BPF_MOV64_IMM(R4, 0), BPF_CALL_HELPER(BPF_FUNC_map_update_elem),
		BPF_JMP_IMM(BPF_JA, 0, 0, -15),  /* back to the lookup at 4 */
		BPF_MOV64_IMM(R0, -1), EXIT,
		/* 21: v in r0 */
		BPF_MOV64_REG(R1, R6), BPF_ALU64_IMM(BPF_MUL, R1, 3), BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R0, R1, 0),
		BPF_ALU64_REG(BPF_ADD, R7, R6), BPF_ALU64_IMM(BPF_ADD, R6, 1), BPF_JMP_IMM(BPF_JLT, R6, 6, -25),
		BPF_MOV64_REG(R0, R7), EXIT,
	};
	for (int trusted = 0; trusted < 2; trusted++) {
		bpfvm_prog *prog = load(env, p, ARRAY_SIZE(p), load_flags(1, trusted), fds, 1);
		uint64_t r0 = 0;
		struct bpfvm_error err;
		for (int run = 0; run < 2; run++) {
			int rc = run_jit(prog, !trusted, NULL, 0, &r0, &err);
			if (rc)
				fail_msg("%s: %s (insn %ld)", engine_name(1, trusted), err.msg, err.insn);
			assert_int_equal(r0, 15);
		}
		bpfvm_prog_free(prog);
	}
	/* four runs in all: each key holds 4 * key * 3 */
	for (uint32_t key = 0; key < 6; key++) {
		uint64_t v = 0;
		assert_int_equal(bpfvm_map_lookup(map, &key, &v), 0);
		assert_int_equal(v, 4 * key * 3);
	}
	bpfvm_env_free(env);
}

/* One image, many threads: each runs the same program on its own memory. */
struct thread_arg {
	const bpfvm_prog *prog;
	int trusted;
	int bad;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	bpfvm_exec *ex = bpfvm_exec_new(a->prog->env);
	for (uint64_t i = 0; i < 2000 && ex; i++) {
		uint64_t mem[2] = { i, 0 }, r0 = 0;
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = BPFVM_ENGINE_JIT, .mem = mem, .mem_len = 16 };
		if (bpfvm_exec_run(ex, a->prog, &ro, &r0, NULL) != 0 || r0 != i * (i + 1) / 2 || mem[1] != r0)
			a->bad++;
	}
	bpfvm_exec_free(ex);
	return NULL;
}

static void test_threads(void **state)
{
	bpfvm_env *env = new_env();
	/* r0 = 0 + 1 + ... + mem[0]; mem[1] = r0 */
	struct bpf_insn p[] = { BPF_LDX_MEM(BPF_DW, R2, R1, 0), BPF_MOV64_IMM(R0, 0), BPF_JMP_IMM(BPF_JEQ, R2, 0, 3),
				BPF_ALU64_REG(BPF_ADD, R0, R2), BPF_ALU64_IMM(BPF_SUB, R2, 1), BPF_JMP_A(-4),
				BPF_STX_MEM(BPF_DW, R1, R0, 8), EXIT };
	for (int trusted = 0; trusted < 2; trusted++) {
		bpfvm_prog *prog = load(env, p, ARRAY_SIZE(p), load_flags(1, trusted), NULL, 0);
		pthread_t th[4];
		struct thread_arg args[4];
		for (int i = 0; i < 4; i++) {
			args[i] = (struct thread_arg){ prog, trusted, 0 };
			assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(args[i].bad, 0);
		}
		bpfvm_prog_free(prog);
	}
	bpfvm_env_free(env);
}

/* The native-code accessor: images exist as loaded, offsets grow, and with
 * objdump present every instruction's offset is an instruction boundary of
 * the machine code. */
static void test_image_accessor(void **state)
{
	bpfvm_env *env = new_env();
	struct bpf_insn p[] = { LD64(R2, 0x123456789abcdefULL), BPF_LDX_MEM(BPF_DW, R0, R1, 0), BPF_JMP_IMM(BPF_JEQ, R0, 0, 2),
				BPF_ALU64_IMM(BPF_DIV, R0, 3), BPF_CALL_HELPER(H_MIX), BPF_ATOMIC_OP(BPF_W, BPF_XOR | BPF_FETCH, R10, R0, -4),
				BPF_CALL_REL(1), EXIT, BPF_MOV64_IMM(R0, 1), EXIT };
	size_t n = ARRAY_SIZE(p);
	bpfvm_prog *plain = load(env, p, n, 0, NULL, 0);
	size_t len = 99;
	const uint32_t *off = (const uint32_t *)1;
	assert_null(bpfvm_prog_jit_image(plain, 1, &len, &off));
	assert_int_equal(len, 0);
	assert_null(off);
	uint64_t r0;
	struct bpfvm_error err;
	assert_int_equal(run_jit(plain, 1, NULL, 0, &r0, &err), BPFVM_EUNSUPP);
	printf("run without an image: %s\n", err.msg);
	bpfvm_prog_free(plain);
	bpfvm_prog *checked_only = load(env, p, n, BPFVM_PROG_F_JIT, NULL, 0);
	assert_non_null(bpfvm_prog_jit_image(checked_only, 1, &len, NULL));
	assert_null(bpfvm_prog_jit_image(checked_only, 0, &len, NULL));
	bpfvm_prog_free(checked_only);

	bpfvm_prog *prog = load(env, p, n, BPFVM_PROG_F_JIT | BPFVM_PROG_F_TRUSTED, NULL, 0);
	int have_objdump = system("objdump --version >/dev/null 2>&1") == 0;
	for (int checked = 0; checked < 2; checked++) {
		const uint8_t *code = bpfvm_prog_jit_image(prog, checked, &len, &off);
		assert_non_null(code);
		assert_true(len > 0);
		assert_true(off[0] > 0); /* the trampoline comes first */
		for (size_t pc = 0; pc < n; pc++)
			assert_true(off[pc] <= off[pc + 1]);
		assert_int_equal(off[1], off[2]); /* the second lddw slot has no code */
		assert_true(off[n] <= len);
		if (!have_objdump)
			continue;
		char path[] = "/tmp/bpfvm-jit-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, code, len), (ssize_t)len);
		close(fd);
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "objdump -D -b binary -m i386:x86-64 %s", path);
		FILE *f = popen(cmd, "r");
		assert_non_null(f);
		char line[512];
		uint8_t *boundary = calloc(len + 1, 1);
		size_t ninsn = 0, bad_insn = 0;
		while (fgets(line, sizeof(line), f)) {
			unsigned long a;
			char colon;
			if (sscanf(line, " %lx%c", &a, &colon) == 2 && colon == ':' && a < len) {
				boundary[a] = 1;
				ninsn++;
				if (strstr(line, "(bad)"))
					bad_insn++;
			}
		}
		pclose(f);
		unlink(path);
		boundary[len] = 1;
		for (size_t pc = 0; pc <= n; pc++)
			if (!boundary[off[pc]])
				fail_msg("%s image: instruction %zu starts at 0x%x, inside a machine instruction",
					 checked ? "checked" : "trusted", pc, off[pc]);
		free(boundary);
		printf("%s image: %zu bytes, %zu machine instructions (objdump), every eBPF instruction on a boundary\n",
		       checked ? "checked" : "trusted", len, ninsn);
		assert_int_equal(bad_insn, 0);
	}
	if (!have_objdump)
		printf("objdump not found: instruction boundaries not checked\n");
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
}

/* Memory outside the stack and the input, on the checked image: the
 * packet is read-only, extra regions are readable and writable as marked,
 * and faults name their instruction; the interpreter says the same. */
static void test_regions(void **state)
{
	bpfvm_env *env = new_env();
	uint8_t pkt[8] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80 }, mem[8] = { 0 };
	uint64_t ro_buf[2] = { 0x1111, 0x2222 }, rw_buf[2] = { 0, 0 };
	struct bpfvm_region regions[] = {
		{ .start = (uint64_t)(uintptr_t)ro_buf, .len = sizeof(ro_buf), .writable = 0 },
		{ .start = (uint64_t)(uintptr_t)rw_buf, .len = sizeof(rw_buf), .writable = 1 },
	};
	struct {
		struct bpf_insn insns[8];
		size_t n;
		int rc;
		long insn;
		uint64_t r0;
	} cases[] = {
		{ { LD64(R2, (uintptr_t)pkt), BPF_LDX_MEM(BPF_H, R0, R2, 6), EXIT }, 4, 0, -1, 0x8070 },
		{ { LD64(R2, (uintptr_t)pkt), BPF_ST_MEM(BPF_B, R2, 0, 1), EXIT }, 4, BPFVM_EFAULT, 2, 0 },
		{ { LD64(R2, (uintptr_t)pkt), BPF_MOV64_IMM(R3, 5), BPF_ATOMIC_OP(BPF_W, BPF_ADD, R2, R3, 4), EXIT }, 5,
		  BPFVM_EFAULT, 3, 0 },
		{ { LD64(R2, (uintptr_t)ro_buf), LD64(R3, (uintptr_t)rw_buf), BPF_LDX_MEM(BPF_DW, R4, R2, 8),
		    BPF_STX_MEM(BPF_DW, R3, R4, 0), BPF_LDX_MEM(BPF_DW, R0, R3, 0), EXIT }, 8, 0, -1, 0x2222 },
		{ { LD64(R2, (uintptr_t)ro_buf), BPF_ST_MEM(BPF_DW, R2, 0, 7), EXIT }, 4, BPFVM_EFAULT, 2, 0 },
		{ { LD64(R3, (uintptr_t)rw_buf), BPF_LDX_MEM(BPF_W, R0, R3, 14), EXIT }, 4, BPFVM_EFAULT, 2, 0 },
		{ { LD64(R3, (uintptr_t)rw_buf), BPF_MOV64_IMM(R0, 0), BPF_ATOMIC_OP(BPF_DW, BPF_XOR | BPF_FETCH, R3, R0, 8),
		    EXIT }, 5, 0, -1, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		for (int jit = 0; jit < 2; jit++) {
			bpfvm_prog *prog = load(env, cases[i].insns, cases[i].n, load_flags(jit, 0), NULL, 0);
			struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = jit, .mem = mem, .mem_len = sizeof(mem),
						     .packet = pkt, .packet_len = sizeof(pkt), .regions = regions,
						     .nregions = 2 };
			uint64_t r0 = 0;
			struct bpfvm_error err;
			int rc = bpfvm_prog_run(prog, &ro, &r0, &err);
			if (rc != cases[i].rc || (rc == 0 && r0 != cases[i].r0) || (rc && err.insn != cases[i].insn))
				fail_msg("case %zu on %s: rc %d r0 0x%" PRIx64 " insn %ld (%s)", i, engine_name(jit, 0), rc,
					 r0, err.insn, err.msg);
			bpfvm_prog_free(prog);
		}
	}
	assert_int_equal(pkt[0], 0x10);
	assert_int_equal(ro_buf[0], 0x1111);
	assert_int_equal(rw_buf[0], 0x2222);
	bpfvm_env_free(env);
}

/* An XDP program through its context: data/data_end from struct xdp_md,
 * bounds-checked packet reads in a loop, a packet write, and
 * bpf_xdp_adjust_head; r0 and the frame afterwards match the interpreter
 * on every engine, and so does a read past the context on the checked ones. */
static void test_xdp_program(void **state)
{
	struct bpf_insn p[] = {
		BPF_MOV64_REG(R6, R1), BPF_MOV64_IMM(R7, 0),
		BPF_LDX_MEM(BPF_W, R2, R6, 0),                                     /* 2: data */
		BPF_LDX_MEM(BPF_W, R3, R6, 4),                                     /* 3: data_end */
		BPF_MOV64_REG(R4, R2), BPF_ALU64_IMM(BPF_ADD, R4, 14),
		BPF_JMP_REG(BPF_JGT, R4, R3, 18),                                  /* 6: short frame -> 25 */
		BPF_LDX_MEM(BPF_H, R0, R2, 12), BPF_LDX_MEM(BPF_B, R5, R2, 0), BPF_ALU64_IMM(BPF_LSH, R0, 8),
		BPF_ALU64_REG(BPF_OR, R0, R5), BPF_ST_MEM(BPF_B, R2, 1, 0xaa),      /* 11: write */
		BPF_MOV64_REG(R8, R2),
		BPF_MOV64_REG(R9, R8), BPF_ALU64_IMM(BPF_ADD, R9, 1),              /* 13: loop */
		BPF_JMP_REG(BPF_JGT, R9, R3, 4),                                   /* 15: -> 20 */
		BPF_LDX_MEM(BPF_B, R9, R8, 0), BPF_ALU64_REG(BPF_ADD, R7, R9), BPF_ALU64_IMM(BPF_ADD, R8, 1),
		BPF_JMP_A(-7),                                                     /* 19: -> 13 */
		BPF_ALU64_IMM(BPF_LSH, R0, 16), BPF_ALU64_REG(BPF_ADD, R7, R0),     /* 20 */
		BPF_MOV64_REG(R1, R6), BPF_MOV64_IMM(R2, 4), BPF_CALL_HELPER(BPF_FUNC_xdp_adjust_head),
		BPF_ALU64_IMM(BPF_LSH, R0, 32), BPF_ALU64_REG(BPF_ADD, R0, R7), EXIT, /* 25 */
	};
	bpfvm_env *env = new_env();
	uint8_t frame[60];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 37 + 5);
	for (int bad_read = 0; bad_read < 2; bad_read++) {
		if (bad_read) /* a read past the end of struct xdp_md */
			p[3] = BPF_LDX_MEM(BPF_W, R3, R6, 40);
		uint64_t ref_r0 = 0;
		int ref_rc = 0;
		uint8_t ref_out[sizeof(frame) + 8];
		size_t ref_len = 0;
		for (int k = 0; k < 4; k++) {
			int jit = k >= 2, trusted = k & 1;
			if (bad_read && trusted)
				continue;
			struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = load_flags(jit, trusted),
						      .type = BPF_PROG_TYPE_XDP };
			bpfvm_prog *prog = NULL;
			struct bpfvm_error err;
			assert_int_equal(bpfvm_prog_load(env, p, ARRAY_SIZE(p), &po, &prog, &err), 0);
			bpfvm_exec *ex = bpfvm_exec_new(env);
			struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = jit, .frame = frame,
						     .frame_len = sizeof(frame) };
			uint64_t r0 = 0;
			int rc = bpfvm_exec_run(ex, prog, &ro, &r0, &err);
			size_t len = 0;
			const void *out = bpfvm_exec_packet(ex, &len);
			if (k == 0) {
				ref_rc = rc;
				ref_r0 = r0;
				ref_len = len < sizeof(ref_out) ? len : sizeof(ref_out);
				memcpy(ref_out, out, ref_len);
				printf("xdp program%s: interpreter rc %d r0 0x%" PRIx64 " (%s)\n", bad_read ? " (bad read)" : "",
				       rc, r0, rc ? err.msg : "ok");
			} else {
				if (rc != ref_rc || r0 != ref_r0 || len != ref_len || (rc == 0 && memcmp(out, ref_out, len)))
					fail_msg("%s: rc %d r0 0x%" PRIx64 " len %zu", engine_name(jit, trusted), rc, r0, len);
			}
			bpfvm_exec_free(ex);
			bpfvm_prog_free(prog);
		}
		if (!bad_read)
			assert_int_equal(ref_rc, 0);
		else
			assert_int_equal(ref_rc, BPFVM_EFAULT);
	}
	bpfvm_env_free(env);
}

/* Packet loads of a socket filter at the kernel's SKF_LL_OFF and SKF_NET_OFF
 * windows (through LD_ABS and LD_IND), on every engine: the same r0 as the
 * interpreter, and the loads read the frame bytes they name. */
static void test_skf_windows(void **state)
{
	struct bpf_insn p[] = {
		BPF_MOV64_REG(R6, R1),
		BPF_LD_ABS(BPF_H, -0x200000 + 12), BPF_MOV64_REG(R7, R0),   /* ethertype through SKF_LL_OFF */
		BPF_LD_ABS(BPF_B, -0x100000 + 9), BPF_MOV64_REG(R8, R0),    /* IP protocol through SKF_NET_OFF */
		BPF_MOV64_IMM(R2, -0x100000), BPF_LD_IND(BPF_W, R2, 12),    /* source address */
		BPF_ALU64_IMM(BPF_LSH, R7, 40), BPF_ALU64_IMM(BPF_LSH, R8, 32), BPF_ALU64_REG(BPF_OR, R0, R7),
		BPF_ALU64_REG(BPF_OR, R0, R8), EXIT,
	};
	uint8_t frame[64] = { 0 };
	frame[12] = 0x08;
	frame[13] = 0x00;
	frame[14 + 9] = 17;
	memcpy(frame + 14 + 12, "\xc0\xa8\x01\x02", 4);
	uint64_t want = 0x0800ULL << 40 | 17ULL << 32 | 0xc0a80102ULL;
	bpfvm_env *env = new_env();
	for (int k = 0; k < 4; k++) {
		int jit = k >= 2, trusted = k & 1;
		struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = load_flags(jit, trusted),
					      .type = BPF_PROG_TYPE_SOCKET_FILTER };
		bpfvm_prog *prog = NULL;
		struct bpfvm_error err;
		assert_int_equal(bpfvm_prog_load(env, p, ARRAY_SIZE(p), &po, &prog, &err), 0);
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = jit, .frame = frame, .frame_len = sizeof(frame) };
		uint64_t r0 = 0;
		int rc = bpfvm_prog_run(prog, &ro, &r0, &err);
		if (rc || r0 != want)
			fail_msg("%s: rc %d r0 0x%" PRIx64 ", expected 0x%" PRIx64, engine_name(jit, trusted), rc, r0, want);
		bpfvm_prog_free(prog);
	}
	bpfvm_env_free(env);
}

/* Errors at the API: a trace hook needs the interpreter; unknown engines. */
static void test_run_errors(void **state)
{
	bpfvm_env *env = new_env();
	struct bpf_insn p[] = { BPF_MOV64_IMM(R0, 3), EXIT };
	bpfvm_prog *prog = load(env, p, 2, BPFVM_PROG_F_JIT | BPFVM_PROG_F_TRUSTED, NULL, 0);
	uint64_t r0 = 0;
	struct bpfvm_error err;
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = BPFVM_ENGINE_JIT };
	assert_int_equal(bpfvm_prog_run(prog, &ro, &r0, &err), 0);
	assert_int_equal(r0, 3);
	ro.engine = 7;
	assert_int_equal(bpfvm_prog_run(prog, &ro, &r0, &err), BPFVM_EUNSUPP);
	ro.engine = BPFVM_ENGINE_JIT;
	ro.trace = (bpfvm_trace_fn)(uintptr_t)1;
	assert_int_equal(bpfvm_prog_run(prog, &ro, &r0, &err), BPFVM_EUNSUPP);
	printf("trace on the JIT: %s\n", err.msg);
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
}

/* A program of 200,000 slots: long forward jumps (not taken) and a gotol
 * back over the whole program, which therefore runs twice.
 *   0: r0 = 0; 1: r1 = 0; 2..n-5: pairs of (r0 += 1; if w1 == 7 goto far);
 *   n-4: r1 += 1; n-3: if r1 == 2 goto n-1; n-2: gotol 2; n-1: exit */
static void test_large_program(void **state)
{
	const size_t n = 200000;
	struct bpf_insn *p = calloc(n, sizeof(*p));
	assert_non_null(p);
	p[0] = BPF_MOV64_IMM(R0, 0);
	p[1] = BPF_MOV64_IMM(R1, 0);
	uint64_t pairs = 0;
	for (size_t i = 2; i + 1 <= n - 5; i += 2, pairs++) {
		p[i] = BPF_ALU64_IMM(BPF_ADD, R0, 1);
		long far = (long)(n - 4) - (long)(i + 1) - 1;
		p[i + 1] = BPF_JMP32_IMM(BPF_JEQ, R1, 7, (int16_t)(far > 30000 ? 30000 : far));
	}
	p[n - 4] = BPF_ALU64_IMM(BPF_ADD, R1, 1);
	p[n - 3] = BPF_JMP_IMM(BPF_JEQ, R1, 2, 1);
	p[n - 2] = BPF_JMP32_A(-(int32_t)(n - 3)); /* to 2 */
	p[n - 1] = EXIT;
	bpfvm_env *env = new_env();
	for (int trusted = 0; trusted < 2; trusted++) {
		bpfvm_prog *prog = load(env, p, n, load_flags(1, trusted), NULL, 0);
		uint64_t r0 = 0;
		struct bpfvm_error err;
		int rc = run_jit(prog, !trusted, NULL, 0, &r0, &err);
		if (rc)
			fail_msg("%s: %s", engine_name(1, trusted), err.msg);
		assert_int_equal(r0, 2 * pairs);
		size_t len;
		bpfvm_prog_jit_image(prog, !trusted, &len, NULL);
		printf("200,000-slot program (%s): r0 = %" PRIu64 ", %zu bytes of code\n", engine_name(1, trusted), r0,
		       len);
		bpfvm_prog_free(prog);
	}
	bpfvm_env_free(env);
	free(p);
}

/* ------------------------------------------------------- 5. timing */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs p on each engine (best of 3, mem_len bytes of zeroed input memory),
 * asserts r0 == want and prints the times and the JIT's speed-ups. */
static void time_engines(const char *what, const struct bpf_insn *p, size_t n, size_t mem_len, uint64_t want)
{
	bpfvm_env *env = new_env();
	uint8_t *mem = mem_len ? malloc(mem_len) : NULL;
	double t[4] = { 0 };
	for (int k = 0; k < 4; k++) {
		int jit = k >= 2, trusted = k & 1;
		bpfvm_prog *prog = load(env, p, n, load_flags(jit, trusted), NULL, 0);
		t[k] = 1e9;
		for (int rep = 0; rep < 3; rep++) {
			if (mem)
				memset(mem, 0, mem_len);
			struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = jit, .mem = mem, .mem_len = mem_len,
						     .budget = UINT64_MAX };
			uint64_t r0 = 0;
			struct bpfvm_error err;
			double t0 = now_s();
			int rc = bpfvm_prog_run(prog, &ro, &r0, &err);
			double dt = now_s() - t0;
			if (rc)
				fail_msg("%s: %s", engine_name(jit, trusted), err.msg);
			assert_int_equal(r0, want);
			if (dt < t[k])
				t[k] = dt;
		}
		bpfvm_prog_free(prog);
	}
	printf("%s, best of 3: interp checked %.1f ms, interp trusted %.1f ms, jit checked %.1f ms (%.1fx), jit trusted "
	       "%.1f ms (%.1fx)\n", what, t[0] * 1e3, t[1] * 1e3, t[2] * 1e3, t[0] / t[2], t[3] * 1e3, t[1] / t[3]);
	free(mem);
	bpfvm_env_free(env);
}

/* Primes below N (30000, or BPFVM_JIT_PRIMES) by trial division: r0 = the
 * count, checked against the same computation in C. The times are only
 * printed (a Debug or sanitizer build says little about them). */
static void test_speed(void **state)
{
	const char *n_env = getenv("BPFVM_JIT_PRIMES");
	const int32_t N = n_env ? (int32_t)strtol(n_env, NULL, 0) : 30000;
	/*  0 r0 = 0; 1 r1 = 2; 2 if r1 >= N goto 15; 3 r2 = 2
	 *  4 r3 = r2 * r2; 6 if r3 > r1 goto 12 (prime); 7 r4 = r1 % r2; 9 if r4 == 0 goto 13
	 * 10 r2 += 1; 11 goto 4; 12 r0 += 1; 13 r1 += 1; 14 goto 2; 15 exit */
	struct bpf_insn p[] = {
		BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(R1, 2), BPF_JMP_IMM(BPF_JGE, R1, N, 12), BPF_MOV64_IMM(R2, 2),
		BPF_MOV64_REG(R3, R2), BPF_ALU64_REG(BPF_MUL, R3, R2), BPF_JMP_REG(BPF_JGT, R3, R1, 5),
		BPF_MOV64_REG(R4, R1), BPF_ALU64_REG(BPF_MOD, R4, R2), BPF_JMP_IMM(BPF_JEQ, R4, 0, 3),
		BPF_ALU64_IMM(BPF_ADD, R2, 1), BPF_JMP_A(-8), BPF_ALU64_IMM(BPF_ADD, R0, 1), BPF_ALU64_IMM(BPF_ADD, R1, 1),
		BPF_JMP_A(-13), EXIT,
	};
	uint64_t want = 0;
	for (uint64_t x = 2; x < (uint64_t)N; x++) {
		uint64_t d = 2;
		while (d * d <= x && x % d)
			d++;
		want += d * d > x;
	}
	char what[100];
	snprintf(what, sizeof(what), "prime count below %d (= %" PRIu64 ")", N, want);
	time_engines(what, p, ARRAY_SIZE(p), 0, want);
}

/* A sieve of Eratosthenes over N bytes of input memory (100000, or
 * BPFVM_JIT_SIEVE): every access goes through r6, so the checked engines
 * check each one against the run's regions. r0 = the number of primes. */
static void test_speed_memory(void **state)
{
	const char *n_env = getenv("BPFVM_JIT_SIEVE");
	const int32_t N = n_env ? (int32_t)strtol(n_env, NULL, 0) : 100000;
	/*  0 r6 = r1; 1 r0 = 0; 2 r2 = 2; 3 if r2 >= N goto 19
	 *  4 r3 = r6 + r2; 6 r4 = *(u8 *)(r3 + 0); 7 if r4 != 0 goto 17
	 *  8 r0 += 1; 9 r5 = r2 * r2; 11 if r5 >= N goto 17
	 * 12 r3 = r6 + r5; 14 *(u8 *)(r3 + 0) = 1; 15 r5 += r2; 16 goto 11
	 * 17 r2 += 1; 18 goto 3; 19 exit */
	struct bpf_insn p[] = {
		BPF_MOV64_REG(R6, R1), BPF_MOV64_IMM(R0, 0), BPF_MOV64_IMM(R2, 2), BPF_JMP_IMM(BPF_JGE, R2, N, 15),
		BPF_MOV64_REG(R3, R6), BPF_ALU64_REG(BPF_ADD, R3, R2), BPF_LDX_MEM(BPF_B, R4, R3, 0),
		BPF_JMP_IMM(BPF_JNE, R4, 0, 9), BPF_ALU64_IMM(BPF_ADD, R0, 1), BPF_MOV64_REG(R5, R2),
		BPF_ALU64_REG(BPF_MUL, R5, R2), BPF_JMP_IMM(BPF_JGE, R5, N, 5), BPF_MOV64_REG(R3, R6),
		BPF_ALU64_REG(BPF_ADD, R3, R5), BPF_ST_MEM(BPF_B, R3, 0, 1), BPF_ALU64_REG(BPF_ADD, R5, R2), BPF_JMP_A(-6),
		BPF_ALU64_IMM(BPF_ADD, R2, 1), BPF_JMP_A(-16), EXIT,
	};
	uint8_t *sieve = calloc((size_t)N, 1);
	assert_non_null(sieve);
	uint64_t want = 0;
	for (int64_t i = 2; i < N; i++) {
		if (sieve[i])
			continue;
		want++;
		for (int64_t k = i * i; k < N; k += i)
			sieve[k] = 1;
	}
	free(sieve);
	char what[100];
	snprintf(what, sizeof(what), "sieve of %d bytes of input memory (%" PRIu64 " primes)", N, want);
	time_engines(what, p, ARRAY_SIZE(p), (size_t)N, want);
}

/* The checked JIT remembers an array map's value slab after a slow-path
 * check: accesses inside it keep working, an access just past it still
 * faults (at the same instruction as the checked interpreter), and a map
 * programs may only read (or only write) never lets the other kind of
 * access through the remembered region. */
static int run_engine(const bpfvm_prog *prog, int jit, int checked, void *mem, size_t mem_len, uint64_t *r0,
		      struct bpfvm_error *err)
{
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = jit ? BPFVM_ENGINE_JIT : BPFVM_ENGINE_INTERP,
				     .mem = mem, .mem_len = mem_len, .flags = checked ? BPFVM_RUN_CHECKED : 0 };
	return bpfvm_prog_run(prog, &ro, r0, err);
}

static void test_array_map_region_cache(void **state)
{
	bpfvm_env *env = new_env();
	const uint32_t flags[3] = { 0, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG };
	int fds[3];
	bpfvm_map *maps[3];
	for (int i = 0; i < 3; i++) {
		struct bpfvm_map_opts mo = { .sz = sizeof(mo), .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8,
					     .max_entries = 4, .map_flags = flags[i] };
		fds[i] = bpfvm_map_create(env, &mo);
		assert_true(fds[i] >= 3);
		maps[i] = bpfvm_map_from_fd(env, fds[i]);
	}
	/* v = lookup(map[idx], 0); v[0] += 5; v[2] = v[0] + v[3]; r0 = v[2]; then
	 * (off = 32) one access past the 32-byte slab */
#define LOOKUP0(IDX)                                                                                                    \
	BPF_ST_MEM(BPF_W, R10, -4, 0), BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_IDX, 0, IDX),             \
		BPF_RAW_INSN(0, 0, 0, 0, 0), BPF_MOV64_REG(R2, R10), BPF_ALU64_IMM(BPF_ADD, R2, -4),                        \
		BPF_CALL_HELPER(BPF_FUNC_map_lookup_elem), BPF_JMP_IMM(BPF_JNE, R0, 0, 2), BPF_MOV64_IMM(R0, -1), EXIT,     \
		BPF_MOV64_REG(R6, R0)
	for (int past = 0; past < 2; past++) {
		struct bpf_insn p[] = {
			LOOKUP0(0), /* 0..9 */
			BPF_LDX_MEM(BPF_DW, R1, R6, 0), BPF_ALU64_IMM(BPF_ADD, R1, 5), BPF_STX_MEM(BPF_DW, R6, R1, 0),
			BPF_LDX_MEM(BPF_DW, R2, R6, 24), BPF_ALU64_REG(BPF_ADD, R1, R2),
			BPF_STX_MEM(BPF_DW, R6, R1, past ? 32 : 16), /* 15 */
			BPF_MOV64_REG(R0, R1), EXIT,
		};
		for (int trusted = 0; trusted < 2; trusted++) {
			bpfvm_prog *prog = load(env, p, ARRAY_SIZE(p), load_flags(1, trusted), fds, 3);
			for (int e = 0; e < 4; e++) {
				int jit = e >> 1, checked = (e & 1) || !trusted;
				uint64_t v0 = 7, v3 = 1000, zero = 0, got = 0, r0 = 0;
				uint32_t k0 = 0, k2 = 2, k3 = 3;
				assert_int_equal(bpfvm_map_update(maps[0], &k0, &v0, BPF_ANY), 0);
				assert_int_equal(bpfvm_map_update(maps[0], &k2, &zero, BPF_ANY), 0);
				assert_int_equal(bpfvm_map_update(maps[0], &k3, &v3, BPF_ANY), 0);
				struct bpfvm_error err;
				int rc = run_engine(prog, jit, checked, NULL, 0, &r0, &err);
				assert_int_equal(bpfvm_map_lookup(maps[0], &k0, &got), 0);
				assert_int_equal(got, v0 + 5);
				if (past && checked) {
					assert_int_equal(rc, BPFVM_EFAULT);
					assert_int_equal(err.insn, 15);
					continue;
				}
				if (past) /* trusted engines do not check: the write lands in the slab's page */
					continue;
				if (rc)
					fail_msg("%s: %s", engine_name(jit, !checked), err.msg);
				assert_int_equal(r0, v0 + 5 + v3);
				assert_int_equal(bpfvm_map_lookup(maps[0], &k2, &got), 0);
				assert_int_equal(got, r0);
			}
			bpfvm_prog_free(prog);
		}
	}
	/* read-only for programs: a read, then a write (14) through the same pointer;
	 * write-only: a write, then a read (14) */
	for (int which = 1; which < 3; which++) {
		struct bpf_insn ro[] = { LOOKUP0(1), BPF_LDX_MEM(BPF_DW, R1, R6, 8), BPF_LDX_MEM(BPF_DW, R1, R6, 0),
					 BPF_ALU64_IMM(BPF_ADD, R1, 1), BPF_MOV64_IMM(R0, 0),
					 BPF_STX_MEM(BPF_DW, R6, R1, 0), EXIT };
		struct bpf_insn wo[] = { LOOKUP0(2), BPF_ST_MEM(BPF_DW, R6, 8, 3), BPF_ST_MEM(BPF_DW, R6, 0, 4),
					 BPF_MOV64_IMM(R1, 1), BPF_MOV64_IMM(R0, 0),
					 BPF_LDX_MEM(BPF_DW, R0, R6, 0), EXIT };
		struct bpf_insn *p = which == 1 ? ro : wo;
		bpfvm_prog *prog = load(env, p, ARRAY_SIZE(ro), load_flags(1, 0), fds, 3);
		for (int jit = 0; jit < 2; jit++) {
			uint64_t r0 = 0;
			struct bpfvm_error err;
			int rc = run_engine(prog, jit, 1, NULL, 0, &r0, &err);
			assert_int_equal(rc, BPFVM_EFAULT);
			assert_int_equal(err.insn, 14);
		}
		bpfvm_prog_free(prog);
	}
#undef LOOKUP0
	bpfvm_env_free(env);
}

/* bpf-to-bpf calls: each call site saves only the r6..r9 its callee may
 * write, so a callee writing some of them (directly or through its own
 * calls) must still leave all four to the caller; recursion reaches the
 * deepest frame allowed and faults one deeper at the same instruction as
 * the interpreter; helpers see the call depth in ex->depth. */
#define H_DEPTH 0x7a00
static uint64_t h_depth(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return (uint64_t)ex->depth;
}

static void test_local_calls(void **state)
{
	bpfvm_env *env = new_env();
	assert_int_equal(bpfvm_env_register_helper(env, H_DEPTH, "depth", h_depth, NULL), 0);
	struct bpf_insn p[] = {
		/* main: r6..r9 = 6..9; r0 = rec(*(u64 *)r1) then digits r6..r9; r6 = r0; r0 = f1() + r6 + r7 + r8 + r9 */
		BPF_MOV64_IMM(R6, 6), BPF_MOV64_IMM(R7, 7), BPF_MOV64_IMM(R8, 8), BPF_MOV64_IMM(R9, 9),
		BPF_LDX_MEM(BPF_DW, R1, R1, 0), BPF_CALL_REL(15), /* 5: rec at 21 */
		BPF_ALU64_IMM(BPF_MUL, R0, 10), BPF_ALU64_REG(BPF_ADD, R0, R6), BPF_ALU64_IMM(BPF_MUL, R0, 10),
		BPF_ALU64_REG(BPF_ADD, R0, R7), BPF_ALU64_IMM(BPF_MUL, R0, 10), BPF_ALU64_REG(BPF_ADD, R0, R8),
		BPF_ALU64_IMM(BPF_MUL, R0, 10), BPF_ALU64_REG(BPF_ADD, R0, R9), BPF_MOV64_REG(R6, R0),
		BPF_CALL_REL(13), /* 15: f1 at 29 */
		BPF_ALU64_REG(BPF_ADD, R0, R6), BPF_ALU64_REG(BPF_ADD, R0, R7), BPF_ALU64_REG(BPF_ADD, R0, R8),
		BPF_ALU64_REG(BPF_ADD, R0, R9), EXIT,
		/* 21: rec(n) = n ? n + rec(n - 1) : depth (writes r6 only) */
		BPF_JMP_IMM(BPF_JNE, R1, 0, 2), BPF_CALL_HELPER(H_DEPTH), EXIT,
		BPF_MOV64_REG(R6, R1), BPF_ALU64_IMM(BPF_ADD, R1, -1), BPF_CALL_REL(-6), /* 26 */
		BPF_ALU64_REG(BPF_ADD, R0, R6), EXIT,
		/* 29: f1: r7 = 100; f2(); return r7 */
		BPF_MOV64_IMM(R7, 100), BPF_CALL_REL(2), BPF_MOV64_REG(R0, R7), EXIT,
		/* 33: f2: r6 = r8 = r9 = 55; return 0 */
		BPF_MOV64_IMM(R6, 55), BPF_MOV64_IMM(R8, 55), BPF_MOV64_IMM(R9, 55), BPF_MOV64_IMM(R0, 0), EXIT,
	};
	for (int trusted = 0; trusted < 2; trusted++) {
		bpfvm_prog *prog = load(env, p, ARRAY_SIZE(p), load_flags(1, trusted), NULL, 0);
		for (uint64_t n = 0; n <= BPFVM_MAX_CALL_DEPTH; n++) {
			uint64_t rec = n * (n + 1) / 2 + n + 1; /* rec(0) runs at depth n + 1 */
			uint64_t want = (((rec * 10 + 6) * 10 + 7) * 10 + 8) * 10 + 9;
			want += 100 + 7 + 8 + 9;
			for (int e = 0; e < 4; e++) {
				int jit = e >> 1, checked = (e & 1) || !trusted;
				uint64_t mem = n, r0 = 0;
				struct bpfvm_error err;
				int rc = run_engine(prog, jit, checked, &mem, sizeof(mem), &r0, &err);
				if (n + 1 > BPFVM_MAX_CALL_DEPTH) {
					assert_int_equal(rc, BPFVM_ESTACK);
					assert_int_equal(err.insn, 26);
					continue;
				}
				if (rc)
					fail_msg("%s, n = %d: %s", engine_name(jit, !checked), (int)n, err.msg);
				assert_int_equal(r0, want);
			}
		}
		bpfvm_prog_free(prog);
	}
	bpfvm_env_free(env);
}

int main(void)
{
	if (!bpfvm_jit_available())
		tu_skip_all("the JIT needs an x86-64 host");
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_checked),
		cmocka_unit_test(test_conformance_trusted),
		cmocka_unit_test(test_opcase_tables),
		cmocka_unit_test(test_random_programs),
		cmocka_unit_test(test_tail_calls),
		cmocka_unit_test(test_bpf_loop_callback),
		cmocka_unit_test(test_map_helpers),
		cmocka_unit_test(test_array_map_region_cache),
		cmocka_unit_test(test_local_calls),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_xdp_program),
		cmocka_unit_test(test_skf_windows),
		cmocka_unit_test(test_image_accessor),
		cmocka_unit_test(test_run_errors),
		cmocka_unit_test(test_large_program),
		cmocka_unit_test(test_speed),
		cmocka_unit_test(test_speed_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
