/* bench_suite.c - the benchmark suite's runner (bench/suite): every program
 * runs on bpfvm's interpreter and JIT (trusted and runtime-checked), on the
 * kernel's JIT through BPF_PROG_TEST_RUN, and as native code (the same C
 * built with clang -O2, called through a function pointer). Prints ns per
 * run, ns per executed BPF instruction and the ratios; medians over
 * samples, geometric means. Not a test: nothing passes or fails on time
 * (a run whose result differs between engines is flagged, though).
 *
 *   bench_suite [--objdir DIR] [--samples N] [--batch-ms MS] [--only a,b]
 *               [--no-kernel] [--cpu N] [--markdown FILE] [--dump-jit DIR]
 *               [--profile ENGINE [--profile-secs S]]
 * --profile runs the selected benchmarks on one engine (interp, interp-chk,
 * jit, jit-chk, kernel, native, native-sc) and measures nothing: for perf.
 *
 * Method. Each engine runs a benchmark in batches: calibrated so that one
 * batch lasts about --batch-ms, timed with the thread's CPU clock (the
 * kernel's TEST_RUN duration for the kernel: its own clock, which also
 * stops while the thread is rescheduled). Samples go round-robin over the
 * engines so that a burst of load on the shared machine hits them alike.
 * "net" times subtract the empty program's time on the same engine with
 * the same frame, measured right after each batch (the median of the paired
 * differences): what is left is the program's own work, without the
 * per-call cost of bpfvm_exec_run (context setup, frame copy), of TEST_RUN's
 * loop, or of the native call. The empty row shows those gross costs.
 * Executed instructions are counted once on the checked interpreter with a
 * trace hook (a helper call counts as one). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfvm/bpfvm.h"
#include "kernel_bpf.h"
#include "suite/inputs.h"
#define SUITE_RUNNER
#include "suite/suite.h"

/* ---------------------------------------------------------------- the suite */

/* The native builds of the suite's programs (clang -O2). */
#define NATIVE(name) extern int name(struct __sk_buff *), name##_scalar(struct __sk_buff *)
NATIVE(sock_count);
NATIVE(hash_heavy);
NATIVE(primes);
NATIVE(fnv1a);
NATIVE(copy32k);
NATIVE(call_chain);
NATIVE(switch64);
NATIVE(empty);
typedef int (*native_fn)(struct __sk_buff *);

/* native_env.c */
extern struct suite_native_map *suite_native_maps;

struct input {
	const char *map; /* an array map of the object; NULL ends the list */
	uint32_t key, len;
	uint64_t seed;
};

struct bench {
	const char *name;   /* object <name>.o, program <name>, native function <name> */
	const char *what;
	native_fn native, native_scalar; /* clang -O2; and without the vectorizers */
	int compute;        /* counts for the interpreter's ns/insn target */
	struct input in[2];
};

static const struct bench benches[] = {
	{ "sock_count", "sock_example: IP protocol byte -> array map, 2 atomic adds",
	  sock_count, sock_count_scalar, 0, { { 0 } } },
	{ "hash_heavy", "1,000 hash map lookups + 1,000 updates",
	  hash_heavy, hash_heavy_scalar, 0, { { 0 } } },
	{ "primes", "count primes < 2,000 by 64-bit trial division",
	  primes, primes_scalar, 1, { { 0 } } },
	{ "fnv1a", "64-bit FNV-1a over 4 KiB (array map value)",
	  fnv1a, fnv1a_scalar, 1, { { "fnv_data", 0, 4096, 1 } } },
	{ "copy32k", "byte copy of 32 KiB between array map values",
	  copy32k, copy32k_scalar, 1, { { "copy_bufs", 0, 32768, 2 } } },
	{ "call_chain", "256 x a chain of 6 bpf-to-bpf calls",
	  call_chain, call_chain_scalar, 1, { { 0 } } },
	{ "switch64", "64-way switch over 256 random selectors",
	  switch64, switch64_scalar, 1, { { "switch_data", 0, 256, 3 } } },
	{ "empty", "empty program (entry cost, subtracted from the rows above)",
	  empty, empty_scalar, 0, { { 0 } } },
};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))
#define EMPTY_IDX (NBENCH - 1)

enum { E_INTERP, E_INTERP_CHK, E_JIT, E_JIT_CHK, E_KERNEL, E_NATIVE, E_NATIVE_SC, NENG };
static const char *const eng_name[NENG] = { "interp", "interp-chk", "jit", "jit-chk", "kernel", "native",
					    "native-sc" };
static const char *const eng_long[NENG] = {
	"bpfvm interpreter, trusted", "bpfvm interpreter, runtime-checked", "bpfvm JIT, trusted",
	"bpfvm JIT, runtime-checked", "kernel JIT via BPF_PROG_TEST_RUN", "native clang -O2 via a function pointer",
	"native clang -O2 -fno-vectorize -fno-slp-vectorize (scalar code, as BPF has no SIMD)",
};

