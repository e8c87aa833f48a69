/* test_verifier.c - the verifier (src/verifier, bpfvm_verify):
 *
 * 1. The corpus: every program in tests/verifier/accepted (assembly, and C
 *    compiled with clang -O2 -g -target bpf when clang is there) is
 *    accepted; every program in tests/verifier/rejected is rejected with
 *    the reason its "# expect:" (or "// expect:") line names.
 * 2. The API: results, error position, log levels (level 1 keeps the path
 *    that failed, level 2 every step), log truncation, bad arguments, and
 *    the BPFVM_PROG_F_VERIFY load flag (a rejected program does not load;
 *    a verified one runs unchecked).
 * 3. Soundness of the range arithmetic (bounds.c, tnum.c): for abstract
 *    values built from sets of concrete ones, every ALU result and every
 *    branch refinement must contain the concrete results, and a decided
 *    branch must be what every concrete pair does.
 * 4. Safety, fuzz-style: random programs (verifier_gen.h) that the verifier
 *    accepts run on the runtime-checked interpreter with random frames and
 *    map contents and must never fault (BPFVM_EFAULT); a trace hook also
 *    checks that packet accesses stay inside [data_meta, data_end) and map
 *    value accesses inside one value. BPFVM_VERIFY_FUZZ=N sets the number
 *    of programs per type (default 1500).
 * 5. The conformance suite's programs (assembled.tsv) as raw programs whose
 *    memory is the test's: those the verifier accepts load with
 *    BPFVM_PROG_F_VERIFY and give the expected r0 on the unchecked engine
 *    and on the checked one (skipped without ../shared/conformance). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "maps.h"
#include "testutil.h"
#include "verifier/verifier.h"
#include "verifier_gen.h"

/* ---------------------------------------------------------------- corpus */

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The text after "key" on its line, or "" (static buffer). */
static const char *header(const char *text, const char *key)
{
	static char out[256];
	const char *p = strstr(text, key);
	out[0] = 0;
	if (!p)
		return out;
	p += strlen(key);
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, "\n");
	snprintf(out, sizeof(out), "%.*s", (int)n, p);
	return out;
}

static uint32_t type_of(const char *text)
{
	const char *t = header(text, "# type:");
	if (strcmp(t, "xdp") == 0)
		return BPF_PROG_TYPE_XDP;
	if (strcmp(t, "raw") == 0)
		return BPFVM_PROG_TYPE_RAW;
	return BPF_PROG_TYPE_SOCKET_FILTER;
}

static int check_asm(const char *path, int want_accept)
{
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	bpfvm_env *env = bpfvm_env_new();
	if (strstr(text, "# helpers: conformance"))
		tu_register_conformance_helpers(env);
	struct bpfvm_asm_result res = { .sz = sizeof(res) };
	struct bpfvm_error err;
	char buf[400];
	if (bpfvm_asm_ex(text, len, NULL, &res, &err) != 0)
		fail_msg("%s: %s", path, bpfvm_error_format(&err, buf, sizeof(buf)));
	int fds[16];
	for (size_t i = 0; i < res.nmaps && i < 16; i++) {
		struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = res.maps[i].name, .type = res.maps[i].type,
					     .key_size = res.maps[i].key_size, .value_size = res.maps[i].value_size,
					     .max_entries = res.maps[i].max_entries, .map_flags = res.maps[i].map_flags };
		fds[i] = bpfvm_map_create(env, &mo);
		assert_true(fds[i] >= 0);
	}
	struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = type_of(text), .fd_array = fds,
					.fd_array_len = res.nmaps, .log_level = 1 };
	struct bpfvm_verify_result vr = { .sz = sizeof(vr) };
	static char log[1 << 16];
	int rc = bpfvm_verify(env, res.insns, res.n, &vo, &vr, log, sizeof(log), &err);
	int bad = 0;
	if (want_accept) {
		if (rc != 0) {
			printf("FAIL %s: rejected: %s\n%s", path, bpfvm_error_format(&err, buf, sizeof(buf)), log);
			bad = 1;
		} else {
			assert_int_equal(vr.accepted, 1);
			assert_true(vr.insns_processed > 0);
			assert_int_equal(vr.error_insn, -1);
			assert_non_null(strstr(log, "processed "));
		}
	} else {
		const char *expect = header(text, "# expect:");
		if (!expect[0]) {
			printf("FAIL %s: no '# expect:' line\n", path);
			bad = 1;
		} else if (rc != BPFVM_EVERIFY) {
			printf("FAIL %s: accepted (rc %d), expected: %s\n", path, rc, expect);
			bad = 1;
		} else if (!strstr(err.msg, expect)) {
			printf("FAIL %s: rejected for '%s', expected '%s'\n", path, err.msg, expect);
			bad = 1;
		} else {
			assert_int_equal(vr.accepted, 0);
			assert_true(err.insn >= 0 && (size_t)err.insn < res.n);
			assert_int_equal(vr.error_insn, err.insn);
			assert_non_null(strstr(log, expect)); /* the reason is in the log too */
		}
	}
	bpfvm_asm_result_free(&res);
	bpfvm_env_free(env);
	free(text);
	return bad;
}

