/* test_kernel_verifier.c - bpfvm's verifier against the kernel's (the
 * referee: BPF_PROG_LOAD as root, the privileged verifier).
 *
 * 1. The corpus (tests/verifier/accepted and rejected): every program the
 *    kernel can load (not raw programs, not callx, not the files marked
 *    "# kernel: skip") goes to both verifiers; the verdicts are counted. C
 *    programs are compiled with clang and loaded by libbpf and by bpfvm's
 *    ELF loader; so are the C programs of examples/bpf and tests/data/bpf
 *    (real compiler output) whose program types bpfvm runs.
 * 2. Random programs from verifier_gen.h (socket filters and XDP: stack,
 *    context, map and packet accesses near their edges, loops, calls):
 *    BPFVM_KVERIFY_COUNT=N programs per program type (default 1000),
 *    BPFVM_KVERIFY_BASE=B another series, BPFVM_KVERIFY_SEED=S the one
 *    program a report names, BPFVM_KVERIFY_VERBOSE=1 (2) prints every
 *    disagreement (with bpfvm's log).
 *
 * Any program bpfvm accepts that the kernel rejects for being unsafe fails
 * the test (a rejection for the kernel's own limits or internal errors is
 * reported, not counted as unsafe). bpfvm rejecting what the kernel accepts
 * is a disagreement; the agreement over all programs must be at least 95%.
 * Skips (exit 77) without root or a working bpf(2). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "kernel_bpf.h"
#include "testutil.h"
#include "verifier_gen.h"

static bpfvm_env *the_env;

struct tally {
	int both_accept, both_reject, kernel_only, bpfvm_only, bpfvm_only_limit;
};

static void tally_print(const char *what, const struct tally *t)
{
	int total = t->both_accept + t->both_reject + t->kernel_only + t->bpfvm_only + t->bpfvm_only_limit;
	int agree = t->both_accept + t->both_reject;
	printf("%s: %d programs, agreement %.2f%% (both accept %d, both reject %d, only the kernel accepts %d, "
	       "only bpfvm accepts %d (+%d the kernel refused for its own limits))\n",
	       what, total, total ? 100.0 * agree / total : 100.0, t->both_accept, t->both_reject, t->kernel_only,
	       t->bpfvm_only, t->bpfvm_only_limit);
	fflush(stdout);
}

/* ---- the kernel side ---- */

/* Static FUNC entries for every subprogram, which the kernel wants for
 * programs that take callback addresses. -1 when not needed. */
static int load_btf(const struct bpf_insn *in, size_t n, struct bpf_func_info *fi, uint32_t *nfi)
{
	char *isf = calloc(n + 1, 1);
	int starts[256], ns = 0, needed = 0;
	if (!isf)
		return -1;
	isf[0] = 1;
	for (size_t i = 0; i < n; i++) {
		long t = (long)i + 1 + in[i].imm;
		if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == BPF_PSEUDO_CALL && t >= 0 && (size_t)t < n)
			isf[t] = 1;
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) && in[i].src_reg == BPF_PSEUDO_FUNC && t >= 0 &&
		    (size_t)t < n) {
			isf[t] = 1;
			needed = 1;
		}
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	for (size_t i = 0; i < n && ns < 256; i++)
		if (isf[i])
			starts[ns++] = (int)i;
	free(isf);
	if (!needed)
		return -1;
	static char buf[16384];
	memset(buf, 0, sizeof(buf));
	struct btf_header *h = (struct btf_header *)buf;
	h->magic = BTF_MAGIC;
	h->version = BTF_VERSION;
	h->hdr_len = sizeof(*h);
	char *t = buf + sizeof(*h);
	char strs[4096];
	int sl = 0;
	strs[sl++] = 0;
	int int_name = sl;
	memcpy(strs + sl, "int", 4);
	sl += 4;
	struct btf_type bt = { .name_off = (uint32_t)int_name, .info = BTF_KIND_INT << 24, .size = 4 };
	memcpy(t, &bt, sizeof(bt));
	t += sizeof(bt);
	uint32_t enc = (BTF_INT_SIGNED << 24) | 32;
	memcpy(t, &enc, 4);
	t += 4;
	bt = (struct btf_type){ .name_off = 0, .info = BTF_KIND_FUNC_PROTO << 24, .type = 1 };
	memcpy(t, &bt, sizeof(bt));
	t += sizeof(bt);
	for (int i = 0; i < ns; i++) {
		int no = sl;
		sl += snprintf(strs + sl, sizeof(strs) - (size_t)sl, "f%d", i) + 1;
		bt = (struct btf_type){ .name_off = (uint32_t)no, .info = BTF_KIND_FUNC << 24, .type = 2 };
		memcpy(t, &bt, sizeof(bt));
		t += sizeof(bt);
		fi[i].insn_off = (uint32_t)starts[i];
		fi[i].type_id = (uint32_t)(3 + i);
	}
	h->type_len = (uint32_t)(t - (buf + sizeof(*h)));
	h->str_off = h->type_len;
	h->str_len = (uint32_t)sl;
	memcpy(t, strs, (size_t)sl);
	t += sl;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.btf = (uint64_t)(uintptr_t)buf;
	a.btf_size = (uint32_t)(t - buf);
	long fd = kbpf_sys(BPF_BTF_LOAD, &a, sizeof(a));
	if (fd < 0)
		return -1;
	*nfi = (uint32_t)ns;
	return (int)fd;
}