#define MAX_SAMPLES 99

struct state {
	const struct bench *b;
	int selected;
	bpfvm_env *env;
	bpfvm_obj *obj;
	bpfvm_prog *prog;
	bpfvm_exec *ex;
	struct bpf_object *kobj;
	int kfd;
	uint64_t insns;                    /* executed BPF instructions per run */
	int ok[NENG];                      /* the engine ran it */
	char why[NENG][200];               /* else why not */
	uint32_t r0[NENG];
	uint32_t batch[NENG];              /* runs per sample (kernel: TEST_RUN repeat) */
	double samples[NENG][MAX_SAMPLES]; /* gross ns per run */
	double gross[NENG];                /* medians */
	double net[NENG];
	double net_lo[NENG], net_hi[NENG]; /* the smallest and largest paired difference */
};

static struct state st[NBENCH];
static struct state small_empty; /* the empty program with a 60-byte frame */

/* options */
static const char *objdir;
static int nsamples = 11;
static double batch_ms = 10;
static int use_kernel = 1;
static const char *markdown_path;
static const char *dump_dir;
static int pin_cpu = -1;
static int profile_engine = -1; /* --profile: run one engine for profile_secs, measure nothing */
static double profile_secs = 3;

static uint8_t frame[SUITE_FRAME_LEN];
static uint8_t kframe[14 + SUITE_FRAME_LEN]; /* TEST_RUN: a copy of the Ethernet header, then the frame */
static uint8_t small_frame[SUITE_SMALL_FRAME_LEN];
static uint8_t ksmall_frame[14 + SUITE_SMALL_FRAME_LEN];
static char kernel_why[200]; /* why there is no kernel column, or "" */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bench_suite: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double tmp[MAX_SAMPLES];
	memcpy(tmp, v, (size_t)n * sizeof(double));
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* ---------------------------------------------------------------- libbpf's messages */

static char libbpf_log[1 << 16];
static size_t libbpf_log_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || libbpf_log_len >= sizeof(libbpf_log) - 1)
		return 0;
	int n = vsnprintf(libbpf_log + libbpf_log_len, sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
	if (n > 0)
		libbpf_log_len += (size_t)n;
	if (libbpf_log_len > sizeof(libbpf_log) - 1)
		libbpf_log_len = sizeof(libbpf_log) - 1;
	return 0;
}

/* The verifier's reason in libbpf's log: the line before "processed N
 * insns", else the last line that is not libbpf's own. */
static void libbpf_reason(char *out, size_t len)
{
	const char *best = NULL, *prev = NULL;
	size_t best_len = 0, prev_len = 0;
	for (const char *p = libbpf_log; *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l && strncmp(p, "processed ", 10) == 0 && prev) {
			best = prev;
			best_len = prev_len;
			break;
		}
		if (l && strncmp(p, "libbpf:", 7) != 0 && strncmp(p, "--", 2) != 0) {
			prev = p;
			prev_len = l;
		}
		p = e ? e + 1 : p + l;
	}
	if (!best) {
		best = prev;
		best_len = prev_len;
	}
	if (!best) {
		snprintf(out, len, "libbpf could not load the object");
		return;
	}
	snprintf(out, len, "kernel: %.*s", (int)(best_len < 150 ? best_len : 150), best);
}

/* ---------------------------------------------------------------- setup */

static void count_insn(void *cookie, size_t pc, const struct bpf_insn *insn, const uint64_t regs[11])
{
	(void)pc, (void)insn, (void)regs;
	++*(uint64_t *)cookie;
}

static void bind_native_maps(struct state *s)
{
	for (struct suite_native_map *m = suite_native_maps; m; m = m->next) {
		bpfvm_map *vm = bpfvm_obj_map_by_name(s->obj, m->name);
		if (vm)
			m->map = vm;
	}
}

static int bpfvm_run_once(struct state *s, int engine, uint32_t flags, const void *f, size_t flen, uint64_t *r0,
			  bpfvm_trace_fn trace, void *cookie, struct bpfvm_error *err)
{
	struct bpfvm_run_opts o = { .sz = sizeof(o), .engine = engine, .flags = flags, .frame = f,
				    .frame_len = flen, .trace = trace, .trace_cookie = cookie };
	return bpfvm_exec_run(s->ex, s->prog, &o, r0, err);
}

