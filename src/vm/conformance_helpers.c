/* conformance_helpers.c - the helpers that the eBPF conformance suite's
 * programs expect (the set uBPF's plugin registers): used by bpfvm-plugin,
 * `bpfvm run` on raw programs, and the tests. */
#include <string.h>

#include "vm.h"

/* 0: the low bytes of r1..r5 packed: (a << 32) | (b << 24) | (c << 16) | (d << 8) | e */
static uint64_t gather_bytes(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, bpfvm_exec *ex)
{
	return ((uint64_t)(uint8_t)a << 32) | ((uint64_t)(uint8_t)b << 24) | ((uint64_t)(uint8_t)c << 16) |
	       ((uint64_t)(uint8_t)d << 8) | (uint8_t)e;
}

/* 1: XOR r2 bytes at r1 with 42 (only inside the program's writable memory). */
static uint64_t memfrob(uint64_t p, uint64_t n, uint64_t c, uint64_t d, uint64_t e, bpfvm_exec *ex)
{
	if (!bpfvm_exec_check(ex, p, n, 1))
		return (uint64_t)-1;
	uint8_t *b = (uint8_t *)(uintptr_t)p;
	for (uint64_t i = 0; i < n; i++)
		b[i] ^= 42;
	return 0;
}

/* 2: does nothing. */
static uint64_t no_op(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, bpfvm_exec *ex)
{
	return 0;
}

/* 3: integer square root of r1 (floor). */
static uint64_t sqrti(uint64_t x, uint64_t b, uint64_t c, uint64_t d, uint64_t e, bpfvm_exec *ex)
{
	uint64_t lo = 0, hi = x < 2 ? x : (x < (1ULL << 32) ? x / 2 + 1 : 1ULL << 32);
	while (lo < hi) { /* largest y with y * y <= x */
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (mid <= x / mid)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* 4: strcmp of the C strings at r1 and r2, bounded by the program's memory. */
static uint64_t str_cmp(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, bpfvm_exec *ex)
{
	for (;; a++, b++) {
		if (!bpfvm_exec_check(ex, a, 1, 0) || !bpfvm_exec_check(ex, b, 1, 0))
			return (uint64_t)-1;
		uint8_t x = *(const uint8_t *)(uintptr_t)a, y = *(const uint8_t *)(uintptr_t)b;
		if (x != y || !x)
			return (uint64_t)(int64_t)(x - y);
	}
}

/* 5: "unwind": returns r1; a zero r1 ends the program at once with r0 = 0. */
static uint64_t unwind(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, bpfvm_exec *ex)
{
	if (a == 0)
		bpfvm_exec_stop(ex, 0);
	return a;
}

/* Their prototypes: how many arguments each reads. The pointers of memfrob
 * and strcmp are plain values to the verifier: the helpers check them
 * against the run's regions themselves, verified or not. */
#define A BPFVM_ARG_ANYTHING
static const struct {
	const char *name;
	bpfvm_helper_fn fn;
	struct bpfvm_helper_proto proto;
} conformance_helpers[] = {
	{ "gather_bytes", gather_bytes, { BPFVM_RET_INTEGER, { A, A, A, A, A } } },
	{ "memfrob", memfrob, { BPFVM_RET_INTEGER, { A, A } } },
	{ "no_op", no_op, { BPFVM_RET_INTEGER, { 0 } } },
	{ "sqrti", sqrti, { BPFVM_RET_INTEGER, { A } } },
	{ "strcmp", str_cmp, { BPFVM_RET_INTEGER, { A, A } } },
	{ "unwind", unwind, { BPFVM_RET_INTEGER, { A } } },
};
#undef A

void vm_register_conformance_helpers(bpfvm_env *env)
{
	for (uint32_t id = 0; id < sizeof(conformance_helpers) / sizeof(conformance_helpers[0]); id++)
		bpfvm_env_register_helper_proto(env, id, conformance_helpers[id].name, conformance_helpers[id].fn, NULL,
						&conformance_helpers[id].proto);
}