/* Compiles a C program; 0 and the object path, or -1 (no clang: skipped). */
static int compile_c(const char *src, char *obj, size_t objlen)
{
	static int have_clang = -1;
	if (have_clang < 0)
		have_clang = system("clang --version >/dev/null 2>&1") == 0;
	if (!have_clang)
		return -1;
	snprintf(obj, objlen, "%s/verifier_corpus_%d_%s.o", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(),
		 strrchr(src, '/') + 1);
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -I/usr/include/$(uname -m)-linux-gnu "
		 "-c '%s' -o '%s' 2>&1",
		 src, obj);
	int rc = system(cmd);
	assert_int_equal(rc, 0);
	return 0;
}

static int check_c(const char *path, int want_accept)
{
	char obj[1024];
	if (compile_c(path, obj, sizeof(obj)) != 0)
		return -1;
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	bpfvm_env *env = bpfvm_env_new();
	struct bpfvm_obj_opts oo = { .sz = sizeof(oo), .flags = BPFVM_OBJ_F_KEEP_GOING, .prog_flags = BPFVM_PROG_F_VERIFY };
	bpfvm_obj *o = NULL;
	struct bpfvm_error err;
	char buf[400];
	if (bpfvm_obj_open(env, obj, &oo, &o, &err) != 0)
		fail_msg("%s: %s", path, bpfvm_error_format(&err, buf, sizeof(buf)));
	int bad = 0;
	size_t np = bpfvm_obj_prog_count(o);
	assert_true(np > 0);
	const char *expect = header(text, "// expect:");
	for (size_t i = 0; i < np; i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(o, i);
		if (want_accept && pi->load_error) {
			printf("FAIL %s (%s): rejected: %s\n", path, pi->name, pi->load_msg);
			bad = 1;
		} else if (!want_accept && (pi->load_error != BPFVM_EVERIFY || !expect[0] || !strstr(pi->load_msg, expect))) {
			printf("FAIL %s (%s): load error %d '%s', expected '%s'\n", path, pi->name, pi->load_error,
			       pi->load_msg, expect);
			bad = 1;
		}
	}
	bpfvm_obj_close(o);
	bpfvm_env_free(env);
	unlink(obj);
	free(text);
	return bad;
}

static void run_corpus_dir(const char *sub, int want_accept, int *count, int *bad, int *skipped)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/tests/verifier/%s", tu_source_dir(), sub);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		int r;
		if (ends_with(de->d_name, ".s"))
			r = check_asm(path, want_accept);
		else if (ends_with(de->d_name, ".c"))
			r = check_c(path, want_accept);
		else
			continue;
		if (r < 0) {
			(*skipped)++;
			continue;
		}
		(*count)++;
		*bad += r;
	}
	closedir(d);
}

static void test_corpus(void **state)
{
	(void)state;
	int count = 0, bad = 0, skipped = 0;
	run_corpus_dir("accepted", 1, &count, &bad, &skipped);
	int accepted = count;
	run_corpus_dir("rejected", 0, &count, &bad, &skipped);
	printf("corpus: %d accepted and %d rejected programs checked, %d C programs skipped (no clang)\n", accepted,
	       count - accepted, skipped);
	assert_true(accepted >= 20 && count - accepted >= 20);
	assert_int_equal(bad, 0);
}

/* ---------------------------------------------------------------- API */

static const struct bpf_insn prog_ok[] = {
	BPF_MOV64_IMM(0, 1),
	BPF_EXIT_INSN(),
};

/* r1 = unknown; branch; the jump path reads r3, which is not set */
static const struct bpf_insn prog_bad_branch[] = {
	BPF_LDX_MEM(BPF_W, 2, 1, 0),
	BPF_MOV64_IMM(0, 0),
	BPF_JMP_IMM(BPF_JGT, 2, 5, 1),
	BPF_EXIT_INSN(),
	BPF_MOV64_REG(0, 3),
	BPF_EXIT_INSN(),
};

