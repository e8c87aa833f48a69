/* test_opcodes.c - every instruction of the interpreter through the public
 * API, table-driven: each case (opcase_*.h) states its program, memory and
 * packet, and the expected r0, memory and status, worked out by hand from RFC
 * 9669 and the kernel's documented behaviour. Every case runs on the
 * runtime-checked engine, on the trusted engine (unless it faults by design)
 * and once more on the checked engine with a trace hook that records which
 * rows of isa_table were executed and, for conditional jumps, in which
 * direction. A final test asserts that every row was executed (both ways for
 * conditional jumps), except the rows that need maps or kernel BTF, whose
 * documented load errors it asserts instead. A few cases need run-time
 * addresses (read-only packet, extra regions) or long programs (gotol beyond
 * 16 bits) and are written out as their own tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "isa.h"

#include "opcase_alu.h"
#include "opcase_jmp.h"
#include "opcase_mem.h"
#include "opcase_call.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the test environment's helpers ---- */

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

static bpfvm_env *new_env(void)
{
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	assert_int_equal(bpfvm_env_register_helper(env, H_PACK, "pack", h_pack, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_COOKIE_A, "cookie_a", h_cookie, &cookie_a), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_COOKIE_B, "cookie_b", h_cookie, &cookie_b), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_BIG, "big", h_big, NULL), 0);
	assert_int_equal(bpfvm_env_register_helper(env, H_STOP, "stop", h_stop, NULL), 0);
	return env;
}

/* ---- coverage, recorded by the trace hook ---- */

static unsigned long executed[BPFVM_OP__COUNT]; /* times each row ran */
static unsigned long listed[BPFVM_OP__COUNT];   /* times each row appears in a case's program */
static uint8_t went_taken[BPFVM_OP__COUNT], went_through[BPFVM_OP__COUNT];
static long trace_prev_pc = -1;
static int trace_prev_op = -1;

static int is_conditional(int op)
{
	int s = isa_table[op].shape;
	return s == S_JIMM || s == S_JREG || s == S_MAYGOTO;
}

static void trace_cb(void *cookie, size_t pc, const struct bpf_insn *insn, const uint64_t regs[11])
{
	if (trace_prev_op >= 0 && is_conditional(trace_prev_op)) {
		if ((long)pc == trace_prev_pc + 1)
			went_through[trace_prev_op] = 1;
		else
			went_taken[trace_prev_op] = 1;
	}
	int op = isa_lookup(insn);
	if (op >= 0)
		executed[op]++;
	trace_prev_pc = (long)pc;
	trace_prev_op = op;
}

static void count_listed(const struct opcase *c)
{
	for (size_t i = 0, n = oc_len(c); i < n; i++) {
		int op = isa_lookup(&c->insns[i]);
		if (op < 0)
			continue;
		listed[op]++;
		if (isa_is_lddw(op))
			i++;
	}
}

/* ---- running one case ---- */

enum { RUN_CHECKED, RUN_TRUSTED, RUN_TRACED };
static const char *const run_names[] = { "checked", "trusted", "traced" };

