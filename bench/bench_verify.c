/* bench_verify.c - verification time: bpfvm's verifier (bpfvm_verify) next to
 * the Linux kernel's, on the same programs. Not a test: it reports numbers
 * and lists verdicts that differ, and never fails on them.
 *
 *   bench_verify [--suite-dir DIR] [--examples-dir DIR] [--runs N] [--only a,b]
 *                [--small] [--no-kernel] [--markdown FILE]
 *                [--profile NAME [--profile-secs S]] [--logs NAME]
 *
 * Programs: every program of the suite's BPF objects (bench/suite/NAME.c built
 * with clang -target bpf), of the examples' objects (examples/bpf/NAME.o), the
 * sock_example bytecode (examples/sock_example.c), and generated ones: long
 * straight-line code, bounded loops (single, nested, with branches inside),
 * chains of if/else diamonds (pruned, and ones pruning cannot collapse).
 * --small caps the generated sizes (for the sanitizer build).
 *
 * bpfvm: bpfvm_verify with log_level 0, wall time (CLOCK_MONOTONIC), the
 * median of --runs calls (fewer when one call takes more than 0.3 s), and
 * the result's insns_processed, total_states, peak_states.
 * Kernel: BPF_PROG_LOAD with log_level 4 (BPF_LOG_STATS), the same number of
 * loads; the log's "verification time N usec" (median), "processed N insns",
 * "total_states", "peak_states". Bytecode is loaded with bpf(2) directly,
 * the ELF objects with libbpf (bpf_object__load, each program with its own
 * log buffer). Without bpf(2) or privileges the kernel columns say why.
 *
 * --profile NAME verifies one program with bpfvm for S seconds and measures
 * nothing (for perf record); --logs NAME prints both verifiers' level-2
 * logs of one program (to find where their walks part). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfvm/bpfvm.h"
#include "kernel_bpf.h"

#ifndef BENCH_VERIFY_SUITE_DIR
#define BENCH_VERIFY_SUITE_DIR "suite"
#endif
#ifndef BENCH_VERIFY_EXAMPLES_DIR
#define BENCH_VERIFY_EXAMPLES_DIR "../examples/bpf"
#endif

#define MAX_RUNS 31
#define KLOG_SIZE (16 << 20)

static const char *const suite_names[] = { "sock_count", "hash_heavy", "primes", "fnv1a",
					   "copy32k",    "call_chain", "switch64", "empty" };
static const char *const example_names[] = { "core_ctx", "globals_subprog", "ringbuf",
					     "sock_example", "tail_call", "xdp_count" };

/* kernel verdicts */
enum { K_NONE, K_ACCEPT, K_REJECT };

struct kstats {
	long processed, total, peak, usec; /* -1: not in the log */
};

struct vprog {
	char name[96];
	struct bpf_insn *insns; /* what bpfvm verifies (owned for bytecode, borrowed for objects) */
	size_t n;
	int owned;
	uint32_t type;
	bpfvm_env *env;    /* borrowed */
	int *fd_array;     /* bpfvm's map fds (borrowed) */
	size_t nfd;
	/* kernel side: bytecode (kinsns, map fds patched) or a program of an ELF object */
	struct bpf_insn *kinsns;
	int kelf;          /* index into elfs[], or -1 */
	char elf_prog[64];
	/* bpfvm results */
	int vrc;
	char vwhy[200];
	struct bpfvm_verify_result vr;
	double vus[MAX_RUNS];
	int nv;
	double v_med;
	/* kernel results */
	int kverdict;
	char kwhy[200];
	struct kstats ks;
	double kus[MAX_RUNS];
	int nk;
	double k_med;
};

struct elf {
	char path[4096];
	bpfvm_obj *obj;
	bpfvm_env *env;
	int *fds;
	size_t nfds;
};

static struct vprog *progs;
static size_t nprogs, cap_progs;
static struct elf elfs[32];
static size_t nelfs;

static const char *suite_dir = BENCH_VERIFY_SUITE_DIR;
static const char *examples_dir = BENCH_VERIFY_EXAMPLES_DIR;
static int nruns = 5;
static const char *only;
static int small;
static int use_kernel = 1;
static const char *markdown_path;
static const char *profile_name;
static double profile_secs = 5;
static const char *logs_name;
static char kernel_why[200];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bench_verify: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double tmp[MAX_RUNS];
	if (n <= 0)
		return -1;
	memcpy(tmp, v, (size_t)n * sizeof(double));
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static void loadavg(char *out, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	out[0] = 0;
	if (f) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
	if (!out[0])
		snprintf(out, len, "unknown");
}

