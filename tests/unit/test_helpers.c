/* test_helpers.c - bpfvm's builtin kernel helpers (src/vm/helpers*.c): the
 * table against <linux/bpf.h> and the kernel's program-type rules, and each
 * helper's behaviour and error paths, run through bpfvm_prog_load/run with
 * programs written with the kernel's builder macros. Where bpf(2) works the
 * kernel is the referee: csum_diff, skb_load_bytes, xdp_adjust_head/tail,
 * the tail-call limit, bpf_loop and the clocks are compared with
 * BPF_PROG_TEST_RUN (no trace_printk there: its output is global).
 * trace_printk's text is compared with glibc's snprintf of the same format,
 * csum_diff with a ones'-complement sum computed here. Map, ring buffer and
 * tail-call tests skip when maps cannot be created. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/btf.h>

#include "isa.h"
#include "kernel_bpf.h"
#include "testutil.h"
#include "vm.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R8 BPF_REG_8
#define R10 BPF_REG_10
#define TYPE_RAW BPFVM_PROG_TYPE_RAW
#define TYPE_SK BPF_PROG_TYPE_SOCKET_FILTER
#define TYPE_XDP BPF_PROG_TYPE_XDP

/* ------------------------------------------------------------ program builder */

/* Instructions from the builder macros, plus labels for jumps and callback
 * addresses (lddw src 4), resolved by pb_end. */
struct pb {
	struct bpf_insn in[512];
	size_t n;
	struct { size_t pc; const char *label; int func; /* 1: target in imm */ } fix[32];
	int nfix;
	struct { const char *name; size_t pc; } lab[32];
	int nlab;
};

static void pb(struct pb *b, struct bpf_insn in)
{
	assert_true(b->n < ARRAY_SIZE(b->in));
	b->in[b->n++] = in;
}

static void pb_lddw(struct pb *b, int reg, int src, uint64_t imm)
{
	struct bpf_insn two[] = { BPF_LD_IMM64_RAW(reg, src, imm) };
	pb(b, two[0]);
	pb(b, two[1]);
}

/* A jump (off resolved) to label. */
static void pb_jmp(struct pb *b, struct bpf_insn in, const char *label)
{
	b->fix[b->nfix].pc = b->n;
	b->fix[b->nfix].label = label;
	b->fix[b->nfix++].func = 0;
	pb(b, in);
}

/* reg = address of the subprogram at label (lddw src 4, BPF_PSEUDO_FUNC). */
static void pb_func(struct pb *b, int reg, const char *label)
{
	b->fix[b->nfix].pc = b->n;
	b->fix[b->nfix].label = label;
	b->fix[b->nfix++].func = 1;
	pb_lddw(b, reg, BPF_PSEUDO_FUNC, 0);
}

/* A bpf-to-bpf call of the subprogram at label. */
static void pb_call(struct pb *b, const char *label)
{
	b->fix[b->nfix].pc = b->n;
	b->fix[b->nfix].label = label;
	b->fix[b->nfix++].func = 1;
	pb(b, BPF_CALL_REL(0));
}

static void pb_label(struct pb *b, const char *name)
{
	b->lab[b->nlab].name = name;
	b->lab[b->nlab++].pc = b->n;
}

/* Stores len bytes of data at r10 + off, 4 bytes per instruction (zero-padded). */
static void pb_stack_bytes(struct pb *b, int off, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t w = 0;
		memcpy(&w, p + i, len - i < 4 ? len - i : 4);
		pb(b, BPF_ST_MEM(BPF_W, R10, (int16_t)(off + (int)i), (int32_t)w));
	}
}

static size_t pb_end(struct pb *b)
{
	for (int i = 0; i < b->nfix; i++) {
		long target = -1;
		for (int j = 0; j < b->nlab; j++)
			if (!strcmp(b->lab[j].name, b->fix[i].label))
				target = (long)b->lab[j].pc;
		assert_true(target >= 0);
		long rel = target - (long)b->fix[i].pc - 1;
		if (b->fix[i].func)
			b->in[b->fix[i].pc].imm = (int32_t)rel;
		else
			b->in[b->fix[i].pc].off = (int16_t)rel;
	}
	return b->n;
}

/* ------------------------------------------------------------ bpfvm side */

static bpfvm_env *env_new(void)
{
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	return env;
}

static int load(bpfvm_env *env, uint32_t type, uint32_t flags, const struct bpf_insn *in, size_t n, bpfvm_prog **p,
		struct bpfvm_error *err)
{
	if (!(flags & (BPFVM_PROG_F_TRUSTED | BPFVM_PROG_F_VERIFY)))
		flags |= BPFVM_PROG_F_NO_VERIFY; /* 0: the runtime-checked engines */
	struct bpfvm_prog_opts o = { .sz = sizeof(o), .type = type, .flags = flags };
	return bpfvm_prog_load(env, in, n, &o, p, err);
}

static bpfvm_prog *load_ok(bpfvm_env *env, uint32_t type, uint32_t flags, struct pb *b)
{
	bpfvm_prog *p = NULL;
	struct bpfvm_error err;
	size_t n = pb_end(b);
	int rc = load(env, type, flags, b->in, n, &p, &err);
	if (rc) {
		char buf[400];
		print_error("load failed: %s\n", bpfvm_error_format(&err, buf, sizeof(buf)));
	}
	assert_int_equal(rc, 0);
	return p;
}

struct run {
	void *mem;
	size_t mem_len;
	const void *frame;
	size_t frame_len;
	uint32_t cpu;
	uint64_t budget;
};

static int run(const bpfvm_prog *p, const struct run *r, uint64_t *r0, struct bpfvm_error *err)
{
	struct bpfvm_run_opts o = { .sz = sizeof(o) };
	if (r) {
		o.mem = r->mem;
		o.mem_len = r->mem_len;
		o.frame = r->frame;
		o.frame_len = r->frame_len;
		o.cpu = r->cpu;
		o.budget = r->budget;
	}
	return bpfvm_prog_run(p, &o, r0, err);
}

static uint64_t run_ok(const bpfvm_prog *p, const struct run *r)
{
	uint64_t r0 = 0;
	struct bpfvm_error err;
	int rc = run(p, r, &r0, &err);
	if (rc) {
		char buf[400];
		print_error("run failed: %s\n", bpfvm_error_format(&err, buf, sizeof(buf)));
	}
	assert_int_equal(rc, 0);
	return r0;
}

/* Loads b checked and trusted, runs both with the same input (mem copied per
 * run) and checks they agree; returns r0 and leaves the checked run's mem in
 * r->mem. */
static uint64_t run_both(bpfvm_env *env, uint32_t type, struct pb *b, const struct run *r)
{
	bpfvm_prog *checked = load_ok(env, type, 0, b);
	bpfvm_prog *trusted = load_ok(env, type, BPFVM_PROG_F_TRUSTED, b);
	struct run copy = r ? *r : (struct run){ 0 };
	void *saved = NULL;
	if (r && r->mem_len) {
		saved = malloc(r->mem_len);
		memcpy(saved, r->mem, r->mem_len);
		copy.mem = malloc(r->mem_len);
		memcpy(copy.mem, r->mem, r->mem_len);
	}
	uint64_t a = run_ok(trusted, &copy);
	if (saved)
		memcpy(r->mem, saved, r->mem_len);
	uint64_t c = run_ok(checked, r);
	assert_int_equal(a, c);
	if (saved) {
		assert_memory_equal(copy.mem, r->mem, r->mem_len);
		free(copy.mem);
		free(saved);
	}
	bpfvm_prog_free(checked);
	bpfvm_prog_free(trusted);
	return c;
}

static int map_new(bpfvm_env *env, uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries)
{
	struct bpfvm_map_opts o = { .sz = sizeof(o), .type = type, .key_size = key_size, .value_size = value_size,
				    .max_entries = max_entries };
	return bpfvm_map_create(env, &o);
}

/* Skips the calling test when this build cannot create maps yet. */
#define NEED_MAPS(env)                                                                         \
	do {                                                                                   \
		if (map_new(env, BPF_MAP_TYPE_ARRAY, 4, 8, 1) < 0) {                            \
			print_message("SKIP: maps cannot be created in this build\n");          \
			bpfvm_env_free(env);                                                   \
			skip();                                                                \
		}                                                                              \
	} while (0)

/* ------------------------------------------------------------ kernel side */

static int kernel_ok(void)
{
	static int state = -1;
	if (state < 0) {
		char why[256];
		state = kbpf_available(why, sizeof(why));
		if (!state)
			print_message("note: no comparison with the kernel: %s\n", why);
	}
	return state;
}

static int kmap_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = max_entries;
	return (int)kbpf_sys(BPF_MAP_CREATE, &a, sizeof(a));
}

static int kmap_update(int fd, const void *key, const void *value)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	return (int)kbpf_sys(BPF_MAP_UPDATE_ELEM, &a, sizeof(a));
}

/* Loads b in the kernel; the fd, or -1 after printing the verifier's log. */
static int kload(uint32_t type, struct pb *b)
{
	static char log[65536];
	size_t n = pb_end(b);
	int fd = kbpf_prog_load(type, b->in, n, log, sizeof(log));
	if (fd < 0)
		print_message("kernel refused the program (%s): %.2000s\n", strerror(-fd), log);
	return fd;
}

/* Loads b in the kernel with the BTF func_info programs with callbacks need
 * (the kernel refuses them without: "missing btf func_info"): a static
 * function "int f(void)" at insn 0 and at the subprogram at label sub. */
static int kload_with_subprog(uint32_t type, struct pb *b, const char *sub)
{
	size_t n = pb_end(b);
	long sub_pc = -1;
	for (int j = 0; j < b->nlab; j++)
		if (!strcmp(b->lab[j].name, sub))
			sub_pc = (long)b->lab[j].pc;
	assert_true(sub_pc > 0);
	static const char strs[] = "\0int\0f\0cb";
	uint32_t types[] = {
		1, (uint32_t)BTF_KIND_INT << 24, 4, 1u << 24 | 32, /* [1] int: signed, 32 bits */
		0, (uint32_t)BTF_KIND_FUNC_PROTO << 24, 1,         /* [2] int (void) */
		5, (uint32_t)BTF_KIND_FUNC << 24, 2,               /* [3] static f */
		7, (uint32_t)BTF_KIND_FUNC << 24, 2,               /* [4] static cb */
	};
	uint8_t blob[256];
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
				.type_off = 0, .type_len = sizeof(types), .str_off = sizeof(types),
				.str_len = sizeof(strs) };
	memcpy(blob, &h, sizeof(h));
	memcpy(blob + sizeof(h), types, sizeof(types));
	memcpy(blob + sizeof(h) + sizeof(types), strs, sizeof(strs));
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.btf = (uint64_t)(uintptr_t)blob;
	a.btf_size = (uint32_t)(sizeof(h) + sizeof(types) + sizeof(strs));
	int btf = (int)kbpf_sys(BPF_BTF_LOAD, &a, sizeof(a));
	if (btf < 0) {
		print_message("kernel refused the BTF: %s\n", strerror(-btf));
		return btf;
	}
	struct bpf_func_info fi[2] = { { 0, 3 }, { (uint32_t)sub_pc, 4 } };
	static char log[65536];
	static const char license[] = "GPL";
	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)b->in;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)license;
	a.prog_btf_fd = (uint32_t)btf;
	a.func_info = (uint64_t)(uintptr_t)fi;
	a.func_info_cnt = 2;
	a.func_info_rec_size = sizeof(fi[0]);
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	log[0] = 0;
	int fd = (int)kbpf_sys(BPF_PROG_LOAD, &a, sizeof(a));
	close(btf);
	if (fd < 0)
		print_message("kernel refused the program (%s): %.2000s\n", strerror(-fd), log);
	return fd;
}

/* TEST_RUN with data_out: the retval and the output frame. */
static int krun_out(int fd, const void *data, size_t len, void *out, uint32_t *out_len, uint32_t *retval)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)data;
	a.test.data_size_in = (uint32_t)len;
	a.test.data_out = (uint64_t)(uintptr_t)out;
	a.test.data_size_out = *out_len;
	a.test.repeat = 1;
	long rc = kbpf_sys(BPF_PROG_TEST_RUN, &a, sizeof(a));
	*out_len = a.test.data_size_out;
	*retval = a.test.retval;
	return (int)rc;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t neg(int e)
{
	return (uint64_t)(int64_t)-e;
}

/* ============================================================ the table */