/* Runs c once in mode; returns the number of mismatches (each printed). */
static int run_case(const struct opcase *c, int mode)
{
	bpfvm_env *env = new_env();
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = c->name,
				      .flags = mode == RUN_TRUSTED ? BPFVM_PROG_F_TRUSTED : BPFVM_PROG_F_NO_VERIFY };
	bpfvm_prog *prog = NULL;
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	int bad = 0;
	int rc = bpfvm_prog_load(env, c->insns, oc_len(c), &po, &prog, &err);
	if (rc) {
		char buf[400];
		printf("FAIL [%s] %s: load failed: %s\n", run_names[mode], c->name, bpfvm_error_format(&err, buf, sizeof(buf)));
		bpfvm_env_free(env);
		return 1;
	}
	uint8_t *mem = NULL;
	if (c->mem_len) {
		mem = malloc(c->mem_len);
		assert_non_null(mem);
		memcpy(mem, c->mem, c->mem_len);
	}
	uint8_t *pkt = NULL;
	if (c->pkt_len) {
		pkt = malloc(c->pkt_len);
		assert_non_null(pkt);
		memcpy(pkt, c->pkt, c->pkt_len);
	}
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = mem, .mem_len = c->mem_len, .packet = pkt,
				     .packet_len = c->pkt_len, .budget = c->budget };
	if (mode == RUN_TRACED) {
		ro.trace = trace_cb;
		trace_prev_pc = -1;
		trace_prev_op = -1;
	}
	uint64_t r0 = 0xbad0bad0bad0bad0ULL;
	memset(&err, 0, sizeof(err));
	rc = bpfvm_prog_run(prog, &ro, &r0, &err);
	if (rc != c->rc) {
		char buf[400];
		printf("FAIL [%s] %s: status %d (%s), expected %d (%s)\n", run_names[mode], c->name, rc,
		       rc ? bpfvm_error_format(&err, buf, sizeof(buf)) : "ok", c->rc, bpfvm_strerror(c->rc));
		bad++;
	} else if (rc == 0 && r0 != c->r0) {
		printf("FAIL [%s] %s: r0 = 0x%llx, expected 0x%llx\n", run_names[mode], c->name, (unsigned long long)r0,
		       (unsigned long long)c->r0);
		bad++;
	} else if (rc != 0 && (err.code != rc || err.insn != c->err_insn || !err.msg[0])) {
		printf("FAIL [%s] %s: err names insn %ld (code %d, msg \"%s\"), expected insn %ld\n", run_names[mode],
		       c->name, err.insn, err.code, err.msg, c->err_insn);
		bad++;
	}
	if (rc == 0 && c->check_mem && memcmp(mem, c->mem_out, c->mem_len) != 0) {
		printf("FAIL [%s] %s: memory after the run:", run_names[mode], c->name);
		for (size_t i = 0; i < c->mem_len; i++)
			printf(" %02x", mem[i]);
		printf("\n  expected:");
		for (size_t i = 0; i < c->mem_len; i++)
			printf(" %02x", c->mem_out[i]);
		printf("\n");
		bad++;
	}
	free(mem);
	free(pkt);
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	return bad;
}

struct table {
	const char *name;
	const struct opcase *cases;
	size_t n;
};

static const struct table tables[] = {
	{ "alu", alu_cases, sizeof(alu_cases) / sizeof(alu_cases[0]) },
	{ "jmp", jmp_cases, sizeof(jmp_cases) / sizeof(jmp_cases[0]) },
	{ "mem", mem_cases, sizeof(mem_cases) / sizeof(mem_cases[0]) },
	{ "call", call_cases, sizeof(call_cases) / sizeof(call_cases[0]) },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static int table_done[NTABLES];

static void run_table(size_t t)
{
	const struct table *tb = &tables[t];
	int bad = 0, runs = 0;
	for (size_t i = 0; i < tb->n; i++) {
		const struct opcase *c = &tb->cases[i];
		assert_true(oc_len(c) > 0 && oc_len(c) < OC_MAX_SLOTS);
		bad += run_case(c, RUN_CHECKED);
		bad += run_case(c, RUN_TRACED);
		runs += 2;
		if (!c->checked_only) {
			bad += run_case(c, RUN_TRUSTED);
			runs++;
		}
		if (!table_done[t])
			count_listed(c);
	}
	table_done[t] = 1;
	printf("%s: %zu cases, %d runs, %d mismatches\n", tb->name, tb->n, runs, bad);
	assert_int_equal(bad, 0);
}

static void test_alu(void **state) { run_table(0); }
static void test_jmp(void **state) { run_table(1); }
static void test_mem(void **state) { run_table(2); }
static void test_call(void **state) { run_table(3); }

/* ---- tests that need run-time addresses or long programs ---- */

static int run_prog(const struct bpf_insn *insns, size_t n, uint32_t flags, struct bpfvm_run_opts *ro, uint64_t *r0,
		    struct bpfvm_error *err)
{
	bpfvm_env *env = new_env();
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = flags ? flags : BPFVM_PROG_F_NO_VERIFY };
	bpfvm_prog *prog = NULL;
	int rc = bpfvm_prog_load(env, insns, n, &po, &prog, err);
	if (rc == 0)
		rc = bpfvm_prog_run(prog, ro, r0, err);
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	return rc;
}

