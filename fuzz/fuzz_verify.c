/* fuzz_verify.c - libFuzzer target for the verifier's soundness: arbitrary
 * bytes as a program and its memory go through bpfvm_verify; a program it
 * accepts is loaded with BPFVM_PROG_F_VERIFY and run, first checked (with a
 * budget), then unchecked on the interpreter (and the JIT's trusted image
 * when the input asks), where AddressSanitizer sees any access the proof
 * missed. abort() when:
 *   - the result breaks the API contract: an error that is not a BPFVM_E*
 *     code, a message of more than one line, an instruction outside the
 *     program, res.accepted disagreeing with the return value, a log that
 *     is not NUL-terminated or written past its buffer;
 *   - bpfvm_prog_load with BPFVM_PROG_F_VERIFY refuses what bpfvm_verify
 *     accepted;
 *   - the checked run of an accepted program faults (BPFVM_EFAULT, ESTACK,
 *     EHELPER, EUNSUPP): the proof was wrong. Running out of budget is fine.
 *
 * Input: [flags][mem_len] mem_len bytes of memory, then the program (whole
 * 8-byte slots, at most 512). flags:
 *   bits 0-1  program type: 0, 1 raw (r1 = memory, r2 = its length),
 *             2 socket filter, 3 XDP (the memory is the frame)
 *   bit 2     also load with BPFVM_PROG_F_JIT and run the trusted image
 *   bit 3     log level 2 into a small buffer (its size from mem_len)
 * The environment holds an array (4 x 8 bytes), a hash (4-byte keys, 16-byte
 * values), a ring buffer and a one-entry array of 64 bytes, in fd_array
 * order 0..3 (lddw map_idx 0..3), with fds 3..6 for lddw map_fd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"

#define MAX_SLOTS 512
#define NMAPS 4
#define CHECKED_BUDGET 1000000
#define BIG_LOG 16384

static void die(const char *what, int rc, const struct bpfvm_error *err, const char *log)
{
	fprintf(stderr, "fuzz_verify: %s (rc %d, insn %ld: %s)\n", what, rc, err ? err->insn : -1L,
		err ? err->msg : "");
	if (log && *log)
		fprintf(stderr, "--- verifier log ---\n%s\n", log);
	abort();
}

static void check_error(const char *what, int rc, const struct bpfvm_error *err, size_t n)
{
	if (rc >= 0 || rc < BPFVM_EVERIFY || err->code != rc || !memchr(err->msg, 0, sizeof(err->msg)) ||
	    strchr(err->msg, '\n') || err->insn < -1 || err->insn >= (long)n)
		die(what, rc, err, NULL);
}

static void printk_sink(void *cookie, const char *line)
{
	(void)strlen(line);
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
	const int jit = (flags & 4) && bpfvm_jit_available();

	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	uint8_t *mem = malloc(mem_len ? mem_len : 1);
	char *log = malloc(BIG_LOG);
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_prog *prog = NULL;
	if (!insns || !mem || !log || !env)
		goto out;
	memcpy(mem, data, mem_len);
	memcpy(insns, data + mem_len, n * sizeof(*insns));
	bpfvm_env_set_printk(env, printk_sink, NULL);

	static const struct bpfvm_map_opts maps[NMAPS] = {
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "arr", .type = BPF_MAP_TYPE_ARRAY,
		  .key_size = 4, .value_size = 8, .max_entries = 4 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "hash", .type = BPF_MAP_TYPE_HASH,
		  .key_size = 4, .value_size = 16, .max_entries = 8 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = "rb", .type = BPF_MAP_TYPE_RINGBUF,
		  .max_entries = 4096 },
		{ .sz = sizeof(struct bpfvm_map_opts), .name = ".data", .type = BPF_MAP_TYPE_ARRAY,
		  .key_size = 4, .value_size = 64, .max_entries = 1 },
	};
	int fds[NMAPS];
	for (int i = 0; i < NMAPS; i++) {
		fds[i] = bpfvm_map_create(env, &maps[i]);
		if (fds[i] < 0)
			die("cannot create a map", fds[i], NULL, NULL);
	}

	/* verify, with a log */
	size_t log_len = (flags & 8) ? 1 + mem_len % 97 : BIG_LOG - 1;
	memset(log, 0x5a, BIG_LOG);
	struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = type, .fd_array = fds, .fd_array_len = NMAPS,
					.log_level = (flags & 8) ? 2 : 1 };
	struct bpfvm_verify_result res = { .sz = sizeof(res) };
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	int rc = bpfvm_verify(env, insns, n, &vo, &res, log, log_len, &err);
	if (log[log_len] != 0x5a)
		die("the log was written past its buffer", rc, &err, NULL);
	if (!memchr(log, 0, log_len))
		die("the log is not NUL-terminated", rc, &err, NULL);
	if (rc != 0)
		check_error("bpfvm_verify", rc, &err, n);
	if (res.accepted != (rc == 0))
		die("res.accepted disagrees with the return value", rc, &err, log);
	if (getenv("FUZZ_VERIFY_SHOW")) /* to look at what an input does */
		fprintf(stderr, "verify: %d %s\n%s\n", rc, rc ? err.msg : "", log);
	if (rc != 0)
		goto out;

	/* load as verified: must agree */
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "verified", .type = type,
				      .flags = BPFVM_PROG_F_VERIFY | (jit ? BPFVM_PROG_F_JIT : 0),
				      .fd_array = fds, .fd_array_len = NMAPS };
	rc = bpfvm_prog_load(env, insns, n, &po, &prog, &err);
	if (rc == BPFVM_EUNSUPP && jit)
		goto out;
	if (rc != 0)
		die("bpfvm_prog_load with BPFVM_PROG_F_VERIFY refuses what bpfvm_verify accepted", rc, &err, log);

	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .budget = CHECKED_BUDGET, .flags = BPFVM_RUN_CHECKED };
	if (type == BPFVM_PROG_TYPE_RAW) {
		ro.mem = mem;
		ro.mem_len = mem_len;
	} else {
		ro.frame = mem;
		ro.frame_len = mem_len;
	}
	uint64_t r0 = 0;
	memset(&err, 0, sizeof(err));
	rc = bpfvm_prog_run(prog, &ro, &r0, &err);
	if (rc == BPFVM_EBUDGET)
		goto out;
	if (rc != 0) {
		check_error("checked run", rc, &err, n);
		die("a verified program faults on the checked engine", rc, &err, log);
	}
	/* the proof is what keeps these runs in bounds */
	ro.flags = 0;
	ro.budget = 0;
	bpfvm_prog_run(prog, &ro, &r0, &err);
	if (jit) {
		ro.engine = BPFVM_ENGINE_JIT;
		bpfvm_prog_run(prog, &ro, &r0, &err);
	}
out:
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	free(insns);
	free(mem);
	free(log);
	return 0;
}
