/* test_prog_verify.c - loading verifies by default (issue 6's wiring):
 * bpfvm_prog_load without flags rejects an unsafe program with the
 * verifier's reason and fills the log options; BPFVM_PROG_F_NO_VERIFY loads
 * it and the checked engines fault at run time instead; a verified program
 * runs unchecked on both engines (the JIT has its unchecked image) and gives
 * the results of the checked run; raw programs verified for N bytes of
 * memory refuse a shorter memory; the ELF loader verifies each program. */
#include <stdio.h>
#include <string.h>

#include "bpfvm/insn.h"
#include "testutil.h"

/* r0 = *(u32 *)(r1 + 4): needs 8 bytes of memory */
static const struct bpf_insn read4[] = {
	BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, 4),
	BPF_EXIT_INSN(),
};

/* the same, after proving r2 >= 8 (else r0 = 7) */
static const struct bpf_insn read4_checked[] = {
	BPF_MOV64_IMM(BPF_REG_0, 7),
	BPF_JMP_IMM(BPF_JLT, BPF_REG_2, 8, 1),
	BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, 4),
	BPF_EXIT_INSN(),
};

static int load(bpfvm_env *env, const struct bpf_insn *in, size_t n, uint32_t flags, uint32_t mem_size, char *log,
		size_t log_len, int level, bpfvm_prog **p, struct bpfvm_error *err)
{
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = flags, .log_buf = log, .log_len = log_len,
				      .log_level = level, .raw_mem_size = mem_size };
	memset(err, 0, sizeof(*err));
	*p = NULL;
	return bpfvm_prog_load(env, in, n, &po, p, err);
}

static void default_load_rejects(void **state)
{
	(void)state;
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	char log[4096];
	memset(log, 'x', sizeof(log));
	bpfvm_prog *p;
	struct bpfvm_error err;
	assert_int_equal(load(env, read4, 2, 0, 0, log, sizeof(log), 1, &p, &err), BPFVM_EVERIFY);
	assert_null(p);
	assert_int_equal(err.insn, 0);
	assert_non_null(strstr(err.msg, "invalid access to memory"));
	/* the log: the failing instruction, then the reason, NUL-terminated */
	assert_non_null(memchr(log, 0, sizeof(log)));
	assert_non_null(strstr(log, "0: (61) r0 = *(u32 *)(r1 + 4)"));
	assert_non_null(strstr(log, "invalid access to memory"));
	assert_non_null(strstr(log, "processed 1 insns"));
	/* a log of 16 bytes is cut, still terminated */
	char small[16];
	memset(small, 'x', sizeof(small));
	assert_int_equal(load(env, read4, 2, 0, 0, small, sizeof(small), 1, &p, &err), BPFVM_EVERIFY);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* verified for 8 bytes of memory it is accepted; 7 are not enough */
	assert_int_equal(load(env, read4, 2, 0, 7, NULL, 0, 0, &p, &err), BPFVM_EVERIFY);
	assert_int_equal(load(env, read4, 2, 0, 8, log, sizeof(log), 1, &p, &err), 0);
	assert_non_null(strstr(log, "processed 2 insns"));
	uint8_t mem[8] = { 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44 };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = mem, .mem_len = 8 };
	uint64_t r0 = 0;
	assert_int_equal(bpfvm_prog_run(p, &ro, &r0, &err), 0);
	assert_int_equal(r0, 0x44332211);
	/* a shorter memory than the proof assumed is refused, unless checked */
	ro.mem_len = 7;
	assert_int_equal(bpfvm_prog_run(p, &ro, &r0, &err), BPFVM_EINVAL);
	ro.flags = BPFVM_RUN_CHECKED;
	assert_int_equal(bpfvm_prog_run(p, &ro, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 0);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

static void no_verify_faults_at_run(void **state)
{
	(void)state;
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	bpfvm_prog *p;
	struct bpfvm_error err;
	/* NO_VERIFY: loads; the checked engines stop at the fault */
	assert_int_equal(load(env, read4, 2, BPFVM_PROG_F_NO_VERIFY, 0, NULL, 0, 0, &p, &err), 0);
	uint8_t mem[4] = { 1, 2, 3, 4 };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = mem, .mem_len = sizeof(mem) };
	uint64_t r0 = 0;
	assert_int_equal(bpfvm_prog_run(p, &ro, &r0, &err), BPFVM_EFAULT);
	assert_int_equal(err.insn, 0);
	bpfvm_prog_free(p);
	/* VERIFY spelled out is the default; NO_VERIFY wins over it */
	assert_int_equal(load(env, read4, 2, BPFVM_PROG_F_VERIFY, 0, NULL, 0, 0, &p, &err), BPFVM_EVERIFY);
	assert_int_equal(load(env, read4, 2, BPFVM_PROG_F_VERIFY | BPFVM_PROG_F_NO_VERIFY, 0, NULL, 0, 0, &p, &err), 0);
	bpfvm_prog_free(p);
	/* structural errors come before the verifier, with the loader's words */
	struct bpf_insn bad[] = { BPF_RAW_INSN(0xff, 0, 0, 0, 0), BPF_EXIT_INSN() };
	assert_int_equal(load(env, bad, 2, 0, 0, NULL, 0, 0, &p, &err), BPFVM_EDECODE);
	bpfvm_env_free(env);
}