static int selected(const char *name)
{
	if (!only)
		return 1;
	const char *p = only;
	while (*p) {
		size_t l = strcspn(p, ",");
		if (l && memmem(name, strlen(name), p, l))
			return 1;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

static struct vprog *new_prog(const char *name)
{
	if (nprogs == cap_progs) {
		cap_progs = cap_progs ? cap_progs * 2 : 64;
		progs = realloc(progs, cap_progs * sizeof(*progs));
		if (!progs)
			die("out of memory");
	}
	struct vprog *p = &progs[nprogs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->kelf = -1;
	return p;
}

/* ---------------------------------------------------------------- generated programs */

struct gen {
	struct bpf_insn *v;
	size_t n, cap;
};

static void emit(struct gen *g, struct bpf_insn insn)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
		if (!g->v)
			die("out of memory");
	}
	g->v[g->n++] = insn;
}

static void add_generated(const char *name, struct gen *g)
{
	if (!selected(name)) {
		free(g->v);
		return;
	}
	struct vprog *p = new_prog(name);
	p->insns = g->v;
	p->n = g->n;
	p->owned = 1;
	p->type = BPF_PROG_TYPE_SOCKET_FILTER;
	p->kinsns = g->v;
}

/* n slots of straight-line code: mov, add, store to the stack, load from
 * it; alu_only: mov, add, xor, shift (no stack traffic). */
static void gen_straight(const char *name, size_t n, int alu_only)
{
	struct gen g = { 0 };
	emit(&g, BPF_MOV64_IMM(BPF_REG_2, 0));
	emit(&g, BPF_MOV64_IMM(BPF_REG_3, 0));
	for (size_t i = 0; g.n + 2 < n; i++) {
		int16_t off = (int16_t)(-8 * (int)(i / 4 % 64 + 1));
		if (alu_only) {
			switch (i % 4) {
			case 0: emit(&g, BPF_MOV64_IMM(BPF_REG_1, (int32_t)(i & 0xffff))); break;
			case 1: emit(&g, BPF_ALU64_REG(BPF_ADD, BPF_REG_2, BPF_REG_1)); break;
			case 2: emit(&g, BPF_ALU64_REG(BPF_XOR, BPF_REG_3, BPF_REG_2)); break;
			default: emit(&g, BPF_ALU64_IMM(BPF_RSH, BPF_REG_3, 1)); break;
			}
			continue;
		}
		switch (i % 4) {
		case 0: emit(&g, BPF_MOV64_IMM(BPF_REG_1, (int32_t)(i & 0xffff))); break;
		case 1: emit(&g, BPF_ALU64_REG(BPF_ADD, BPF_REG_2, BPF_REG_1)); break;
		case 2: emit(&g, BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_2, off)); break;
		default: emit(&g, BPF_LDX_MEM(BPF_DW, BPF_REG_3, BPF_REG_10, off)); break;
		}
	}
	emit(&g, BPF_MOV64_IMM(BPF_REG_0, 0));
	emit(&g, BPF_EXIT_INSN());
	add_generated(name, &g);
}

/* for (i = 0; i < iters; i++) r0 += i (three instructions per iteration). */
static void gen_loop(const char *name, int iters)
{
	struct gen g = { 0 };
	emit(&g, BPF_MOV64_IMM(BPF_REG_0, 0));
	emit(&g, BPF_MOV64_IMM(BPF_REG_1, 0));
	emit(&g, BPF_ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_1));
	emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, 1));
	emit(&g, BPF_JMP_IMM(BPF_JLT, BPF_REG_1, iters, -3));
	emit(&g, BPF_EXIT_INSN());
	add_generated(name, &g);
}

/* Loops nested depth deep (2 or 3), each of iters[k] iterations; the
 * innermost adds its counter to r0. Counters r1, r2, r3. */
static void gen_nested(const char *name, int depth, const int *iters)
{
	struct gen g = { 0 };
	emit(&g, BPF_MOV64_IMM(BPF_REG_0, 0));
	size_t head[3];
	for (int d = 0; d < depth; d++) {
		emit(&g, BPF_MOV64_IMM(BPF_REG_1 + d, 0));
		head[d] = g.n;
	}
	emit(&g, BPF_ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_1 + depth - 1));
	for (int d = depth - 1; d >= 0; d--) {
		emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_1 + d, 1));
		/* back to the instruction after this level's counter reset */
		emit(&g, BPF_JMP_IMM(BPF_JLT, BPF_REG_1 + d, iters[d], (int16_t)((long)head[d] - (long)g.n - 1)));
	}
	emit(&g, BPF_EXIT_INSN());
	add_generated(name, &g);
}

/* A loop of iters iterations whose body branches on an unknown bit of
 * skb->len: one arm adds 1 to r7, the other 2. r7 is compared with a
 * constant after the loop (a branch the verifier decides, so r7 becomes
 * precise). States multiply: the kernel's state eviction heuristics keep
 * too few of them for pruning to stay polynomial (20 iterations process
 * about 93,000 instructions, 24 already exceed the 1,000,000 limit). */