static void setup_bpfvm(struct state *s)
{
	char path[4096], msg[512];
	struct bpfvm_error err;
	snprintf(path, sizeof(path), "%s/%s.o", objdir, s->b->name);
	s->env = bpfvm_env_new();
	if (!s->env)
		die("out of memory");
	/* verified at load (the default), so they run unchecked as in the kernel */
	struct bpfvm_obj_opts oo = { .sz = sizeof(oo), .prog_flags = BPFVM_PROG_F_JIT };
	if (!bpfvm_jit_available())
		oo.prog_flags = 0;
	if (bpfvm_obj_open(s->env, path, &oo, &s->obj, &err))
		die("%s: %s", path, bpfvm_error_format(&err, msg, sizeof(msg)));
	s->prog = bpfvm_obj_prog_by_name(s->obj, s->b->name);
	if (!s->prog)
		die("%s: no program %s", path, s->b->name);
	s->ex = bpfvm_exec_new(s->env);
	if (!s->ex)
		die("out of memory");
	for (const struct input *in = s->b->in; in->map; in++) {
		bpfvm_map *m = bpfvm_obj_map_by_name(s->obj, in->map);
		uint8_t *buf = malloc(in->len);
		if (!m || !buf)
			die("%s: no map %s", path, in->map);
		suite_fill(buf, in->len, in->seed);
		int rc = bpfvm_map_update(m, &in->key, buf, BPF_ANY);
		if (rc)
			die("%s: map %s: %s", path, in->map, strerror(-rc));
		free(buf);
	}
	bind_native_maps(s);

	for (int e = E_INTERP; e <= E_JIT_CHK; e++) {
		s->ok[e] = 1;
		if ((e == E_JIT || e == E_JIT_CHK) && !bpfvm_jit_available()) {
			s->ok[e] = 0;
			snprintf(s->why[e], sizeof(s->why[e]), "no JIT on this host");
		}
	}
	/* warm up (the hash map fills), then count the instructions of one run */
	uint64_t r0;
	for (int i = 0; i < 2; i++)
		if (bpfvm_run_once(s, BPFVM_ENGINE_INTERP, 0, frame, sizeof(frame), &r0, NULL, NULL, &err))
			die("%s: %s", s->b->name, bpfvm_error_format(&err, msg, sizeof(msg)));
	s->insns = 0;
	if (bpfvm_run_once(s, BPFVM_ENGINE_INTERP, BPFVM_RUN_CHECKED, frame, sizeof(frame), &r0, count_insn,
			   &s->insns, &err))
		die("%s: %s", s->b->name, bpfvm_error_format(&err, msg, sizeof(msg)));
}

static void setup_kernel(struct state *s)
{
	char path[4096];
	s->ok[E_KERNEL] = 0;
	if (!use_kernel) {
		snprintf(s->why[E_KERNEL], sizeof(s->why[E_KERNEL]), "--no-kernel");
		return;
	}
	if (kernel_why[0]) {
		snprintf(s->why[E_KERNEL], sizeof(s->why[E_KERNEL]), "%s", kernel_why);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.o", objdir, s->b->name);
	libbpf_log_len = 0;
	libbpf_log[0] = 0;
	s->kobj = bpf_object__open_file(path, NULL);
	if (!s->kobj) {
		libbpf_reason(s->why[E_KERNEL], sizeof(s->why[E_KERNEL]));
		return;
	}
	if (bpf_object__load(s->kobj)) {
		libbpf_reason(s->why[E_KERNEL], sizeof(s->why[E_KERNEL]));
		bpf_object__close(s->kobj);
		s->kobj = NULL;
		return;
	}
	struct bpf_program *p = bpf_object__find_program_by_name(s->kobj, s->b->name);
	s->kfd = p ? bpf_program__fd(p) : -1;
	if (s->kfd < 0) {
		snprintf(s->why[E_KERNEL], sizeof(s->why[E_KERNEL]), "kernel: no program %s", s->b->name);
		return;
	}
	for (const struct input *in = s->b->in; in->map; in++) {
		struct bpf_map *m = bpf_object__find_map_by_name(s->kobj, in->map);
		uint8_t *buf = malloc(in->len);
		if (!m || !buf)
			die("%s: no map %s in the kernel's object", path, in->map);
		suite_fill(buf, in->len, in->seed);
		if (bpf_map_update_elem(bpf_map__fd(m), &in->key, buf, BPF_ANY))
			die("%s: kernel map %s: %s", path, in->map, strerror(errno));
		free(buf);
	}
	s->ok[E_KERNEL] = 1;
}

/* ---------------------------------------------------------------- batches */

/* Runs k times on engine e; returns ns per run (gross) and stores the last r0.
 * *wall gets the batch's own duration in ns (for calibration). */
static double run_batch(struct state *s, int e, uint32_t k, double *wall, const void *f, size_t flen,
			const void *kf, size_t kflen)
{
	if (e == E_KERNEL) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = kf, .data_size_in = (uint32_t)kflen, .repeat = k);
		double t0 = cpu_ns();
		int rc = bpf_prog_test_run_opts(s->kfd, &t);
		*wall = cpu_ns() - t0;
		if (rc) {
			s->ok[e] = 0;
			snprintf(s->why[e], sizeof(s->why[e]), "TEST_RUN: %s", strerror(errno));
			return 0;
		}
		s->r0[e] = t.retval;
		return t.duration;
	}
	if (e == E_NATIVE || e == E_NATIVE_SC) {
		struct __sk_buff skb;
		memset(&skb, 0, sizeof(skb));
		skb.len = (uint32_t)flen;
		suite_native_pkt = f;
		suite_native_pkt_len = flen;
		native_fn volatile fn = e == E_NATIVE ? s->b->native : s->b->native_scalar;
		int r = 0;
		double t0 = cpu_ns();
		for (uint32_t i = 0; i < k; i++)
			r = fn(&skb);
		double t1 = cpu_ns();
		s->r0[e] = (uint32_t)r;
		*wall = t1 - t0;
		return (t1 - t0) / k;
	}
	int engine = e == E_JIT || e == E_JIT_CHK ? BPFVM_ENGINE_JIT : BPFVM_ENGINE_INTERP;
	uint32_t flags = e == E_INTERP_CHK || e == E_JIT_CHK ? BPFVM_RUN_CHECKED : 0;
	struct bpfvm_run_opts o = { .sz = sizeof(o), .engine = engine, .flags = flags, .frame = f, .frame_len = flen };
	struct bpfvm_error err;
	uint64_t r0 = 0;
	int bad = 0;
	double t0 = cpu_ns();
	for (uint32_t i = 0; i < k; i++)
		bad |= bpfvm_exec_run(s->ex, s->prog, &o, &r0, &err);
	double t1 = cpu_ns();
	if (bad) {
		char msg[400];
		s->ok[e] = 0;
		snprintf(s->why[e], sizeof(s->why[e]), "run failed: %s", bpfvm_error_format(&err, msg, sizeof(msg)));
		return 0;
	}
	s->r0[e] = (uint32_t)r0;
	*wall = t1 - t0;
	return (t1 - t0) / k;
}