/* A verified program runs unchecked and agrees with its checked runs, on
 * every engine; the JIT compiled the unchecked image for it. */
static void verified_runs_unchecked_everywhere(void **state)
{
	(void)state;
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	int engines = bpfvm_jit_available() ? 2 : 1;
	if (engines == 1)
		printf("note: no JIT on this host; the interpreter only\n");
	for (int jit = 0; jit < engines; jit++) {
		bpfvm_prog *p;
		struct bpfvm_error err;
		assert_int_equal(load(env, read4_checked, 4, jit ? BPFVM_PROG_F_JIT : 0, 0, NULL, 0, 0, &p, &err), 0);
		if (jit) {
			size_t len = 0;
			assert_non_null(bpfvm_prog_jit_image(p, 0, &len, NULL));
			assert_true(len > 0);
			assert_non_null(bpfvm_prog_jit_image(p, 1, &len, NULL));
		}
		for (size_t m = 0; m <= 9; m++) {
			uint8_t mem[9] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
			uint64_t r0[2];
			for (int checked = 0; checked < 2; checked++) {
				struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = jit, .mem = m ? mem : NULL,
							     .mem_len = m, .flags = checked ? BPFVM_RUN_CHECKED : 0 };
				assert_int_equal(bpfvm_prog_run(p, &ro, &r0[checked], &err), 0);
			}
			assert_int_equal(r0[0], r0[1]);
			assert_int_equal(r0[0], m < 8 ? 7 : 0x02030405);
		}
		bpfvm_prog_free(p);
	}
	bpfvm_env_free(env);
}

/* The ELF loader verifies every program: the examples load verified. */
static void elf_examples_verify(void **state)
{
	(void)state;
	static const char *objs[] = { "core_ctx.o", "globals_subprog.o", "ringbuf.o", "sock_example.o", "tail_call.o",
				      "xdp_count.o" };
	size_t found = 0, progs = 0;
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/examples/bpf/%s", tu_build_dir(), objs[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		fclose(f);
		found++;
		bpfvm_env *env = bpfvm_env_new();
		assert_non_null(env);
		bpfvm_obj *obj = NULL;
		struct bpfvm_error err;
		char msg[400];
		if (bpfvm_obj_open(env, path, NULL, &obj, &err))
			fail_msg("%s: %s", objs[i], bpfvm_error_format(&err, msg, sizeof(msg)));
		for (size_t k = 0; k < bpfvm_obj_prog_count(obj); k++) {
			const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, k);
			if (!pi->prog)
				fail_msg("%s: %s: %s", objs[i], pi->name, pi->load_msg);
			progs++;
		}
		bpfvm_obj_close(obj);
		bpfvm_env_free(env);
	}
	if (!found) {
		printf("SKIP: no example objects in %s/examples/bpf (built with clang)\n", tu_build_dir());
		skip();
	}
	printf("%zu example objects, %zu programs, all verified at load\n", found, progs);
	assert_true(progs >= found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_load_rejects),
		cmocka_unit_test(no_verify_faults_at_run),
		cmocka_unit_test(verified_runs_unchecked_everywhere),
		cmocka_unit_test(elf_examples_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