struct row {
	uint32_t id, kernel_id;
	const char *name;
	struct bpfvm_helper_proto proto;
};

static const struct row rows[] = {
#define HELPER(id, name, impl, ret, a1, a2, a3, a4, a5, progs) \
	{ id, BPF_FUNC_##name, #name, { BPFVM_RET_##ret, { BPFVM_ARG_##a1, BPFVM_ARG_##a2, BPFVM_ARG_##a3, BPFVM_ARG_##a4, BPFVM_ARG_##a5 } } },
#include "helpers.def"
#undef HELPER
};

/* Ids and names against <linux/bpf.h> and the disassembler's list; the
 * public lookup returns each row's prototype; unknown ids give NULL. */
static void test_table(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(rows), 26);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		assert_int_equal(r->id, r->kernel_id);
		struct bpfvm_helper_proto proto;
		memset(&proto, 0xee, sizeof(proto));
		const char *name = bpfvm_builtin_helper(r->id, &proto);
		char want[64];
		snprintf(want, sizeof(want), "bpf_%s", r->name);
		assert_non_null(name);
		assert_string_equal(name, want);
		assert_non_null(isa_helper_name(r->id));
		assert_string_equal(isa_helper_name(r->id), want);
		assert_memory_equal(&proto, &r->proto, sizeof(proto));
		assert_string_equal(bpfvm_builtin_helper(r->id, NULL), want);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(rows[j].id, r->id);
	}
	const uint32_t unknown[] = { 0, 4, 9, 27, 182, 1000, UINT32_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_null(bpfvm_builtin_helper(unknown[i], NULL));
	/* a few prototypes spelled out from the kernel's bpf_func_proto */
	struct bpfvm_helper_proto p;
	bpfvm_builtin_helper(BPF_FUNC_map_lookup_elem, &p);
	assert_int_equal(p.ret, BPFVM_RET_PTR_TO_MAP_VALUE_OR_NULL);
	assert_int_equal(p.args[0], BPFVM_ARG_CONST_MAP_PTR);
	assert_int_equal(p.args[1], BPFVM_ARG_PTR_TO_MAP_KEY);
	assert_int_equal(p.args[2], BPFVM_ARG_NONE);
	bpfvm_builtin_helper(BPF_FUNC_loop, &p);
	assert_int_equal(p.args[1], BPFVM_ARG_PTR_TO_FUNC);
	assert_int_equal(p.args[2], BPFVM_ARG_PTR_TO_STACK_OR_NULL);
	bpfvm_builtin_helper(BPF_FUNC_ringbuf_reserve, &p);
	assert_int_equal(p.ret, BPFVM_RET_PTR_TO_RINGBUF_MEM_OR_NULL);
	assert_int_equal(p.args[1], BPFVM_ARG_CONST_ALLOC_SIZE_OR_ZERO);
	bpfvm_builtin_helper(BPF_FUNC_tail_call, &p);
	assert_int_equal(p.ret, BPFVM_RET_VOID);
	assert_int_equal(p.args[0], BPFVM_ARG_PTR_TO_CTX);
}

/* Which program types may call each helper: raw programs get all but the
 * packet helpers; socket filters and XDP as the kernel decides, asked by
 * loading a one-call program of each type. */
static void test_prog_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		uint32_t id = rows[i].id;
		int allowed = -1;
		assert_non_null(vm_builtin_helper(id, TYPE_RAW, &allowed));
		int packet = id == BPF_FUNC_skb_load_bytes || id == BPF_FUNC_xdp_adjust_head ||
			     id == BPF_FUNC_xdp_adjust_tail;
		assert_int_equal(allowed, !packet);
		assert_non_null(vm_builtin_helper(id, 200, &allowed)); /* an unknown type gets the generic ones */
		assert_int_equal(allowed, !packet && id != BPF_FUNC_csum_diff);
	}
	int allowed = 1;
	assert_null(vm_builtin_helper(4, TYPE_RAW, &allowed));
	assert_int_equal(allowed, 0);
	if (!kernel_ok())
		return;
	static char log[16384];
	const uint32_t types[] = { TYPE_SK, TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS };
	int compared = 0;
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
			struct bpf_insn in[] = { BPF_CALL_HELPER((int32_t)rows[i].id), BPF_MOV64_IMM(R0, 0), BPF_EXIT_INSN() };
			int fd = kbpf_prog_load(types[t], in, ARRAY_SIZE(in), log, sizeof(log));
			if (fd >= 0)
				close(fd);
			int kernel = fd >= 0 || (!strstr(log, "cannot use helper") && !strstr(log, "unknown func"));
			vm_builtin_helper(rows[i].id, types[t], &allowed);
			if (allowed != kernel)
				print_error("helper %s#%u, program type %u: bpfvm %d, kernel %d\n", rows[i].name, rows[i].id,
					    types[t], allowed, kernel);
			assert_int_equal(allowed, kernel);
			compared++;
		}
	}
	print_message("program-type rules: %d (helper, type) pairs agree with the kernel\n", compared);
}