static char klog[1 << 20];

/* Loads into the kernel: 1 accepted, 0 rejected (with_log: klog has the
 * log; without, the load is much faster). */
static int kernel_verdict(uint32_t type, const struct bpf_insn *in, size_t n, const int *fds, size_t nfds, int with_log)
{
	static struct bpf_func_info fi[256];
	uint32_t nfi = 0;
	int btf = load_btf(in, n, fi, &nfi);
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)in;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	if (with_log) {
		a.log_level = 1;
		a.log_buf = (uint64_t)(uintptr_t)klog;
		a.log_size = sizeof(klog);
	}
	a.fd_array = nfds ? (uint64_t)(uintptr_t)fds : 0;
	if (btf >= 0) {
		a.prog_btf_fd = (uint32_t)btf;
		a.func_info = (uint64_t)(uintptr_t)fi;
		a.func_info_cnt = nfi;
		a.func_info_rec_size = sizeof(fi[0]);
	}
	klog[0] = 0;
	long fd;
	int tries = 0;
	do
		fd = kbpf_sys(BPF_PROG_LOAD, &a, sizeof(a));
	while (fd == -EAGAIN && ++tries < 5);
	if (btf >= 0)
		close(btf);
	if (fd >= 0) {
		close((int)fd);
		return 1;
	}
	if (fd == -ENOSPC) /* the log was too small: the verdict stands */
		return 0;
	return 0;
}

/* A rejection for the kernel's own limits or internal errors, not because
 * the program is unsafe. */
static int kernel_limit(const char *log)
{
	return strstr(log, "BPF program is too large") || strstr(log, "too complex") || strstr(log, "verifier bug") ||
	       strstr(log, "REG INVARIANTS VIOLATION") || strstr(log, "verifier internal error") ||
	       strstr(log, "The sequence of") || strstr(log, "jumps is too complex");
}

static const char *last_line(const char *log)
{
	static char line[256];
	const char *end = log + strlen(log);
	while (end > log && (end[-1] == '\n'))
		end--;
	const char *p = end;
	while (p > log && p[-1] != '\n')
		p--;
	/* skip the statistics line */
	if (strncmp(p, "processed ", 10) == 0 && p > log) {
		end = p - 1;
		p = end;
		while (p > log && p[-1] != '\n')
			p--;
	}
	snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
	return line;
}

/* ---- comparison ---- */

static char vlog[1 << 20];

static void dump(const struct bpf_insn *in, size_t n)
{
	char text[160];
	for (size_t i = 0; i < n; i++) {
		int w = bpfvm_disasm_insn(in, n, i, BPFVM_SYNTAX_LLVM, 0, text, sizeof(text));
		printf("  %4zu: %s\n", i, text);
		if (w == 2)
			i++;
	}
}

