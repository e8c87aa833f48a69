/* helpers_impl.h - what the builtin kernel helpers (helpers*.c) share: the
 * program-type masks of helpers.def's last column, the declarations of the
 * implementations the table names, and the checks every helper applies to
 * the arguments a program hands it. */
#ifndef BPFVM_HELPERS_IMPL_H
#define BPFVM_HELPERS_IMPL_H

#include <errno.h>
#include <stdint.h>

#include "maps.h"
#include "vm.h"

/* Program types a helper allows: bit t stands for BPF_PROG_TYPE t, bit 0 for
 * bpfvm's raw programs (BPF_PROG_TYPE_UNSPEC). Types above 63 get only ALL. */
#define VM_PROGS_BIT(t) (UINT64_C(1) << (t))
#define VM_PROGS_ALL UINT64_MAX
#define VM_PROGS_SKB \
	(VM_PROGS_BIT(BPF_PROG_TYPE_SOCKET_FILTER) | VM_PROGS_BIT(BPF_PROG_TYPE_SCHED_CLS) | \
	 VM_PROGS_BIT(BPF_PROG_TYPE_SCHED_ACT))
#define VM_PROGS_XDP VM_PROGS_BIT(BPF_PROG_TYPE_XDP)
#define VM_PROGS_RAW_TC_XDP \
	(VM_PROGS_BIT(BPFVM_PROG_TYPE_RAW) | VM_PROGS_BIT(BPF_PROG_TYPE_SCHED_CLS) | \
	 VM_PROGS_BIT(BPF_PROG_TYPE_SCHED_ACT) | VM_PROGS_XDP)

#define VM_HELPER_UNUSED __attribute__((unused))

/* The signature of every implementation (that of bpfvm_helper_fn):
 * VM_HELPER_IMPL(vm_helper_ktime_get_ns) { ... uses r1..r5 and ex ... } */
#define VM_HELPER_IMPL(impl)                                                                        \
	uint64_t impl(VM_HELPER_UNUSED uint64_t r1, VM_HELPER_UNUSED uint64_t r2, VM_HELPER_UNUSED uint64_t r3, \
		      VM_HELPER_UNUSED uint64_t r4, VM_HELPER_UNUSED uint64_t r5, VM_HELPER_UNUSED bpfvm_exec *ex)

#define HELPER(id, name, impl, ...) \
	uint64_t impl(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, bpfvm_exec *ex);
#include "helpers.def"
#undef HELPER

/* A negative errno as the helper's r0. */
static inline uint64_t vm_helper_errno(int e)
{
	return (uint64_t)(int64_t)-e;
}

static inline void *vm_helper_ptr(uint64_t addr)
{
	return (void *)(uintptr_t)addr;
}

/* Memory the program hands a helper: in checked runs [addr, addr + len) must
 * lie in the run's memory (writable when write). An empty range is always
 * fine. Trusted runs rely on the caller's promise (later, the verifier's). */
static inline int vm_helper_mem_ok(const bpfvm_exec *ex, uint64_t addr, uint64_t len, int write)
{
	return !ex->checked || len == 0 || bpfvm_exec_check(ex, addr, len, write);
}

/* A map argument: validated in checked runs; NULL when it is not a map of
 * the run's environment. */
static inline bpfvm_map *vm_helper_map(const bpfvm_exec *ex, uint64_t ptr)
{
	return ex->checked ? vm_map_from_ptr(ex->env, ptr) : (bpfvm_map *)vm_helper_ptr(ptr);
}

/* A context argument: in checked runs it must be the run's context. */
static inline int vm_helper_ctx_ok(const bpfvm_exec *ex, uint64_t ctx)
{
	return !ex->checked || ctx == ex->ctx;
}

#endif