static void gen_loop_branchy(const char *name, int iters)
{
	struct gen g = { 0 };
	emit(&g, BPF_LDX_MEM(BPF_W, BPF_REG_6, BPF_REG_1, 0)); /* skb->len */
	emit(&g, BPF_MOV64_IMM(BPF_REG_7, 0));
	emit(&g, BPF_MOV64_IMM(BPF_REG_1, 0));
	emit(&g, BPF_MOV64_REG(BPF_REG_2, BPF_REG_6)); /* loop head */
	emit(&g, BPF_ALU64_IMM(BPF_AND, BPF_REG_2, 1));
	emit(&g, BPF_JMP_IMM(BPF_JEQ, BPF_REG_2, 0, 2));
	emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_7, 1));
	emit(&g, BPF_JMP_A(1));
	emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_7, 2));
	emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, 1));
	emit(&g, BPF_JMP_IMM(BPF_JLT, BPF_REG_1, iters, -8));
	emit(&g, BPF_JMP_IMM(BPF_JGT, BPF_REG_7, 0x7fffffff, 2));
	emit(&g, BPF_MOV64_REG(BPF_REG_0, BPF_REG_7));
	emit(&g, BPF_EXIT_INSN());
	emit(&g, BPF_MOV64_IMM(BPF_REG_0, 1));
	emit(&g, BPF_EXIT_INSN());
	add_generated(name, &g);
}

/* for (i = 0; i < skb->len && i < iters; i++) r0 += i: every iteration
 * also leaves the loop on the unknown bound. */
static void gen_loop_unknown(const char *name, int iters)
{
	struct gen g = { 0 };
	emit(&g, BPF_LDX_MEM(BPF_W, BPF_REG_6, BPF_REG_1, 0));
	emit(&g, BPF_MOV64_IMM(BPF_REG_0, 0));
	emit(&g, BPF_MOV64_IMM(BPF_REG_1, 0));
	emit(&g, BPF_JMP_REG(BPF_JGE, BPF_REG_1, BPF_REG_6, 3)); /* loop head */
	emit(&g, BPF_ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_1));
	emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, 1));
	emit(&g, BPF_JMP_IMM(BPF_JLT, BPF_REG_1, iters, -4));
	emit(&g, BPF_EXIT_INSN());
	add_generated(name, &g);
}

/* k if/else diamonds on bits of skb->len. mode 0: the arms set r3 to 1 or
 * 2 and r3 is never used (pruning joins the arms: linear); mode 1: the arms
 * add 1 or 2 to r7, which is precise at the end (k^2 / 2 states); mode 2:
 * r7 = r7 * 2 + bit (every path distinct: 2^k paths, beyond the
 * verifiers' limit of 1,000,000 processed instructions). */
static void gen_diamonds(const char *name, int k, int mode)
{
	struct gen g = { 0 };
	emit(&g, BPF_LDX_MEM(BPF_W, BPF_REG_6, BPF_REG_1, 0));
	emit(&g, BPF_MOV64_IMM(BPF_REG_7, 0));
	for (int i = 0; i < k; i++) {
		emit(&g, BPF_MOV64_REG(BPF_REG_2, BPF_REG_6));
		emit(&g, BPF_ALU64_IMM(BPF_AND, BPF_REG_2, (int32_t)(1u << (i % 31))));
		if (mode == 2)
			emit(&g, BPF_ALU64_IMM(BPF_LSH, BPF_REG_7, 1));
		emit(&g, BPF_JMP_IMM(BPF_JEQ, BPF_REG_2, 0, 2));
		if (mode == 0)
			emit(&g, BPF_MOV64_IMM(BPF_REG_3, 1));
		else
			emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_7, 1));
		emit(&g, BPF_JMP_A(1));
		if (mode == 0)
			emit(&g, BPF_MOV64_IMM(BPF_REG_3, 2));
		else if (mode == 1)
			emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_7, 2));
		else
			emit(&g, BPF_ALU64_IMM(BPF_ADD, BPF_REG_7, 0));
	}
	emit(&g, BPF_JMP_IMM(BPF_JEQ, BPF_REG_7, -1, 2)); /* decided: makes r7 precise */
	emit(&g, BPF_MOV64_IMM(BPF_REG_0, 0));
	emit(&g, BPF_EXIT_INSN());
	emit(&g, BPF_MOV64_IMM(BPF_REG_0, 1));
	emit(&g, BPF_EXIT_INSN());
	add_generated(name, &g);
}

static void add_generated_set(void)
{
	static const int n2[2] = { 100, 100 }, n3[3] = { 30, 30, 30 };
	static const int s2[2] = { 20, 20 }, s3[3] = { 8, 8, 8 };
	gen_straight("gen/straight_1k", 1000, 0);
	gen_straight("gen/straight_10k", 10000, 0);
	if (!small) {
		gen_straight("gen/straight_100k", 100000, 0);
		gen_straight("gen/straight_1m", 1000000, 0);
		gen_straight("gen/straight_alu_1m", 1000000, 1);
	}
	gen_loop("gen/loop_100", 100);
	gen_loop("gen/loop_1000", 1000);
	if (!small)
		gen_loop("gen/loop_10000", 10000);
	gen_nested(small ? "gen/nested_20x20" : "gen/nested_100x100", 2, small ? s2 : n2);
	gen_nested(small ? "gen/nested_8x8x8" : "gen/nested_30x30x30", 3, small ? s3 : n3);
	gen_loop_unknown("gen/loop_unknown_1000", 1000);
	gen_loop_branchy("gen/loop_branchy_10", 10);
	gen_loop_branchy("gen/loop_branchy_20", 20);
	if (!small)
		gen_loop_branchy("gen/loop_branchy_23", 23);
	gen_diamonds("gen/diamond_1k", 1000, 0);
	if (!small) {
		gen_diamonds("gen/diamond_4k", 4000, 0);
		gen_diamonds("gen/diamond_10k", 10000, 0);
	}
	gen_diamonds("gen/diamond_precise_200", 200, 1);
	gen_diamonds(small ? "gen/diamond_exp_16" : "gen/diamond_exp_40", small ? 16 : 40, 2);
}