/* Returns 0 normally, 1 for an unsafe acceptance. */
static int compare(const char *name, uint32_t type, const struct bpf_insn *in, size_t n, const int *kfds,
		   const int *bfds, size_t nfds, struct tally *t, int verbose)
{
	int k = kernel_verdict(type, in, n, kfds, nfds, 0);
	struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = type, .fd_array = bfds, .fd_array_len = nfds,
					.log_level = verbose ? 1 : 0 };
	struct bpfvm_verify_result vr = { .sz = sizeof(vr) };
	struct bpfvm_error err;
	int rc = bpfvm_verify(the_env, in, n, &vo, &vr, vlog, sizeof(vlog), &err);
	if (rc != 0 && rc != BPFVM_EVERIFY) {
		printf("%s: bpfvm_verify failed: %s\n", name, err.msg);
		return 1;
	}
	int b = rc == 0;
	int unsafe = 0;
	if (b && !k)
		k = kernel_verdict(type, in, n, kfds, nfds, 1); /* again, for the reason */
	if (k && b) {
		t->both_accept++;
	} else if (!k && !b) {
		t->both_reject++;
	} else if (k) {
		t->kernel_only++;
		if (verbose) {
			printf("\n== %s: the kernel accepts, bpfvm rejects: insn %ld: %s\n", name, err.insn, err.msg);
			dump(in, n);
			if (verbose > 1)
				printf("-- bpfvm log:\n%s", vlog);
		}
	} else if (kernel_limit(klog)) {
		t->bpfvm_only_limit++;
		if (verbose)
			printf("\n== %s: bpfvm accepts, the kernel refuses for its limits: %s\n", name, last_line(klog));
	} else {
		t->bpfvm_only++;
		unsafe = 1;
		printf("\n== UNSAFE %s: bpfvm accepts a program the kernel rejects: %s\n", name, last_line(klog));
		dump(in, n);
		if (verbose)
			printf("-- kernel log:\n%s", klog);
	}
	return unsafe;
}

/* ---- 1. the corpus ---- */

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

static uint32_t header_type(const char *text)
{
	const char *t = strstr(text, "# type:");
	if (!t)
		return BPF_PROG_TYPE_SOCKET_FILTER;
	t += 7;
	while (*t == ' ')
		t++;
	if (strncmp(t, "xdp", 3) == 0)
		return BPF_PROG_TYPE_XDP;
	if (strncmp(t, "raw", 3) == 0)
		return BPFVM_PROG_TYPE_RAW;
	return BPF_PROG_TYPE_SOCKET_FILTER;
}

static int create_kernel_map(const struct bpfvm_asm_map *m)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = m->type;
	a.key_size = m->key_size;
	a.value_size = m->value_size;
	a.max_entries = m->max_entries;
	a.map_flags = m->map_flags;
	return (int)kbpf_sys(BPF_MAP_CREATE, &a, sizeof(a));
}