static void test_api(void **state)
{
	(void)state;
	bpfvm_env *env = bpfvm_env_new();
	struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = BPF_PROG_TYPE_SOCKET_FILTER, .log_level = 1 };
	struct bpfvm_verify_result vr = { .sz = sizeof(vr) };
	struct bpfvm_error err;
	char log[4096];

	assert_int_equal(bpfvm_verify(env, prog_ok, 2, &vo, &vr, log, sizeof(log), &err), 0);
	assert_int_equal(vr.accepted, 1);
	assert_int_equal(vr.insns_processed, 2);
	assert_non_null(strstr(log, "processed 2 insns"));
	/* everything optional may be NULL */
	assert_int_equal(bpfvm_verify(env, prog_ok, 2, NULL, NULL, NULL, 0, NULL), 0);
	assert_int_equal(bpfvm_verify(NULL, prog_ok, 2, &vo, &vr, NULL, 0, &err), BPFVM_EINVAL);
	assert_int_equal(bpfvm_verify(env, NULL, 2, &vo, &vr, NULL, 0, &err), BPFVM_EINVAL);
	assert_int_equal(bpfvm_verify(env, prog_ok, 0, &vo, &vr, NULL, 0, &err), BPFVM_EVERIFY);
	vo.prog_type = 9999;
	assert_int_equal(bpfvm_verify(env, prog_ok, 2, &vo, &vr, NULL, 0, &err), BPFVM_EUNSUPP);
	vo.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;

	/* level 1: the log holds the failing path (not the other one), the
	 * instruction with its disassembly, and the reason */
	assert_int_equal(bpfvm_verify(env, prog_bad_branch, 6, &vo, &vr, log, sizeof(log), &err), BPFVM_EVERIFY);
	assert_int_equal(err.insn, 4);
	assert_int_equal(vr.error_insn, 4);
	assert_string_equal(err.msg, "R3 !read_ok");
	assert_non_null(strstr(log, "4: (bf) r0 = r3"));
	assert_non_null(strstr(log, "R3 !read_ok\n"));
	assert_null(strstr(log, "3: (95) exit"));
	char f[128];
	bpfvm_error_format(&err, f, sizeof(f));
	assert_string_equal(f, "insn 4: R3 !read_ok");
	/* level 2: every step, the other path included */
	vo.log_level = 2;
	assert_int_equal(bpfvm_verify(env, prog_bad_branch, 6, &vo, &vr, log, sizeof(log), &err), BPFVM_EVERIFY);
	assert_non_null(strstr(log, "3: (95) exit"));
	assert_non_null(strstr(log, "from 2 to 4:"));
	/* a small buffer: cut, NUL-terminated, the verdict unchanged */
	char tiny[16];
	memset(tiny, 'x', sizeof(tiny));
	assert_int_equal(bpfvm_verify(env, prog_bad_branch, 6, &vo, &vr, tiny, sizeof(tiny), &err), BPFVM_EVERIFY);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	/* the log keeps its end (a rotating log, as the kernel's): the reason
	 * and the statistics survive a buffer too small for the whole walk */
	char small[200];
	assert_int_equal(bpfvm_verify(env, prog_bad_branch, 6, &vo, &vr, small, sizeof(small), &err), BPFVM_EVERIFY);
	assert_non_null(strstr(small, "R3 !read_ok\nprocessed "));
	/* level 0: nothing written */
	vo.log_level = 0;
	strcpy(log, "untouched");
	assert_int_equal(bpfvm_verify(env, prog_bad_branch, 6, &vo, &vr, log, sizeof(log), &err), BPFVM_EVERIFY);
	assert_string_equal(log, "");
	bpfvm_env_free(env);
}

/* A socket filter that reads past the end of a map value only on one branch. */
static void test_prog_load_flag(void **state)
{
	(void)state;
	bpfvm_env *env = bpfvm_env_new();
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8,
				     .max_entries = 1 };
	int fd = bpfvm_map_create(env, &mo);
	assert_true(fd >= 0);
	const struct bpf_insn bad[] = {
		BPF_ST_MEM(BPF_W, 10, -8, 0),
		BPF_MOV64_REG(2, 10),
		BPF_ALU64_IMM(BPF_ADD, 2, -8),
		BPF_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, 0),
		BPF_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JEQ, 0, 0, 1),
		BPF_LDX_MEM(BPF_DW, 0, 0, 4),
		BPF_MOV64_IMM(0, 0),
		BPF_EXIT_INSN(),
	};
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .type = BPF_PROG_TYPE_SOCKET_FILTER, .flags = BPFVM_PROG_F_VERIFY,
				      .fd_array = &fd, .fd_array_len = 1 };
	bpfvm_prog *p = NULL;
	struct bpfvm_error err;
	assert_int_equal(bpfvm_prog_load(env, bad, 10, &po, &p, &err), BPFVM_EVERIFY);
	assert_null(p);
	assert_int_equal(err.insn, 7);
	assert_non_null(strstr(err.msg, "invalid access to map value, value_size=8 off=4 size=8"));
	/* without verification it loads (and runs checked) */
	po.flags = BPFVM_PROG_F_NO_VERIFY;
	assert_int_equal(bpfvm_prog_load(env, bad, 10, &po, &p, &err), 0);
	bpfvm_prog_free(p);
	/* a good program loads with the flag and runs unchecked */
	const struct bpf_insn good[] = {
		BPF_ST_MEM(BPF_W, 10, -8, 0),
		BPF_MOV64_REG(2, 10),
		BPF_ALU64_IMM(BPF_ADD, 2, -8),
		BPF_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, 0),
		BPF_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JEQ, 0, 0, 2),
		BPF_ST_MEM(BPF_DW, 0, 0, 41),
		BPF_LDX_MEM(BPF_DW, 0, 0, 0),
		BPF_EXIT_INSN(),
	};
	po.flags = BPFVM_PROG_F_VERIFY;
	assert_int_equal(bpfvm_prog_load(env, good, 10, &po, &p, &err), 0);
	uint8_t frame[64] = { 0 };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = frame, .frame_len = sizeof(frame) };
	uint64_t r0 = 0;
	assert_int_equal(bpfvm_prog_run(p, &ro, &r0, &err), 0);
	assert_int_equal(r0, 41);
	/* verified programs take the unchecked engine: a trace (checked only) is
	 * the way to tell; BPFVM_RUN_CHECKED still works */
	ro.flags = BPFVM_RUN_CHECKED;
	assert_int_equal(bpfvm_prog_run(p, &ro, &r0, &err), 0);
	assert_int_equal(r0, 41);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* ------------------------------------------------ range arithmetic soundness */

