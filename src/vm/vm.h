/* vm.h - internal shapes of the environment, the loaded program and the
 * execution state shared by the loader (prog.c), the engines (interp.c, later
 * the JIT) and the helper registry (env.c). */
#ifndef BPFVM_VM_H
#define BPFVM_VM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"
#include "isa.h"

/* A registered helper. Entries are allocated one by one so that loaded
 * programs can point at them; re-registering an id updates in place. */
struct vm_helper {
	uint32_t id;
	bpfvm_helper_fn fn;
	void *cookie;
	char *name;
	struct bpfvm_helper_proto proto;
	struct vm_helper *next; /* overflow chain for ids >= VM_HELPER_DIRECT */
};

#define VM_HELPER_DIRECT 1024
#define VM_FD_BASE 3 /* first fd handed out, as a process's first free fd */

/* What an fd of the environment names. */
enum vm_obj_kind { VM_OBJ_NONE, VM_OBJ_MAP, VM_OBJ_PROG };
struct vm_obj {
	int kind;
	void *ptr;
};

struct bpfvm_env {
	struct vm_helper *direct[VM_HELPER_DIRECT];
	struct vm_helper *overflow;
	uint32_t ncpus;
	pthread_mutex_t lock;  /* guards the fd table */
	struct vm_obj *objs;   /* objs[fd - VM_FD_BASE] */
	size_t nobjs, cap_objs;
	/* bpf_trace_printk output (helpers_printk.c); NULL: stderr */
	void (*printk)(void *cookie, const char *line);
	void *printk_cookie;
};

/* The user-registered helper with this id, or NULL. */
struct vm_helper *vm_env_helper(const bpfvm_env *env, uint32_t id);
/* The helper a program of this type calls under id: the user's first, then
 * bpfvm's builtin kernel helper if the type may use it. NULL with *why set
 * when neither. */
const struct vm_helper *vm_resolve_helper(const bpfvm_env *env, uint32_t prog_type, uint32_t id,
					  const char **why);
/* Builtin kernel helpers (helpers.c): the entry, or NULL; *allowed is set to
 * whether prog_type may call it. */
const struct vm_helper *vm_builtin_helper(uint32_t id, uint32_t prog_type, int *allowed);

/* fd table: registers ptr, returns its fd or -ENOMEM; lookups by fd and kind. */
int vm_env_add_obj(bpfvm_env *env, int kind, void *ptr);
void vm_env_remove_obj(bpfvm_env *env, int fd);
void *vm_env_obj(const bpfvm_env *env, int fd, int kind);

/* Resolves the value an lddw with a pseudo source loads (maps, code
 * addresses). Plain lddw never comes here. Returns 0 or a BPFVM_E* code with
 * err filled in. */
int vm_resolve_lddw(const bpfvm_env *env, const bpfvm_prog *prog, size_t pc, uint64_t *value,
		    struct bpfvm_error *err);

/* Pre-decoded instruction: what the interpreter dispatches on. */
struct vm_op {
	uint16_t op;   /* enum isa_op */
	uint8_t dst, src;
	int32_t off;   /* memory offset, or absolute target index for jumps and local calls */
	uint64_t imm;  /* imm sign-extended to 64 bits; lddw: the full value; call: struct vm_helper * */
	/* Trusted interpreter only (vm_interp_predecode): the address of the
	 * handler that runs from this slot (direct threading: no table lookup
	 * per dispatch). It may be a fused handler that runs this instruction
	 * and the next one or two (whose own slots keep their plain handlers, so
	 * jumps into them still work). Other engines ignore it and use op. */
	const void *fast;
};

struct vm_jit_image; /* src/jit/jit.h */

struct bpfvm_prog {
	bpfvm_env *env;
	char *name;
	uint32_t flags;        /* enum bpfvm_prog_flags */
	uint32_t type;         /* BPF_PROG_TYPE_* or BPFVM_PROG_TYPE_RAW */
	int fd;
	int *fd_array;         /* for lddw map_idx */
	size_t fd_array_len;
	uint32_t raw_mem_size;  /* verified raw programs: the memory size the proof assumed */
	size_t n;
	struct bpf_insn *insns; /* as loaded */
	struct vm_op *ops;      /* one per slot; the second lddw slot is never executed */
	/* JIT hook (src/jit): native images when loaded with BPFVM_PROG_F_JIT,
	 * [0] trusted (TRUSTED programs only), [1] runtime-checked; else NULL. */
	struct vm_jit_image *jit[2];
};

#define VM_MAX_FRAMES (BPFVM_MAX_CALL_DEPTH + 1)
#define VM_MAX_REGIONS 16
#define VM_MAY_GOTO_BUDGET (8u * 1024 * 1024) /* the kernel's BPF_MAX_LOOPS */

struct vm_region {
	uint64_t start, end; /* [start, end) */
	int writable;
};

struct vm_frame {
	uint64_t saved[4];   /* r6..r9 of the caller */
	uint64_t saved_r10;
	const struct vm_op *ret; /* the interpreter's return point (tail calls happen only at depth 0) */
};

#define VM_MAX_TAIL_CALLS 33 /* the kernel's MAX_TAIL_CALL_CNT */
#define VM_PKT_HEADROOM 256  /* XDP_PACKET_HEADROOM */
#define VM_PKT_TAILROOM 256

