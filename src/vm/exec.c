/* exec.c - execution contexts: creating a reusable one, setting up a run
 * (regions, context, registers), choosing the engine, and the services
 * helpers get from the run (cookie, stop, memory checks, callbacks). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm.h"
#include "jit/jit.h"

static int set_err(struct bpfvm_error *err, int code, const char *msg)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		err->insn = -1;
		err->offset = -1;
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	}
	return code;
}

bpfvm_exec *bpfvm_exec_new(bpfvm_env *env)
{
	bpfvm_exec *ex = calloc(1, sizeof(*ex));
	if (ex)
		ex->env = env;
	return ex;
}

void bpfvm_exec_free(bpfvm_exec *ex)
{
	if (!ex)
		return;
	if (ex->pkt_buf)
		munmap(ex->pkt_buf, ex->pkt_buf_size);
	free(ex);
}

const void *bpfvm_exec_packet(const bpfvm_exec *ex, size_t *len)
{
	if (!ex->pkt_data) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)(ex->pkt_end - ex->pkt_data);
	return ex->pkt_data;
}

/* inline here: bpfvm_exec_run adds two or three regions per run */
static inline void add_region(bpfvm_exec *ex, const void *start, size_t len, int writable)
{
	if (!start || !len || ex->nregions >= VM_MAX_REGIONS)
		return;
	struct vm_region *r = &ex->regions[ex->nregions++];
	r->start = (uint64_t)(uintptr_t)start;
	r->end = r->start + len;
	r->writable = writable;
}

void vm_exec_add_region(bpfvm_exec *ex, const void *start, size_t len, int writable)
{
	add_region(ex, start, len, writable);
}

/* Zeroes the entry frame (BPFVM_STACK_SIZE bytes, 16-byte aligned) with
 * 16-byte vector stores. GCC compiles a fixed-size memset of this size to
 * `rep stosq`, whose start-up costs tens of nanoseconds on AMD hosts; the
 * loop is kept a loop (not turned back into memset) by the optimize
 * attribute. */
typedef uint64_t v2u64 __attribute__((vector_size(16)));
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void zero_entry_frame(uint8_t *stack)
{
	v2u64 *q = (v2u64 *)(void *)stack;
	for (size_t i = 0; i < BPFVM_STACK_SIZE / sizeof(*q); i += 4) {
		q[i] = (v2u64){ 0, 0 };
		q[i + 1] = (v2u64){ 0, 0 };
		q[i + 2] = (v2u64){ 0, 0 };
		q[i + 3] = (v2u64){ 0, 0 };
	}
}

int bpfvm_exec_run(bpfvm_exec *ex, const bpfvm_prog *prog, const struct bpfvm_run_opts *opts, uint64_t *r0,
		   struct bpfvm_error *err)
{
	if (!ex || !prog || !r0)
		return set_err(err, BPFVM_EINVAL, "invalid argument to bpfvm_exec_run");
	if (prog->env != ex->env)
		return set_err(err, BPFVM_EINVAL, "the program and the execution context belong to different environments");
	/* The caller's options are read in place when they have every field
	 * (the usual case); only older, shorter ones (or none) are copied into
	 * a zeroed local. Zeroing and copying the structure on every run cost
	 * a fifth of an empty program's run (`rep stos` + `rep movs`). */
	struct bpfvm_run_opts copy;
	const struct bpfvm_run_opts *op = opts;
	if (!opts || opts->sz < sizeof(copy)) {
		memset(&copy, 0, sizeof(copy));
		if (opts)
			memcpy(&copy, opts, opts->sz);
		op = &copy;
	}
	const struct bpfvm_run_opts *const o = op;
	if (o->engine != BPFVM_ENGINE_INTERP && o->engine != BPFVM_ENGINE_JIT)
		return set_err(err, BPFVM_EUNSUPP, "unknown engine");
	if (o->engine == BPFVM_ENGINE_JIT && o->trace) /* JIT hook */
		return set_err(err, BPFVM_EUNSUPP, "tracing needs the interpreter (the JIT does not trace)");
	if (o->cpu >= ex->env->ncpus)
		return set_err(err, BPFVM_EINVAL, "cpu out of range");
	if (prog->raw_mem_size && o->mem_len < prog->raw_mem_size && !(o->flags & BPFVM_RUN_CHECKED) && !o->trace)
		return set_err(err, BPFVM_EINVAL, "memory shorter than the size the program was verified for");