/* ---------------------------------------------------------------- sock_example bytecode */

static int kernel_map_create(uint32_t type, uint32_t ksz, uint32_t vsz, uint32_t entries)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = ksz;
	attr.value_size = vsz;
	attr.max_entries = entries;
	return (int)kbpf_sys(BPF_MAP_CREATE, &attr, sizeof(attr));
}

static bpfvm_env *bytecode_env;

static void add_sock_example(void)
{
	const char *name = "sock_example.c (bytecode)";
	if (!selected(name))
		return;
	bytecode_env = bpfvm_env_new();
	if (!bytecode_env)
		die("out of memory");
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "my_map", .type = BPF_MAP_TYPE_ARRAY,
				     .key_size = 4, .value_size = 8, .max_entries = 256 };
	int fd = bpfvm_map_create(bytecode_env, &mo);
	if (fd < 0)
		die("bpfvm_map_create: %s", bpfvm_strerror(fd));
	/* examples/sock_example.c's program (the kernel's samples/bpf/sock_example) */
	const struct bpf_insn prog[] = {
		BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
		BPF_LD_ABS(BPF_B, 14 + 9 /* ETH_HLEN + offsetof(struct iphdr, protocol) */),
		BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4),
		BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
		BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -4),
		BPF_LD_MAP_FD(BPF_REG_1, fd),
		BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		BPF_MOV64_IMM(BPF_REG_1, 1),
		BPF_RAW_INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD),
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN(),
	};
	struct vprog *p = new_prog(name);
	p->n = sizeof(prog) / sizeof(prog[0]);
	p->insns = malloc(sizeof(prog));
	p->kinsns = malloc(sizeof(prog));
	if (!p->insns || !p->kinsns)
		die("out of memory");
	memcpy(p->insns, prog, sizeof(prog));
	memcpy(p->kinsns, prog, sizeof(prog));
	p->owned = 1;
	p->type = BPF_PROG_TYPE_SOCKET_FILTER;
	p->env = bytecode_env;
	p->kinsns[5].imm = -1; /* the kernel map's fd, patched in when the kernel can be used */
	if (!kernel_why[0]) {
		int kfd = kernel_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 256);
		if (kfd < 0)
			snprintf(p->kwhy, sizeof(p->kwhy), "BPF_MAP_CREATE: %s", strerror(-kfd));
		else
			p->kinsns[5].imm = kfd;
	}
}

/* ---------------------------------------------------------------- ELF objects */

static void add_object(const char *dir, const char *base, const char *group)
{
	char path[4096], msg[512], name[96];
	struct bpfvm_error err;
	snprintf(path, sizeof(path), "%s/%s.o", dir, base);
	if (access(path, R_OK)) {
		fprintf(stderr, "bench_verify: %s: %s (skipped)\n", path, strerror(errno));
		return;
	}
	if (nelfs == sizeof(elfs) / sizeof(elfs[0]))
		die("too many objects");
	struct elf *e = &elfs[nelfs];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->env = bpfvm_env_new();
	if (!e->env)
		die("out of memory");
	/* KEEP_GOING: maps are created and the final instructions kept even
	 * if loading a program fails (a load that verifies and rejects) */
	struct bpfvm_obj_opts oo = { .sz = sizeof(oo), .flags = BPFVM_OBJ_F_KEEP_GOING };
	if (bpfvm_obj_open(e->env, path, &oo, &e->obj, &err))
		die("%s: %s", path, bpfvm_error_format(&err, msg, sizeof(msg)));
	e->nfds = bpfvm_obj_map_count(e->obj);
	e->fds = calloc(e->nfds ? e->nfds : 1, sizeof(int));
	if (!e->fds)
		die("out of memory");
	for (size_t i = 0; i < e->nfds; i++)
		e->fds[i] = bpfvm_obj_map(e->obj, i)->fd;
	int any = 0;
	for (size_t i = 0; i < bpfvm_obj_prog_count(e->obj); i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(e->obj, i);
		snprintf(name, sizeof(name), "%s/%s:%s", group, base, pi->name);
		if (!selected(name))
			continue;
		struct vprog *p = new_prog(name);
		p->insns = (struct bpf_insn *)pi->insns;
		p->n = pi->ninsns;
		p->type = pi->type;
		p->env = e->env;
		p->fd_array = e->fds;
		p->nfd = e->nfds;
		p->kelf = (int)nelfs;
		snprintf(p->elf_prog, sizeof(p->elf_prog), "%s", pi->name);
		if (!p->insns) {
			p->vrc = BPFVM_EFORMAT;
			snprintf(p->vwhy, sizeof(p->vwhy), "not linked: %.150s", pi->load_msg);
		}
		any = 1;
	}
	if (!any) {
		bpfvm_obj_close(e->obj);
		bpfvm_env_free(e->env);
		free(e->fds);
		return;
	}
	nelfs++;
}