/* Loading refuses a helper the program's type may not use, naming it. */
static void test_load_restrictions(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	const struct { uint32_t type, id; int ok; } cases[] = {
		{ TYPE_SK, BPF_FUNC_xdp_adjust_head, 0 }, { TYPE_SK, BPF_FUNC_xdp_adjust_tail, 0 },
		{ TYPE_SK, BPF_FUNC_csum_diff, 0 },       { TYPE_XDP, BPF_FUNC_skb_load_bytes, 0 },
		{ TYPE_RAW, BPF_FUNC_xdp_adjust_tail, 0 }, { TYPE_RAW, BPF_FUNC_skb_load_bytes, 0 },
		{ TYPE_XDP, BPF_FUNC_xdp_adjust_head, 1 }, { TYPE_SK, BPF_FUNC_skb_load_bytes, 1 },
		{ TYPE_XDP, BPF_FUNC_csum_diff, 1 },       { TYPE_RAW, BPF_FUNC_csum_diff, 1 },
		{ TYPE_SK, BPF_FUNC_trace_printk, 1 },     { TYPE_RAW, BPF_FUNC_loop, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bpf_insn in[] = { BPF_MOV64_IMM(R0, 0), BPF_CALL_HELPER((int32_t)cases[i].id), BPF_EXIT_INSN() };
		bpfvm_prog *p = NULL;
		struct bpfvm_error err;
		int rc = load(env, cases[i].type, 0, in, ARRAY_SIZE(in), &p, &err);
		if (cases[i].ok) {
			assert_int_equal(rc, 0);
			bpfvm_prog_free(p);
			continue;
		}
		assert_int_equal(rc, BPFVM_EHELPER);
		assert_int_equal(err.insn, 1);
		assert_non_null(strstr(err.msg, "program of this type cannot use helper"));
		char want[64];
		snprintf(want, sizeof(want), "%s#%u", isa_helper_name(cases[i].id), cases[i].id);
		assert_non_null(strstr(err.msg, want));
	}
	struct bpf_insn unknown[] = { BPF_CALL_HELPER(4000), BPF_EXIT_INSN() };
	bpfvm_prog *p = NULL;
	struct bpfvm_error err;
	assert_int_equal(load(env, TYPE_RAW, 0, unknown, 2, &p, &err), BPFVM_EHELPER);
	assert_non_null(strstr(err.msg, "unknown helper"));
	bpfvm_env_free(env);
}

/* ============================================================ time, identity */

static uint64_t call0(bpfvm_env *env, uint32_t id, uint32_t cpu)
{
	struct pb b = { .n = 0 };
	pb(&b, BPF_CALL_HELPER((int32_t)id));
	pb(&b, BPF_EXIT_INSN());
	bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
	struct run r = { .cpu = cpu };
	uint64_t r0 = run_ok(p, &r);
	bpfvm_prog_free(p);
	return r0;
}

/* The kernel's value of a clock helper, shifted right (TEST_RUN returns 32 bits). */
static int kernel_clock(uint32_t id, int shift, uint64_t *out)
{
	struct pb b = { .n = 0 };
	pb(&b, BPF_CALL_HELPER((int32_t)id));
	pb(&b, BPF_ALU64_IMM(BPF_RSH, R0, shift));
	pb(&b, BPF_EXIT_INSN());
	int fd = kload(TYPE_SK, &b);
	if (fd < 0)
		return -1;
	uint8_t frame[64] = { 0 };
	uint32_t ret = 0;
	int rc = kbpf_test_run(fd, frame, sizeof(frame), 1, &ret, NULL);
	close(fd);
	*out = ret;
	return rc;
}

static void test_clocks(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	uint64_t k = call0(env, BPF_FUNC_ktime_get_ns, 0);
	uint64_t t1 = now_ns(CLOCK_MONOTONIC);
	assert_true(t0 <= k && k <= t1);
	t0 = now_ns(CLOCK_BOOTTIME);
	k = call0(env, BPF_FUNC_ktime_get_boot_ns, 0);
	t1 = now_ns(CLOCK_BOOTTIME);
	assert_true(t0 <= k && k <= t1);
	/* jiffies: 250 per second of CLOCK_MONOTONIC */
	t0 = now_ns(CLOCK_MONOTONIC);
	uint64_t j0 = call0(env, BPF_FUNC_jiffies64, 0);
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	nanosleep(&nap, NULL);
	uint64_t j1 = call0(env, BPF_FUNC_jiffies64, 0);
	t1 = now_ns(CLOCK_MONOTONIC);
	uint64_t ticks = (t1 - t0) / 4000000u; /* 4 ms a tick; at least 200 ms passed between the calls */
	assert_true(j1 - j0 >= 49 && j1 - j0 <= ticks + 1);
	if (kernel_ok()) {
		/* the kernel's clocks, in units of 2^20 ns; its jiffies, low 32 bits */
		uint64_t kk = 0, kb = 0, kj = 0;
		assert_int_equal(kernel_clock(BPF_FUNC_ktime_get_ns, 20, &kk), 0);
		uint64_t bk = call0(env, BPF_FUNC_ktime_get_ns, 0) >> 20;
		assert_int_equal(kernel_clock(BPF_FUNC_ktime_get_boot_ns, 20, &kb), 0);
		uint64_t bb = call0(env, BPF_FUNC_ktime_get_boot_ns, 0) >> 20;
		assert_int_equal(kernel_clock(BPF_FUNC_jiffies64, 0, &kj), 0);
		uint64_t bj = call0(env, BPF_FUNC_jiffies64, 0) & 0xffffffffu;
		print_message("clocks: ktime kernel %" PRIu64 " bpfvm %" PRIu64 ", boot %" PRIu64 "/%" PRIu64
			      ", jiffies %" PRIu64 "/%" PRIu64 "\n", kk, bk, kb, bb, kj, bj);
		assert_true(bk >= kk && bk - kk <= 2);
		assert_true(bb >= kb && bb - kb <= 2);
		/* same base (INITIAL_JIFFIES) and rate; the kernel's count starts a
		 * little before or after CLOCK_MONOTONIC's zero: allow 2 seconds */
		assert_true(bj + 500 >= kj && bj <= kj + 500);
	}
	bpfvm_env_free(env);
}

static void test_identity(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	bpfvm_env_set_ncpus(env, 4);
	for (uint32_t cpu = 0; cpu < 4; cpu++)
		assert_int_equal(call0(env, BPF_FUNC_get_smp_processor_id, cpu), cpu);
	uint64_t want = (uint64_t)getpid() << 32 | (uint32_t)syscall(SYS_gettid);
	assert_int_equal(call0(env, BPF_FUNC_get_current_pid_tgid, 0), want);
	/* prandom: 32-bit values, (practically) all different */
	uint64_t v[64];
	int distinct = 0;
	for (int i = 0; i < 64; i++) {
		v[i] = call0(env, BPF_FUNC_get_prandom_u32, 0);
		assert_true(v[i] <= UINT32_MAX);
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= v[j] == v[i];
		distinct += !seen;
	}
	assert_true(distinct >= 62);
	bpfvm_env_free(env);
}

/* ============================================================ probe_read_kernel */

static const uint64_t host_secret = 0x5ec7e75ec7e75ec7ULL;

/* mem[32]: reads size bytes from src (an offset into mem, or a host address
 * when host_src) into a 0xaa-filled stack slot; stores the result in mem[16]
 * and the slot in mem[24]. */
static void probe_prog(struct pb *b, int64_t src, int host_src, uint32_t size, int host_dst)
{
	pb(b, BPF_MOV64_REG(R6, R1));
	pb_lddw(b, R1, 0, 0xaaaaaaaaaaaaaaaaULL);
	pb(b, BPF_STX_MEM(BPF_DW, R10, R1, -8));
	if (host_dst) {
		pb_lddw(b, R1, 0, (uint64_t)(uintptr_t)&host_secret);
	} else {
		pb(b, BPF_MOV64_REG(R1, R10));
		pb(b, BPF_ALU64_IMM(BPF_ADD, R1, -8));
	}
	pb(b, BPF_MOV64_IMM(R2, (int32_t)size));
	if (host_src) {
		pb_lddw(b, R3, 0, (uint64_t)src);
	} else {
		pb(b, BPF_MOV64_REG(R3, R6));
		pb(b, BPF_ALU64_IMM(BPF_ADD, R3, (int32_t)src));
	}
	pb(b, BPF_CALL_HELPER(BPF_FUNC_probe_read_kernel));
	pb(b, BPF_STX_MEM(BPF_DW, R6, R0, 16));
	pb(b, BPF_LDX_MEM(BPF_DW, R1, R10, -8));
	pb(b, BPF_STX_MEM(BPF_DW, R6, R1, 24));
	pb(b, BPF_EXIT_INSN());
}

static void test_probe_read_kernel(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	const struct { int64_t src; int host; uint32_t size; uint64_t rc; int copied; } cases[] = {
		{ 4, 0, 8, 0, 1 },
		{ 0, 0, 3, 0, 1 },
		{ 0, 0, 0, 0, 0 },
		{ 28, 0, 8, neg(EFAULT), 0 },          /* crosses the end of mem */
		{ -8, 0, 8, neg(EFAULT), 0 },          /* before mem */
		{ (int64_t)(uintptr_t)&host_secret, 1, 8, neg(EFAULT), 0 }, /* host memory is "kernel memory" */
		{ 0, 1, 8, neg(EFAULT), 0 },           /* NULL */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t mem[32];
		for (int j = 0; j < 32; j++)
			mem[j] = (uint8_t)(j * 7 + 1);
		uint8_t orig[32];
		memcpy(orig, mem, sizeof(mem));
		struct pb b = { .n = 0 };
		probe_prog(&b, cases[i].src, cases[i].host, cases[i].size, 0);
		struct run r = { .mem = mem, .mem_len = sizeof(mem) };
		run_both(env, TYPE_RAW, &b, &r);
		uint64_t rc, slot;
		memcpy(&rc, mem + 16, 8);
		memcpy(&slot, mem + 24, 8);
		assert_int_equal(rc, cases[i].rc);
		uint8_t want[8];
		memset(want, 0xaa, 8);
		if (cases[i].copied)
			memcpy(want, orig + cases[i].src, cases[i].size);
		else if (cases[i].rc)
			memset(want, 0, cases[i].size); /* failed: the destination is zeroed */
		assert_memory_equal(&slot, want, 8);
	}
	/* checked run, destination outside the program's memory: -EFAULT, host untouched */
	uint8_t mem[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pb b = { .n = 0 };
	probe_prog(&b, 0, 0, 8, 1);
	bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
	struct run r = { .mem = mem, .mem_len = sizeof(mem) };
	run_ok(p, &r);
	uint64_t rc;
	memcpy(&rc, mem + 16, 8);
	assert_int_equal(rc, neg(EFAULT));
	assert_int_equal(host_secret, 0x5ec7e75ec7e75ec7ULL);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* ============================================================ trace_printk */

struct capture {
	int n;
	char line[4][1400];
};

static void capture_line(void *cookie, const char *line)
{
	struct capture *c = cookie;
	if (c->n < 4)
		snprintf(c->line[c->n], sizeof(c->line[0]), "%s", line);
	c->n++;
}

enum { ARG_IMM, ARG_STACK, ARG_MEM };
struct parg {
	int kind;
	uint64_t v; /* the value, or the offset from r10 / into mem */
};

#define IMM(x) ((struct parg){ ARG_IMM, (uint64_t)(x) })
#define STK(off) ((struct parg){ ARG_STACK, (uint64_t)(int64_t)(off) })
#define MEM(off) ((struct parg){ ARG_MEM, (uint64_t)(off) })

struct printk_case {
	const char *fmt;
	int fmt_size;         /* -1: strlen + 1 */
	struct parg a[3];
	const char *stack;    /* a NUL-terminated string put at r10 - 256 */
	void *mem;            /* r1 of the raw program */
	size_t mem_len;
	uint32_t cpu;
};

/* Runs bpf_trace_printk(fmt at r10 - 128, size, args) in a raw program;
 * returns r0 and the captured output. */
static uint64_t printk_run(const struct printk_case *c, struct capture *cap, int trusted)
{
	bpfvm_env *env = env_new();
	bpfvm_env_set_ncpus(env, 4);
	memset(cap, 0, sizeof(*cap));
	bpfvm_env_set_printk(env, capture_line, cap);
	struct pb b = { .n = 0 };
	pb(&b, BPF_MOV64_REG(R6, R1));
	size_t flen = strlen(c->fmt) + 1;
	assert_true(flen <= 128);
	pb_stack_bytes(&b, -128, c->fmt, flen);
	if (c->stack)
		pb_stack_bytes(&b, -256, c->stack, strlen(c->stack) + 1);
	pb(&b, BPF_MOV64_REG(R1, R10));
	pb(&b, BPF_ALU64_IMM(BPF_ADD, R1, -128));
	pb(&b, BPF_MOV64_IMM(R2, c->fmt_size < 0 ? (int32_t)flen : c->fmt_size));
	for (int i = 0; i < 3; i++) {
		int reg = R3 + i;
		if (c->a[i].kind == ARG_IMM) {
			pb_lddw(&b, reg, 0, c->a[i].v);
		} else {
			pb(&b, BPF_MOV64_REG(reg, c->a[i].kind == ARG_STACK ? R10 : R6));
			pb(&b, BPF_ALU64_IMM(BPF_ADD, reg, (int32_t)c->a[i].v));
		}
	}
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_trace_printk));
	pb(&b, BPF_EXIT_INSN());
	bpfvm_prog *p = load_ok(env, TYPE_RAW, trusted ? BPFVM_PROG_F_TRUSTED : 0, &b);
	struct run r = { .mem = c->mem, .mem_len = c->mem_len, .cpu = c->cpu };
	uint64_t r0 = run_ok(p, &r);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
	return r0;
}

/* The text after the trace_pipe prefix, checking the prefix on the way. */
static const char *printk_text(const char *line, uint32_t cpu)
{
	const char *tag = strstr(line, ": bpf_trace_printk: ");
	assert_non_null(tag);
	char comm[17] = { 0 };
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	char want[64];
	snprintf(want, sizeof(want), "%16s-%-7ld [%03u] ..... ", comm, (long)syscall(SYS_gettid), cpu);
	assert_int_equal(strncmp(line, want, strlen(want)), 0);
	unsigned long long sec = 0;
	unsigned usec = 0;
	char colon = 0;
	assert_int_equal(sscanf(line + strlen(want), "%llu.%6u%c", &sec, &usec, &colon), 3);
	assert_int_equal(colon, ':');
	uint64_t mono = now_ns(CLOCK_MONOTONIC) / 1000000000u;
	assert_true(sec <= mono && sec + 5 >= mono);
	return tag + strlen(": bpf_trace_printk: ");
}

/* One case, checked and trusted: r0 and the text against want (NULL: no
 * output, r0 = err). */
static void printk_expect(const struct printk_case *c, const char *want, int err)
{
	for (int trusted = 0; trusted < 2; trusted++) {
		struct capture cap;
		uint64_t r0 = printk_run(c, &cap, trusted);
		if (!want) {
			if (r0 != neg(err))
				print_error("fmt \"%s\": r0 %" PRId64 ", want %d\n", c->fmt, (int64_t)r0, -err);
			assert_int_equal(r0, neg(err));
			assert_int_equal(cap.n, 0);
			continue;
		}
		assert_int_equal(cap.n, 1);
		const char *text = printk_text(cap.line[0], c->cpu);
		if (strcmp(text, want))
			print_error("fmt \"%s\": got \"%s\", want \"%s\"\n", c->fmt, text, want);
		assert_string_equal(text, want);
		assert_int_equal(r0, strlen(want));
	}
}

static void test_trace_printk_formats(void **state)
{
	(void)state;
	char want[1100];
	struct printk_case c;

#define CASE(F, A1, A2, A3) (c = (struct printk_case){ .fmt = (F), .fmt_size = -1, .a = { A1, A2, A3 } })
	CASE("a=%d b=%u c=%x\n", IMM(-5), IMM(7), IMM(255));
	snprintf(want, sizeof(want), "a=%d b=%u c=%x\n", -5, 7u, 255u);
	printk_expect(&c, want, 0);

	/* 32-bit conversions take the low half */
	CASE("%d %u %X", IMM(0x100000005ULL), IMM(-1), IMM(0xabcdef0012345678ULL));
	snprintf(want, sizeof(want), "%d %u %X", 5, 4294967295u, 0x12345678u);
	printk_expect(&c, want, 0);

	CASE("%ld %lu %lx", IMM(-1234567890123LL), IMM(-1), IMM(0xdeadbeefcafeULL));
	snprintf(want, sizeof(want), "%lld %llu %llx", -1234567890123LL, 18446744073709551615ULL, 0xdeadbeefcafeULL);
	printk_expect(&c, want, 0);

	CASE("%lld|%llu|%llX", IMM(INT64_MIN), IMM(42), IMM(0xfedcba9876543210ULL));
	snprintf(want, sizeof(want), "%lld|%llu|%llX", (long long)INT64_MIN, 42ULL, 0xfedcba9876543210ULL);
	printk_expect(&c, want, 0);

	CASE("%i %li %lli", IMM(-7), IMM(-8), IMM(-9));
	printk_expect(&c, "-7 -8 -9", 0);

	CASE("[%5d|%-5d|%05d]", IMM(42), IMM(-42), IMM(-42));
	snprintf(want, sizeof(want), "[%5d|%-5d|%05d]", 42, -42, -42);
	printk_expect(&c, want, 0);

	CASE("[%+d|% d|%-08x]", IMM(3), IMM(3), IMM(0xbeef));
	snprintf(want, sizeof(want), "[%+d|% d|%-8x]", 3, 3, 0xbeefu); /* 0 is ignored with - */
	printk_expect(&c, want, 0);

	CASE("100%% %d%%", IMM(7), IMM(0), IMM(0));
	printk_expect(&c, "100% 7%", 0);

	CASE("%c%c%3c", IMM('a'), IMM(0x162), IMM('c')); /* a char is the low byte */
	printk_expect(&c, "ab  c", 0);

	CASE("<%s> <%5s> <%-4s|", STK(-256), STK(-256), STK(-256));
	c.stack = "hi";
	printk_expect(&c, "<hi> <   hi> <hi  |", 0);

	/* %p: 16 hex digits of the value (the kernel would hash it) */
	CASE("%p|%px %pK", IMM(0x1234), IMM(0xffff888012345678ULL), IMM(0));
	printk_expect(&c, "0000000000001234|ffff888012345678 0000000000000000", 0);
	CASE("%ps %pS", IMM(0xffffffff81000000ULL), IMM(16), IMM(0));
	printk_expect(&c, "0xffffffff81000000 0x10", 0);
	CASE("%pxab.", IMM(0xab), IMM(0), IMM(0)); /* letters after a %p form are swallowed, as bstr_printf does */
	printk_expect(&c, "00000000000000ab.", 0);

	/* addresses read from program memory */
	uint8_t ip[32] = { 192, 168, 1, 2, 0, 0, 0, 0,  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			   0,   0,   0, 0, 0, 0, 0, 0x01 };
	CASE("%pI4 %pi4 %pI6", MEM(0), MEM(0), MEM(8));
	c.mem = ip;
	c.mem_len = sizeof(ip);
	printk_expect(&c, "192.168.1.2 192.168.001.002 2001:0db8:0000:0000:0000:0000:0000:0001", 0);
	CASE("%pi6", MEM(8), IMM(0), IMM(0));
	c.mem = ip;
	c.mem_len = sizeof(ip);
	printk_expect(&c, "20010db8000000000000000000000001", 0);
	CASE("%pI4!", IMM(0x10), IMM(0), IMM(0)); /* unreadable: zeroes */
	printk_expect(&c, "0.0.0.0!", 0);

	/* strings: unreadable ones print empty; a string running into the end of
	 * memory is unreadable too; %pks and %pus read the program's memory */
	char abcd[4] = { 'a', 'b', 'c', 'd' };
	CASE("[%s][%s][%pks]", IMM((uintptr_t)&host_secret), MEM(0), MEM(2));
	c.mem = abcd;
	c.mem_len = sizeof(abcd);
	printk_expect(&c, "[][][]", 0);
	char hello[8] = "hello";
	CASE("%pus,%pks.", MEM(0), MEM(1), IMM(0));
	c.mem = hello;
	c.mem_len = sizeof(hello);
	printk_expect(&c, "hello,ello.", 0);

	/* the CPU slot shows in the prefix */
	CASE("cpu", IMM(0), IMM(0), IMM(0));
	c.cpu = 3;
	printk_expect(&c, "cpu", 0);

	/* a trailing newline stays in the text; fmt_size may exceed the string */
	CASE("line\n", IMM(0), IMM(0), IMM(0));
	c.fmt_size = 100;
	printk_expect(&c, "line\n", 0);
#undef CASE
}

static void test_trace_printk_limits(void **state)
{
	(void)state;
	char want[1100];
	struct printk_case c;
#define CASE(F, A1, A2, A3) (c = (struct printk_case){ .fmt = (F), .fmt_size = -1, .a = { A1, A2, A3 } })
	/* the text is cut to 1023 characters; r0 is the whole length */
	CASE("%500d%500d%100d", IMM(1), IMM(2), IMM(3));
	struct capture cap;
	uint64_t r0 = printk_run(&c, &cap, 0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
	int full = snprintf(want, 1024, "%500d%500d%100d", 1, 2, 3);
#pragma GCC diagnostic pop
	assert_int_equal(r0, full);
	assert_int_equal(full, 1100);
	assert_int_equal(cap.n, 1);
	assert_string_equal(printk_text(cap.line[0], 0), want);
	assert_int_equal(strlen(want), 1023);

	/* strings share the 512-byte argument buffer: a long one is cut to 511
	 * characters, and nothing fits after it (-ENOSPC) */
	char big[700];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CASE("%s", MEM(0), IMM(0), IMM(0));
	c.mem = big;
	c.mem_len = sizeof(big);
	memset(want, 'A', 511);
	want[511] = 0;
	printk_expect(&c, want, 0);
	CASE("%s%d", MEM(0), IMM(1), IMM(0));
	c.mem = big;
	c.mem_len = sizeof(big);
	printk_expect(&c, NULL, ENOSPC);
	CASE("%s%c", MEM(0), IMM('x'), IMM(0));
	c.mem = big;
	c.mem_len = sizeof(big);
	printk_expect(&c, NULL, ENOSPC);
	CASE("%s%c", MEM(200), IMM('x'), IMM(0)); /* 499 + 1 bytes: room for the char */
	c.mem = big;
	c.mem_len = sizeof(big);
	memset(want, 'A', 499);
	want[499] = 'x';
	want[500] = 0;
	printk_expect(&c, want, 0);

	/* format errors: -EINVAL and no output */
	const char *bad[] = {
		"%d%d%d%d", "%q", "%#x", "%hd", "%5.2d", "%sx", "%lq", "%lllu", "%pZ", "%pi5", "%", "tab\x01", "\x80",
		"%-%",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CASE(bad[i], IMM(1), IMM(2), IMM(3));
		printk_expect(&c, NULL, EINVAL);
	}
	CASE("no nul", IMM(0), IMM(0), IMM(0));
	c.fmt_size = 6; /* the NUL is not within fmt_size */
	printk_expect(&c, NULL, EINVAL);
	CASE("", IMM(0), IMM(0), IMM(0));
	c.fmt_size = 0;
	printk_expect(&c, NULL, EINVAL);
	CASE("%%%%", IMM(0), IMM(0), IMM(0)); /* no conversion: any args */
	printk_expect(&c, "%%", 0);
	CASE(" \t\n\v\f\r~", IMM(0), IMM(0), IMM(0)); /* white space and the last printable */
	printk_expect(&c, " \t\n\v\f\r~", 0);
#undef CASE

	/* checked run: fmt outside the program's memory is -EFAULT */
	bpfvm_env *env = env_new();
	memset(&cap, 0, sizeof(cap));
	bpfvm_env_set_printk(env, capture_line, &cap);
	static const char host_fmt[] = "host %d";
	struct pb b = { .n = 0 };
	pb_lddw(&b, R1, 0, (uint64_t)(uintptr_t)host_fmt);
	pb(&b, BPF_MOV64_IMM(R2, sizeof(host_fmt)));
	pb(&b, BPF_MOV64_IMM(R3, 1));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_trace_printk));
	pb(&b, BPF_EXIT_INSN());
	bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
	assert_int_equal(run_ok(p, NULL), neg(EFAULT));
	assert_int_equal(cap.n, 0);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* Without a hook the line goes to stderr, followed by a newline. */
static void test_trace_printk_stderr(void **state)
{
	(void)state;
	char path[] = "/tmp/bpfvm-printk-XXXXXX";
	int tmp = mkstemp(path);
	assert_true(tmp >= 0);
	unlink(path);
	bpfvm_env *env = env_new();
	struct pb b = { .n = 0 };
	pb_stack_bytes(&b, -16, "to stderr %d", 13);
	pb(&b, BPF_MOV64_REG(R1, R10));
	pb(&b, BPF_ALU64_IMM(BPF_ADD, R1, -16));
	pb(&b, BPF_MOV64_IMM(R2, 13));
	pb(&b, BPF_MOV64_IMM(R3, 7));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_trace_printk));
	pb(&b, BPF_EXIT_INSN());
	bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(tmp, 2), 2);
	uint64_t r0 = 0;
	struct bpfvm_error err;
	int rc = run(p, NULL, &r0, &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(rc, 0);
	assert_int_equal(r0, strlen("to stderr 7"));
	char out[512] = { 0 };
	ssize_t got = pread(tmp, out, sizeof(out) - 1, 0);
	close(tmp);
	assert_true(got > 0);
	size_t len = strlen(out);
	assert_true(len > 0 && out[len - 1] == '\n' && !strchr(out, '\n')[1]); /* one line */
	out[len - 1] = 0;
	assert_string_equal(printk_text(out, 0), "to stderr 7");
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* ============================================================ csum_diff */

/* The ones'-complement sum of the little-endian 16-bit words of p (a last odd
 * byte padded), mod 0xffff: RFC 1071's sum, computed independently of the
 * 32-bit folding the helper does. */
static uint32_t ones_sum(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i += 2)
		s += p[i] | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
	return (uint32_t)(s % 0xffff);
}