/* The packet is a read-only region: loads through its address work, stores fault. */
static void test_readonly_packet(void **state)
{
	uint8_t mem[8] = { 0 }, pkt[8] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80 };
	uint64_t addr = (uint64_t)(uintptr_t)pkt;
	struct bpf_insn rd[] = { LD64(R2, addr), BPF_LDX_MEM(BPF_H, R0, R2, 6), EXIT };
	struct bpf_insn wr[] = { LD64(R2, addr), BPF_MOV64_IMM(R0, 0), BPF_ST_MEM(BPF_B, R2, 0, 1), EXIT };
	struct bpf_insn wrx[] = { LD64(R2, addr), BPF_MOV64_IMM(R3, 5), BPF_ATOMIC_OP(BPF_W, BPF_ADD, R2, R3, 4), EXIT };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = mem, .mem_len = sizeof(mem), .packet = pkt,
				     .packet_len = sizeof(pkt) };
	struct bpfvm_error err;
	uint64_t r0 = 0;
	assert_int_equal(run_prog(rd, ARRAY_SIZE(rd), 0, &ro, &r0, &err), 0);
	assert_int_equal(r0, 0x8070);
	assert_int_equal(run_prog(wr, ARRAY_SIZE(wr), 0, &ro, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 3);
	assert_int_equal(run_prog(wrx, ARRAY_SIZE(wrx), 0, &ro, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 3);
	assert_int_equal(pkt[0], 0x10);
	assert_int_equal(pkt[4], 0x50);
}

/* Extra regions: readable everywhere, writable only when marked so. */
static void test_extra_regions(void **state)
{
	uint64_t ro_buf[2] = { 0x1111, 0x2222 }, rw_buf[2] = { 0, 0 };
	struct bpfvm_region regions[] = {
		{ .start = (uint64_t)(uintptr_t)ro_buf, .len = sizeof(ro_buf), .writable = 0 },
		{ .start = (uint64_t)(uintptr_t)rw_buf, .len = sizeof(rw_buf), .writable = 1 },
	};
	struct bpf_insn copy[] = {
		LD64(R2, (uintptr_t)ro_buf), LD64(R3, (uintptr_t)rw_buf), BPF_LDX_MEM(BPF_DW, R4, R2, 8),
		BPF_STX_MEM(BPF_DW, R3, R4, 0), BPF_LDX_MEM(BPF_DW, R0, R3, 0), EXIT,
	};
	struct bpf_insn write_ro[] = { LD64(R2, (uintptr_t)ro_buf), BPF_ST_MEM(BPF_DW, R2, 0, 7), EXIT };
	struct bpf_insn past[] = { LD64(R3, (uintptr_t)rw_buf), BPF_LDX_MEM(BPF_W, R0, R3, 14), EXIT };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .regions = regions, .nregions = 2 };
	struct bpfvm_error err;
	uint64_t r0 = 0;
	assert_int_equal(run_prog(copy, ARRAY_SIZE(copy), 0, &ro, &r0, &err), 0);
	assert_int_equal(r0, 0x2222);
	assert_int_equal(rw_buf[0], 0x2222);
	assert_int_equal(run_prog(write_ro, ARRAY_SIZE(write_ro), 0, &ro, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 2);
	assert_int_equal(ro_buf[0], 0x1111);
	assert_int_equal(run_prog(past, ARRAY_SIZE(past), 0, &ro, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 2);
	/* without the regions the same program faults on the read */
	struct bpfvm_run_opts none = { .sz = sizeof(none) };
	assert_int_equal(run_prog(copy, ARRAY_SIZE(copy), 0, &none, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 4);
}

/* gotol reaches beyond the 16-bit range of ja: 0: r0 = 1; 1: gotol +40000;
 * 2..40001: r0 = 2; 40002: exit. Also backwards across the same distance. */
static void test_gotol_far(void **state)
{
	const size_t n = 40004;
	struct bpf_insn *p = calloc(n, sizeof(*p));
	assert_non_null(p);
	p[0] = BPF_MOV64_IMM(R0, 1);
	p[1] = BPF_JMP32_A(40000);
	for (size_t i = 2; i < 40002; i++)
		p[i] = BPF_MOV64_IMM(R0, 2);
	p[40002] = EXIT;
	struct bpfvm_error err;
	uint64_t r0 = 0;
	for (int trusted = 0; trusted < 2; trusted++) {
		assert_int_equal(run_prog(p, 40003, trusted ? BPFVM_PROG_F_TRUSTED : 0, NULL, &r0, &err), 0);
		assert_int_equal(r0, 1);
	}
	/* 0: r0 = 0; 1: gotol 40002; 2: r0 += 7; 3: exit; 4..40001: filler;
	 * 40002: gotol 2; 40003: exit */
	for (size_t i = 0; i < n; i++)
		p[i] = BPF_MOV64_IMM(R1, 0);
	p[0] = BPF_MOV64_IMM(R0, 0);
	p[1] = BPF_JMP32_A(40000);                     /* to 40002 */
	p[2] = BPF_ALU64_IMM(BPF_ADD, R0, 7);
	p[3] = EXIT;
	p[40002] = BPF_JMP32_A(-40001);                /* 40003 - 40001 = 2 */
	p[40003] = EXIT;
	for (int trusted = 0; trusted < 2; trusted++) {
		assert_int_equal(run_prog(p, n, trusted ? BPFVM_PROG_F_TRUSTED : 0, NULL, &r0, &err), 0);
		assert_int_equal(r0, 7);
	}
	free(p);
}

/* The trusted engine has no budget: the program that exceeds the default
 * budget on the checked engine completes there. */
static void test_trusted_no_budget(void **state)
{
	struct bpf_insn p[] = { BPF_MOV64_IMM(R0, 5000000), BPF_ALU64_IMM(BPF_SUB, R0, 1),
				BPF_JMP_IMM(BPF_JNE, R0, 0, -2), BPF_MOV64_IMM(R0, 3), EXIT };
	struct bpfvm_error err;
	uint64_t r0 = 0;
	assert_int_equal(run_prog(p, ARRAY_SIZE(p), BPFVM_PROG_F_TRUSTED, NULL, &r0, &err), 0);
	assert_int_equal(r0, 3);
	/* BPFVM_RUN_CHECKED forces the checks (and the budget) on a trusted program */
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .flags = BPFVM_RUN_CHECKED };
	assert_int_equal(run_prog(p, ARRAY_SIZE(p), BPFVM_PROG_F_TRUSTED, &ro, &r0, &err), BPFVM_EBUDGET);
	assert_int_equal(err.insn, 2);
}

/* A helper registered under an id replaces the previous one for programs
 * loaded afterwards, cookie included. */
static void test_helper_reregister(void **state)
{
	bpfvm_env *env = new_env();
	static uint64_t other = 333;
	assert_int_equal(bpfvm_env_register_helper(env, H_COOKIE_A, "again", h_cookie, &other), 0);
	struct bpf_insn p[] = { BPF_CALL_HELPER(H_COOKIE_A), EXIT };
	bpfvm_prog *prog = NULL;
	struct bpfvm_error err;
	assert_int_equal(bpfvm_prog_load(env, p, 2, TU_UNVERIFIED, &prog, &err), 0);
	uint64_t r0 = 0;
	assert_int_equal(bpfvm_prog_run(prog, NULL, &r0, &err), 0);
	assert_int_equal(r0, 333);
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
}

/* The stack a checked run may use is the live frames' only: nothing at or
 * above r10 (the callee frames' space), also after a callee returned. */
static void test_stack_bounds(void **state)
{
	struct bpf_insn above[] = { BPF_LDX_MEM(BPF_B, R0, R10, 0), EXIT };
	struct bpf_insn above8[] = { BPF_MOV64_IMM(R1, 1), BPF_STX_MEM(BPF_DW, R10, R1, -4), EXIT };
	/* 0: call 3; 1: r0 = *(u64 *)(r10 + 8), the dead callee frame; 2: exit;
	 * 3: *(u64 *)(r10 - 8) = 1; 4: r0 = 0; 5: exit */
	struct bpf_insn dead[] = { BPF_CALL_REL(2), BPF_LDX_MEM(BPF_DW, R0, R10, 8), EXIT,
				   BPF_ST_MEM(BPF_DW, R10, -8, 1), BPF_MOV64_IMM(R0, 0), EXIT };
	/* the callee may use its whole frame, r10 - 512 .. r10 - 1 */
	struct bpf_insn whole[] = { BPF_CALL_REL(1), EXIT, BPF_ST_MEM(BPF_B, R10, -512, 3), BPF_ST_MEM(BPF_B, R10, -1, 4),
				    BPF_LDX_MEM(BPF_B, R0, R10, -512), BPF_LDX_MEM(BPF_B, R1, R10, -1),
				    BPF_ALU64_REG(BPF_ADD, R0, R1), EXIT };
	struct bpfvm_error err;
	uint64_t r0 = 0;
	assert_int_equal(run_prog(above, ARRAY_SIZE(above), 0, NULL, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 0);
	assert_int_equal(run_prog(above8, ARRAY_SIZE(above8), 0, NULL, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 1);
	assert_int_equal(run_prog(dead, ARRAY_SIZE(dead), 0, NULL, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 1);
	assert_int_equal(run_prog(whole, ARRAY_SIZE(whole), 0, NULL, &r0, &err), 0);
	assert_int_equal(r0, 7);
}

/* One execution context for many runs: every run starts afresh (stop flag,
 * budget, may_goto count, a zeroed entry frame). */
static void test_exec_reuse(void **state)
{
	bpfvm_env *env = new_env();
	struct bpf_insn stop[] = { BPF_MOV64_IMM(R1, 41), BPF_CALL_HELPER(H_STOP), BPF_MOV64_IMM(R0, 0), EXIT };
	struct bpf_insn pack[] = { BPF_MOV64_IMM(R1, 1), BPF_MOV64_IMM(R2, 2), BPF_MOV64_IMM(R3, 3), BPF_MOV64_IMM(R4, 4),
				   BPF_MOV64_IMM(R5, 5), BPF_CALL_HELPER(H_PACK), EXIT };
	/* r0 = the old value of [r10-8]; [r10-8] = 77 */
	struct bpf_insn stack[] = { BPF_LDX_MEM(BPF_DW, R0, R10, -8), BPF_ST_MEM(BPF_DW, R10, -8, 77), EXIT };
	struct bpf_insn loop[] = { BPF_MOV64_IMM(R0, 0), BPF_MAY_GOTO_INSN(2), BPF_ALU64_IMM(BPF_ADD, R0, 1),
				   BPF_JMP_A(-3), EXIT };
	struct bpf_insn spin[] = { BPF_MOV64_IMM(R0, 4999999), BPF_ALU64_IMM(BPF_SUB, R0, 1),
				   BPF_JMP_IMM(BPF_JNE, R0, 0, -2), EXIT };
	struct {
		struct bpf_insn *insns;
		size_t n;
		uint32_t flags;
		uint64_t r0;
	} progs[] = {
		{ stop, ARRAY_SIZE(stop), 0, 42 },
		{ pack, ARRAY_SIZE(pack), 0, 0x0504030201ULL },
		{ stack, ARRAY_SIZE(stack), 0, 0 },
		{ loop, ARRAY_SIZE(loop), BPFVM_PROG_F_TRUSTED, 8388608 },
		{ spin, ARRAY_SIZE(spin), 0, 0 },
	};
	bpfvm_exec *ex = bpfvm_exec_new(env);
	assert_non_null(ex);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
			struct bpfvm_prog_opts po = { .sz = sizeof(po),
						      .flags = progs[i].flags ? progs[i].flags : BPFVM_PROG_F_NO_VERIFY };
			bpfvm_prog *prog = NULL;
			struct bpfvm_error err;
			assert_int_equal(bpfvm_prog_load(env, progs[i].insns, progs[i].n, &po, &prog, &err), 0);
			uint64_t r0 = 0xbad;
			int rc = bpfvm_exec_run(ex, prog, NULL, &r0, &err);
			if (rc || r0 != progs[i].r0)
				fail_msg("round %d program %zu: status %d, r0 0x%llx, expected 0x%llx", round, i, rc,
					 (unsigned long long)r0, (unsigned long long)progs[i].r0);
			bpfvm_prog_free(prog);
		}
	}
	bpfvm_exec_free(ex);
	bpfvm_env_free(env);
}

/* lddw with map pseudo sources: a one-entry array map's value is addressed
 * directly (src 2 by fd, src 6 by index into fd_array); src 1 and 5 load the
 * map itself. Accesses inside the value work on both engines; past its end the
 * checked engine faults. */
static void test_lddw_maps(void **state)
{
	bpfvm_env *env = new_env();
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "vals", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				     .value_size = 16, .max_entries = 1 };
	int fd = bpfvm_map_create(env, &mo);
	assert_true(fd >= 3);
	bpfvm_map *map = bpfvm_map_from_fd(env, fd);
	assert_non_null(map);
	uint32_t key = 0;
	uint64_t value[2] = { 5, 0x1122334455667788ULL };
	assert_int_equal(bpfvm_map_update(map, &key, value, BPF_ANY), 0);
	int fds[1] = { fd };
	/* r1 = &value + 8; r0 = *(u64 *)r1; *(u64 *)(r1 - 8) += r0 low byte (0x88) */
	struct bpf_insn by_fd[] = { BPF_LD_MAP_VALUE(R1, fd, 8), BPF_LDX_MEM(BPF_DW, R0, R1, 0),
				    BPF_LDX_MEM(BPF_B, R2, R1, 0), BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R1, R2, -8), EXIT };
	struct bpf_insn by_idx[] = { BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_IDX_VALUE, 0, 0),
				     BPF_RAW_INSN(0, 0, 0, 0, 8), BPF_LDX_MEM(BPF_DW, R0, R1, 0),
				     BPF_LDX_MEM(BPF_B, R2, R1, 0), BPF_ATOMIC_OP(BPF_DW, BPF_ADD, R1, R2, -8), EXIT };
	struct bpf_insn map_ptr[] = { BPF_LD_MAP_FD(R1, fd), BPF_LD_IMM64_RAW(R2, BPF_PSEUDO_MAP_IDX, 0),
				      BPF_MOV64_IMM(R0, 0), BPF_JMP_REG(BPF_JNE, R1, R2, 2), BPF_JMP_IMM(BPF_JEQ, R1, 0, 1),
				      BPF_MOV64_IMM(R0, 1), EXIT };
	struct bpf_insn past[] = { BPF_LD_MAP_VALUE(R1, fd, 8), BPF_LDX_MEM(BPF_DW, R0, R1, 1), EXIT };
	struct bpf_insn out_of_value[] = { BPF_LD_MAP_VALUE(R1, fd, 16), EXIT };
	struct {
		struct bpf_insn *insns;
		size_t n;
	} progs[] = { { by_fd, ARRAY_SIZE(by_fd) }, { by_idx, ARRAY_SIZE(by_idx) } };
	uint64_t expect0 = 5;
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		for (int trusted = 0; trusted < 2; trusted++) {
			struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = trusted ? BPFVM_PROG_F_TRUSTED : BPFVM_PROG_F_NO_VERIFY,
						      .fd_array = fds, .fd_array_len = 1 };
			bpfvm_prog *prog = NULL;
			struct bpfvm_error err;
			char buf[400];
			int rc = bpfvm_prog_load(env, progs[i].insns, progs[i].n, &po, &prog, &err);
			if (rc)
				fail_msg("program %zu: %s", i, bpfvm_error_format(&err, buf, sizeof(buf)));
			uint64_t r0 = 0;
			struct bpfvm_run_opts ro = { .sz = sizeof(ro), .trace = trusted ? NULL : trace_cb };
			trace_prev_op = -1;
			rc = bpfvm_prog_run(prog, &ro, &r0, &err);
			if (rc)
				fail_msg("program %zu: %s", i, bpfvm_error_format(&err, buf, sizeof(buf)));
			assert_int_equal(r0, 0x1122334455667788ULL);
			expect0 += 0x88;
			assert_int_equal(bpfvm_map_lookup(map, &key, value), 0);
			assert_int_equal(value[0], expect0);
			bpfvm_prog_free(prog);
		}
	}
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = BPFVM_PROG_F_NO_VERIFY, .fd_array = fds, .fd_array_len = 1 };
	bpfvm_prog *prog = NULL;
	struct bpfvm_error err;
	uint64_t r0 = 0;
	assert_int_equal(bpfvm_prog_load(env, map_ptr, ARRAY_SIZE(map_ptr), &po, &prog, &err), 0);
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .trace = trace_cb };
	assert_int_equal(bpfvm_prog_run(prog, &ro, &r0, &err), 0);
	assert_int_equal(r0, 1); /* both non-zero and equal */
	bpfvm_prog_free(prog);
	prog = NULL;
	assert_int_equal(bpfvm_prog_load(env, past, ARRAY_SIZE(past), &po, &prog, &err), 0);
	assert_int_equal(bpfvm_prog_run(prog, NULL, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 2);
	bpfvm_prog_free(prog);
	prog = NULL;
	assert_int_equal(bpfvm_prog_load(env, out_of_value, ARRAY_SIZE(out_of_value), &po, &prog, &err), BPFVM_EDECODE);
	assert_int_equal(err.insn, 0);
	bpfvm_env_free(env);
}