/* ---------------------------------------------------------------- bpfvm side */

static int bpfvm_once(struct vprog *p, struct bpfvm_verify_result *res, struct bpfvm_error *err, double *us)
{
	struct bpfvm_verify_opts o = { .sz = sizeof(o), .prog_type = p->type, .fd_array = p->fd_array,
				       .fd_array_len = p->nfd, .log_level = 0 };
	memset(res, 0, sizeof(*res));
	res->sz = sizeof(*res);
	double t0 = now_us();
	int rc = bpfvm_verify(p->env, p->insns, p->n, &o, res, NULL, 0, err);
	*us = now_us() - t0;
	return rc;
}

static void measure_bpfvm(struct vprog *p)
{
	struct bpfvm_error err;
	char msg[400];
	if (!p->insns)
		return;
	if (!p->env) {
		p->env = bpfvm_env_new(); /* generated programs use no maps */
		if (!p->env)
			die("out of memory");
	}
	double spent = 0;
	for (p->nv = 0; p->nv < nruns; p->nv++) {
		int rc = bpfvm_once(p, &p->vr, &err, &p->vus[p->nv]);
		if (p->nv == 0) {
			p->vrc = rc;
			if (rc)
				snprintf(p->vwhy, sizeof(p->vwhy), "%s", bpfvm_error_format(&err, msg, sizeof(msg)));
		} else if (rc != p->vrc) {
			snprintf(p->vwhy, sizeof(p->vwhy), "verdict changed between runs (%d, then %d)", p->vrc, rc);
		}
		spent += p->vus[p->nv];
		if (rc == BPFVM_EUNSUPP || rc == BPFVM_EINVAL || rc == BPFVM_ENOMEM) {
			p->nv++;
			break;
		}
		if (spent > 3e5 && p->nv >= 2) { /* a slow one: three runs are enough */
			p->nv++;
			break;
		}
	}
	p->v_med = median(p->vus, p->nv);
}

/* ---------------------------------------------------------------- kernel side */

static long log_number(const char *log, const char *key)
{
	const char *s = strstr(log, key);
	if (!s)
		return -1;
	s += strlen(key);
	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	return strtol(s, NULL, 10);
}

static void parse_klog(const char *log, struct kstats *ks)
{
	ks->processed = log_number(log, "processed ");
	ks->total = log_number(log, "total_states ");
	ks->peak = log_number(log, "peak_states ");
	ks->usec = log_number(log, "verification time ");
}

/* The reason in a rejecting kernel's log: the last non-empty line before
 * the statistics ("verification time", "processed N insns"). */
static void klog_reason(const char *log, char *out, size_t len)
{
	const char *best = NULL;
	size_t best_len = 0;
	for (const char *p = log; *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (!strncmp(p, "verification time", 17) || !strncmp(p, "processed ", 10))
			break;
		if (l && strncmp(p, "stack depth", 11) && strncmp(p, "libbpf:", 7)) {
			best = p;
			best_len = l;
		}
		p = e ? e + 1 : p + l;
	}
	if (best)
		snprintf(out, len, "%.*s", (int)(best_len < 160 ? best_len : 160), best);
	else
		snprintf(out, len, "(no reason in the log)");
}

static char klog[KLOG_SIZE];

static int kernel_raw_once(struct vprog *p, double *us, int level)
{
	static const char license[] = "GPL";
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = p->type;
	attr.insns = (uint64_t)(uintptr_t)p->kinsns;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t)license;
	attr.log_level = (uint32_t)level; /* 4: BPF_LOG_STATS */
	attr.log_buf = (uint64_t)(uintptr_t)klog;
	attr.log_size = sizeof(klog);
	klog[0] = 0;
	long rc;
	int tries = 0;
	double t0 = now_us();
	do
		rc = kbpf_sys(BPF_PROG_LOAD, &attr, sizeof(attr));
	while (rc == -EAGAIN && ++tries < 5);
	*us = now_us() - t0;
	if (rc >= 0)
		close((int)rc);
	return (int)rc;
}

static void measure_kernel_raw(struct vprog *p)
{
	double wall;
	for (p->nk = 0; p->nk < nruns; p->nk++) {
		int rc = kernel_raw_once(p, &wall, 4);
		struct kstats ks;
		parse_klog(klog, &ks);
		if (p->nk == 0) {
			p->kverdict = rc >= 0 ? K_ACCEPT : K_REJECT;
			p->ks = ks;
			if (rc < 0) {
				char r[180];
				klog_reason(klog, r, sizeof(r));
				snprintf(p->kwhy, sizeof(p->kwhy), "%s (%s)", r, strerror(-rc));
			}
		}
		if (ks.usec < 0) {
			if (p->nk == 0 && rc >= 0)
				snprintf(p->kwhy, sizeof(p->kwhy), "no \"verification time\" in the log");
			break;
		}
		p->kus[p->nk] = (double)ks.usec;
		if (wall * (p->nk + 1) > 1e6 && p->nk >= 2) { /* three loads of a slow one */
			p->nk++;
			break;
		}
	}
	p->k_med = median(p->kus, p->nk);
}

