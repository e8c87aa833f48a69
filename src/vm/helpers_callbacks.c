/* helpers_callbacks.c - the helpers that call back into the program:
 * bpf_loop and bpf_for_each_map_elem. A callback is a subprogram whose
 * address the program loads with lddw (pseudo source 4, BPF_PSEUDO_FUNC);
 * vm_call_callback runs it in a new frame on the same engine. A callback
 * that faults ends the program with that fault; one that stops the run
 * (bpfvm_exec_stop from a helper) ends it too. Callback return values follow
 * the kernel: 0 continues, anything else stops the iteration. */
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "helpers_impl.h"

#define VM_MAX_LOOPS (1u << 23) /* the kernel's BPF_MAX_LOOPS */

/* Runs one callback. 1 when the iteration must end because the run is over
 * (a fault, already recorded and turned into an abort, or a stop). */
static int callback(bpfvm_exec *ex, uint64_t func, const uint64_t args[5], uint64_t *ret)
{
	if (vm_call_callback(ex, func, args, ret) != 0) {
		vm_exec_abort(ex);
		return 1;
	}
	return ex->stopped != 0;
}

/* bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) for i = 0 ..
 * nr_loops - 1 until it returns non-zero; returns the number of calls made.
 * -EINVAL for flags, -E2BIG for more than 1 << 23 loops. */
VM_HELPER_IMPL(vm_helper_loop)
{
	uint32_t n = (uint32_t)r1;
	if (r4)
		return vm_helper_errno(EINVAL);
	if (n > VM_MAX_LOOPS)
		return vm_helper_errno(E2BIG);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t args[5] = { i, r3, 0, 0, 0 }, ret = 0;
		if (callback(ex, r2, args, &ret))
			return 0;
		if (ret)
			return (uint64_t)i + 1;
	}
	return n;
}

struct each {
	bpfvm_exec *ex;
	uint64_t func, ctx;
	uint8_t *key;  /* the program's read-only copy of the current key, or NULL */
	int over;      /* the run ended inside a callback */
};

static int each_elem(bpfvm_map *m, void *key, void *value, void *arg)
{
	struct each *e = arg;
	if (e->key) {
		memcpy(e->key, key, m->key_size);
		key = e->key;
	}
	uint64_t args[5] = { (uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)key, (uint64_t)(uintptr_t)value, e->ctx, 0 };
	uint64_t ret = 0;
	if (callback(e->ex, e->func, args, &ret)) {
		e->over = 1;
		return 1;
	}
	return ret != 0;
}

/* bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, key,
 * value, ctx) for each element (this CPU's value of per-CPU maps) until it
 * returns non-zero; returns the number of calls made. The map types are the
 * kernel's: arrays and hashes (plain, per-CPU, LRU); others give -EINVAL, as
 * do flags. The key handed to the callback is a copy in memory the program
 * may read (the maps' own copy may live outside the run's memory); when the
 * run has no region slot left (VM_MAX_REGIONS), the maps' own key is passed. */
VM_HELPER_IMPL(vm_helper_for_each_map_elem)
{
	bpfvm_map *m = vm_helper_map(ex, r1);
	if (!m || r4)
		return vm_helper_errno(EINVAL);
	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		break;
	default:
		return vm_helper_errno(EINVAL);
	}
	_Alignas(8) uint8_t local[64];
	uint8_t *key = m->key_size <= sizeof(local) ? local : malloc(m->key_size);
	if (!key)
		return vm_helper_errno(ENOMEM);
	/* The copy becomes a read-only region of the run for the iteration
	 * (regions nest: callbacks that iterate add theirs above this one). */
	size_t nregions = ex->nregions;
	int added = ex->nregions < VM_MAX_REGIONS && m->key_size > 0;
	if (added)
		vm_exec_add_region(ex, key, m->key_size, 0);
	struct each e = { ex, r2, r3, added ? key : NULL, 0 };
	long n = vm_map_for_each(m, ex->cpu, each_elem, &e);
	ex->nregions = nregions;
	if (key != local)
		free(key);
	return e.over ? 0 : (uint64_t)(int64_t)n;
}