/* ---- coverage of the opcode table ---- */

/* Rows that cannot run outside the kernel: loading them fails with the
 * documented error (src/vm/env.c: maps -> EDECODE "no maps", kernel
 * variables and kernel functions -> EUNSUPP). */
static int expected_load_error(int op)
{
	switch (op) {
	case BPFVM_OP_LDDW_MAP_FD: case BPFVM_OP_LDDW_MAP_VALUE: case BPFVM_OP_LDDW_MAP_IDX:
	case BPFVM_OP_LDDW_MAP_IDX_VALUE:
		return BPFVM_EDECODE;
	case BPFVM_OP_LDDW_BTF_ID: case BPFVM_OP_CALL_KFUNC:
		return BPFVM_EUNSUPP;
	default:
		return 0;
	}
}

static void check_load_error(int op)
{
	const struct isa_row *r = &isa_table[op];
	struct bpf_insn p[4];
	size_t n;
	if (r->shape == S_LDDW) {
		struct bpf_insn l[] = { BPF_MOV64_IMM(R0, 0), BPF_LD_IMM64_RAW(R1, r->disc_value, 3), EXIT };
		memcpy(p, l, sizeof(l));
		n = 4;
	} else {
		struct bpf_insn k[] = { BPF_MOV64_IMM(R0, 0), BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1234),
					EXIT };
		memcpy(p, k, sizeof(k));
		n = 3;
	}
	assert_int_equal(isa_lookup(&p[1]), op);
	bpfvm_env *env = new_env();
	bpfvm_prog *prog = NULL;
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	int rc = bpfvm_prog_load(env, p, n, TU_UNVERIFIED, &prog, &err);
	printf("%-20s load: %d (%s), insn %ld: %s\n", r->name, rc, bpfvm_strerror(rc), err.insn, err.msg);
	assert_int_equal(rc, expected_load_error(op));
	assert_int_equal(err.code, rc);
	assert_int_equal(err.insn, 1);
	assert_true(err.msg[0] != 0);
	assert_null(prog);
	bpfvm_env_free(env);
}