static char libbpf_msgs[8192];
static size_t libbpf_msgs_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || libbpf_msgs_len >= sizeof(libbpf_msgs) - 1)
		return 0;
	int n = vsnprintf(libbpf_msgs + libbpf_msgs_len, sizeof(libbpf_msgs) - libbpf_msgs_len, fmt, ap);
	if (n > 0)
		libbpf_msgs_len += (size_t)n;
	if (libbpf_msgs_len > sizeof(libbpf_msgs) - 1)
		libbpf_msgs_len = sizeof(libbpf_msgs) - 1;
	return 0;
}

/* One libbpf load of object e with every program's log at level 4; for
 * each selected program of e, records the verdict (first run) and the
 * time. single >= 0: load only that program of progs[]. Returns 0 when the
 * object loaded. */
static int kernel_elf_once(size_t ei, long single, int first, int level)
{
	struct elf *e = &elfs[ei];
	libbpf_msgs_len = 0;
	libbpf_msgs[0] = 0;
	struct bpf_object *o = bpf_object__open_file(e->path, NULL);
	if (!o) {
		for (size_t i = 0; i < nprogs; i++)
			if (progs[i].kelf == (int)ei && first)
				snprintf(progs[i].kwhy, sizeof(progs[i].kwhy), "libbpf cannot open the object");
		return -1;
	}
	char *bufs[64] = { 0 };
	size_t ids[64];
	size_t nb = 0;
	struct bpf_program *bp;
	bpf_object__for_each_program(bp, o)
	{
		long idx = -1;
		for (size_t i = 0; i < nprogs; i++)
			if (progs[i].kelf == (int)ei && !strcmp(progs[i].elf_prog, bpf_program__name(bp)))
				idx = (long)i;
		if (single >= 0 && idx != single) {
			bpf_program__set_autoload(bp, false);
			continue;
		}
		if (idx < 0 || nb == 64)
			continue;
		size_t size = level == 4 ? 256 * 1024 : KLOG_SIZE;
		bufs[nb] = malloc(size);
		if (!bufs[nb])
			die("out of memory");
		bufs[nb][0] = 0;
		bpf_program__set_log_buf(bp, bufs[nb], size);
		bpf_program__set_log_level(bp, (uint32_t)level);
		ids[nb++] = (size_t)idx;
	}
	int rc = bpf_object__load(o);
	for (size_t b = 0; b < nb; b++) {
		struct vprog *p = &progs[ids[b]];
		struct bpf_program *q = bpf_object__find_program_by_name(o, p->elf_prog);
		int accepted = rc == 0 && q && bpf_program__fd(q) >= 0;
		struct kstats ks;
		parse_klog(bufs[b], &ks);
		if (first) {
			p->ks = ks;
			p->kverdict = accepted ? K_ACCEPT : K_REJECT;
			if (!accepted) {
				if (ks.usec >= 0 || bufs[b][0])
					klog_reason(bufs[b], p->kwhy, sizeof(p->kwhy));
				else /* never reached the verifier: libbpf's own reason */
					snprintf(p->kwhy, sizeof(p->kwhy), "libbpf: %.160s", libbpf_msgs);
				p->kwhy[strcspn(p->kwhy, "\n")] = 0;
			}
		}
		if (ks.usec >= 0 && p->nk < MAX_RUNS)
			p->kus[p->nk++] = (double)ks.usec;
		if (level != 4)
			printf("---- kernel log (libbpf, level %d) of %s:\n%s\n", level, p->name, bufs[b]);
		free(bufs[b]);
	}
	bpf_object__close(o);
	return rc;
}

static void measure_kernel_elf(size_t ei)
{
	if (kernel_elf_once(ei, -1, 1, 4) == 0) {
		for (int r = 1; r < nruns; r++)
			kernel_elf_once(ei, -1, 0, 4);
	} else {
		/* one program failed and libbpf gave up on the object: each alone */
		for (size_t i = 0; i < nprogs; i++) {
			if (progs[i].kelf != (int)ei)
				continue;
			progs[i].nk = 0;
			kernel_elf_once(ei, (long)i, 1, 4);
			for (int r = 1; r < nruns; r++)
				kernel_elf_once(ei, (long)i, 0, 4);
		}
	}
	for (size_t i = 0; i < nprogs; i++)
		if (progs[i].kelf == (int)ei)
			progs[i].k_med = median(progs[i].kus, progs[i].nk);
}

/* ---------------------------------------------------------------- report */

static const char *vverdict(const struct vprog *p)
{
	if (!p->insns)
		return "not linked";
	if (p->vrc == 0)
		return "accept";
	if (p->vrc == BPFVM_EVERIFY)
		return "reject";
	if (p->vrc == BPFVM_EUNSUPP)
		return "unsupported";
	return "error";
}

static const char *kverdict(const struct vprog *p)
{
	return p->kverdict == K_ACCEPT ? "accept" : p->kverdict == K_REJECT ? "reject" : "n/a";
}

