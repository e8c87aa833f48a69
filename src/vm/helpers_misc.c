/* helpers_misc.c - the helpers about time, identity and memory, and
 * bpf_tail_call.
 *
 * Clocks: ktime_get_ns is CLOCK_MONOTONIC and ktime_get_boot_ns
 * CLOCK_BOOTTIME, the clocks the kernel's helpers read (measured on these
 * machines: bpfvm's and the kernel's values agree to within a millisecond). jiffies64 counts ticks of
 * VM_JIFFIES_HZ (250, CONFIG_HZ of the kernels on these machines) of
 * CLOCK_MONOTONIC from the kernel's INITIAL_JIFFIES, so values look like the
 * kernel's (within a fraction of a second). get_smp_processor_id is the
 * run's CPU slot (bpfvm_run_opts.cpu), get_current_pid_tgid the host's
 * process id (tgid, high half) and thread id (pid, low half), as the kernel
 * reports them for the current task. get_prandom_u32 draws from a per-thread
 * generator seeded from getrandom(2). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "helpers_impl.h"

#define VM_JIFFIES_HZ 250
#define VM_INITIAL_JIFFIES ((uint64_t)(uint32_t)(-300 * VM_JIFFIES_HZ)) /* the kernel's INITIAL_JIFFIES */

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	if (clock_gettime(clock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

VM_HELPER_IMPL(vm_helper_ktime_get_ns)
{
	return clock_ns(CLOCK_MONOTONIC);
}

VM_HELPER_IMPL(vm_helper_ktime_get_boot_ns)
{
	return clock_ns(CLOCK_BOOTTIME);
}

VM_HELPER_IMPL(vm_helper_jiffies64)
{
	return VM_INITIAL_JIFFIES + clock_ns(CLOCK_MONOTONIC) / (1000000000u / VM_JIFFIES_HZ);
}

VM_HELPER_IMPL(vm_helper_get_smp_processor_id)
{
	return ex->cpu;
}

VM_HELPER_IMPL(vm_helper_get_current_pid_tgid)
{
	uint64_t tgid = (uint32_t)getpid();
	uint64_t pid = (uint32_t)syscall(SYS_gettid);
	return tgid << 32 | pid;
}

/* splitmix64 over a per-thread state; a zero state means "not seeded yet". */
static _Thread_local uint64_t prandom_state;

VM_HELPER_IMPL(vm_helper_get_prandom_u32)
{
	if (!prandom_state) {
		uint64_t seed = 0;
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
			seed = clock_ns(CLOCK_MONOTONIC) ^ (uint64_t)syscall(SYS_gettid) << 32;
		prandom_state = seed | 1;
	}
	uint64_t z = (prandom_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* bpf_probe_read_kernel(dst, size, unsafe_ptr): copies size bytes from
 * wherever unsafe_ptr points, when that is memory of this run (its regions,
 * map values, ring buffer records); anything else is "kernel memory that
 * faults": dst is zeroed and the result is -EFAULT, as the kernel does. */
VM_HELPER_IMPL(vm_helper_probe_read_kernel)
{
	uint32_t size = (uint32_t)r2;
	if (!vm_helper_mem_ok(ex, r1, size, 1))
		return vm_helper_errno(EFAULT);
	if (size == 0)
		return 0;
	if (!bpfvm_exec_check(ex, r3, size, 0)) {
		memset(vm_helper_ptr(r1), 0, size);
		return vm_helper_errno(EFAULT);
	}
	memmove(vm_helper_ptr(r1), vm_helper_ptr(r3), size);
	return 0;
}

/* bpf_tail_call(ctx, prog_array, index): on success the engine continues in
 * the target program with r1 = ctx and the same stack frame, and never
 * returns here. As in the kernel, an index past max_entries fails first,
 * then the count (at most VM_MAX_TAIL_CALLS = 33 tail calls per run); an
 * empty slot fails after the count was taken. Failures return a negative
 * errno and the program continues:
 *   -EINVAL  not a prog_array, ctx is not the run's context (checked runs),
 *            called from a subprogram or callback (bpfvm only tail-calls from
 *            the entry frame), or the target is of another type or
 *            environment, or untrusted while this run is unchecked
 *   -E2BIG   index >= max_entries
 *   -ELOOP   33 tail calls already made in this run
 *   -ENOENT  empty slot */
VM_HELPER_IMPL(vm_helper_tail_call)
{
	bpfvm_map *m = vm_helper_map(ex, r2);
	if (!m || m->type != BPF_MAP_TYPE_PROG_ARRAY || !vm_helper_ctx_ok(ex, r1) || ex->depth != 0)
		return vm_helper_errno(EINVAL);
	uint32_t index = (uint32_t)r3;
	if (index >= m->max_entries)
		return vm_helper_errno(E2BIG);
	if (ex->tail_calls >= VM_MAX_TAIL_CALLS)
		return vm_helper_errno(ELOOP);
	ex->tail_calls++;
	const bpfvm_prog *target = vm_prog_array_get(m, index);
	if (!target)
		return vm_helper_errno(ENOENT);
	if (target->env != ex->env || target->type != ex->prog->type ||
	    (!ex->checked && !(target->flags & BPFVM_PROG_F_TRUSTED)))
		return vm_helper_errno(EINVAL);
	ex->tail_prog = target;
	ex->tail_ctx = r1;
	return 0;
}