static void test_coverage(void **state)
{
	for (size_t t = 0; t < NTABLES; t++)
		if (!table_done[t])
			run_table(t);
	size_t ncases = 0;
	for (size_t t = 0; t < NTABLES; t++)
		ncases += tables[t].n;
	int missing = 0, rows = 0;
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		if (expected_load_error(op)) {
			check_load_error(op);
			continue;
		}
		rows++;
		if (!listed[op] || !executed[op]) {
			printf("row %s: listed in %lu programs, executed %lu times\n", isa_table[op].name, listed[op],
			       executed[op]);
			missing++;
		}
		if (is_conditional(op) && (!went_taken[op] || !went_through[op])) {
			printf("row %s: taken %s, not taken %s\n", isa_table[op].name, went_taken[op] ? "seen" : "never",
			       went_through[op] ? "seen" : "never");
			missing++;
		}
	}
	printf("coverage: %d of %d runnable rows complete (%d rows in all), %zu table cases\n", rows - missing, rows,
	       (int)BPFVM_OP__COUNT, ncases);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu),
		cmocka_unit_test(test_jmp),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_readonly_packet),
		cmocka_unit_test(test_extra_regions),
		cmocka_unit_test(test_gotol_far),
		cmocka_unit_test(test_trusted_no_budget),
		cmocka_unit_test(test_helper_reregister),
		cmocka_unit_test(test_stack_bounds),
		cmocka_unit_test(test_exec_reuse),
		cmocka_unit_test(test_lddw_maps),
		cmocka_unit_test(test_coverage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