/* XDP: csum_diff(data + fo, fs, data + to, ts, seed); a NULL pointer where a
 * size is 0 and null is set. */
static void csum_prog(struct pb *b, int fo, int fs, int to, int ts, uint64_t seed, int null)
{
	pb(b, BPF_LDX_MEM(BPF_W, R6, R1, 0));
	pb(b, BPF_LDX_MEM(BPF_W, R7, R1, 4));
	pb(b, BPF_MOV64_REG(R8, R6));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R8, 64));
	pb_jmp(b, BPF_JMP_REG(BPF_JGT, R8, R7, 0), "short");
	pb(b, BPF_MOV64_REG(R1, R6));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R1, fo));
	if (null && !fs)
		pb(b, BPF_MOV64_IMM(R1, 0));
	pb(b, BPF_MOV64_IMM(R2, fs));
	pb(b, BPF_MOV64_REG(R3, R6));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R3, to));
	if (null && !ts)
		pb(b, BPF_MOV64_IMM(R3, 0));
	pb(b, BPF_MOV64_IMM(R4, ts));
	pb_lddw(b, R5, 0, seed);
	pb(b, BPF_CALL_HELPER(BPF_FUNC_csum_diff));
	pb(b, BPF_EXIT_INSN());
	pb_label(b, "short");
	pb(b, BPF_MOV64_IMM(R0, 0x7fffffff));
	pb(b, BPF_EXIT_INSN());
}

static void test_csum_diff(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	int kernel = kernel_ok(), compared = 0;
	uint64_t rng = 0xc5c5;
	uint8_t frame[128];
	for (int iter = 0; iter < 300; iter++) {
		for (size_t i = 0; i < sizeof(frame); i++)
			frame[i] = (uint8_t)splitmix(&rng);
		if (iter % 7 == 1)
			memset(frame, 0, sizeof(frame));
		if (iter % 7 == 2)
			memset(frame, 0xff, sizeof(frame));
		int fs = (int)(splitmix(&rng) % 33), ts = (int)(splitmix(&rng) % 33);
		if (iter % 5 == 0)
			fs = 0;
		if (iter % 5 == 1)
			ts = 0;
		int fo = (int)(splitmix(&rng) % (uint64_t)(65 - fs)), to = (int)(splitmix(&rng) % (uint64_t)(65 - ts));
		uint64_t seeds[] = { 0, 0xffffffffu, 0xffff, (uint32_t)splitmix(&rng), splitmix(&rng) };
		uint64_t seed = seeds[splitmix(&rng) % ARRAY_SIZE(seeds)];
		int null = iter & 1;
		struct pb b = { .n = 0 };
		csum_prog(&b, fo, fs, to, ts, seed, null);
		struct run r = { .frame = frame, .frame_len = sizeof(frame) };
		uint64_t got = run_both(env, TYPE_XDP, &b, &r);
		assert_true(got <= 0xffff);
		/* seed + sum(to) - sum(from), mod 0xffff (0 and 0xffff are both zero) */
		uint32_t want = (uint32_t)(((uint32_t)seed % 0xffff + ones_sum(frame + to, (size_t)ts) + 0xffff -
					    ones_sum(frame + fo, (size_t)fs)) % 0xffff);
		if (got % 0xffff != want)
			print_error("csum_diff(%d@%d, %d@%d, seed %#" PRIx64 "): %#" PRIx64 ", want %#x mod 0xffff\n", fs, fo,
				    ts, to, seed, got, want);
		assert_int_equal(got % 0xffff, want);
		/* the seed's high half is ignored */
		if (seed >> 32) {
			struct pb b2 = { .n = 0 };
			csum_prog(&b2, fo, fs, to, ts, (uint32_t)seed, null);
			assert_int_equal(run_both(env, TYPE_XDP, &b2, &r), got);
		}
		if (kernel) {
			int fd = kload(TYPE_XDP, &b);
			assert_true(fd >= 0);
			uint32_t kret = 0;
			assert_int_equal(kbpf_test_run(fd, frame, sizeof(frame), 1, &kret, NULL), 0);
			close(fd);
			if (kret != got)
				print_error("csum_diff(%d@%d, %d@%d, seed %#" PRIx64 "): bpfvm %#" PRIx64 ", kernel %#x\n", fs, fo,
					    ts, to, seed, got, kret);
			assert_int_equal(kret, got);
			compared++;
		}
	}
	if (kernel)
		print_message("csum_diff: %d cases agree with the kernel\n", compared);
	/* checked run: memory outside the program's is -EFAULT */
	struct pb b = { .n = 0 };
	pb_lddw(&b, R1, 0, (uint64_t)(uintptr_t)&host_secret);
	pb(&b, BPF_MOV64_IMM(R2, 8));
	pb(&b, BPF_MOV64_IMM(R3, 0));
	pb(&b, BPF_MOV64_IMM(R4, 0));
	pb(&b, BPF_MOV64_IMM(R5, 0));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_csum_diff));
	pb(&b, BPF_EXIT_INSN());
	bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
	assert_int_equal(run_ok(p, NULL), neg(EFAULT));
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* ============================================================ skb_load_bytes */

/* Socket filter: skb_load_bytes(skb, off, fp - 8, len) into 0xff bytes;
 * returns rc * 0x9e3779b1 ^ the 8 bytes folded to 32 bits. */
