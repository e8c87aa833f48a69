/* fuzz_exec.c - libFuzzer target for the loader and the checked engines:
 * arbitrary bytes as a program and its memory, loaded without
 * BPFVM_PROG_F_TRUSTED (or TRUSTED but run with BPFVM_RUN_CHECKED) and run
 * with a small instruction budget on the checked interpreter or the checked
 * JIT image. Any outcome is fine except a crash or a sanitizer report; the
 * error contract is checked too (abort() otherwise): load and run failures
 * are negative BPFVM_E* codes with a one-line message naming an instruction
 * inside the program (or -1). Afterwards the maps are walked from the host.
 *
 * Input: [flags][mem_len] mem_len bytes of memory, then the program (whole
 * 8-byte slots; a tail shorter than 8 bytes is ignored). flags:
 *   bits 0-1  program type: 0, 1 raw (r1 = memory, r2 = its length),
 *             2 socket filter, 3 XDP (the memory is the frame)
 *   bit 2     register the conformance suite's helpers (ids 0..5 replace
 *             the kernel helpers with those ids)
 *   bit 3     load TRUSTED and run with BPFVM_RUN_CHECKED
 *   bit 4     run a second time on a reused bpfvm_exec
 *   bit 5     with a trace hook (checks pc and the instruction it is given)
 *   bit 6     put the program in the prog_array (tail calls to itself)
 *   bit 7     load with BPFVM_PROG_F_JIT and run the JIT (x86-64 hosts)
 * The environment holds an array, a hash, a queue, a ring buffer, a
 * prog_array, a one-entry array (global data: lddw map_value), an LRU hash
 * and a per-CPU array, in fd_array order 0..7 (lddw map_idx 0..7), with fds
 * 3..10 for lddw map_fd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "vm.h"

#define BUDGET 100000
#define MAX_SLOTS 4096

struct trace_state {
	size_t n;
	const struct bpf_insn *insns;
};

static void die(const char *what, int code, const struct bpfvm_error *err, size_t n)
{
	fprintf(stderr, "fuzz_exec: %s: code %d, insn %ld of %zu: %s\n", what, code, err->insn, n, err->msg);
	abort();
}

static void check_error(const char *what, int rc, const struct bpfvm_error *err, size_t n)
{
	if (rc >= 0 || rc < BPFVM_EFORMAT)
		die(what, rc, err, n);
	if (err->code != rc || !memchr(err->msg, 0, sizeof(err->msg)) || strchr(err->msg, '\n'))
		die(what, rc, err, n);
	if (err->insn < -1 || err->insn >= (long)n)
		die(what, rc, err, n);
}

static void on_trace(void *cookie, size_t pc, const struct bpf_insn *insn, const uint64_t regs[11])
{
	const struct trace_state *t = cookie;
	(void)regs[10];
	if (pc >= t->n) {
		fprintf(stderr, "fuzz_exec: trace hook got pc %zu of %zu\n", pc, t->n);
		abort();
	}
	/* The hook may see the entry program or a tail-called one (itself). */
	if (memcmp(insn, &t->insns[pc], sizeof(*insn)) != 0) {
		fprintf(stderr, "fuzz_exec: trace hook got another instruction at pc %zu\n", pc);
		abort();
	}
}

static void printk_sink(void *cookie, const char *line)
{
	(void)strlen(line);
}

#define NMAPS 8

static void make_maps(bpfvm_env *env, int fds[NMAPS])
{
	static const struct bpfvm_map_opts maps[NMAPS] = {
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "arr", .type = BPF_MAP_TYPE_ARRAY,
		  .key_size = 4, .value_size = 8, .max_entries = 4 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "hash", .type = BPF_MAP_TYPE_HASH,
		  .key_size = 4, .value_size = 16, .max_entries = 8 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "queue", .type = BPF_MAP_TYPE_QUEUE,
		  .key_size = 0, .value_size = 8, .max_entries = 4 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "rb", .type = BPF_MAP_TYPE_RINGBUF,
		  .key_size = 0, .value_size = 0, .max_entries = 4096 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "progs", .type = BPF_MAP_TYPE_PROG_ARRAY,
		  .key_size = 4, .value_size = 4, .max_entries = 2 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = ".data", .type = BPF_MAP_TYPE_ARRAY,
		  .key_size = 4, .value_size = 64, .max_entries = 1 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "lru", .type = BPF_MAP_TYPE_LRU_HASH,
		  .key_size = 8, .value_size = 8, .max_entries = 4 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "pcpu", .type = BPF_MAP_TYPE_PERCPU_ARRAY,
		  .key_size = 4, .value_size = 12, .max_entries = 2, .ncpus = 2 },
	};
	for (int i = 0; i < NMAPS; i++) {
		fds[i] = bpfvm_map_create(env, &maps[i]);
		if (fds[i] < 0) {
			fprintf(stderr, "fuzz_exec: cannot create map %s: %d\n", maps[i].name, fds[i]);
			abort();
		}
	}
}