static uint64_t rnd_state = 0x1234567;

static uint64_t rnd64(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t interesting(void)
{
	static const uint64_t v[] = { 0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fffffff,
				      0x80000000ull, 0xffffffffull, 0x100000000ull, 0x7fffffffffffffffull,
				      0x8000000000000000ull, UINT64_MAX, UINT64_MAX - 1, (uint64_t)-8, (uint64_t)-100 };
	switch (rnd64() % 4) {
	case 0: return v[rnd64() % (sizeof(v) / sizeof(v[0]))];
	case 1: return rnd64() % 512;
	case 2: return (uint64_t)-(int64_t)(rnd64() % 512);
	default: return rnd64();
	}
}

#define NS 6
struct sample {
	int n;
	uint64_t v[NS];
	struct vf_reg r;
};

/* An abstract value containing exactly the join of n concrete values. */
static void make_sample(struct sample *s)
{
	s->n = 1 + (int)(rnd64() % NS);
	uint64_t base = interesting();
	for (int i = 0; i < s->n; i++)
		s->v[i] = rnd64() % 3 == 0 ? interesting() : base + (rnd64() % 16) - (rnd64() % 4 ? 0 : 8);
	memset(&s->r, 0, sizeof(s->r));
	vf_mark_unknown(&s->r);
	struct tnum t = tnum_const(s->v[0]);
	uint64_t umin = s->v[0], umax = s->v[0];
	int64_t smin = (int64_t)s->v[0], smax = (int64_t)s->v[0];
	uint32_t u32min = (uint32_t)s->v[0], u32max = (uint32_t)s->v[0];
	int32_t s32min = (int32_t)s->v[0], s32max = (int32_t)s->v[0];
	for (int i = 1; i < s->n; i++) {
		uint64_t x = s->v[i];
		t = vf_tnum_union(t, tnum_const(x));
		umin = x < umin ? x : umin;
		umax = x > umax ? x : umax;
		smin = (int64_t)x < smin ? (int64_t)x : smin;
		smax = (int64_t)x > smax ? (int64_t)x : smax;
		u32min = (uint32_t)x < u32min ? (uint32_t)x : u32min;
		u32max = (uint32_t)x > u32max ? (uint32_t)x : u32max;
		s32min = (int32_t)x < s32min ? (int32_t)x : s32min;
		s32max = (int32_t)x > s32max ? (int32_t)x : s32max;
	}
	s->r.var_off = t;
	s->r.umin = umin;
	s->r.umax = umax;
	s->r.smin = smin;
	s->r.smax = smax;
	s->r.u32_min = u32min;
	s->r.u32_max = u32max;
	s->r.s32_min = s32min;
	s->r.s32_max = s32max;
	vf_bounds_sync(&s->r);
}

static int contains(const struct vf_reg *r, uint64_t v)
{
	return v >= r->umin && v <= r->umax && (int64_t)v >= r->smin && (int64_t)v <= r->smax &&
	       (uint32_t)v >= r->u32_min && (uint32_t)v <= r->u32_max && (int32_t)v >= r->s32_min &&
	       (int32_t)v <= r->s32_max && vf_tnum_in(r->var_off, tnum_const(v));
}

static uint64_t concrete(uint8_t op, int alu32, uint64_t a, uint64_t b)
{
	if (alu32) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;
		switch (op) {
		case BPF_ADD: return (uint32_t)(x + y);
		case BPF_SUB: return (uint32_t)(x - y);
		case BPF_MUL: return (uint32_t)(x * y);
		case BPF_AND: return x & y;
		case BPF_OR: return x | y;
		case BPF_XOR: return x ^ y;
		case BPF_LSH: return (uint32_t)(x << (y & 31));
		case BPF_RSH: return x >> (y & 31);
		case BPF_ARSH: return (uint32_t)((int32_t)x >> (y & 31));
		case BPF_NEG: return (uint32_t)-x;
		}
		return 0;
	}
	switch (op) {
	case BPF_ADD: return a + b;
	case BPF_SUB: return a - b;
	case BPF_MUL: return a * b;
	case BPF_AND: return a & b;
	case BPF_OR: return a | b;
	case BPF_XOR: return a ^ b;
	case BPF_LSH: return a << (b & 63);
	case BPF_RSH: return a >> (b & 63);
	case BPF_ARSH: return (uint64_t)((int64_t)a >> (b & 63));
	case BPF_NEG: return -a;
	}
	return 0;
}