static void skb_load_prog(struct pb *b, uint32_t off, int len)
{
	pb(b, BPF_MOV64_REG(R6, R1));
	pb(b, BPF_ST_MEM(BPF_DW, R10, -8, -1));
	pb(b, BPF_MOV64_REG(R1, R6));
	pb(b, BPF_MOV32_IMM(R2, (int32_t)off));
	pb(b, BPF_MOV64_REG(R3, R10));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R3, -8));
	pb(b, BPF_MOV64_IMM(R4, len));
	pb(b, BPF_CALL_HELPER(BPF_FUNC_skb_load_bytes));
	pb(b, BPF_LDX_MEM(BPF_DW, R1, R10, -8));
	pb(b, BPF_MOV64_REG(R2, R1));
	pb(b, BPF_ALU64_IMM(BPF_RSH, R2, 32));
	pb(b, BPF_ALU64_REG(BPF_XOR, R1, R2));
	pb(b, BPF_ALU64_IMM(BPF_MUL, R0, (int32_t)0x9e3779b1));
	pb(b, BPF_ALU64_REG(BPF_XOR, R0, R1));
	pb(b, BPF_EXIT_INSN());
}

static void test_skb_load_bytes(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	uint8_t frame[60], kdata[14 + 60];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 13 + 5);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memcpy(kdata, frame, 14); /* the kernel shows a socket filter the data after 14 bytes */
	memcpy(kdata + 14, frame, sizeof(frame));
	const uint32_t offs[] = { 0, 1, 12, 52, 56, 58, 59, 60, 64, 0x7fffffff, 0x80000000u, 0xfffffffeu };
	const int lens[] = { 1, 2, 4, 8 };
	int compared = 0;
	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(lens); j++) {
			uint32_t off = offs[i];
			int len = lens[j];
			struct pb b = { .n = 0 };
			skb_load_prog(&b, off, len);
			struct run r = { .frame = frame, .frame_len = sizeof(frame) };
			uint64_t got = run_both(env, TYPE_SK, &b, &r);
			/* expected from the frame itself */
			int ok = off <= INT32_MAX && (uint64_t)off + (uint64_t)len <= sizeof(frame);
			uint8_t buf[8];
			memset(buf, 0xff, 8);
			if (ok)
				memcpy(buf, frame + off, (size_t)len);
			else
				memset(buf, 0, (size_t)len);
			uint64_t w;
			memcpy(&w, buf, 8);
			uint64_t rc = ok ? 0 : neg(EFAULT);
			uint64_t want = rc * (uint64_t)(int64_t)(int32_t)0x9e3779b1 ^ (w ^ (w >> 32));
			assert_int_equal(got, want);
			if (kernel_ok()) {
				int fd = kload(TYPE_SK, &b);
				assert_true(fd >= 0);
				uint32_t kret = 0;
				assert_int_equal(kbpf_test_run(fd, kdata, sizeof(kdata), 1, &kret, NULL), 0);
				close(fd);
				assert_int_equal(kret, (uint32_t)got);
				compared++;
			}
		}
	}
	if (compared)
		print_message("skb_load_bytes: %d cases agree with the kernel\n", compared);
	/* checked run: a destination outside the program's memory is -EFAULT */
	struct pb b = { .n = 0 };
	pb(&b, BPF_MOV64_IMM(R2, 0));
	pb_lddw(&b, R3, 0, (uint64_t)(uintptr_t)&host_secret);
	pb(&b, BPF_MOV64_IMM(R4, 8));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_skb_load_bytes));
	pb(&b, BPF_EXIT_INSN());
	bpfvm_prog *p = load_ok(env, TYPE_SK, 0, &b);
	struct run r = { .frame = frame, .frame_len = sizeof(frame) };
	assert_int_equal(run_ok(p, &r), neg(EFAULT));
	assert_int_equal(host_secret, 0x5ec7e75ec7e75ec7ULL);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* ============================================================ XDP */

/* XDP: rc = helper(ctx, delta); on success writes 0xab at the new data[0]
 * and returns data_end - data; else returns rc. */
static void xdp_adjust_prog(struct pb *b, uint32_t id, int32_t delta)
{
	pb(b, BPF_MOV64_REG(R6, R1));
	pb(b, BPF_MOV64_IMM(R2, delta));
	pb(b, BPF_CALL_HELPER((int32_t)id));
	pb_jmp(b, BPF_JMP_IMM(BPF_JNE, R0, 0, 0), "out");
	pb(b, BPF_LDX_MEM(BPF_W, R2, R6, 0));
	pb(b, BPF_LDX_MEM(BPF_W, R3, R6, 4));
	pb(b, BPF_MOV64_REG(R4, R2));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R4, 1));
	pb_jmp(b, BPF_JMP_REG(BPF_JGT, R4, R3, 0), "len");
	pb(b, BPF_ST_MEM(BPF_B, R2, 0, 0xab));
	pb_label(b, "len");
	pb(b, BPF_MOV64_REG(R0, R3));
	pb(b, BPF_ALU64_REG(BPF_SUB, R0, R2));
	pb_label(b, "out");
	pb(b, BPF_EXIT_INSN());
}

static void test_xdp_adjust(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	uint8_t frame[64];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(0x40 + i);
	const int len = (int)sizeof(frame);
	const struct { uint32_t id; int32_t delta; int ok; int kernel; } cases[] = {
		{ BPF_FUNC_xdp_adjust_head, 0, 1, 1 },
		{ BPF_FUNC_xdp_adjust_head, -14, 1, 1 },
		{ BPF_FUNC_xdp_adjust_head, 14, 1, 1 },
		{ BPF_FUNC_xdp_adjust_head, -216, 1, 1 },  /* 256 bytes of headroom, 40 kept for struct xdp_frame */
		{ BPF_FUNC_xdp_adjust_head, -217, 0, 1 },
		{ BPF_FUNC_xdp_adjust_head, len - 14, 1, 1 }, /* 14 bytes (ETH_HLEN) must stay */
		{ BPF_FUNC_xdp_adjust_head, len - 13, 0, 1 },
		{ BPF_FUNC_xdp_adjust_head, INT32_MIN, 0, 1 },
		{ BPF_FUNC_xdp_adjust_tail, 0, 1, 1 },
		{ BPF_FUNC_xdp_adjust_tail, -10, 1, 1 },
		{ BPF_FUNC_xdp_adjust_tail, 10, 1, 1 },
		{ BPF_FUNC_xdp_adjust_tail, -(len - 14), 1, 1 },
		{ BPF_FUNC_xdp_adjust_tail, -(len - 13), 0, 1 },
		{ BPF_FUNC_xdp_adjust_tail, 256, 1, 0 },   /* bpfvm's tailroom; TEST_RUN has a page */
		{ BPF_FUNC_xdp_adjust_tail, 257, 0, 0 },
		{ BPF_FUNC_xdp_adjust_tail, INT32_MAX, 0, 1 },
	};
	int compared = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pb b = { .n = 0 };
		xdp_adjust_prog(&b, cases[i].id, cases[i].delta);
		bpfvm_prog *p = load_ok(env, TYPE_XDP, 0, &b);
		bpfvm_exec *ex = bpfvm_exec_new(env);
		assert_non_null(ex);
		struct bpfvm_run_opts o = { .sz = sizeof(o), .frame = frame, .frame_len = sizeof(frame) };
		uint64_t r0 = 0;
		struct bpfvm_error err;
		uint8_t first[600];
		size_t first_len = 0;
		for (int rep = 0; rep < 2; rep++) { /* twice on one exec: the grown bytes are zeroed again */
			assert_int_equal(bpfvm_exec_run(ex, p, &o, &r0, &err), 0);
			size_t out_len = 0;
			const uint8_t *out = bpfvm_exec_packet(ex, &out_len);
			if (!cases[i].ok) {
				assert_int_equal(r0, neg(EINVAL));
				assert_int_equal(out_len, sizeof(frame));
				assert_memory_equal(out, frame, sizeof(frame));
				continue;
			}
			int dh = cases[i].id == BPF_FUNC_xdp_adjust_head ? cases[i].delta : 0;
			int dt = cases[i].id == BPF_FUNC_xdp_adjust_tail ? cases[i].delta : 0;
			size_t want_len = (size_t)(len - dh + dt);
			assert_int_equal(r0, want_len);
			assert_int_equal(out_len, want_len);
			uint8_t want[600];
			memset(want, 0, sizeof(want));
			if (dh <= 0)
				memcpy(want - dh, frame, (size_t)(len + (dt < 0 ? dt : 0)));
			else
				memcpy(want, frame + dh, want_len);
			want[0] = 0xab;
			assert_memory_equal(out, want, want_len);
			if (rep == 0) {
				memcpy(first, out, out_len);
				first_len = out_len;
			} else {
				assert_memory_equal(first, out, first_len);
			}
		}
		bpfvm_exec_free(ex);
		/* the trusted engine agrees */
		bpfvm_prog *t = load_ok(env, TYPE_XDP, BPFVM_PROG_F_TRUSTED, &b);
		struct run r = { .frame = frame, .frame_len = sizeof(frame) };
		assert_int_equal(run_ok(t, &r), r0);
		bpfvm_prog_free(t);
		bpfvm_prog_free(p);
		if (cases[i].kernel && kernel_ok()) {
			int fd = kload(TYPE_XDP, &b);
			assert_true(fd >= 0);
			uint8_t kout[4096];
			uint32_t kout_len = sizeof(kout), kret = 0;
			assert_int_equal(krun_out(fd, frame, sizeof(frame), kout, &kout_len, &kret), 0);
			close(fd);
			if (kret != (uint32_t)r0)
				print_error("helper %u delta %d: bpfvm %" PRId64 ", kernel %d\n", cases[i].id, cases[i].delta,
					    (int64_t)r0, (int32_t)kret);
			assert_int_equal(kret, (uint32_t)r0);
			if (cases[i].ok) {
				assert_int_equal(kout_len, first_len);
				assert_memory_equal(kout, first, first_len);
			}
			compared++;
		}
	}
	if (compared)
		print_message("xdp_adjust_head/tail: %d cases agree with the kernel (return value and frame)\n", compared);
	bpfvm_env_free(env);
}

/* ============================================================ bpf_loop */

/* loop(n, cb, &sum, flags) where cb adds i to sum and returns 1 at i == stop;
 * returns (result << 16) + sum. */
static void loop_prog(struct pb *b, uint32_t n, int32_t stop, int32_t flags)
{
	pb(b, BPF_ST_MEM(BPF_DW, R10, -8, 0));
	pb(b, BPF_MOV32_IMM(R1, (int32_t)n));
	pb_func(b, R2, "cb");
	pb(b, BPF_MOV64_REG(R3, R10));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R3, -8));
	pb(b, BPF_MOV64_IMM(R4, flags));
	pb(b, BPF_CALL_HELPER(BPF_FUNC_loop));
	pb(b, BPF_LDX_MEM(BPF_DW, R1, R10, -8));
	pb(b, BPF_ALU64_IMM(BPF_LSH, R0, 16));
	pb(b, BPF_ALU64_REG(BPF_ADD, R0, R1));
	pb(b, BPF_EXIT_INSN());
	pb_label(b, "cb");
	pb(b, BPF_LDX_MEM(BPF_DW, R3, R2, 0));
	pb(b, BPF_ALU64_REG(BPF_ADD, R3, R1));
	pb(b, BPF_STX_MEM(BPF_DW, R2, R3, 0));
	pb(b, BPF_MOV64_IMM(R0, 0));
	pb_jmp(b, BPF_JMP_IMM(BPF_JNE, R1, stop, 0), "cb_out");
	pb(b, BPF_MOV64_IMM(R0, 1));
	pb_label(b, "cb_out");
	pb(b, BPF_EXIT_INSN());
}

static uint64_t stop_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	bpfvm_exec_stop(ex, 77 + r1);
	return 0;
}