static void calibrate(struct state *s, int e, const void *f, size_t flen, const void *kf, size_t kflen)
{
	double target = batch_ms * 1e6, wall = 0;
	uint32_t k = 1;
	for (;;) {
		run_batch(s, e, k, &wall, f, flen, kf, kflen);
		if (!s->ok[e])
			return;
		if (wall >= target * 0.5 || k >= (1u << 30))
			break;
		double grow = wall > 0 ? target / wall : 100;
		if (grow > 100)
			grow = 100;
		if (grow < 2)
			grow = 2;
		k = (uint32_t)(k * grow);
	}
	if (wall > 0 && wall < target)
		k = (uint32_t)((double)k * target / wall);
	s->batch[e] = k ? k : 1;
}

/* Measures s on every engine: nsamples rounds, each engine in turn. With
 * base (the empty program, already calibrated), every batch of s is
 * followed by a batch of base on the same engine, and the net time is the
 * median of the paired differences: drift in the machine's load between
 * rounds then cancels out instead of landing in the subtraction. */
static void measure(struct state *s, struct state *base, const void *f, size_t flen, const void *kf, size_t kflen)
{
	double diff[NENG][MAX_SAMPLES];
	for (int e = 0; e < NENG; e++) {
		if (base && s->ok[e] && !base->ok[e]) {
			s->ok[e] = 0;
			snprintf(s->why[e], sizeof(s->why[e]), "the empty program did not run there: %.150s", base->why[e]);
		}
		if (s->ok[e])
			calibrate(s, e, f, flen, kf, kflen);
	}
	for (int i = 0; i < nsamples; i++)
		for (int e = 0; e < NENG; e++) {
			if (!s->ok[e])
				continue;
			double wall;
			s->samples[e][i] = run_batch(s, e, s->batch[e], &wall, f, flen, kf, kflen);
			if (base)
				diff[e][i] = s->samples[e][i] - run_batch(base, e, base->batch[e], &wall, f, flen, kf, kflen);
		}
	for (int e = 0; e < NENG; e++)
		if (s->ok[e]) {
			s->gross[e] = median(s->samples[e], nsamples);
			s->net[e] = base ? median(diff[e], nsamples) : 0;
			s->net_lo[e] = s->net_hi[e] = s->net[e];
			for (int i = 0; base && i < nsamples; i++) {
				if (diff[e][i] < s->net_lo[e])
					s->net_lo[e] = diff[e][i];
				if (diff[e][i] > s->net_hi[e])
					s->net_hi[e] = diff[e][i];
			}
		}
}

/* --profile: the selected benchmarks on one engine, profile_secs each,
 * for a profiler attached from outside (perf record). */
static void profile(struct state *s)
{
	int e = profile_engine;
	if (!s->ok[e]) {
		fprintf(stderr, "%s: %s: n/a (%s)\n", s->b->name, eng_name[e], s->why[e]);
		return;
	}
	double wall = 0, spent = 0;
	uint32_t k = 1;
	while (spent < profile_secs * 1e9 && s->ok[e]) {
		run_batch(s, e, k, &wall, frame, sizeof(frame), kframe, sizeof(kframe));
		spent += wall;
		if (wall < 1e7 && k < (1u << 30))
			k *= 2;
	}
	fprintf(stderr, "%s: %s: ran %.1f s\n", s->b->name, eng_name[e], spent / 1e9);
}