struct bpfvm_exec {
	bpfvm_env *env;
	const bpfvm_prog *prog;         /* the program running (changes on tail calls) */
	const struct vm_helper *helper; /* the helper being called */
	int stopped;                    /* set by bpfvm_exec_stop */
	uint64_t stop_r0;
	int checked;                    /* this run uses the checked engine */
	int depth;                      /* call depth at the current helper call */
	const bpfvm_prog *tail_prog;    /* set by bpf_tail_call: switch after the helper */
	uint64_t tail_ctx;
	uint32_t tail_calls;
	uint32_t cpu;
	uint64_t ctx;                   /* r1 at entry */
	const uint8_t *pkt;             /* LD_ABS/LD_IND data */
	size_t pkt_len;
	size_t pkt_net_off;             /* where the network header starts in pkt (SKF_NET_OFF) */
	int pkt_has_ll;                 /* pkt starts with a link-layer header (SKF_LL_OFF) */
	uint8_t *pkt_buf;               /* packet buffer below 4 GiB (mmap), reused between runs */
	size_t pkt_buf_size;
	uint8_t *pkt_data, *pkt_end, *pkt_meta; /* current packet bounds inside pkt_buf */
	uint64_t ctx_buf[64];           /* the program-type context (struct __sk_buff, xdp_md) */
	uint64_t budget;
	uint32_t may_goto;
	size_t nregions;
	struct vm_region regions[VM_MAX_REGIONS];
	const struct bpfvm_region *extra; /* caller's further regions */
	size_t nextra;
	bpfvm_trace_fn trace;
	void *trace_cookie;
	struct bpfvm_error *err;
	/* JIT hook (src/jit): the engine of this run; the native stack pointer
	 * an early end unwinds to; r0 of a run that ends early (VM_JIT_END);
	 * the last regions that checked code found readable / writable
	 * ([lo, lo + len), len 0: none; forgotten at every helper call). */
	int engine;                     /* enum bpfvm_engine */
	void *jit_sp;
	uint64_t jit_r0;
	uint64_t jit_rd_lo, jit_rd_len, jit_wr_lo, jit_wr_len;
	struct vm_frame frames[VM_MAX_FRAMES];
	_Alignas(16) uint8_t stack[VM_MAX_FRAMES * BPFVM_STACK_SIZE];
};

/* Engines: run ex->prog from start_pc with the given registers, at call depth
 * base_depth (0 for a program, deeper for callbacks), until the exit of that
 * frame; 0 or BPFVM_E*. */
int vm_interp_run(bpfvm_exec *ex, uint64_t regs[11], size_t start_pc, int base_depth, uint64_t *r0);
int vm_interp_run_checked(bpfvm_exec *ex, uint64_t regs[11], size_t start_pc, int base_depth, uint64_t *r0);
/* Fills ops[].fast of a pre-decoded program for the trusted interpreter
 * (handler addresses, fused sequences); called once at load. */
void vm_interp_predecode(bpfvm_prog *prog);

/* From a helper: calls the BPF callback whose handle (an lddw src 4 value) is
 * func with r1..r5 = args, in a new frame; stores its r0. 0 or BPFVM_E*
 * (the fault is recorded in ex->err and the program then stops). */
int vm_call_callback(bpfvm_exec *ex, uint64_t func, const uint64_t args[5], uint64_t *r0);

/* Memory a checked run may access besides its own regions: map values and
 * ring buffer records (maps.c). */
int vm_maps_region_ok(const bpfvm_env *env, uint64_t addr, uint64_t size, int write);

/* Program types (src/net/ctx.c): checks that the type is known; prepares the
 * context for a run (packet buffer, struct __sk_buff / xdp_md) and sets r1
 * (and r2 for raw); after the run, updates what the program may have changed. */
int vm_ctx_supported(uint32_t prog_type);
int vm_ctx_prepare(bpfvm_exec *ex, const struct bpfvm_run_opts *o, uint64_t regs[11]);

/* LD_ABS / LD_IND, shared by every engine: size bytes at packet offset off,
 * big-endian. Negative offsets reach the kernel's windows: SKF_NET_OFF + k is
 * byte k of the network header, SKF_LL_OFF + k byte k of the link-layer
 * (Ethernet) header (only for packet program types: raw memory has no link
 * layer). Returns 0, or -1 when out of bounds (the program then ends with
 * r0 = 0). */
#define VM_SKF_NET_OFF (-0x100000)
#define VM_SKF_LL_OFF (-0x200000)
static inline int vm_pkt_load(const bpfvm_exec *ex, int32_t off, int size, uint32_t *out)
{
	int64_t pos = off;
	if (__builtin_expect(off < 0, 0)) {
		if (off >= VM_SKF_NET_OFF)
			pos = (int64_t)off - VM_SKF_NET_OFF + (int64_t)ex->pkt_net_off;
		else if (off >= VM_SKF_LL_OFF && ex->pkt_has_ll)
			pos = (int64_t)off - VM_SKF_LL_OFF;
		else
			return -1;
	}
	if ((uint64_t)pos + (uint64_t)size > ex->pkt_len)
		return -1;
	const uint8_t *p = ex->pkt + pos;
	switch (size) {
	case 1: *out = p[0]; break;
	case 2: *out = (uint32_t)p[0] << 8 | p[1]; break;
	default: *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; break;
	}
	return 0;
}

/* From a helper, after vm_fault recorded why: end the program with that
 * error (for example when a callback it ran faulted). */
static inline void vm_exec_abort(bpfvm_exec *ex) { ex->stopped = 2; }

/* Adds a region a checked run may access (at most VM_MAX_REGIONS). */
void vm_exec_add_region(bpfvm_exec *ex, const void *start, size_t len, int writable);

/* Fills err for a run-time fault at pc and returns code. */
int vm_fault(bpfvm_exec *ex, int code, size_t pc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The helpers the conformance suite's programs call (ids 0..5, uBPF's plugin
 * set): 0 gather_bytes, 1 memfrob, 2 no-op, 3 sqrti, 4 strcmp, 5 unwind. */
void vm_register_conformance_helpers(bpfvm_env *env);

#endif