static void test_loop(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	const struct { uint32_t n; int32_t stop, flags; uint64_t ret; uint64_t sum; } cases[] = {
		{ 10, -1, 0, 10, 45 },
		{ 10, 5, 0, 6, 15 },
		{ 10, 0, 0, 1, 0 },
		{ 0, -1, 0, 0, 0 },
		{ 1000, -1, 0, 1000, 499500 },
		{ 10, -1, 1, neg(EINVAL), 0 },
		{ (1u << 23) + 1, -1, 0, neg(E2BIG), 0 },
		{ UINT32_MAX, -1, 0, neg(E2BIG), 0 },
	};
	int compared = 0, kernel = kernel_ok();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pb b = { .n = 0 };
		loop_prog(&b, cases[i].n, cases[i].stop, cases[i].flags);
		uint64_t got = run_both(env, TYPE_RAW, &b, NULL);
		uint64_t want = (cases[i].ret << 16) + cases[i].sum;
		assert_int_equal(got, want);
		if (kernel) {
			int fd = kload_with_subprog(TYPE_SK, &b, "cb");
			assert_true(fd >= 0);
			uint8_t frame[64] = { 0 };
			uint32_t kret = 0;
			assert_int_equal(kbpf_test_run(fd, frame, sizeof(frame), 1, &kret, NULL), 0);
			close(fd);
			assert_int_equal(kret, (uint32_t)got);
			compared++;
		}
	}
	if (compared)
		print_message("bpf_loop: %d cases agree with the kernel\n", compared);

	/* the limit itself: 1 << 23 iterations are allowed (trusted, for speed) */
	struct pb b = { .n = 0 };
	loop_prog(&b, 1u << 23, -1, 0);
	bpfvm_prog *p = load_ok(env, TYPE_RAW, BPFVM_PROG_F_TRUSTED, &b);
	uint64_t n = 1u << 23;
	assert_int_equal(run_ok(p, NULL), (n << 16) + n * (n - 1) / 2);
	bpfvm_prog_free(p);

	/* a callback that faults ends the program with the fault */
	struct pb f = { .n = 0 };
	pb(&f, BPF_MOV64_IMM(R1, 3));
	pb_func(&f, R2, "cb");
	pb(&f, BPF_MOV64_IMM(R3, 0));
	pb(&f, BPF_MOV64_IMM(R4, 0));
	pb(&f, BPF_CALL_HELPER(BPF_FUNC_loop));
	pb(&f, BPF_EXIT_INSN());
	pb_label(&f, "cb");
	pb(&f, BPF_LDX_MEM(BPF_DW, R0, R1, 0)); /* *(u64 *)i */
	pb(&f, BPF_EXIT_INSN());
	p = load_ok(env, TYPE_RAW, 0, &f);
	uint64_t r0 = 0;
	struct bpfvm_error err;
	assert_int_equal(run(p, NULL, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.code, BPFVM_EFAULT);
	bpfvm_prog_free(p);

	/* a callback whose helper stops the run: the run ends with its r0 */
	assert_int_equal(bpfvm_env_register_helper(env, 1000, "stop", stop_helper, NULL), 0);
	struct pb s = { .n = 0 };
	pb(&s, BPF_MOV64_REG(R3, R1)); /* ctx = mem */
	pb(&s, BPF_MOV64_IMM(R1, 10));
	pb_func(&s, R2, "cb");
	pb(&s, BPF_MOV64_IMM(R4, 0));
	pb(&s, BPF_CALL_HELPER(BPF_FUNC_loop));
	pb(&s, BPF_MOV64_IMM(R0, 1));
	pb(&s, BPF_EXIT_INSN());
	pb_label(&s, "cb");
	pb(&s, BPF_LDX_MEM(BPF_DW, R3, R2, 0));
	pb(&s, BPF_ALU64_REG(BPF_ADD, R3, R1));
	pb(&s, BPF_STX_MEM(BPF_DW, R2, R3, 0));
	pb(&s, BPF_MOV64_IMM(R0, 0));
	pb_jmp(&s, BPF_JMP_IMM(BPF_JNE, R1, 3, 0), "cb_out");
	pb(&s, BPF_CALL_HELPER(1000));
	pb_label(&s, "cb_out");
	pb(&s, BPF_EXIT_INSN());
	uint64_t sum = 0;
	struct run r = { .mem = &sum, .mem_len = sizeof(sum) };
	assert_int_equal(run_both(env, TYPE_RAW, &s, &r), 77 + 3);
	assert_int_equal(sum, 0 + 1 + 2 + 3);
	bpfvm_env_free(env);
}

/* ============================================================ maps */

static void map_op_prog(struct pb *b, uint32_t id, int fd, uint32_t key, uint64_t value, int64_t flags)
{
	pb(b, BPF_MOV64_REG(R6, R1));
	pb(b, BPF_ST_MEM(BPF_W, R10, -8, (int32_t)key));
	pb_lddw(b, R1, 0, value);
	pb(b, BPF_STX_MEM(BPF_DW, R10, R1, -16));
	pb_lddw(b, R1, BPF_PSEUDO_MAP_FD, (uint32_t)fd);
	pb(b, BPF_MOV64_REG(R2, R10));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R2, id == BPF_FUNC_map_push_elem || id == BPF_FUNC_map_pop_elem ||
						 id == BPF_FUNC_map_peek_elem ? -16 : -8));
	if (id == BPF_FUNC_map_update_elem) {
		pb(b, BPF_MOV64_REG(R3, R10));
		pb(b, BPF_ALU64_IMM(BPF_ADD, R3, -16));
		pb_lddw(b, R4, 0, (uint64_t)flags);
	} else {
		pb_lddw(b, R3, 0, (uint64_t)flags);
	}
	pb(b, BPF_CALL_HELPER((int32_t)id));
	if (id == BPF_FUNC_map_lookup_elem) { /* mem[1] = found; mem[2] = value; the value += 5 */
		pb(b, BPF_MOV64_IMM(R1, 0));
		pb(b, BPF_STX_MEM(BPF_DW, R6, R1, 8));
		pb_jmp(b, BPF_JMP_IMM(BPF_JEQ, R0, 0, 0), "out");
		pb(b, BPF_MOV64_IMM(R1, 1));
		pb(b, BPF_STX_MEM(BPF_DW, R6, R1, 8));
		pb(b, BPF_LDX_MEM(BPF_DW, R1, R0, 0));
		pb(b, BPF_STX_MEM(BPF_DW, R6, R1, 16));
		pb(b, BPF_ALU64_IMM(BPF_ADD, R1, 5));
		pb(b, BPF_STX_MEM(BPF_DW, R0, R1, 0));
		pb_label(b, "out");
	} else {
		pb(b, BPF_LDX_MEM(BPF_DW, R1, R10, -16));
		pb(b, BPF_STX_MEM(BPF_DW, R6, R1, 16));
	}
	pb(b, BPF_STX_MEM(BPF_DW, R6, R0, 0));
	pb(b, BPF_EXIT_INSN());
}

/* Runs one map helper call (checked); mem[0] = r0, mem[1] = found, mem[2] = value. */
static void map_op(bpfvm_env *env, uint32_t id, int fd, uint32_t key, uint64_t value, int64_t flags, uint64_t mem[3])
{
	struct pb b = { .n = 0 };
	map_op_prog(&b, id, fd, key, value, flags);
	bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
	memset(mem, 0, 3 * sizeof(uint64_t));
	struct run r = { .mem = mem, .mem_len = 3 * sizeof(uint64_t) };
	run_ok(p, &r);
	bpfvm_prog_free(p);
}

static void test_map_helpers(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	NEED_MAPS(env);
	uint64_t m[3];
	/* array: lookup, write through the pointer, update, no delete */
	int arr = map_new(env, BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	assert_true(arr >= 0);
	bpfvm_map *am = bpfvm_map_from_fd(env, arr);
	uint32_t k = 2;
	uint64_t v = 40;
	assert_int_equal(bpfvm_map_update(am, &k, &v, BPF_ANY), 0);
	map_op(env, BPF_FUNC_map_lookup_elem, arr, 2, 0, 0, m);
	assert_int_equal(m[1], 1);
	assert_int_equal(m[2], 40);
	assert_int_equal(bpfvm_map_lookup(am, &k, &v), 0);
	assert_int_equal(v, 45);
	map_op(env, BPF_FUNC_map_lookup_elem, arr, 4, 0, 0, m); /* out of range */
	assert_int_equal(m[1], 0);
	map_op(env, BPF_FUNC_map_update_elem, arr, 3, 77, BPF_ANY, m);
	assert_int_equal(m[0], 0);
	k = 3;
	assert_int_equal(bpfvm_map_lookup(am, &k, &v), 0);
	assert_int_equal(v, 77);
	map_op(env, BPF_FUNC_map_update_elem, arr, 3, 1, BPF_NOEXIST, m);
	assert_int_equal(m[0], neg(EEXIST));
	map_op(env, BPF_FUNC_map_delete_elem, arr, 1, 0, 0, m);
	assert_int_equal(m[0], neg(EINVAL));

	/* hash: insert, exists, delete, missing */
	int h = map_new(env, BPF_MAP_TYPE_HASH, 4, 8, 8);
	assert_true(h >= 0);
	map_op(env, BPF_FUNC_map_update_elem, h, 9, 99, BPF_NOEXIST, m);
	assert_int_equal(m[0], 0);
	map_op(env, BPF_FUNC_map_update_elem, h, 9, 98, BPF_NOEXIST, m);
	assert_int_equal(m[0], neg(EEXIST));
	map_op(env, BPF_FUNC_map_update_elem, h, 10, 98, BPF_EXIST, m);
	assert_int_equal(m[0], neg(ENOENT));
	map_op(env, BPF_FUNC_map_lookup_elem, h, 9, 0, 0, m);
	assert_int_equal(m[1], 1);
	assert_int_equal(m[2], 99);
	map_op(env, BPF_FUNC_map_delete_elem, h, 9, 0, 0, m);
	assert_int_equal(m[0], 0);
	map_op(env, BPF_FUNC_map_delete_elem, h, 9, 0, 0, m);
	assert_int_equal(m[0], neg(ENOENT));
	map_op(env, BPF_FUNC_map_lookup_elem, h, 9, 0, 0, m);
	assert_int_equal(m[1], 0);

	/* queue: push until full, peek, pop in order, pop empty */
	int q = map_new(env, BPF_MAP_TYPE_QUEUE, 0, 8, 2);
	assert_true(q >= 0);
	map_op(env, BPF_FUNC_map_push_elem, q, 0, 11, 0, m);
	assert_int_equal(m[0], 0);
	map_op(env, BPF_FUNC_map_push_elem, q, 0, 22, 0, m);
	assert_int_equal(m[0], 0);
	map_op(env, BPF_FUNC_map_push_elem, q, 0, 33, 0, m);
	assert_int_equal(m[0], neg(E2BIG));
	map_op(env, BPF_FUNC_map_peek_elem, q, 0, 0, 0, m);
	assert_int_equal(m[0], 0);
	assert_int_equal(m[2], 11);
	map_op(env, BPF_FUNC_map_pop_elem, q, 0, 0, 0, m);
	assert_int_equal(m[2], 11);
	map_op(env, BPF_FUNC_map_pop_elem, q, 0, 0, 0, m);
	assert_int_equal(m[2], 22);
	map_op(env, BPF_FUNC_map_pop_elem, q, 0, 0, 0, m);
	assert_int_equal(m[0], neg(ENOENT));

	/* checked runs: a bad map pointer or key pointer */
	const struct { uint32_t id; uint64_t map; int host_key; uint64_t rc; } bad[] = {
		{ BPF_FUNC_map_lookup_elem, 0x1234, 0, 0 },
		{ BPF_FUNC_map_update_elem, 0x1234, 0, neg(EINVAL) },
		{ BPF_FUNC_map_delete_elem, 0, 0, neg(EINVAL) },
		{ BPF_FUNC_map_lookup_elem, 0, 1, 0 },
		{ BPF_FUNC_map_update_elem, 0, 1, neg(EFAULT) },
		{ BPF_FUNC_map_delete_elem, 0, 1, neg(EFAULT) },
		{ BPF_FUNC_map_push_elem, 0, 1, neg(EFAULT) },
		{ BPF_FUNC_map_pop_elem, 0, 1, neg(EFAULT) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pb b = { .n = 0 };
		if (bad[i].host_key)
			pb_lddw(&b, R1, BPF_PSEUDO_MAP_FD, (uint32_t)(bad[i].id == BPF_FUNC_map_push_elem ||
								    bad[i].id == BPF_FUNC_map_pop_elem ? q : h));
		else
			pb_lddw(&b, R1, 0, bad[i].map);
		pb_lddw(&b, R2, 0, (uint64_t)(uintptr_t)&host_secret);
		pb(&b, BPF_MOV64_REG(R3, R10));
		pb(&b, BPF_ALU64_IMM(BPF_ADD, R3, -8));
		pb(&b, BPF_MOV64_IMM(R4, 0));
		pb(&b, BPF_CALL_HELPER((int32_t)bad[i].id));
		pb(&b, BPF_EXIT_INSN());
		bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
		assert_int_equal(run_ok(p, NULL), bad[i].rc);
		bpfvm_prog_free(p);
	}
	assert_int_equal(host_secret, 0x5ec7e75ec7e75ec7ULL);
	bpfvm_env_free(env);
}

/* ============================================================ for_each_map_elem */

/* for_each(map, cb, &sum, flags): cb adds value + 1000 * key to sum and
 * returns 1 at key == stop (and with bump, increments the value; with
 * write_key, writes to the key); returns (result << 20) + sum. */
static void each_prog(struct pb *b, int fd, int32_t flags, int32_t stop, int bump, int write_key)
{
	pb(b, BPF_ST_MEM(BPF_DW, R10, -8, 0));
	pb_lddw(b, R1, BPF_PSEUDO_MAP_FD, (uint32_t)fd);
	pb_func(b, R2, "cb");
	pb(b, BPF_MOV64_REG(R3, R10));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R3, -8));
	pb(b, BPF_MOV64_IMM(R4, flags));
	pb(b, BPF_CALL_HELPER(BPF_FUNC_for_each_map_elem));
	pb(b, BPF_LDX_MEM(BPF_DW, R1, R10, -8));
	pb(b, BPF_ALU64_IMM(BPF_LSH, R0, 20));
	pb(b, BPF_ALU64_REG(BPF_ADD, R0, R1));
	pb(b, BPF_EXIT_INSN());
	pb_label(b, "cb");
	pb(b, BPF_LDX_MEM(BPF_W, R5, R2, 0));
	pb(b, BPF_LDX_MEM(BPF_DW, R0, R3, 0));
	if (bump) {
		pb(b, BPF_MOV64_REG(R1, R0));
		pb(b, BPF_ALU64_IMM(BPF_ADD, R1, 1));
		pb(b, BPF_STX_MEM(BPF_DW, R3, R1, 0));
	}
	if (write_key)
		pb(b, BPF_ST_MEM(BPF_W, R2, 0, 5));
	pb(b, BPF_ALU64_IMM(BPF_MUL, R5, 1000));
	pb(b, BPF_ALU64_REG(BPF_ADD, R0, R5));
	pb(b, BPF_LDX_MEM(BPF_DW, R5, R4, 0));
	pb(b, BPF_ALU64_REG(BPF_ADD, R5, R0));
	pb(b, BPF_STX_MEM(BPF_DW, R4, R5, 0));
	pb(b, BPF_LDX_MEM(BPF_W, R1, R2, 0));
	pb(b, BPF_MOV64_IMM(R0, 0));
	pb_jmp(b, BPF_JMP_IMM(BPF_JNE, R1, stop, 0), "cb_out");
	pb(b, BPF_MOV64_IMM(R0, 1));
	pb_label(b, "cb_out");
	pb(b, BPF_EXIT_INSN());
}