/* ---------------------------------------------------------------- report */

static double ratio_or_nan(double a, double b)
{
	return a > 0 && b > 0 ? a / b : NAN;
}

static double geomean(const double *v, size_t n)
{
	double sum = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] > 0 && isfinite(v[i])) {
			sum += log(v[i]);
			k++;
		}
	return k ? exp(sum / (double)k) : NAN;
}

static void fmt_num(char *buf, size_t len, double v, int prec)
{
	if (!isfinite(v))
		snprintf(buf, len, "n/a");
	else if (v >= 1e6)
		snprintf(buf, len, "%.0f", v);
	else if (v >= 100)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f", prec, v);
}

struct out {
	FILE *f;
	int md;
};

/* One table row: a name column, then cells. */
static void row(struct out *o, const char *name, int ncells, char cells[][24])
{
	if (o->md) {
		fprintf(o->f, "| %s |", name);
		for (int i = 0; i < ncells; i++)
			fprintf(o->f, " %s |", cells[i]);
		fprintf(o->f, "\n");
	} else {
		fprintf(o->f, "%-12s", name);
		for (int i = 0; i < ncells; i++)
			fprintf(o->f, " %11s", cells[i]);
		fprintf(o->f, "\n");
	}
}

static void header(struct out *o, const char *first, int ncells, const char *const *names)
{
	char cells[16][24];
	for (int i = 0; i < ncells; i++)
		snprintf(cells[i], sizeof(cells[i]), "%s", names[i]);
	row(o, first, ncells, cells);
	if (o->md) {
		fprintf(o->f, "|---|");
		for (int i = 0; i < ncells; i++)
			fprintf(o->f, "---:|");
		fprintf(o->f, "\n");
	}
}

static void machine(char *buf, size_t len)
{
	char model[200] = "unknown CPU";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "model name", 10) == 0) {
				char *p = strchr(line, ':');
				if (p) {
					p += 1 + strspn(p + 1, " \t");
					p[strcspn(p, "\n")] = 0;
					snprintf(model, sizeof(model), "%s", p);
				}
				break;
			}
		fclose(f);
	}
	struct utsname u;
	uname(&u);
	snprintf(buf, len, "%s, %ld CPUs, Linux %s", model, sysconf(_SC_NPROCESSORS_ONLN), u.release);
}

static void loadavg(char *buf, size_t len)
{
	buf[0] = 0;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		double a, b, c;
		if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
			snprintf(buf, len, "%.2f %.2f %.2f", a, b, c);
		fclose(f);
	}
}