static int jcond(uint8_t op, int is32, uint64_t a, uint64_t b)
{
	uint64_t x = is32 ? (uint32_t)a : a, y = is32 ? (uint32_t)b : b;
	int64_t sx = is32 ? (int32_t)a : (int64_t)a, sy = is32 ? (int32_t)b : (int64_t)b;
	switch (op) {
	case BPF_JEQ: return x == y;
	case BPF_JNE: return x != y;
	case BPF_JGT: return x > y;
	case BPF_JGE: return x >= y;
	case BPF_JLT: return x < y;
	case BPF_JLE: return x <= y;
	case BPF_JSET: return (x & y) != 0;
	case BPF_JSGT: return sx > sy;
	case BPF_JSGE: return sx >= sy;
	case BPF_JSLT: return sx < sy;
	case BPF_JSLE: return sx <= sy;
	}
	return 0;
}

/* vf_tnum_step against enumeration: every 7-bit tnum, every z, plus
 * tnums spread over the high bits (the shifts at bit 63). */
static uint64_t step_by_enumeration(struct tnum t, uint64_t z, int bits)
{
	uint64_t best = t.value | t.mask; /* none above z: the largest member */
	if (z < t.value)
		return t.value;
	for (uint64_t x = 0; x < (1ULL << bits); x++) {
		if ((x & ~t.mask) != t.value)
			continue;
		if (x > z && x < best)
			best = x;
	}
	return best;
}

static void test_tnum_step(void **state)
{
	(void)state;
	int checks = 0;
	for (uint64_t mask = 0; mask < 128; mask++)
		for (uint64_t value = 0; value < 128; value++) {
			if (value & mask)
				continue;
			struct tnum t = { value, mask };
			for (uint64_t z = 0; z < 130; z++) {
				uint64_t want = step_by_enumeration(t, z, 7), got = vf_tnum_step(t, z);
				if (got != want)
					fail_msg("tnum (%#" PRIx64 "; %#" PRIx64 ") z %" PRIu64 ": %" PRIu64 ", expected %" PRIu64,
						 value, mask, z, got, want);
				checks++;
			}
		}
	/* high bits: members are value + {0, 2^62, 2^63, 2^62 + 2^63} */
	struct tnum hi = { 0x5, 0xc000000000000000ULL };
	assert_int_equal(vf_tnum_step(hi, 0x5), 0x4000000000000005ULL);
	assert_int_equal(vf_tnum_step(hi, 0x4000000000000005ULL), 0x8000000000000005ULL);
	assert_int_equal(vf_tnum_step(hi, 0x8000000000000006ULL), 0xc000000000000005ULL);
	assert_int_equal(vf_tnum_step(hi, UINT64_MAX), 0xc000000000000005ULL);
	printf("tnum_step: %d cases equal to enumeration\n", checks);
}