static void test_for_each_map_elem(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	NEED_MAPS(env);
	bpfvm_env_set_ncpus(env, 2);
	int arr = map_new(env, BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	int h = map_new(env, BPF_MAP_TYPE_HASH, 4, 8, 8);
	int pc = map_new(env, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2);
	int q = map_new(env, BPF_MAP_TYPE_QUEUE, 0, 8, 2);
	assert_true(arr >= 0 && h >= 0 && pc >= 0 && q >= 0);
	bpfvm_map *am = bpfvm_map_from_fd(env, arr), *hm = bpfvm_map_from_fd(env, h), *pm = bpfvm_map_from_fd(env, pc);
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t v = 10 * (k + 1);
		assert_int_equal(bpfvm_map_update(am, &k, &v, BPF_ANY), 0);
	}
	const uint32_t hkeys[] = { 7, 3, 12 };
	for (size_t i = 0; i < 3; i++) {
		uint64_t v = hkeys[i] + 100;
		assert_int_equal(bpfvm_map_update(hm, &hkeys[i], &v, BPF_ANY), 0);
	}
	uint64_t pv[2][2] = { { 1, 2 }, { 3, 4 } }; /* [key][cpu] */
	for (uint32_t k = 0; k < 2; k++)
		assert_int_equal(bpfvm_map_update(pm, &k, pv[k], BPF_ANY), 0);

	struct pb b = { .n = 0 };
	each_prog(&b, arr, 0, -1, 0, 0);
	assert_int_equal(run_both(env, TYPE_RAW, &b, NULL), (4ULL << 20) + 100 + 6000);
	b = (struct pb){ .n = 0 };
	each_prog(&b, arr, 0, 1, 0, 0); /* stops after key 1: two calls */
	assert_int_equal(run_both(env, TYPE_RAW, &b, NULL), (2ULL << 20) + 10 + 20 + 1000);
	b = (struct pb){ .n = 0 };
	each_prog(&b, h, 0, -1, 0, 0);
	assert_int_equal(run_both(env, TYPE_RAW, &b, NULL), (3ULL << 20) + 322 + 22000);
	for (uint32_t cpu = 0; cpu < 2; cpu++) { /* per-CPU: this CPU's values */
		b = (struct pb){ .n = 0 };
		each_prog(&b, pc, 0, -1, 0, 0);
		bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
		struct run r = { .cpu = cpu };
		assert_int_equal(run_ok(p, &r), (2ULL << 20) + pv[0][cpu] + pv[1][cpu] + 1000);
		bpfvm_prog_free(p);
	}
	/* the same iterations in the kernel, over maps with the same contents */
	if (kernel_ok()) {
		int karr = kmap_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4), kh = kmap_create(BPF_MAP_TYPE_HASH, 4, 8, 8);
		assert_true(karr >= 0 && kh >= 0);
		for (uint32_t k = 0; k < 4; k++) {
			uint64_t v = 10 * (k + 1);
			assert_int_equal(kmap_update(karr, &k, &v), 0);
		}
		for (size_t i = 0; i < 3; i++) {
			uint64_t v = hkeys[i] + 100;
			assert_int_equal(kmap_update(kh, &hkeys[i], &v), 0);
		}
		const struct { int hash; int32_t flags, stop; } kc[] = { { 0, 0, -1 }, { 0, 0, 1 }, { 0, 0, 0 },
									  { 1, 0, -1 }, { 0, 1, -1 } };
		for (size_t i = 0; i < ARRAY_SIZE(kc); i++) {
			b = (struct pb){ .n = 0 };
			each_prog(&b, kc[i].hash ? h : arr, kc[i].flags, kc[i].stop, 0, 0);
			uint64_t got = run_both(env, TYPE_RAW, &b, NULL);
			b = (struct pb){ .n = 0 };
			each_prog(&b, kc[i].hash ? kh : karr, kc[i].flags, kc[i].stop, 0, 0);
			int fd = kload_with_subprog(TYPE_SK, &b, "cb");
			assert_true(fd >= 0);
			uint8_t frame[64] = { 0 };
			uint32_t kret = 0;
			assert_int_equal(kbpf_test_run(fd, frame, sizeof(frame), 1, &kret, NULL), 0);
			close(fd);
			assert_int_equal(kret, (uint32_t)got);
		}
		close(karr);
		close(kh);
		print_message("for_each_map_elem: %zu cases agree with the kernel\n", ARRAY_SIZE(kc));
	}
	/* callbacks may write values */
	b = (struct pb){ .n = 0 };
	each_prog(&b, arr, 0, -1, 1, 0);
	bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &b);
	run_ok(p, NULL);
	bpfvm_prog_free(p);
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t v = 0;
		assert_int_equal(bpfvm_map_lookup(am, &k, &v), 0);
		assert_int_equal(v, 10 * (k + 1) + 1);
	}
	/* flags, and maps that cannot be iterated: -EINVAL */
	b = (struct pb){ .n = 0 };
	each_prog(&b, arr, 1, -1, 0, 0);
	assert_int_equal(run_both(env, TYPE_RAW, &b, NULL), (neg(EINVAL) << 20));
	b = (struct pb){ .n = 0 };
	each_prog(&b, q, 0, -1, 0, 0);
	assert_int_equal(run_both(env, TYPE_RAW, &b, NULL), (neg(EINVAL) << 20));
	/* keys are read-only: a checked callback writing one faults */
	b = (struct pb){ .n = 0 };
	each_prog(&b, arr, 0, -1, 0, 1);
	p = load_ok(env, TYPE_RAW, 0, &b);
	uint64_t r0;
	struct bpfvm_error err;
	assert_int_equal(run(p, NULL, &r0, &err), BPFVM_EFAULT);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* ============================================================ ring buffers */

struct records {
	int n;
	size_t size[8];
	uint8_t data[8][32];
};

static int collect(void *cookie, const void *data, size_t size)
{
	struct records *r = cookie;
	if (r->n < 8) {
		r->size[r->n] = size;
		memcpy(r->data[r->n], data, size < 32 ? size : 32);
	}
	r->n++;
	return 0;
}

static void test_ringbuf(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	NEED_MAPS(env);
	int rb = map_new(env, BPF_MAP_TYPE_RINGBUF, 0, 0, 4096);
	int arr = map_new(env, BPF_MAP_TYPE_ARRAY, 4, 8, 1);
	assert_true(rb >= 0 && arr >= 0);
	/* reserve 16 + write + submit; reserve 8 + discard; output 12 from the
	 * stack (rc in mem[0]); returns query(BPF_RB_AVAIL_DATA) */
	struct pb b = { .n = 0 };
	pb(&b, BPF_MOV64_REG(R6, R1));
	pb_lddw(&b, R1, BPF_PSEUDO_MAP_FD, (uint32_t)rb);
	pb(&b, BPF_MOV64_IMM(R2, 16));
	pb(&b, BPF_MOV64_IMM(R3, 0));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_ringbuf_reserve));
	pb_jmp(&b, BPF_JMP_IMM(BPF_JEQ, R0, 0, 0), "fail");
	pb(&b, BPF_MOV64_REG(R7, R0));
	pb_lddw(&b, R1, 0, 0x1122334455667788ULL);
	pb(&b, BPF_STX_MEM(BPF_DW, R7, R1, 0));
	pb(&b, BPF_ST_MEM(BPF_DW, R7, 8, 7));
	pb(&b, BPF_MOV64_REG(R1, R7));
	pb(&b, BPF_MOV64_IMM(R2, 0));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_ringbuf_submit));
	pb_lddw(&b, R1, BPF_PSEUDO_MAP_FD, (uint32_t)rb);
	pb(&b, BPF_MOV64_IMM(R2, 8));
	pb(&b, BPF_MOV64_IMM(R3, 0));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_ringbuf_reserve));
	pb_jmp(&b, BPF_JMP_IMM(BPF_JEQ, R0, 0, 0), "fail");
	pb(&b, BPF_MOV64_REG(R1, R0));
	pb(&b, BPF_MOV64_IMM(R2, 0));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_ringbuf_discard));
	pb_lddw(&b, R1, 0, 0x0102030405060708ULL);
	pb(&b, BPF_STX_MEM(BPF_DW, R10, R1, -16));
	pb(&b, BPF_ST_MEM(BPF_W, R10, -8, 0x0a0b0c0d));
	pb_lddw(&b, R1, BPF_PSEUDO_MAP_FD, (uint32_t)rb);
	pb(&b, BPF_MOV64_REG(R2, R10));
	pb(&b, BPF_ALU64_IMM(BPF_ADD, R2, -16));
	pb(&b, BPF_MOV64_IMM(R3, 12));
	pb(&b, BPF_MOV64_IMM(R4, 0));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_ringbuf_output));
	pb(&b, BPF_STX_MEM(BPF_DW, R6, R0, 0));
	pb_lddw(&b, R1, BPF_PSEUDO_MAP_FD, (uint32_t)rb);
	pb(&b, BPF_MOV64_IMM(R2, 0));
	pb(&b, BPF_CALL_HELPER(BPF_FUNC_ringbuf_query));
	pb(&b, BPF_EXIT_INSN());
	pb_label(&b, "fail");
	pb(&b, BPF_MOV64_IMM(R0, -1));
	pb(&b, BPF_EXIT_INSN());
	for (int trusted = 0; trusted < 2; trusted++) {
		struct pb copy = b;
		bpfvm_prog *p = load_ok(env, TYPE_RAW, trusted ? BPFVM_PROG_F_TRUSTED : 0, &copy);
		uint64_t mem = 1;
		struct run r = { .mem = &mem, .mem_len = sizeof(mem) };
		uint64_t avail = run_ok(p, &r);
		bpfvm_prog_free(p);
		assert_int_equal(mem, 0);
		/* 8-byte headers, lengths rounded up to 8: 24 + 16 + 24 bytes */
		assert_int_equal(avail, 64);
		struct records recs = { 0 };
		bpfvm_map *m = bpfvm_map_from_fd(env, rb);
		assert_int_equal(bpfvm_ringbuf_consume(m, collect, &recs), 2);
		assert_int_equal(recs.n, 2);
		assert_int_equal(recs.size[0], 16);
		uint64_t w0, w1;
		memcpy(&w0, recs.data[0], 8);
		memcpy(&w1, recs.data[0] + 8, 8);
		assert_int_equal(w0, 0x1122334455667788ULL);
		assert_int_equal(w1, 7);
		assert_int_equal(recs.size[1], 12);
		const uint8_t out[12] = { 8, 7, 6, 5, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a };
		assert_memory_equal(recs.data[1], out, 12);
	}
	/* not a ring buffer: reserve NULL, output and query -EINVAL; data outside
	 * the program's memory: -EFAULT (checked runs) */
	const struct { uint32_t id; int map; uint64_t data; uint64_t rc; } bad[] = {
		{ BPF_FUNC_ringbuf_reserve, 1, 8, 0 },
		{ BPF_FUNC_ringbuf_output, 1, 0, neg(EINVAL) },
		{ BPF_FUNC_ringbuf_query, 1, 0, neg(EINVAL) },
		{ BPF_FUNC_ringbuf_output, 0, (uint64_t)(uintptr_t)&host_secret, neg(EFAULT) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pb e = { .n = 0 };
		pb_lddw(&e, R1, BPF_PSEUDO_MAP_FD, (uint32_t)(bad[i].map ? arr : rb));
		pb_lddw(&e, R2, 0, bad[i].data);
		pb(&e, BPF_MOV64_IMM(R3, 8));
		pb(&e, BPF_MOV64_IMM(R4, 0));
		pb(&e, BPF_CALL_HELPER((int32_t)bad[i].id));
		pb(&e, BPF_EXIT_INSN());
		bpfvm_prog *p = load_ok(env, TYPE_RAW, 0, &e);
		assert_int_equal(run_ok(p, NULL), bad[i].rc);
		bpfvm_prog_free(p);
	}
	/* submit of a pointer that is no record is ignored */
	struct pb s = { .n = 0 };
	pb(&s, BPF_MOV64_REG(R1, R10));
	pb(&s, BPF_ALU64_IMM(BPF_ADD, R1, -8));
	pb(&s, BPF_MOV64_IMM(R2, 0));
	pb(&s, BPF_CALL_HELPER(BPF_FUNC_ringbuf_submit));
	pb(&s, BPF_MOV64_IMM(R0, 5));
	pb(&s, BPF_EXIT_INSN());
	assert_int_equal(run_both(env, TYPE_RAW, &s, NULL), 5);
	struct records none = { 0 };
	assert_int_equal(bpfvm_ringbuf_consume(bpfvm_map_from_fd(env, rb), collect, &none), 0);
	bpfvm_env_free(env);
}