static void fmt_num(char *out, size_t len, long v)
{
	if (v < 0)
		snprintf(out, len, "–");
	else
		snprintf(out, len, "%ld", v);
}

static void fmt_us(char *out, size_t len, double us)
{
	if (us < 0)
		snprintf(out, len, "–");
	else if (us < 100)
		snprintf(out, len, "%.1f", us);
	else
		snprintf(out, len, "%.0f", us);
}

static void report(FILE *f, const char *load0, const char *load1)
{
	fprintf(f, "| program | slots | bpfvm | kernel | processed bpfvm / kernel | total_states bpfvm / kernel "
		   "| peak_states bpfvm / kernel | bpfvm µs | kernel µs | bpfvm / kernel |\n");
	fprintf(f, "|---|--:|---|---|--:|--:|--:|--:|--:|--:|\n");
	for (size_t i = 0; i < nprogs; i++) {
		const struct vprog *p = &progs[i];
		char kp[32], kt[32], kk[32], vu[32], ku[32], ratio[32];
		int have_v = p->insns && p->nv > 0 && p->vrc != BPFVM_EUNSUPP;
		fmt_num(kp, sizeof(kp), p->kverdict ? p->ks.processed : -1);
		fmt_num(kt, sizeof(kt), p->kverdict ? p->ks.total : -1);
		fmt_num(kk, sizeof(kk), p->kverdict ? p->ks.peak : -1);
		fmt_us(vu, sizeof(vu), have_v ? p->v_med : -1);
		fmt_us(ku, sizeof(ku), p->nk > 0 ? p->k_med : -1);
		if (have_v && p->nk > 0 && p->k_med > 0)
			snprintf(ratio, sizeof(ratio), "%.2f", p->v_med / p->k_med);
		else
			snprintf(ratio, sizeof(ratio), "–");
		if (have_v)
			fprintf(f, "| %s | %zu | %s | %s | %llu / %s | %u / %s | %u / %s | %s | %s | %s |\n", p->name, p->n,
				vverdict(p), kverdict(p), (unsigned long long)p->vr.insns_processed, kp,
				p->vr.total_states, kt, p->vr.peak_states, kk, vu, ku, ratio);
		else
			fprintf(f, "| %s | %zu | %s | %s | – / %s | – / %s | – / %s | %s | %s | %s |\n", p->name, p->n,
				vverdict(p), kverdict(p), kp, kt, kk, vu, ku, ratio);
	}
	fprintf(f, "\nKernel µs: the median of the log's \"verification time\" (BPF_LOG_STATS) over the loads; "
		   "bpfvm µs: the median wall time of bpfvm_verify (log_level 0). Load average before: %s; "
		   "after: %s.\n",
		load0, load1);
	if (kernel_why[0])
		fprintf(f, "\nKernel columns skipped: %s\n", kernel_why);

	int header = 0;
	for (size_t i = 0; i < nprogs; i++) {
		const struct vprog *p = &progs[i];
		int reject_v = p->vrc != 0, reject_k = p->kverdict == K_REJECT;
		int differ = p->kverdict != K_NONE && p->insns && p->vrc != BPFVM_EUNSUPP && reject_v != reject_k;
		if (!reject_v && !reject_k && !p->kwhy[0] && !p->vwhy[0])
			continue;
		if (!header) {
			fprintf(f, "\nRejections, differences and notes:\n\n");
			header = 1;
		}
		fprintf(f, "- %s%s: bpfvm %s%s%s; kernel %s%s%s\n", differ ? "**DIFFERENT VERDICT** " : "", p->name,
			vverdict(p), p->vwhy[0] ? ": " : "", p->vwhy, kverdict(p), p->kwhy[0] ? ": " : "", p->kwhy);
	}
}

/* ---------------------------------------------------------------- main */

static int usage(void)
{
	fprintf(stderr, "usage: bench_verify [--suite-dir DIR] [--examples-dir DIR] [--runs N] [--only a,b] [--small]\n"
			"                    [--no-kernel] [--markdown FILE] [--profile NAME [--profile-secs S]] [--logs NAME]\n");
	return 2;
}

static int profile(void)
{
	for (size_t i = 0; i < nprogs; i++) {
		struct vprog *p = &progs[i];
		if (strcmp(p->name, profile_name) || !p->insns)
			continue;
		if (!p->env && !(p->env = bpfvm_env_new()))
			die("out of memory");
		struct bpfvm_verify_result res;
		struct bpfvm_error err;
		double us, spent = 0;
		long k = 0;
		while (spent < profile_secs * 1e6) {
			bpfvm_once(p, &res, &err, &us);
			spent += us;
			k++;
		}
		fprintf(stderr, "%s: %ld verifications in %.1f s (%.0f µs each)\n", p->name, k, spent / 1e6,
			spent / (double)k);
		return 0;
	}
	fprintf(stderr, "bench_verify: --profile: no program %s\n", profile_name);
	return 1;
}

/* --logs NAME: both verifiers' logs at level 2 (every step) for one
 * program, to find where they part. */