static void report(struct out *o, const char *load_before, const char *load_after)
{
	char mach[400], date[64];
	time_t now = time(NULL);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M %Z", localtime(&now));
	machine(mach, sizeof(mach));
	const char *p = o->md ? "" : "# ";
	fprintf(o->f, "%sbpfvm benchmark suite, %s\n", o->md ? "Measured " : p, date);
	fprintf(o->f, "%s%smachine: %s; load average %s before, %s after\n", o->md ? "\n" : "", p, mach, load_before,
		load_after);
	fprintf(o->f, "%s%sframe: %d-byte TCP/IPv4; medians of %d samples of ~%.0f ms each (thread CPU time; kernel: "
		"TEST_RUN duration)\n", o->md ? "\n" : "", p, SUITE_FRAME_LEN, nsamples, batch_ms);
	fprintf(o->f, "%s%snet = median over the samples of (batch - a batch of the empty program right after it, "
		"same engine); the empty rows are gross\n", o->md ? "\n" : "", p);
	fprintf(o->f, "%s%scolumns:", o->md ? "\n" : "", p);
	for (int e = 0; e < NENG; e++)
		fprintf(o->f, "%s %s = %s", e ? ";" : "", eng_name[e], eng_long[e]);
	fprintf(o->f, "\n");
	if (kernel_why[0])
		fprintf(o->f, "%s%skernel: n/a (%s)\n", o->md ? "\n" : "", p, kernel_why);
	fprintf(o->f, "\n");

	const char *cols[NENG + 1];
	char cells[16][24];

	/* ns per run */
	fprintf(o->f, "%sns per run (net)%s\n\n", o->md ? "**" : p, o->md ? "**" : "");
	cols[0] = "insns/run";
	for (int e = 0; e < NENG; e++)
		cols[e + 1] = eng_name[e];
	header(o, "benchmark", NENG + 1, cols);
	for (size_t i = 0; i < NBENCH; i++) {
		struct state *s = &st[i];
		if (!s->selected)
			continue;
		snprintf(cells[0], 24, "%llu", (unsigned long long)s->insns);
		for (int e = 0; e < NENG; e++) {
			double v = i == EMPTY_IDX ? s->gross[e] : s->net[e];
			if (s->ok[e])
				fmt_num(cells[e + 1], 24, v, 1);
			else
				snprintf(cells[e + 1], 24, "n/a");
			if (s->ok[e] && s->r0[e] != s->r0[E_INTERP])
				strncat(cells[e + 1], " (!)", 23 - strlen(cells[e + 1]));
		}
		row(o, s->b->name, NENG + 1, cells);
	}
	if (small_empty.selected) {
		snprintf(cells[0], 24, "%llu", (unsigned long long)small_empty.insns);
		for (int e = 0; e < NENG; e++) {
			if (small_empty.ok[e])
				fmt_num(cells[e + 1], 24, small_empty.gross[e], 1);
			else
				snprintf(cells[e + 1], 24, "n/a");
		}
		row(o, "empty (60 B)", NENG + 1, cells);
	}
	fprintf(o->f, "\n");

	/* spread: how far the samples were from each other */
	fprintf(o->f, "%sspread of the net samples: max / min%s\n\n", o->md ? "**" : p, o->md ? "**" : "");
	header(o, "benchmark", NENG, eng_name);
	for (size_t i = 0; i < NBENCH; i++) {
		struct state *s = &st[i];
		if (!s->selected || i == EMPTY_IDX)
			continue;
		for (int e = 0; e < NENG; e++)
			fmt_num(cells[e], 24, s->ok[e] ? ratio_or_nan(s->net_hi[e], s->net_lo[e]) : NAN, 2);
		row(o, s->b->name, NENG, cells);
	}
	fprintf(o->f, "\n");

	/* ns per instruction */
	fprintf(o->f, "%sns per executed BPF instruction (net)%s\n\n", o->md ? "**" : p, o->md ? "**" : "");
	header(o, "benchmark", NENG, eng_name);
	double per[NENG][NBENCH];
	size_t nper = 0;
	for (size_t i = 0; i < NBENCH; i++) {
		struct state *s = &st[i];
		if (!s->selected || i == EMPTY_IDX)
			continue;
		for (int e = 0; e < NENG; e++) {
			double v = s->ok[e] && s->insns ? s->net[e] / (double)s->insns : NAN;
			per[e][nper] = v;
			fmt_num(cells[e], 24, v, 3);
		}
		nper++;
		row(o, s->b->name, NENG, cells);
	}
	for (int e = 0; e < NENG; e++)
		fmt_num(cells[e], 24, geomean(per[e], nper), 3);
	row(o, "geomean", NENG, cells);
	fprintf(o->f, "\n");

	/* ratios */
	static const char *const rcols[] = { "jit/native", "jit/native-sc", "jit-chk/native", "jit/kernel",
					     "jit-chk/kernel", "kernel/native", "interp/jit" };
	enum { NR = 7 };
	fprintf(o->f, "%sratios of net ns per run (lower is better for the first)%s\n\n", o->md ? "**" : p,
		o->md ? "**" : "");
	header(o, "benchmark", NR, rcols);
	double rv[NR][NBENCH];
	size_t nr = 0;
	for (size_t i = 0; i < NBENCH; i++) {
		struct state *s = &st[i];
		if (!s->selected || i == EMPTY_IDX)
			continue;
		double n_jit = s->ok[E_JIT] ? s->net[E_JIT] : NAN, n_jitc = s->ok[E_JIT_CHK] ? s->net[E_JIT_CHK] : NAN;
		double n_k = s->ok[E_KERNEL] ? s->net[E_KERNEL] : NAN, n_n = s->ok[E_NATIVE] ? s->net[E_NATIVE] : NAN;
		double n_ns = s->ok[E_NATIVE_SC] ? s->net[E_NATIVE_SC] : NAN;
		double n_i = s->ok[E_INTERP] ? s->net[E_INTERP] : NAN;
		rv[0][nr] = ratio_or_nan(n_jit, n_n);
		rv[1][nr] = ratio_or_nan(n_jit, n_ns);
		rv[2][nr] = ratio_or_nan(n_jitc, n_n);
		rv[3][nr] = ratio_or_nan(n_jit, n_k);
		rv[4][nr] = ratio_or_nan(n_jitc, n_k);
		rv[5][nr] = ratio_or_nan(n_k, n_n);
		rv[6][nr] = ratio_or_nan(n_i, n_jit);
		for (int c = 0; c < NR; c++)
			fmt_num(cells[c], 24, rv[c][nr], 2);
		nr++;
		row(o, s->b->name, NR, cells);
	}
	for (int c = 0; c < NR; c++)
		fmt_num(cells[c], 24, geomean(rv[c], nr), 2);
	row(o, "geomean", NR, cells);
	fprintf(o->f, "\n");

	/* targets (reported, never asserted) */
	double ci[NBENCH], ci_max = 0;
	size_t nci = 0;
	int slower = 0;
	char slower_names[200] = "";
	for (size_t i = 0; i < NBENCH; i++) {
		struct state *s = &st[i];
		if (!s->selected || i == EMPTY_IDX)
			continue;
		if (s->b->compute && s->ok[E_INTERP] && s->insns) {
			ci[nci] = s->net[E_INTERP] / (double)s->insns;
			if (ci[nci] > ci_max)
				ci_max = ci[nci];
			nci++;
		}
		if (s->ok[E_JIT] && s->ok[E_KERNEL] && s->net[E_JIT] > 1.05 * s->net[E_KERNEL]) {
			slower++;
			size_t l = strlen(slower_names);
			snprintf(slower_names + l, sizeof(slower_names) - l, "%s%s %.2fx", l ? ", " : " (",
				 s->b->name, s->net[E_JIT] / s->net[E_KERNEL]);
		}
	}
	fprintf(o->f, "%stargets (not asserted):\n", o->md ? "" : p);
	fprintf(o->f, "%s- interpreter <= 1 ns/insn on compute programs: geomean %.3f, worst %.3f ns/insn\n",
		o->md ? "" : p, geomean(ci, nci), ci_max);
	if (slower_names[0])
		strncat(slower_names, ")", sizeof(slower_names) - strlen(slower_names) - 1);
	fprintf(o->f, "%s- JIT no slower than the kernel's JIT: more than 5%% slower on %d of %zu benchmarks%s\n",
		o->md ? "" : p, slower, nr, slower_names);
	fprintf(o->f, "%s- JIT within 1.2x of native by geometric mean: %.2fx (%.2fx of scalar native code)\n",
		o->md ? "" : p, geomean(rv[0], nr), geomean(rv[1], nr));

	int bad = 0;
	for (size_t i = 0; i < NBENCH; i++)
		for (int e = 0; e < NENG; e++)
			if (st[i].selected && st[i].ok[e] && st[i].r0[e] != st[i].r0[E_INTERP])
				bad++;
	if (bad) {
		fprintf(o->f, "\n%sresults that differ from the interpreter's (marked (!)):\n", o->md ? "" : p);
		for (size_t i = 0; i < NBENCH; i++)
			for (int e = 0; e < NENG; e++)
				if (st[i].selected && st[i].ok[e] && st[i].r0[e] != st[i].r0[E_INTERP])
					fprintf(o->f, "%s- %s on %s: r0 %u, interpreter %u\n", o->md ? "" : p, st[i].b->name,
						eng_name[e], st[i].r0[e], st[i].r0[E_INTERP]);
	}
	int na = 0;
	for (size_t i = 0; i < NBENCH; i++)
		for (int e = 0; e < NENG; e++)
			if (st[i].selected && !st[i].ok[e] && !(e == E_KERNEL && kernel_why[0]))
				na++;
	if (na) {
		fprintf(o->f, "\n%snot measured:\n", o->md ? "" : p);
		for (size_t i = 0; i < NBENCH; i++)
			for (int e = 0; e < NENG; e++)
				if (st[i].selected && !st[i].ok[e] && !(e == E_KERNEL && kernel_why[0]))
					fprintf(o->f, "%s- %s on %s: %s\n", o->md ? "" : p, st[i].b->name, eng_name[e],
						st[i].why[e]);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_suite [--objdir DIR] [--samples N] [--batch-ms MS] [--only a,b] [--no-kernel]\n"
			"                   [--cpu N] [--markdown FILE] [--dump-jit DIR] [--list]\n"
			"                   [--profile ENGINE [--profile-secs S]]   (for perf: run, measure nothing)\n");
	exit(2);
}