static int create_bpfvm_map(const struct bpfvm_asm_map *m)
{
	struct bpfvm_map_opts o = { .sz = sizeof(o), .name = m->name, .type = m->type, .key_size = m->key_size,
				    .value_size = m->value_size, .max_entries = m->max_entries,
				    .map_flags = m->map_flags };
	return bpfvm_map_create(the_env, &o);
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* A C program: compiled with clang, loaded by libbpf into the kernel and by
 * bpfvm's ELF loader with BPFVM_PROG_F_VERIFY (one program per file). */
static void run_c(const char *path, const char *name, struct tally *t, int *unsafe, int *skipped, int verbose)
{
	static int have_clang = -1;
	if (have_clang < 0)
		have_clang = system("clang --version >/dev/null 2>&1") == 0;
	if (!have_clang) {
		(*skipped)++;
		return;
	}
	char obj[1200], cmd[4096];
	snprintf(obj, sizeof(obj), "/tmp/kverify_%d_%s.o", (int)getpid(), name);
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -I/usr/include/$(uname -m)-linux-gnu -c '%s' -o '%s'",
		 path, obj);
	assert_int_equal(system(cmd), 0);
	libbpf_set_print(quiet_libbpf);
	struct bpf_object *ko = bpf_object__open_file(obj, NULL);
	assert_true(ko != NULL && libbpf_get_error(ko) == 0);
	int k = bpf_object__load(ko) == 0;
	bpf_object__close(ko);
	bpfvm_obj *o = NULL;
	struct bpfvm_obj_opts oo = { .sz = sizeof(oo), .flags = BPFVM_OBJ_F_KEEP_GOING, .prog_flags = BPFVM_PROG_F_VERIFY };
	struct bpfvm_error err;
	assert_int_equal(bpfvm_obj_open(the_env, obj, &oo, &o, &err), 0);
	int b = 1;
	const char *why = "";
	for (size_t i = 0; i < bpfvm_obj_prog_count(o); i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(o, i);
		if (pi->load_error && pi->load_error != BPFVM_EVERIFY) {
			/* a program type bpfvm cannot run: nothing to compare */
			(*skipped)++;
			bpfvm_obj_close(o);
			unlink(obj);
			return;
		}
		if (pi->load_error) {
			b = 0;
			why = pi->load_msg;
		}
	}
	if (k && b) {
		t->both_accept++;
	} else if (!k && !b) {
		t->both_reject++;
	} else if (k) {
		t->kernel_only++;
		if (verbose)
			printf("\n== %s: the kernel accepts, bpfvm rejects: %s\n", name, why);
	} else {
		t->bpfvm_only++;
		(*unsafe)++;
		printf("\n== UNSAFE %s: bpfvm accepts a C program the kernel (libbpf) rejects\n", name);
	}
	bpfvm_obj_close(o);
	unlink(obj);
}

static void run_dir(const char *dir, struct tally *t, int *unsafe, int *skipped, int verbose)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (ends_with(de->d_name, ".c")) {
			char cpath[1024];
			snprintf(cpath, sizeof(cpath), "%s/%s", dir, de->d_name);
			run_c(cpath, de->d_name, t, unsafe, skipped, verbose);
			continue;
		}
		if (!ends_with(de->d_name, ".s"))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		size_t len;
		char *text = tu_read_file(path, &len);
		assert_non_null(text);
		uint32_t type = header_type(text);
		if (type == BPFVM_PROG_TYPE_RAW || strstr(text, "# kernel: skip")) {
			(*skipped)++;
			free(text);
			continue;
		}
		struct bpfvm_asm_result res = { .sz = sizeof(res) };
		struct bpfvm_error err;
		if (bpfvm_asm_ex(text, len, NULL, &res, &err) != 0) {
			char b[300];
			fail_msg("%s: %s", path, bpfvm_error_format(&err, b, sizeof(b)));
		}
		int kfds[16] = { 0 }, bfds[16] = { 0 };
		size_t nm = res.nmaps < 16 ? res.nmaps : 16;
		for (size_t i = 0; i < nm; i++) {
			kfds[i] = create_kernel_map(&res.maps[i]);
			bfds[i] = create_bpfvm_map(&res.maps[i]);
			assert_true(kfds[i] >= 0 && bfds[i] >= 0);
		}
		*unsafe += compare(de->d_name, type, res.insns, res.n, kfds, bfds, nm, t, verbose);
		for (size_t i = 0; i < nm; i++)
			close(kfds[i]);
		bpfvm_asm_result_free(&res);
		free(text);
	}
	closedir(d);
}

static struct tally corpus_tally, random_tally;

static void test_corpus(void **state)
{
	(void)state;
	char dir[1024];
	int unsafe = 0, skipped = 0;
	int verbose = getenv("BPFVM_KVERIFY_VERBOSE") ? atoi(getenv("BPFVM_KVERIFY_VERBOSE")) : 0;
	snprintf(dir, sizeof(dir), "%s/tests/verifier/accepted", tu_source_dir());
	run_dir(dir, &corpus_tally, &unsafe, &skipped, verbose);
	snprintf(dir, sizeof(dir), "%s/tests/verifier/rejected", tu_source_dir());
	run_dir(dir, &corpus_tally, &unsafe, &skipped, verbose);
	/* the project's example and test objects: real compiler output */
	snprintf(dir, sizeof(dir), "%s/examples/bpf", tu_source_dir());
	run_dir(dir, &corpus_tally, &unsafe, &skipped, verbose);
	snprintf(dir, sizeof(dir), "%s/tests/data/bpf", tu_source_dir());
	run_dir(dir, &corpus_tally, &unsafe, &skipped, verbose);
	printf("corpus: %d programs skipped (raw programs, callx, marked kernel: skip, or C without clang)\n", skipped);
	tally_print("corpus vs the kernel", &corpus_tally);
	assert_int_equal(unsafe, 0);
}