static int dump_logs(void)
{
	static char vlog[64 << 20];
	for (size_t i = 0; i < nprogs; i++) {
		struct vprog *p = &progs[i];
		if (strcmp(p->name, logs_name) || !p->insns)
			continue;
		if (!p->env && !(p->env = bpfvm_env_new()))
			die("out of memory");
		struct bpfvm_verify_opts o = { .sz = sizeof(o), .prog_type = p->type, .fd_array = p->fd_array,
					       .fd_array_len = p->nfd, .log_level = 2 };
		struct bpfvm_verify_result res = { .sz = sizeof(res) };
		struct bpfvm_error err;
		int rc = bpfvm_verify(p->env, p->insns, p->n, &o, &res, vlog, sizeof(vlog), &err);
		printf("---- bpfvm log (level 2, rc %d) of %s:\n%s\n", rc, p->name, vlog);
		if (kernel_why[0]) {
			printf("---- no kernel log: %s\n", kernel_why);
		} else if (p->kelf >= 0) {
			kernel_elf_once((size_t)p->kelf, (long)i, 1, 2 | 4);
		} else {
			double us;
			rc = kernel_raw_once(p, &us, 2 | 4);
			printf("---- kernel log (level 6, rc %d) of %s:\n%s\n", rc, p->name, klog);
		}
		return 0;
	}
	fprintf(stderr, "bench_verify: --logs: no program %s\n", logs_name);
	return 1;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--suite-dir") && v)
			suite_dir = argv[++i];
		else if (!strcmp(a, "--examples-dir") && v)
			examples_dir = argv[++i];
		else if (!strcmp(a, "--runs") && v) {
			nruns = atoi(argv[++i]);
			if (nruns < 1 || nruns > MAX_RUNS)
				die("--runs: 1 to %d", MAX_RUNS);
		} else if (!strcmp(a, "--only") && v)
			only = argv[++i];
		else if (!strcmp(a, "--small"))
			small = 1;
		else if (!strcmp(a, "--no-kernel"))
			use_kernel = 0;
		else if (!strcmp(a, "--markdown") && v)
			markdown_path = argv[++i];
		else if (!strcmp(a, "--profile") && v)
			profile_name = argv[++i];
		else if (!strcmp(a, "--logs") && v)
			logs_name = argv[++i];
		else if (!strcmp(a, "--profile-secs") && v)
			profile_secs = atof(argv[++i]);
		else
			return usage();
	}
	char load0[128], load1[128];
	loadavg(load0, sizeof(load0));
	printf("load average before: %s\n", load0);

	if (!use_kernel)
		snprintf(kernel_why, sizeof(kernel_why), "--no-kernel");
	else if (!profile_name && !kbpf_available(kernel_why, sizeof(kernel_why)) && !kernel_why[0])
		snprintf(kernel_why, sizeof(kernel_why), "bpf(2) is not available");
	if (profile_name && !kernel_why[0])
		snprintf(kernel_why, sizeof(kernel_why), "--profile");
	if (kernel_why[0] && !profile_name)
		printf("kernel columns skipped: %s\n", kernel_why);
	libbpf_set_print(libbpf_print);

	for (size_t i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++)
		add_object(suite_dir, suite_names[i], "suite");
	for (size_t i = 0; i < sizeof(example_names) / sizeof(example_names[0]); i++)
		add_object(examples_dir, example_names[i], "examples");
	add_sock_example();
	add_generated_set();
	if (profile_name)
		return profile();
	if (logs_name)
		return dump_logs();

	for (size_t i = 0; i < nprogs; i++) {
		fprintf(stderr, "bpfvm:  %s ...\n", progs[i].name);
		measure_bpfvm(&progs[i]);
	}
	if (!kernel_why[0]) {
		for (size_t e = 0; e < nelfs; e++) {
			fprintf(stderr, "kernel: %s ...\n", elfs[e].path);
			measure_kernel_elf(e);
		}
		for (size_t i = 0; i < nprogs; i++) {
			if (progs[i].kelf >= 0 || progs[i].kwhy[0])
				continue;
			fprintf(stderr, "kernel: %s ...\n", progs[i].name);
			measure_kernel_raw(&progs[i]);
		}
	}

	loadavg(load1, sizeof(load1));
	printf("load average after: %s\n\n", load1);
	report(stdout, load0, load1);
	if (markdown_path) {
		FILE *f = fopen(markdown_path, "w");
		if (!f)
			die("%s: %s", markdown_path, strerror(errno));
		report(f, load0, load1);
		fclose(f);
	}

	for (size_t i = 0; i < nprogs; i++) {
		if (progs[i].owned) {
			if (progs[i].kinsns != progs[i].insns)
				free(progs[i].kinsns);
			free(progs[i].insns);
		}
		if (progs[i].env && progs[i].kelf < 0 && progs[i].env != bytecode_env)
			bpfvm_env_free(progs[i].env);
	}
	for (size_t e = 0; e < nelfs; e++) {
		bpfvm_obj_close(elfs[e].obj);
		bpfvm_env_free(elfs[e].env);
		free(elfs[e].fds);
	}
	if (bytecode_env)
		bpfvm_env_free(bytecode_env);
	free(progs);
	return 0;
}
