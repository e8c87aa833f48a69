/* jit.c - the JIT engine around the translator: compiling at load time,
 * running an image (the C side of the entry trampoline and its statuses),
 * the run-time services generated code calls (memory checks, budget
 * exhaustion, callx, tail calls, faults), and the public accessors for the
 * machine code. */
#include <inttypes.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "maps.h"

static int set_err(struct bpfvm_error *err, int code, long insn, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_err(struct bpfvm_error *err, int code, long insn, const char *fmt, ...)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		err->insn = insn;
		err->offset = -1;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int vm_jit_supported(void)
{
#if defined(__x86_64__)
	return 1;
#else
	return 0;
#endif
}

int bpfvm_jit_available(void)
{
	return vm_jit_supported();
}

void vm_jit_free(struct vm_jit_image *img)
{
	if (!img)
		return;
	vm_jit_mem_free(img->code, img->map_len);
	free(img->insn_off);
	free(img);
}

int vm_jit_load(bpfvm_prog *prog, struct bpfvm_error *err)
{
	if (!(prog->flags & BPFVM_PROG_F_JIT))
		return 0;
	if (!vm_jit_supported())
		return set_err(err, BPFVM_EUNSUPP, -1, "the JIT supports x86-64 hosts only (load without BPFVM_PROG_F_JIT)");
	int rc = vm_jit_compile(prog, 1, &prog->jit[1], err);
	if (rc == 0 && (prog->flags & BPFVM_PROG_F_TRUSTED))
		rc = vm_jit_compile(prog, 0, &prog->jit[0], err);
	return rc;
}

int vm_jit_run(bpfvm_exec *ex, uint64_t regs[11], size_t start_pc, int base_depth, uint64_t *r0)
{
	const bpfvm_prog *p = ex->prog;
	const struct vm_jit_image *img = p->jit[ex->checked ? 1 : 0];
	if (!img || start_pc >= img->n) {
		int code = set_err(ex->err, BPFVM_EUNSUPP, -1, "program \"%s\" has no %s JIT image (load it with "
				   "BPFVM_PROG_F_JIT%s)", p->name, ex->checked ? "runtime-checked" : "trusted",
				   ex->checked ? "" : " and BPFVM_PROG_F_TRUSTED");
		return code;
	}
#if defined(__x86_64__)
	ex->depth = base_depth;
	ex->jit_rd_len = ex->jit_wr_len = 0;
	uint64_t out = 0;
	vm_jit_entry_fn entry = (vm_jit_entry_fn)(uintptr_t)img->code;
	int st = entry(ex, regs, &out, img->code + img->insn_off[start_pc]);
	switch (st) {
	case 0:
		*r0 = out;
		return 0;
	case VM_JIT_STOPPED:
		*r0 = ex->stop_r0;
		return ex->stopped > 1 ? ex->err->code : 0; /* 2: vm_exec_abort after a fault */
	case VM_JIT_END:
		*r0 = ex->jit_r0;
		return 0;
	default:
		return st;
	}
#else
	(void)regs;
	(void)base_depth;
	(void)r0;
	return set_err(ex->err, BPFVM_EUNSUPP, -1, "the JIT supports x86-64 hosts only");
#endif
}

/* ---- services for the generated code ---- */

/* Remembers the run region (never the stack, whose end moves) holding
 * [addr, addr + size) for the inline checks that follow. Map memory only of
 * plain and per-CPU array maps: their value slab lives as long as the map
 * and any access inside it is allowed (no region_ok); a map can only go
 * away through a helper call, and every helper call forgets the cache.
 * Other maps' memory (hash elements, ring buffer records) is freed by
 * helpers or checked per element, so it always takes the slow path. */
static void remember_region(bpfvm_exec *ex, uint64_t addr, uint64_t size)
{
	uint64_t lo = 0, len = 0;
	int writable = 0;
	for (size_t i = 1; i < ex->nregions && !len; i++) {
		const struct vm_region *r = &ex->regions[i];
		if (addr >= r->start && addr + size <= r->end) {
			lo = r->start;
			len = r->end - r->start;
			writable = r->writable;
		}
	}
	for (size_t i = 0; i < ex->nextra && !len; i++) {
		const struct bpfvm_region *r = &ex->extra[i];
		if (addr >= r->start && addr + size <= r->start + r->len && r->start + r->len >= r->start) {
			lo = r->start;
			len = r->len;
			writable = r->writable;
		}
	}
	int readable = 1;
	if (!len) {
		bpfvm_map *m = vm_map_find_region(ex->env, addr, 0);
		if (!m || (m->type != VM_MAP_ARRAY && m->type != VM_MAP_PERCPU_ARRAY) || m->ops->region_ok)
			return;
		uint64_t start = (uint64_t)(uintptr_t)m->region;
		if (addr + size > start + m->region_len)
			return;
		lo = start;
		len = m->region_len;
		readable = !(m->map_flags & VM_F_WRONLY_PROG);
		writable = !(m->map_flags & VM_F_RDONLY_PROG);
	}
	if (readable) {
		ex->jit_rd_lo = lo;
		ex->jit_rd_len = len;
	}
	if (writable) {
		ex->jit_wr_lo = lo;
		ex->jit_wr_len = len;
	}
}

int vm_jit_check(bpfvm_exec *ex, uint64_t addr, uint32_t info, uint64_t r10)
{
	int write = (int)(info & 1);
	uint64_t size = 1u << ((info >> 1) & 3);
	ex->regions[0].end = r10; /* region 0 is the live stack, [stack, r10) */
	if (bpfvm_exec_check(ex, addr, size, write)) {
		remember_region(ex, addr, size);
		return 1;
	}
	vm_fault(ex, BPFVM_EFAULT, info >> 3, "invalid memory access: %s of %d bytes at 0x%" PRIx64
		 " is outside the program's memory", write ? "write" : "read", (int)size, addr);
	return 0;
}

int vm_jit_budget_out(bpfvm_exec *ex, uint64_t *regs, uint32_t pc)
{
	/* The block at pc is straight-line code whose last instruction the
	 * budget does not reach: the interpreter runs what it does reach and
	 * ends with BPFVM_EBUDGET at the same instruction it would have, or
	 * with an earlier fault or packet-load end. */
	uint64_t r0 = 0;
	/* the generated code keeps no depth counter: r10 tells the frame */
	ex->depth = (int)((regs[10] - (uint64_t)(uintptr_t)ex->stack) / BPFVM_STACK_SIZE) - 1;
	int rc = vm_interp_run_checked(ex, regs, pc, ex->depth, &r0);
	if (rc)
		return rc;
	ex->jit_r0 = r0;
	return VM_JIT_END;
}

uint64_t vm_jit_pkt_load(const bpfvm_exec *ex, int32_t off, uint32_t size)
{
	uint32_t v;
	return vm_pkt_load(ex, off, (int)size, &v) ? UINT64_MAX : v;
}

const struct vm_helper *vm_jit_callx(bpfvm_exec *ex, uint64_t id, uint32_t info)
{
	const struct vm_helper *h = id <= UINT32_MAX ? vm_env_helper(ex->prog->env, (uint32_t)id) : NULL;
	if (!h)
		vm_fault(ex, BPFVM_EHELPER, info >> 4, "callx to unknown helper %" PRIu64 " (r%d)", id, (int)(info & 15));
	return h;
}

const void *vm_jit_tail_call(bpfvm_exec *ex, uint32_t pc)
{
	const bpfvm_prog *t = ex->tail_prog;
	ex->tail_prog = NULL;
	const struct vm_jit_image *img = t->jit[ex->checked ? 1 : 0];
	if (!img) {
		vm_fault(ex, BPFVM_EUNSUPP, pc, "tail call target \"%s\" has no %s JIT image (load it with "
			 "BPFVM_PROG_F_JIT)", t->name, ex->checked ? "runtime-checked" : "trusted");
		return NULL;
	}
	ex->prog = t;
	return img->code + img->insn_off[0];
}

int vm_jit_fault(bpfvm_exec *ex, uint32_t pc, uint32_t kind)
{
	if (kind == VM_JIT_FAULT_STACK)
		return vm_fault(ex, BPFVM_ESTACK, pc, "call depth exceeds %d frames", BPFVM_MAX_CALL_DEPTH);
	return vm_fault(ex, BPFVM_EUNSUPP, pc, "kernel function calls are not available");
}

/* ---- public accessors ---- */

const uint8_t *bpfvm_prog_jit_image(const bpfvm_prog *prog, int checked, size_t *len, const uint32_t **insn_off)
{
	const struct vm_jit_image *img = prog ? prog->jit[checked ? 1 : 0] : NULL;
	if (len)
		*len = img ? img->len : 0;
	if (insn_off)
		*insn_off = img ? img->insn_off : NULL;
	return img ? img->code : NULL;
}