/* ---- 2. random programs ---- */

static void test_random(void **state)
{
	(void)state;
	int count = getenv("BPFVM_KVERIFY_COUNT") ? atoi(getenv("BPFVM_KVERIFY_COUNT")) : 1000;
	int verbose = getenv("BPFVM_KVERIFY_VERBOSE") ? atoi(getenv("BPFVM_KVERIFY_VERBOSE")) : 0;
	uint64_t seed0 = getenv("BPFVM_KVERIFY_BASE") ? strtoull(getenv("BPFVM_KVERIFY_BASE"), NULL, 0) : 0x5eed;
	if (getenv("BPFVM_KVERIFY_SEED")) { /* one program, as printed by a failure */
		seed0 = strtoull(getenv("BPFVM_KVERIFY_SEED"), NULL, 0);
		count = 1;
	}
	struct bpfvm_asm_map maps[2] = {
		{ .name = "a", .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = VG_VAL0, .max_entries = 4 },
		{ .name = "h", .type = BPF_MAP_TYPE_HASH, .key_size = 8, .value_size = VG_VAL1, .max_entries = 16 },
	};
	int kfds[2], bfds[2];
	for (int i = 0; i < 2; i++) {
		kfds[i] = create_kernel_map(&maps[i]);
		bfds[i] = create_bpfvm_map(&maps[i]);
		assert_true(kfds[i] >= 0 && bfds[i] >= 0);
	}
	static struct vg g;
	int unsafe = 0;
	const uint32_t types[2] = { BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP };
	for (int ti = 0; ti < 2; ti++) {
		struct tally t = { 0 };
		for (int i = 0; i < count; i++) {
			uint64_t seed = getenv("BPFVM_KVERIFY_SEED") ? seed0 : seed0 + (uint64_t)i * 0x10001 + (uint64_t)ti * 0x7777777;
			size_t n = vg_program(&g, seed, types[ti]);
			char name[64];
			snprintf(name, sizeof(name), "%s seed %#" PRIx64, ti ? "xdp" : "socket", seed);
			unsafe += compare(name, types[ti], g.in, n, kfds, bfds, 2, &t, verbose);
		}
		tally_print(ti ? "random XDP programs" : "random socket filters", &t);
		random_tally.both_accept += t.both_accept;
		random_tally.both_reject += t.both_reject;
		random_tally.kernel_only += t.kernel_only;
		random_tally.bpfvm_only += t.bpfvm_only;
		random_tally.bpfvm_only_limit += t.bpfvm_only_limit;
	}
	for (int i = 0; i < 2; i++)
		close(kfds[i]);
	tally_print("random programs vs the kernel", &random_tally);
	struct tally all = random_tally;
	all.both_accept += corpus_tally.both_accept;
	all.both_reject += corpus_tally.both_reject;
	all.kernel_only += corpus_tally.kernel_only;
	all.bpfvm_only += corpus_tally.bpfvm_only;
	all.bpfvm_only_limit += corpus_tally.bpfvm_only_limit;
	tally_print("all programs vs the kernel", &all);
	assert_int_equal(unsafe, 0);
	int total = all.both_accept + all.both_reject + all.kernel_only + all.bpfvm_only + all.bpfvm_only_limit;
	assert_true(total == 0 || 100.0 * (all.both_accept + all.both_reject) / total >= 95.0);
}

int main(void)
{
	char why[400];
	if (geteuid() != 0)
		tu_skip_all("kernel verifier test needs root (bpf(2) with the privileged verifier)");
	if (!kbpf_available(why, sizeof(why)))
		tu_skip_all("kernel verifier test: %s", why);
	the_env = bpfvm_env_new();
	if (!the_env)
		tu_skip_all("out of memory");
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_random),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	bpfvm_env_free(the_env);
	return rc;
}