static void dump_jit(const struct state *s)
{
	for (int checked = 0; checked < 2; checked++) {
		size_t len;
		const uint8_t *code = bpfvm_prog_jit_image(s->prog, checked, &len, NULL);
		if (!code)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.%s.bin", dump_dir, s->b->name, checked ? "jit-chk" : "jit");
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(code, 1, len, f) != len)
			die("%s: %s", path, strerror(errno));
		fclose(f);
	}
	if (!s->ok[E_KERNEL])
		return;
	/* the kernel's image, as bpftool's "prog dump jited" gets it */
	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(s->kfd, &info, &ilen) || !info.jited_prog_len)
		return;
	uint32_t len = info.jited_prog_len;
	uint8_t *code = calloc(1, len);
	if (!code)
		die("out of memory");
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = len;
	info.jited_prog_insns = (uint64_t)(uintptr_t)code;
	ilen = sizeof(info);
	if (bpf_obj_get_info_by_fd(s->kfd, &info, &ilen) == 0) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.kernel.bin", dump_dir, s->b->name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(code, 1, len, f) != len)
			die("%s: %s", path, strerror(errno));
		fclose(f);
	}
	free(code);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--objdir") && v)
			objdir = v, i++;
		else if (!strcmp(a, "--samples") && v)
			nsamples = atoi(v), i++;
		else if (!strcmp(a, "--batch-ms") && v)
			batch_ms = atof(v), i++;
		else if (!strcmp(a, "--only") && v)
			only = v, i++;
		else if (!strcmp(a, "--no-kernel"))
			use_kernel = 0;
		else if (!strcmp(a, "--cpu") && v)
			pin_cpu = atoi(v), i++;
		else if (!strcmp(a, "--markdown") && v)
			markdown_path = v, i++;
		else if (!strcmp(a, "--dump-jit") && v)
			dump_dir = v, i++;
		else if (!strcmp(a, "--profile") && v) {
			for (int e = 0; e < NENG; e++)
				if (!strcmp(v, eng_name[e]))
					profile_engine = e;
			if (profile_engine < 0)
				usage();
			i++;
		} else if (!strcmp(a, "--profile-secs") && v)
			profile_secs = atof(v), i++;
		else if (!strcmp(a, "--list")) {
			for (size_t b = 0; b < NBENCH; b++)
				printf("%-11s %s\n", benches[b].name, benches[b].what);
			for (int e = 0; e < NENG; e++)
				printf("column %-10s %s\n", eng_name[e], eng_long[e]);
			return 0;
		} else
			usage();
	}
	if (nsamples < 1 || nsamples > MAX_SAMPLES || batch_ms <= 0)
		usage();
	static char defdir[4096];
	if (!objdir) { /* <dir of the executable>/suite */
		ssize_t n = readlink("/proc/self/exe", defdir, sizeof(defdir) - 16);
		if (n <= 0)
			die("cannot find the objects: use --objdir");
		defdir[n] = 0;
		char *slash = strrchr(defdir, '/');
		strcpy(slash ? slash + 1 : defdir, "suite");
		objdir = defdir;
	}
	if (pin_cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(pin_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cpu %d: %s", pin_cpu, strerror(errno));
	}
	libbpf_set_print(libbpf_print);
	if (use_kernel && !kbpf_available(kernel_why, sizeof(kernel_why)) && !kernel_why[0])
		snprintf(kernel_why, sizeof(kernel_why), "bpf(2) is not available");
	if (!use_kernel)
		snprintf(kernel_why, sizeof(kernel_why), "--no-kernel");

	suite_build_frame(frame, sizeof(frame));
	memcpy(kframe, frame, 14);
	memcpy(kframe + 14, frame, sizeof(frame));
	suite_build_frame(small_frame, sizeof(small_frame));
	memcpy(ksmall_frame, small_frame, 14);
	memcpy(ksmall_frame + 14, small_frame, sizeof(small_frame));

	char load_before[64], load_after[64];
	loadavg(load_before, sizeof(load_before));
	for (size_t i = 0; i < NBENCH; i++) {
		struct state *s = &st[i];
		s->b = &benches[i];
		if (only && i != EMPTY_IDX) { /* the empty program always runs: it is subtracted */
			const char *p = strstr(only, s->b->name);
			size_t l = strlen(s->b->name);
			s->selected = p && (p == only || p[-1] == ',') && (p[l] == 0 || p[l] == ',');
		} else
			s->selected = 1;
		if (!s->selected)
			continue;
		setup_bpfvm(s);
		setup_kernel(s);
		s->ok[E_NATIVE] = s->ok[E_NATIVE_SC] = 1;
		if (dump_dir)
			dump_jit(s);
		fprintf(stderr, "%s: %llu instructions per run\n", s->b->name, (unsigned long long)s->insns);
		if (profile_engine >= 0 && (i != EMPTY_IDX || (only && strstr(only, "empty"))))
			profile(s);
	}
	if (profile_engine >= 0)
		return 0;
	/* the empty program first (its gross times, and the calibration its
	 * paired runs use), then the others, each paired with it */
	measure(&st[EMPTY_IDX], NULL, frame, sizeof(frame), kframe, sizeof(kframe));
	for (size_t i = 0; i < NBENCH; i++)
		if (st[i].selected && i != EMPTY_IDX) {
			fprintf(stderr, "measuring %s ...\n", st[i].b->name);
			measure(&st[i], &st[EMPTY_IDX], frame, sizeof(frame), kframe, sizeof(kframe));
		}
	/* the empty program again with the smallest frame: bpfvm's entry cost without the frame copy */
	small_empty = st[EMPTY_IDX];
	measure(&small_empty, NULL, small_frame, sizeof(small_frame), ksmall_frame, sizeof(ksmall_frame));
	loadavg(load_after, sizeof(load_after));

	struct out o = { stdout, 0 };
	report(&o, load_before, load_after);
	if (markdown_path) {
		FILE *f = fopen(markdown_path, "w");
		if (!f)
			die("%s: %s", markdown_path, strerror(errno));
		struct out m = { f, 1 };
		report(&m, load_before, load_after);
		fclose(f);
	}

	for (size_t i = 0; i < NBENCH; i++) {
		struct state *s = &st[i];
		if (s->kobj)
			bpf_object__close(s->kobj);
		if (s->obj)
			bpfvm_obj_close(s->obj);
		bpfvm_exec_free(s->ex);
		bpfvm_env_free(s->env);
	}
	return 0;
}