/* Reads every map from the host side, as a tool would after a run. */
static void walk_maps(bpfvm_env *env)
{
	bpfvm_map *maps[16];
	size_t n = bpfvm_env_maps(env, maps, 16);
	if (n > 16) {
		fprintf(stderr, "fuzz_exec: %zu maps, created %d\n", n, NMAPS);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		struct bpfvm_map_info info;
		bpfvm_map_get_info(maps[i], &info);
		if (bpfvm_map_by_name(env, info.name) != maps[i] || bpfvm_map_from_fd(env, info.fd) != maps[i]) {
			fprintf(stderr, "fuzz_exec: map %s not found by its name or fd\n", info.name);
			abort();
		}
		uint8_t key[64], next[64], value[256];
		if (info.key_size > sizeof(key) || (size_t)info.value_size * (info.ncpus ? info.ncpus : 1) + 64 > sizeof(value))
			continue;
		if (info.type == BPF_MAP_TYPE_QUEUE || info.type == BPF_MAP_TYPE_STACK) {
			for (int k = 0; k < 64 && bpfvm_map_lookup_and_delete(maps[i], NULL, value) == 0; k++)
				;
			continue;
		}
		if (info.type == BPF_MAP_TYPE_RINGBUF) {
			bpfvm_ringbuf_consume(maps[i], NULL, NULL);
			continue;
		}
		const void *prev = NULL;
		for (int k = 0; k < 64 && bpfvm_map_get_next_key(maps[i], prev, next) == 0; k++) {
			memcpy(key, next, info.key_size);
			prev = key;
			bpfvm_map_lookup(maps[i], key, value);
		}
		if (info.type == BPF_MAP_TYPE_HASH && prev)
			bpfvm_map_delete(maps[i], prev);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const uint8_t flags = data[0];
	size_t mem_len = data[1];
	data += 2, size -= 2;
	if (mem_len > size)
		mem_len = size;
	size_t n = (size - mem_len) / 8;
	if (n == 0 || n > MAX_SLOTS)
		return 0;

	static const uint32_t types[4] = { BPFVM_PROG_TYPE_RAW, BPFVM_PROG_TYPE_RAW, BPF_PROG_TYPE_SOCKET_FILTER,
					   BPF_PROG_TYPE_XDP };
	const uint32_t type = types[flags & 3];
	const int trusted = (flags >> 3) & 1;
	const int jit = (flags & 128) && bpfvm_jit_available();

	/* Exact-size copies so that ASan sees any access past them. */
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	uint8_t *mem = malloc(mem_len ? mem_len : 1);
	bpfvm_env *env = bpfvm_env_new();
	if (!insns || !mem || !env) {
		free(insns), free(mem);
		bpfvm_env_free(env);
		return 0;
	}
	memcpy(mem, data, mem_len);
	memcpy(insns, data + mem_len, n * sizeof(*insns));
	bpfvm_env_set_printk(env, printk_sink, NULL);
	if (flags & 4)
		vm_register_conformance_helpers(env);
	int fds[NMAPS];
	make_maps(env, fds);

	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "fuzz", .type = type,
				      .flags = (trusted ? BPFVM_PROG_F_TRUSTED : BPFVM_PROG_F_NO_VERIFY) | (jit ? BPFVM_PROG_F_JIT : 0),
				      .fd_array = fds, .fd_array_len = NMAPS };
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	bpfvm_prog *prog = NULL;
	int rc = bpfvm_prog_load(env, insns, n, &po, &prog, &err);
	const int show = getenv("FUZZ_EXEC_SHOW") != NULL; /* to look at what an input does */
	if (show)
		fprintf(stderr, "load: %d %s\n", rc, rc ? err.msg : "");
	if (rc != 0) {
		check_error("load", rc, &err, n);
		goto out;
	}
	if (flags & 64) {
		uint32_t key = 0;
		int pfd = bpfvm_prog_fd(prog);
		bpfvm_map_update(bpfvm_map_from_fd(env, fds[4]), &key, &pfd, BPF_ANY);
	}

	struct trace_state ts = { n, insns };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .budget = BUDGET, .flags = trusted ? BPFVM_RUN_CHECKED : 0,
				     .engine = jit ? BPFVM_ENGINE_JIT : BPFVM_ENGINE_INTERP };
	if (type == BPFVM_PROG_TYPE_RAW) {
		ro.mem = mem;
		ro.mem_len = mem_len;
	} else {
		ro.frame = mem;
		ro.frame_len = mem_len;
	}
	if (flags & 32) {
		ro.trace = on_trace;
		ro.trace_cookie = &ts;
	}
	uint64_t r0 = 0;
	memset(&err, 0, sizeof(err));
	rc = bpfvm_prog_run(prog, &ro, &r0, &err);
	if (show)
		fprintf(stderr, "run: %d r0 %llu %s\n", rc, (unsigned long long)r0, rc ? err.msg : "");
	if (rc != 0)
		check_error("run", rc, &err, n);
	if (flags & 16) {
		bpfvm_exec *ex = bpfvm_exec_new(env);
		for (int i = 0; ex && i < 2; i++) {
			memset(&err, 0, sizeof(err));
			rc = bpfvm_exec_run(ex, prog, &ro, &r0, &err);
			if (rc != 0)
				check_error("exec run", rc, &err, n);
			size_t plen = 0;
			const uint8_t *pkt = bpfvm_exec_packet(ex, &plen);
			if (pkt && plen) {
				volatile uint8_t sum = 0;
				for (size_t k = 0; k < plen; k++)
					sum += pkt[k];
				(void)sum;
			}
		}
		bpfvm_exec_free(ex);
	}
	walk_maps(env);
	bpfvm_prog_free(prog);
out:
	bpfvm_env_free(env);
	free(insns);
	free(mem);
	return 0;
}
