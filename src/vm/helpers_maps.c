/* helpers_maps.c - the map helpers programs call: lookup, update, delete,
 * and push/pop/peek for queues and stacks. Map semantics (flags, per-type
 * errors) are the maps' own (maps.c, map_*.c); these check the program's
 * arguments and pass the run's CPU slot for per-CPU maps.
 *
 * In checked runs a pointer that is not a map of the run's environment gives
 * -EINVAL (lookup: NULL), and a key or value outside the program's memory
 * gives -EFAULT (lookup: NULL); the kernel's verifier rules both out before
 * a program runs. */
#include "helpers_impl.h"

VM_HELPER_IMPL(vm_helper_map_lookup_elem)
{
	bpfvm_map *m = vm_helper_map(ex, r1);
	if (!m || !vm_helper_mem_ok(ex, r2, m->key_size, 0))
		return 0;
	return (uint64_t)(uintptr_t)vm_map_lookup_elem(m, vm_helper_ptr(r2), ex->cpu);
}

VM_HELPER_IMPL(vm_helper_map_update_elem)
{
	bpfvm_map *m = vm_helper_map(ex, r1);
	if (!m)
		return vm_helper_errno(EINVAL);
	if (!vm_helper_mem_ok(ex, r2, m->key_size, 0) || !vm_helper_mem_ok(ex, r3, m->value_size, 0))
		return vm_helper_errno(EFAULT);
	return (uint64_t)(int64_t)vm_map_update_elem(m, vm_helper_ptr(r2), vm_helper_ptr(r3), r4, ex->cpu);
}

VM_HELPER_IMPL(vm_helper_map_delete_elem)
{
	bpfvm_map *m = vm_helper_map(ex, r1);
	if (!m)
		return vm_helper_errno(EINVAL);
	if (!vm_helper_mem_ok(ex, r2, m->key_size, 0))
		return vm_helper_errno(EFAULT);
	return (uint64_t)(int64_t)vm_map_delete_elem(m, vm_helper_ptr(r2));
}

VM_HELPER_IMPL(vm_helper_map_push_elem)
{
	bpfvm_map *m = vm_helper_map(ex, r1);
	if (!m)
		return vm_helper_errno(EINVAL);
	if (!vm_helper_mem_ok(ex, r2, m->value_size, 0))
		return vm_helper_errno(EFAULT);
	return (uint64_t)(int64_t)vm_map_push_elem(m, vm_helper_ptr(r2), r3);
}

VM_HELPER_IMPL(vm_helper_map_pop_elem)
{
	bpfvm_map *m = vm_helper_map(ex, r1);
	if (!m)
		return vm_helper_errno(EINVAL);
	if (!vm_helper_mem_ok(ex, r2, m->value_size, 1))
		return vm_helper_errno(EFAULT);
	return (uint64_t)(int64_t)vm_map_pop_elem(m, vm_helper_ptr(r2));
}

VM_HELPER_IMPL(vm_helper_map_peek_elem)
{
	bpfvm_map *m = vm_helper_map(ex, r1);
	if (!m)
		return vm_helper_errno(EINVAL);
	if (!vm_helper_mem_ok(ex, r2, m->value_size, 1))
		return vm_helper_errno(EFAULT);
	return (uint64_t)(int64_t)vm_map_peek_elem(m, vm_helper_ptr(r2));
}
