/* helpers_ringbuf.c - the BPF ring buffer helpers: output (copy a record in),
 * reserve / submit / discard (build a record in place), and query. The ring
 * buffer itself, its flags and its errors are the maps' (maps.c); these check
 * the program's arguments. In checked runs a pointer that is not a ring
 * buffer of the run's environment gives -EINVAL (reserve: NULL) and data
 * outside the program's memory -EFAULT. */
#include <linux/bpf.h>

#include "helpers_impl.h"

static bpfvm_map *ringbuf_arg(const bpfvm_exec *ex, uint64_t ptr)
{
	bpfvm_map *m = vm_helper_map(ex, ptr);
	return m && m->type == BPF_MAP_TYPE_RINGBUF ? m : NULL;
}

VM_HELPER_IMPL(vm_helper_ringbuf_output)
{
	bpfvm_map *m = ringbuf_arg(ex, r1);
	if (!m)
		return vm_helper_errno(EINVAL);
	if (!vm_helper_mem_ok(ex, r2, r3, 0))
		return vm_helper_errno(EFAULT);
	return (uint64_t)(int64_t)vm_ringbuf_output(m, vm_helper_ptr(r2), r3, r4);
}

VM_HELPER_IMPL(vm_helper_ringbuf_reserve)
{
	bpfvm_map *m = ringbuf_arg(ex, r1);
	if (!m)
		return 0;
	return (uint64_t)(uintptr_t)vm_ringbuf_reserve(m, r2, r3);
}

/* submit and discard return nothing (RET_VOID); a pointer that is not a
 * reserved record is ignored. */
VM_HELPER_IMPL(vm_helper_ringbuf_submit)
{
	vm_ringbuf_commit(ex->env, vm_helper_ptr(r1), 0, r2);
	return 0;
}

VM_HELPER_IMPL(vm_helper_ringbuf_discard)
{
	vm_ringbuf_commit(ex->env, vm_helper_ptr(r1), 1, r2);
	return 0;
}

VM_HELPER_IMPL(vm_helper_ringbuf_query)
{
	bpfvm_map *m = ringbuf_arg(ex, r1);
	if (!m)
		return vm_helper_errno(EINVAL);
	return vm_ringbuf_query(m, r2);
}