static void test_bounds_soundness(void **state)
{
	(void)state;
	static const uint8_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH,
					   BPF_ARSH, BPF_NEG };
	static const uint8_t jmp_ops[] = { BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
					   BPF_JSET, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE };
	int checks = 0;
	int iters = getenv("BPFVM_BOUNDS_ITERS") ? atoi(getenv("BPFVM_BOUNDS_ITERS")) : 200000;
	if (getenv("BPFVM_BOUNDS_SEED"))
		rnd_state = strtoull(getenv("BPFVM_BOUNDS_SEED"), NULL, 0);
	for (int iter = 0; iter < iters; iter++) {
		struct sample a, b;
		make_sample(&a);
		make_sample(&b);
		for (int i = 0; i < a.n; i++)
			if (!contains(&a.r, a.v[i]))
				fail_msg("join does not contain %#" PRIx64, a.v[i]);
		if (iter & 1) {
			uint8_t op = alu_ops[rnd64() % sizeof(alu_ops)];
			int alu32 = (int)(rnd64() & 1);
			if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) {
				/* the verifier computes shifts of known amounts only */
				b.n = 1;
				b.v[0] = rnd64() % (alu32 ? 32 : 64);
				memset(&b.r, 0, sizeof(b.r));
				vf_mark_unknown(&b.r);
				vf_mark_known(&b.r, b.v[0]);
			}
			struct vf_reg d = a.r;
			vf_scalar_alu(NULL, op, alu32, &d, op == BPF_NEG ? a.r : b.r);
			for (int i = 0; i < a.n; i++)
				for (int j = 0; j < (op == BPF_NEG ? 1 : b.n); j++) {
					uint64_t v = concrete(op, alu32, a.v[i], b.v[j]);
					checks++;
					if (!contains(&d, v)) {
						char t[64];
						fail_msg("op %#x alu32 %d: %#" PRIx64 " op %#" PRIx64 " = %#" PRIx64
							 " not in u[%#" PRIx64 ",%#" PRIx64 "] s[%" PRId64 ",%" PRId64
							 "] u32[%#x,%#x] s32[%d,%d] %s",
							 op, alu32, a.v[i], b.v[j], v, d.umin, d.umax, d.smin, d.smax,
							 d.u32_min, d.u32_max, d.s32_min, d.s32_max,
							 vf_tnum_str(d.var_off, t, sizeof(t)));
					}
				}
		} else {
			uint8_t op = jmp_ops[rnd64() % sizeof(jmp_ops)];
			int is32 = (int)(rnd64() & 1);
			struct vf_reg x = a.r, y = b.r;
			int pred = vf_is_branch_taken(&x, &y, op, is32);
			/* the branch each concrete pair takes, and the refinements */
			struct vf_reg tx = a.r, ty = b.r, fx = a.r, fy = b.r;
			vf_refine_cond(&tx, &ty, op, is32);
			vf_bounds_sync(&tx);
			vf_bounds_sync(&ty);
			vf_refine_cond(&fx, &fy, vf_rev_op(op), is32);
			vf_bounds_sync(&fx);
			vf_bounds_sync(&fy);
			for (int i = 0; i < a.n; i++)
				for (int j = 0; j < b.n; j++) {
					int c = jcond(op, is32, a.v[i], b.v[j]);
					checks++;
					if (pred >= 0 && pred != c)
						fail_msg("op %#x is32 %d: %#" PRIx64 " vs %#" PRIx64 " goes %d, decided %d", op,
							 is32, a.v[i], b.v[j], c, pred);
					if (pred >= 0)
						continue; /* refinement only runs for undecided branches */
					struct vf_reg *rx = c ? &tx : &fx, *ry = c ? &ty : &fy;
					if (!contains(rx, a.v[i]) || !contains(ry, b.v[j])) {
						char t1[64], t2[64];
						for (int k = 0; k < a.n; k++)
							printf("a[%d] = %#" PRIx64 "\n", k, a.v[k]);
						for (int k = 0; k < b.n; k++)
							printf("b[%d] = %#" PRIx64 "\n", k, b.v[k]);
						printf("a: u[%#" PRIx64 ",%#" PRIx64 "] s[%" PRId64 ",%" PRId64 "] u32[%#x,%#x] s32[%d,%d] %s\n",
						       a.r.umin, a.r.umax, a.r.smin, a.r.smax, a.r.u32_min, a.r.u32_max, a.r.s32_min, a.r.s32_max,
						       vf_tnum_str(a.r.var_off, t1, sizeof(t1)));
						fail_msg("op %#x is32 %d branch %d: %#" PRIx64 " vs %#" PRIx64 " refined away: x u[%#" PRIx64
							 ",%#" PRIx64 "] s[%" PRId64 ",%" PRId64 "] u32[%#x,%#x] s32[%d,%d] %s; y u[%#" PRIx64
							 ",%#" PRIx64 "] s[%" PRId64 ",%" PRId64 "] u32[%#x,%#x] s32[%d,%d] %s",
							 op, is32, c, a.v[i], b.v[j], rx->umin, rx->umax, rx->smin, rx->smax, rx->u32_min,
							 rx->u32_max, rx->s32_min, rx->s32_max, vf_tnum_str(rx->var_off, t1, sizeof(t1)),
							 ry->umin, ry->umax, ry->smin, ry->smax, ry->u32_min, ry->u32_max, ry->s32_min,
							 ry->s32_max, vf_tnum_str(ry->var_off, t2, sizeof(t2)));
					}
				}
		}
	}
	/* sign and zero extension */
	for (int iter = 0; iter < 50000; iter++) {
		struct sample a;
		make_sample(&a);
		int sizes[3] = { 1, 2, 4 };
		int size = sizes[rnd64() % 3];
		struct vf_reg z = a.r, s = a.r;
		vf_coerce_to_size(&z, size);
		vf_coerce_to_size_sx(&s, size);
		for (int i = 0; i < a.n; i++) {
			uint64_t mask = (1ull << (size * 8)) - 1;
			uint64_t zv = a.v[i] & mask;
			uint64_t sv = size == 1 ? (uint64_t)(int64_t)(int8_t)a.v[i]
				    : size == 2 ? (uint64_t)(int64_t)(int16_t)a.v[i] : (uint64_t)(int64_t)(int32_t)a.v[i];
			checks += 2;
			if (!contains(&z, zv) || !contains(&s, sv))
				fail_msg("extension of %#" PRIx64 " to %d bytes lost", a.v[i], size);
		}
	}
	printf("range arithmetic: %d concrete results checked\n", checks);
}