/* ============================================================ tail calls */

/* Raw program k: mem[0] += 1; mem[1] = mem[1] * 10 + k + 1; tail_call(ctx,
 * map, next); mem[2] = the failure's r0; returns 42. */
static void tail_prog(struct pb *b, int k, int fd, int64_t next)
{
	pb(b, BPF_MOV64_REG(R6, R1));
	pb(b, BPF_LDX_MEM(BPF_DW, R1, R6, 0));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R1, 1));
	pb(b, BPF_STX_MEM(BPF_DW, R6, R1, 0));
	pb(b, BPF_LDX_MEM(BPF_DW, R1, R6, 8));
	pb(b, BPF_ALU64_IMM(BPF_MUL, R1, 10));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R1, k + 1));
	pb(b, BPF_STX_MEM(BPF_DW, R6, R1, 8));
	pb(b, BPF_MOV64_REG(R1, R6));
	pb_lddw(b, R2, BPF_PSEUDO_MAP_FD, (uint32_t)fd);
	pb_lddw(b, R3, 0, (uint64_t)next);
	pb(b, BPF_CALL_HELPER(BPF_FUNC_tail_call));
	pb(b, BPF_STX_MEM(BPF_DW, R6, R0, 16));
	pb(b, BPF_MOV64_IMM(R0, 42));
	pb(b, BPF_EXIT_INSN());
}

static void put_prog(bpfvm_env *env, int map_fd, uint32_t slot, const bpfvm_prog *p)
{
	uint32_t fd = (uint32_t)bpfvm_prog_fd(p);
	assert_int_equal(bpfvm_map_update(bpfvm_map_from_fd(env, map_fd), &slot, &fd, BPF_ANY), 0);
}

static uint64_t tail_run(const bpfvm_prog *p, uint64_t mem[3])
{
	memset(mem, 0, 3 * sizeof(uint64_t));
	struct run r = { .mem = mem, .mem_len = 3 * sizeof(uint64_t) };
	return run_ok(p, &r);
}

/* Socket filter: counts its runs in skb->cb[0] and tail-calls slot 0. */
static void tail_count_prog(struct pb *b, int fd)
{
	const int16_t cb0 = (int16_t)offsetof(struct __sk_buff, cb[0]);
	pb(b, BPF_MOV64_REG(R6, R1));
	pb(b, BPF_LDX_MEM(BPF_W, R1, R6, cb0));
	pb(b, BPF_ALU64_IMM(BPF_ADD, R1, 1));
	pb(b, BPF_STX_MEM(BPF_W, R6, R1, cb0));
	pb(b, BPF_MOV64_REG(R1, R6));
	pb_lddw(b, R2, BPF_PSEUDO_MAP_FD, (uint32_t)fd);
	pb(b, BPF_MOV64_IMM(R3, 0));
	pb(b, BPF_CALL_HELPER(BPF_FUNC_tail_call));
	pb(b, BPF_LDX_MEM(BPF_W, R0, R6, cb0));
	pb(b, BPF_EXIT_INSN());
}

static void test_tail_call(void **state)
{
	(void)state;
	bpfvm_env *env = env_new();
	NEED_MAPS(env);
	int pa = map_new(env, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 8);
	int arr = map_new(env, BPF_MAP_TYPE_ARRAY, 4, 8, 1);
	assert_true(pa >= 0 && arr >= 0);
	uint64_t mem[3];
	for (int trusted = 0; trusted < 2; trusted++) {
		uint32_t flags = trusted ? BPFVM_PROG_F_TRUSTED : BPFVM_PROG_F_NO_VERIFY;
		/* a chain of three: slots 0 -> 1 -> 2 -> 3 (empty, so P2 continues) */
		bpfvm_prog *chain[3];
		for (int k = 0; k < 3; k++) {
			struct pb b = { .n = 0 };
			tail_prog(&b, k, pa, k + 1);
			chain[k] = load_ok(env, TYPE_RAW, flags, &b);
			put_prog(env, pa, (uint32_t)k, chain[k]);
		}
		assert_int_equal(tail_run(chain[0], mem), 42);
		assert_int_equal(mem[0], 3);
		assert_int_equal(mem[1], 123);
		assert_int_equal(mem[2], neg(ENOENT));
		/* a program that tail-calls itself: 1 + 33 runs, then -ELOOP */
		struct pb b = { .n = 0 };
		tail_prog(&b, 0, pa, 5);
		bpfvm_prog *self = load_ok(env, TYPE_RAW, flags, &b);
		put_prog(env, pa, 5, self);
		assert_int_equal(tail_run(self, mem), 42);
		assert_int_equal(mem[0], 34);
		assert_int_equal(mem[2], neg(ELOOP));
		/* index past max_entries */
		b = (struct pb){ .n = 0 };
		tail_prog(&b, 0, pa, 8);
		bpfvm_prog *far = load_ok(env, TYPE_RAW, flags, &b);
		assert_int_equal(tail_run(far, mem), 42);
		assert_int_equal(mem[0], 1);
		assert_int_equal(mem[2], neg(E2BIG));
		b = (struct pb){ .n = 0 };
		tail_prog(&b, 0, pa, 0x100000000LL); /* the index is 32 bits: slot 0 */
		bpfvm_prog *wrap = load_ok(env, TYPE_RAW, flags, &b);
		assert_int_equal(tail_run(wrap, mem), 42);
		assert_int_equal(mem[0], 4);
		/* from a subprogram: refused, the caller continues */
		b = (struct pb){ .n = 0 };
		pb(&b, BPF_MOV64_REG(R6, R1));
		pb_call(&b, "sub");
		pb(&b, BPF_STX_MEM(BPF_DW, R6, R0, 16));
		pb(&b, BPF_MOV64_IMM(R0, 42));
		pb(&b, BPF_EXIT_INSN());
		pb_label(&b, "sub");
		pb_lddw(&b, R2, BPF_PSEUDO_MAP_FD, (uint32_t)pa);
		pb(&b, BPF_MOV64_IMM(R3, 0));
		pb(&b, BPF_CALL_HELPER(BPF_FUNC_tail_call));
		pb(&b, BPF_EXIT_INSN());
		bpfvm_prog *sub = load_ok(env, TYPE_RAW, flags, &b);
		assert_int_equal(tail_run(sub, mem), 42);
		assert_int_equal(mem[2], neg(EINVAL));
		for (int k = 0; k < 3; k++)
			bpfvm_prog_free(chain[k]);
		bpfvm_prog_free(self);
		bpfvm_prog_free(far);
		bpfvm_prog_free(wrap);
		bpfvm_prog_free(sub);
	}
	/* not a prog_array (checked run) */
	struct pb b = { .n = 0 };
	tail_prog(&b, 0, arr, 0);
	bpfvm_prog *notpa = load_ok(env, TYPE_RAW, 0, &b);
	assert_int_equal(tail_run(notpa, mem), 42);
	assert_int_equal(mem[2], neg(EINVAL));
	bpfvm_prog_free(notpa);
	/* a trusted program may not continue into an untrusted one */
	b = (struct pb){ .n = 0 };
	tail_prog(&b, 0, pa, 6);
	bpfvm_prog *untrusted = load_ok(env, TYPE_RAW, 0, &b);
	put_prog(env, pa, 6, untrusted);
	b = (struct pb){ .n = 0 };
	tail_prog(&b, 0, pa, 6);
	bpfvm_prog *trusted = load_ok(env, TYPE_RAW, BPFVM_PROG_F_TRUSTED, &b);
	assert_int_equal(tail_run(trusted, mem), 42);
	assert_int_equal(mem[0], 1);
	assert_int_equal(mem[2], neg(EINVAL));
	assert_int_equal(tail_run(untrusted, mem), 42); /* checked into checked is fine */
	assert_int_equal(mem[0], 34);
	bpfvm_prog_free(trusted);
	bpfvm_prog_free(untrusted);

	/* the count with the kernel: a socket filter counting in skb->cb[0] */
	b = (struct pb){ .n = 0 };
	int sk_pa = map_new(env, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1);
	tail_count_prog(&b, sk_pa);
	bpfvm_prog *counter = load_ok(env, TYPE_SK, 0, &b);
	put_prog(env, sk_pa, 0, counter);
	uint8_t frame[64] = { 0 };
	struct run r = { .frame = frame, .frame_len = sizeof(frame) };
	uint64_t runs = run_ok(counter, &r);
	assert_int_equal(runs, 34);
	bpfvm_prog_free(counter);
	if (kernel_ok()) {
		int kpa = kmap_create(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1);
		assert_true(kpa >= 0);
		b = (struct pb){ .n = 0 };
		tail_count_prog(&b, kpa);
		int fd = kload(TYPE_SK, &b);
		assert_true(fd >= 0);
		uint32_t key = 0, val = (uint32_t)fd, kret = 0;
		assert_int_equal(kmap_update(kpa, &key, &val), 0);
		assert_int_equal(kbpf_test_run(fd, frame, sizeof(frame), 1, &kret, NULL), 0);
		close(fd);
		close(kpa);
		print_message("tail calls: a self-calling program runs %u times in the kernel, %" PRIu64 " in bpfvm\n", kret,
			      runs);
		assert_int_equal(kret, runs);
	}
	bpfvm_env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_prog_types),
		cmocka_unit_test(test_load_restrictions),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_probe_read_kernel),
		cmocka_unit_test(test_trace_printk_formats),
		cmocka_unit_test(test_trace_printk_limits),
		cmocka_unit_test(test_trace_printk_stderr),
		cmocka_unit_test(test_csum_diff),
		cmocka_unit_test(test_skb_load_bytes),
		cmocka_unit_test(test_xdp_adjust),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_map_helpers),
		cmocka_unit_test(test_for_each_map_elem),
		cmocka_unit_test(test_ringbuf),
		cmocka_unit_test(test_tail_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