	struct bpfvm_error local;
	int checked = !(prog->flags & BPFVM_PROG_F_TRUSTED) || (o->flags & BPFVM_RUN_CHECKED) || o->trace;
	ex->prog = prog;
	ex->err = err ? err : &local;
	ex->helper = NULL;
	ex->stopped = 0;
	ex->tail_prog = NULL;
	ex->tail_calls = 0;
	ex->depth = 0;
	ex->cpu = o->cpu;
	ex->pkt = o->packet ? o->packet : o->mem;
	ex->pkt_len = o->packet ? o->packet_len : o->mem_len;
	ex->pkt_net_off = 0;
	ex->pkt_has_ll = 0;
	ex->pkt_data = ex->pkt_end = ex->pkt_meta = NULL;
	ex->budget = o->budget ? o->budget : BPFVM_DEFAULT_BUDGET;
	ex->may_goto = VM_MAY_GOTO_BUDGET;
	ex->trace = o->trace;
	ex->trace_cookie = o->trace_cookie;
	ex->nregions = 0;
	/* Checked runs start with a zeroed entry frame, so that unverified
	 * programs reading stack they never wrote behave deterministically;
	 * trusted runs skip it, as the kernel does (bpfvm_exec_new zeroes once). */
	if (checked)
		zero_entry_frame(ex->stack);
	add_region(ex, ex->stack, sizeof(ex->stack), 1); /* region 0: the engine moves its end with r10 */
	add_region(ex, o->mem, o->mem_len, 1);
	if (o->packet)
		add_region(ex, o->packet, o->packet_len, 0);
	ex->extra = o->regions;
	ex->nextra = o->regions ? o->nregions : 0;

	uint64_t regs[11] = { 0 };
	regs[10] = (uint64_t)(uintptr_t)(ex->stack + BPFVM_STACK_SIZE);
	int rc = vm_ctx_prepare(ex, o, regs);
	if (rc)
		return rc;
	ex->ctx = regs[1];
	ex->checked = checked;
	ex->engine = o->engine;
	if (ex->engine == BPFVM_ENGINE_JIT) /* JIT hook */
		return vm_jit_run(ex, regs, 0, 0, r0);
	return checked ? vm_interp_run_checked(ex, regs, 0, 0, r0) : vm_interp_run(ex, regs, 0, 0, r0);
}

int bpfvm_prog_run(const bpfvm_prog *prog, const struct bpfvm_run_opts *opts, uint64_t *r0, struct bpfvm_error *err)
{
	if (!prog)
		return set_err(err, BPFVM_EINVAL, "invalid argument to bpfvm_prog_run");
	bpfvm_exec *ex = bpfvm_exec_new(prog->env);
	if (!ex)
		return set_err(err, BPFVM_ENOMEM, "out of memory");
	int rc = bpfvm_exec_run(ex, prog, opts, r0, err);
	bpfvm_exec_free(ex);
	return rc;
}

int vm_call_callback(bpfvm_exec *ex, uint64_t func, const uint64_t args[5], uint64_t *r0)
{
	const bpfvm_prog *p = ex->prog;
	uint64_t base = (uint64_t)(uintptr_t)p->ops;
	if (func < base || func >= base + p->n * sizeof(struct vm_op) || (func - base) % sizeof(struct vm_op))
		return vm_fault(ex, BPFVM_EFAULT, 0, "callback 0x%" PRIx64 " is not code of this program", func);
	int depth = ex->depth + 1;
	if (depth > BPFVM_MAX_CALL_DEPTH)
		return vm_fault(ex, BPFVM_ESTACK, 0, "call depth exceeds %d frames", BPFVM_MAX_CALL_DEPTH);
	uint64_t regs[11] = { 0 };
	memcpy(&regs[1], args, 5 * sizeof(uint64_t));
	regs[10] = (uint64_t)(uintptr_t)(ex->stack + (size_t)(depth + 1) * BPFVM_STACK_SIZE);
	size_t pc = (size_t)((func - base) / sizeof(struct vm_op));
	const struct vm_helper *saved = ex->helper;
	int saved_depth = ex->depth;
	uint64_t saved_top = ex->regions[0].end;
	int rc = ex->engine == BPFVM_ENGINE_JIT ? vm_jit_run(ex, regs, pc, depth, r0) /* JIT hook */
		 : ex->checked ? vm_interp_run_checked(ex, regs, pc, depth, r0) : vm_interp_run(ex, regs, pc, depth, r0);
	ex->regions[0].end = saved_top;
	ex->helper = saved;
	ex->depth = saved_depth;
	return rc;
}

int vm_fault(bpfvm_exec *ex, int code, size_t pc, const char *fmt, ...)
{
	struct bpfvm_error *err = ex->err;
	memset(err, 0, sizeof(*err));
	err->code = code;
	err->insn = (long)pc;
	err->offset = -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void *bpfvm_exec_cookie(const bpfvm_exec *exec)
{
	return exec && exec->helper ? exec->helper->cookie : NULL;
}

void bpfvm_exec_stop(bpfvm_exec *exec, uint64_t r0)
{
	exec->stopped = 1;
	exec->stop_r0 = r0;
}

int bpfvm_exec_check(const bpfvm_exec *ex, uint64_t addr, uint64_t len, int write)
{
	if (addr + len < addr)
		return 0;
	for (size_t i = 0; i < ex->nregions; i++) {
		const struct vm_region *r = &ex->regions[i];
		if (addr >= r->start && addr + len <= r->end && (!write || r->writable))
			return 1;
	}
	for (size_t i = 0; i < ex->nextra; i++) {
		const struct bpfvm_region *r = &ex->extra[i];
		if (addr >= r->start && addr + len <= r->start + r->len && (!write || r->writable))
			return 1;
	}
	return vm_maps_region_ok(ex->env, addr, len, write);
}