/* ---------------------------------------------------------------- safety */

struct watch {
	uint64_t ctx;          /* the program's r1 at entry */
	int xdp;
	bpfvm_map *maps[2];
	int violations;
	char what[256];
};

static int access_size(const struct bpf_insn *in)
{
	switch (BPF_SIZE(in->code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

/* Before each instruction: loads and stores into the packet stay inside
 * [data_meta, data_end), into a map value inside one value. */
static void watch_trace(void *cookie, size_t pc, const struct bpf_insn *in, const uint64_t regs[11])
{
	struct watch *w = cookie;
	if (pc == 0 && !w->ctx)
		w->ctx = regs[1];
	uint8_t cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code);
	uint64_t addr;
	if (cls == BPF_LDX && (mode == BPF_MEM || mode == BPF_MEMSX))
		addr = regs[in->src_reg] + (uint64_t)(int64_t)in->off;
	else if ((cls == BPF_ST || cls == BPF_STX) && (mode == BPF_MEM || mode == BPF_ATOMIC))
		addr = regs[in->dst_reg] + (uint64_t)(int64_t)in->off;
	else
		return;
	int size = access_size(in);
	if (w->xdp && w->ctx) {
		const struct xdp_md *md = (const struct xdp_md *)(uintptr_t)w->ctx;
		uint64_t meta = md->data_meta, end = md->data_end;
		if (addr + (uint64_t)size > meta - 4096 && addr < end + 4096 && (addr < meta || addr + (uint64_t)size > end)) {
			w->violations++;
			snprintf(w->what, sizeof(w->what), "insn %zu: packet access at %+lld size %d outside [meta %+lld, end %+lld)",
				 pc, (long long)(addr - md->data), size, (long long)(meta - md->data), (long long)(end - md->data));
		}
	}
	for (int i = 0; i < 2; i++) {
		const bpfvm_map *m = w->maps[i];
		uint64_t start = (uint64_t)(uintptr_t)m->region;
		if (addr >= start && addr < start + m->region_len) {
			uint64_t in_value = (addr - start) % m->value_stride;
			if (in_value + (uint64_t)size > m->value_size) {
				w->violations++;
				snprintf(w->what, sizeof(w->what), "insn %zu: map value access at %" PRIu64 " size %d, value size %u",
					 pc, in_value, size, m->value_size);
			}
		}
	}
}

static void test_random_safety(void **state)
{
	(void)state;
	int count = getenv("BPFVM_VERIFY_FUZZ") ? atoi(getenv("BPFVM_VERIFY_FUZZ")) : 1500;
	bpfvm_env *env = bpfvm_env_new();
	struct bpfvm_map_opts m0 = { .sz = sizeof(m0), .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = VG_VAL0,
				     .max_entries = 4 };
	struct bpfvm_map_opts m1 = { .sz = sizeof(m1), .type = BPF_MAP_TYPE_HASH, .key_size = 8, .value_size = VG_VAL1,
				     .max_entries = 16 };
	int fds[2] = { bpfvm_map_create(env, &m0), bpfvm_map_create(env, &m1) };
	assert_true(fds[0] >= 0 && fds[1] >= 0);
	struct watch w = { .maps = { bpfvm_map_from_fd(env, fds[0]), bpfvm_map_from_fd(env, fds[1]) } };
	/* hash keys 0..5 exist (the generator's keys), values random */
	for (uint64_t k = 0; k < 6; k++) {
		uint8_t v[VG_VAL1];
		for (size_t i = 0; i < sizeof(v); i++)
			v[i] = (uint8_t)rnd64();
		assert_int_equal(bpfvm_map_update(w.maps[1], &k, v, 0), 0);
	}
	bpfvm_exec *ex = bpfvm_exec_new(env);
	static struct vg g;
	int accepted = 0, runs = 0, faults = 0, other = 0;
	const uint32_t types[2] = { BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP };
	for (int ti = 0; ti < 2; ti++) {
		for (int i = 0; i < count; i++) {
			uint64_t seed = 0xfeed0000ull + (uint64_t)i * 7919 + (uint64_t)ti * 0x100000;
			size_t n = vg_program(&g, seed, types[ti]);
			struct bpfvm_prog_opts po = { .sz = sizeof(po), .type = types[ti], .flags = BPFVM_PROG_F_VERIFY,
						      .fd_array = fds, .fd_array_len = 2 };
			bpfvm_prog *p = NULL;
			struct bpfvm_error err;
			int rc = bpfvm_prog_load(env, g.in, n, &po, &p, &err);
			if (rc == BPFVM_EVERIFY)
				continue;
			assert_int_equal(rc, 0);
			accepted++;
			for (int run = 0; run < 4; run++) {
				uint8_t frame[256];
				size_t len = 14 + rnd64() % 120;
				for (size_t b = 0; b < len; b++)
					frame[b] = (uint8_t)rnd64();
				memset(&w.ctx, 0, sizeof(w.ctx));
				w.xdp = types[ti] == BPF_PROG_TYPE_XDP;
				struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = frame, .frame_len = len,
							     .flags = BPFVM_RUN_CHECKED, .trace = watch_trace, .trace_cookie = &w };
				uint64_t r0;
				int violations = w.violations;
				rc = bpfvm_exec_run(ex, p, &ro, &r0, &err);
				runs++;
				if (rc == BPFVM_EFAULT || rc == BPFVM_ESTACK || w.violations != violations) {
					faults++;
					char b[300];
					printf("UNSAFE: seed %#" PRIx64 " (%s) accepted but %s\n", seed, ti ? "xdp" : "socket",
					       rc ? bpfvm_error_format(&err, b, sizeof(b)) : w.what);
				} else if (rc) {
					other++;
				}
			}
			bpfvm_prog_free(p);
		}
	}
	printf("safety: %d of %d random programs verified, %d checked runs, %d faults, %d other run errors\n", accepted,
	       2 * count, runs, faults, other);
	bpfvm_exec_free(ex);
	bpfvm_env_free(env);
	assert_int_equal(faults, 0);
	assert_true(accepted > count / 4);
}

/* ------------------------------------------------------- conformance */

static void test_conformance_verified(void **state)
{
	(void)state;
	const char *dir = tu_conformance_dir();
	if (!dir) {
		printf("conformance suite not found: skipped\n");
		skip();
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/assembled.tsv", dir);
	char *text = tu_read_file(path, NULL);
	assert_non_null(text);
	int total = 0, accepted = 0, bad = 0;
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
		if (!f[3] || !f[3][0])
			continue;
		size_t mlen = 0, plen = 0;
		uint8_t *mem = tu_hex_decode(f[2], &mlen);
		uint8_t *prog = tu_hex_decode(f[3], &plen);
		assert_non_null(prog);
		uint64_t expect = strtoull(f[1], NULL, 0);
		total++;
		bpfvm_env *env = bpfvm_env_new();
		tu_register_conformance_helpers(env);
		size_t n = plen / 8;
		struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = BPFVM_PROG_TYPE_RAW,
						.raw_mem_size = (uint32_t)mlen };
		struct bpfvm_error err;
		if (bpfvm_verify(env, (const struct bpf_insn *)prog, n, &vo, NULL, NULL, 0, &err) == 0) {
			accepted++;
			/* a verified raw program still gets r1/r2 only as the caller
			 * promised: load it trusted and run it on both engines */
			struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = BPFVM_PROG_F_TRUSTED };
			bpfvm_prog *pr = NULL;
			assert_int_equal(bpfvm_prog_load(env, (const struct bpf_insn *)prog, n, &po, &pr, &err), 0);
			for (int checked = 0; checked < 2; checked++) {
				uint8_t *copy = malloc(mlen ? mlen : 1);
				if (mlen)
					memcpy(copy, mem, mlen);
				struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = mlen ? copy : NULL, .mem_len = mlen,
							     .flags = checked ? BPFVM_RUN_CHECKED : 0 };
				uint64_t r0 = 0;
				int rc = bpfvm_prog_run(pr, &ro, &r0, &err);
				if (rc != 0 || r0 != expect) {
					printf("%s: verified, but the %s run gave rc %d r0 %#" PRIx64 " (expected %#" PRIx64 ")\n",
					       f[0], checked ? "checked" : "unchecked", rc, r0, expect);
					bad++;
				}
				free(copy);
			}
			bpfvm_prog_free(pr);
		}
		bpfvm_env_free(env);
		free(mem);
		free(prog);
	}
	free(text);
	printf("conformance: %d of %d programs verified as raw programs, %d wrong results\n", accepted, total, bad);
	assert_int_equal(bad, 0);
	assert_true(accepted > total / 4);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_prog_load_flag),
		cmocka_unit_test(test_tnum_step),
		cmocka_unit_test(test_bounds_soundness),
		cmocka_unit_test(test_random_safety),
		cmocka_unit_test(test_conformance_verified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
