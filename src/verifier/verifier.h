/* verifier.h - the verifier's shared internals: the verification
 * environment (one per bpfvm_verify call), per-instruction facts, the
 * subprograms, and the functions the files of src/verifier/ offer each other:
 *
 *   cfg.c      control flow: subprograms, jump rules, reachability, prune points
 *   verifier.c the driver: worklist of paths, state pruning, limits, the API
 *   state.c    register and stack state, liveness, state comparison
 *   tnum.c     known bits
 *   bounds.c   scalar ranges, ALU range rules, branch refinement
 *   alu.c      ALU instructions, pointer arithmetic
 *   mem.c      loads, stores, atomics, LD_ABS, lddw: stack, ctx, packet, maps
 *   calls.c    helpers, bpf-to-bpf calls, callbacks, tail calls, exits
 *   precise.c  precision backtracking (which scalars pruning must compare)
 *   log.c      the kernel-like log
 *
 * Semantics are the Linux verifier's in privileged mode (a root loader):
 * pointers may be stored, compared and returned, reading uninitialised stack
 * is allowed (it reads as an unknown value), and there is no Spectre
 * sanitation. Internal functions return 0, VF_EREJECT (the program is
 * rejected; the reason was recorded with vf_fail) or VF_ENOMEM. */
#ifndef BPFVM_VERIFIER_H
#define BPFVM_VERIFIER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"
#include "isa.h"
#include "state.h"
#include "tnum.h"

struct bpfvm_map;

#define VF_EREJECT (-1)
#define VF_ENOMEM (-2)

#define VF_COMPLEXITY_LIMIT 1000000    /* instructions processed, BPF_COMPLEXITY_LIMIT_INSNS */
#define VF_MAX_STACK 512               /* MAX_BPF_STACK */
#define VF_MAX_VAR_OFF (1LL << 29)     /* BPF_MAX_VAR_OFF */
#define VF_MAX_VAR_SIZ (1LL << 29)     /* BPF_MAX_VAR_SIZ */
#define VF_MAX_PACKET_OFF 0xffff
#define VF_MAX_SUBPROGS 256
#define VF_MAX_JMP_SEQ 8192            /* pending branches, BPF_COMPLEXITY_LIMIT_JMP_SEQ */
#define VF_MAX_TAIL_CALL_STACK 256     /* combined stack with tail calls */
#define VF_MAX_CKPT_BYTES (512u << 20) /* memory for checkpoints */

struct vf_subprog {
	int start, end;        /* [start, end) */
	int stack_depth;       /* bytes of stack used, rounded up to 8 */
	uint8_t has_tail_call;
	uint8_t has_ld_abs;
	uint8_t is_cb;         /* used as a callback */
	uint8_t called;        /* target of a bpf-to-bpf call */
	uint8_t verified;      /* global functions: walked on their own */
	int16_t global;        /* 1 + index into vf_env.gfuncs, 0 when static */
};

/* Per-instruction facts. */
struct vf_aux {
	int16_t op;            /* enum isa_op, -2 for the second slot of lddw */
	uint8_t prune_point;
	uint8_t force_checkpoint;
	uint8_t calls_callback;
	uint8_t seen;
	uint16_t subprog;
	uint16_t ptr_type;      /* the pointer type a load/store first used (ctx must stay ctx) */
};

/* A branch waiting to be explored. */
struct vf_elem {
	struct vf_state *st;
	int insn_idx, prev_insn_idx;
	uint64_t log_pos;
};

/* A checkpoint kept for pruning, in the list of its instruction. */
struct vf_sl {
	struct vf_state st;
	struct vf_sl *next;
	uint32_t hit, miss;
	size_t bytes;          /* what it counts in vf_env.ckpt_bytes */
};

/* Precision backtracking: the registers and stack slots, per frame, whose
 * values must be marked precise. */
struct vf_bt {
	int frame;
	uint32_t reg[VF_MAX_FRAMES];
	uint64_t stack[VF_MAX_FRAMES];
};

/* The last clean precision walk of the current path segment (vf_state.seg):
 * where it stood after its first step. A later walk of the same segment
 * that reaches that point with the same registers wanted would repeat it
 * exactly (checkpoints' precision marks only grow), so it stops there. */
struct vf_bt_memo {
	uint32_t seg;          /* 0: none */
	int idx, subseq;
	uint32_t nhist;
	struct vf_bt bt;
};

struct vf_env {
	bpfvm_env *env;
	const struct bpf_insn *insns;
	size_t n;
	uint32_t prog_type;
	const int *fd_array;
	size_t fd_array_len;
	uint32_t raw_mem_size;
	const struct bpfvm_func_info *gfuncs; /* global functions (borrowed) */
	size_t ngfuncs;
	int in_global;               /* the walk of a global function (its subprog index), else -1 */
	struct vf_aux *aux;
	struct vf_subprog sub[VF_MAX_SUBPROGS + 1];
	int nsub;

	struct vf_state *cur;
	struct vf_elem *stack;
	size_t nstack, cap_stack;
	struct vf_sl **explored;
	struct vf_sl *all_sl;        /* checkpoints no longer compared against, freed at the end */
	uint32_t id_gen;
	uint32_t raw_len_id;         /* raw programs: the identity of r2, the input's length */
	int insn_idx, prev_insn_idx;
	uint64_t insn_processed, prev_insn_processed;
	uint64_t jmps_processed, prev_jmps_processed;
	uint32_t total_states, peak_states, cur_states, max_states_per_insn;
	size_t ckpt_bytes;            /* memory the checkpoints hold */
	int max_stack_depth;         /* deepest call chain's stack use */
	struct vf_hist *cur_hist;    /* the history entry of the instruction being processed */
	struct vf_bt_memo bt_memo;
	uint32_t seg_gen;

	/* log */
	int log_level;
	char *log;
	size_t log_len;
	uint64_t log_pos, log_start;   /* virtual positions of the log ring's end and start */
	bool log_truncated;
	uint64_t log_insn_start, log_insn_end; /* the last instruction line */
	int log_frame;               /* the frame being printed */
	uint32_t scratched_regs;     /* bit per register the instruction touched */
	uint64_t scratched_stack;

	/* the first reason for rejection */
	bool failed;
	int err_insn;
	char msg[256];

	/* scratch registers for immediates */
	struct vf_reg fake[2];
};

/* ---- verifier.c ---- */
struct vf_state *vf_push_stack(struct vf_env *e, int insn_idx, int prev_insn_idx);
int vf_push_hist(struct vf_env *e, struct vf_state *st, uint16_t flags, uint8_t frame, uint8_t spi, uint64_t linked);
/* The map an lddw at insn idx names (map_fd, map_idx and their value
 * forms), or NULL. */
struct bpfvm_map *vf_lddw_map(struct vf_env *e, int idx);

/* ---- cfg.c ---- */
int vf_check_cfg(struct vf_env *e);
int vf_find_subprog(const struct vf_env *e, int start);   /* index of the subprogram starting at start, or -1 */
int vf_insn_len(const struct vf_env *e, int idx);          /* 2 for lddw, else 1 */

/* ---- log.c ---- */
void vf_log(struct vf_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vf_vlog(struct vf_env *e, const char *fmt, va_list ap);
/* Records the reason for rejection (the first one counts) and logs it as a
 * line; returns VF_EREJECT. */
int vf_fail(struct vf_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vf_log_reset(struct vf_env *e, uint64_t pos);
/* Makes the log ring contiguous and NUL-terminated (the last part kept). */
void vf_log_finish(struct vf_env *e);
const char *vf_type_str(uint16_t type, char *buf, size_t len);
void vf_log_insn(struct vf_env *e, int idx);
/* The registers and slots scratched by the last instruction (" ; R0=..."). */
void vf_log_insn_state(struct vf_env *e, const struct vf_state *st);
/* Every initialised register and stack slot of the current frame (all
 * frames when all). */
void vf_log_state(struct vf_env *e, const struct vf_state *st, bool all);
char *vf_reg_str(const struct vf_env *e, const struct vf_reg *r, char *buf, size_t len);
static inline void vf_scratch_reg(struct vf_env *e, int regno) { e->scratched_regs |= 1u << regno; }
static inline void vf_scratch_slot(struct vf_env *e, int spi) { if (spi >= 0 && spi < 64) e->scratched_stack |= 1ull << spi; }

/* ---- bounds.c ---- */
void vf_bounds_sync(struct vf_reg *r);
bool vf_bounds_sane(const struct vf_reg *r);
/* dst op= src for two scalars (BPF_ADD ... BPF_END in op). 0 or VF_EREJECT. */
int vf_scalar_alu(struct vf_env *e, uint8_t op, bool alu32, struct vf_reg *dst, struct vf_reg src);
void vf_zext_32_to_64(struct vf_reg *r);
void vf_coerce_to_size(struct vf_reg *r, int size);      /* zero-extend the low size bytes */
void vf_coerce_to_size_sx(struct vf_reg *r, int size);   /* sign-extend the low size bytes to 64 bits */
void vf_coerce_subreg_to_size_sx(struct vf_reg *r, int size); /* ... to 32 bits, upper half zero */
/* 1 taken, 0 not taken, -1 unknown. op is BPF_JEQ ... BPF_JSLE. */
int vf_is_branch_taken(struct vf_reg *r1, struct vf_reg *r2, uint8_t op, bool is32);
/* Narrows r1 and r2 given that "r1 op r2" holds. */
void vf_refine_cond(struct vf_reg *r1, struct vf_reg *r2, uint8_t op, bool is32);
uint8_t vf_flip_op(uint8_t op); /* r2 op' r1 */
uint8_t vf_rev_op(uint8_t op);  /* !(r1 op r2) */
bool vf_range_within(const struct vf_reg *old, const struct vf_reg *cur);

/* ---- alu.c ---- */
int vf_check_alu(struct vf_env *e, const struct bpf_insn *insn);

/* ---- mem.c ---- */
enum { VF_SRC_OP, VF_DST_OP, VF_DST_OP_NO_MARK };
/* A register an instruction reads (must be initialised) or writes (not
 * r10; VF_DST_OP also makes it an unknown scalar). */
int vf_check_reg_arg(struct vf_env *e, int regno, int how);
int vf_check_ldx(struct vf_env *e, const struct bpf_insn *insn);
int vf_check_st(struct vf_env *e, const struct bpf_insn *insn);
int vf_check_stx(struct vf_env *e, const struct bpf_insn *insn);
int vf_check_atomic(struct vf_env *e, const struct bpf_insn *insn);
int vf_check_ld_abs(struct vf_env *e, const struct bpf_insn *insn);
int vf_check_ld_imm64(struct vf_env *e, const struct bpf_insn *insn);
/* Memory a helper reads or writes: size bytes at the pointer in regno. */
int vf_check_helper_mem(struct vf_env *e, int regno, int64_t size, bool write, bool zero_ok, bool raw);
/* After a helper filled uninitialised stack memory (PTR_TO_UNINIT_MEM):
 * those bytes now hold unknown data. */
int vf_helper_wrote_stack(struct vf_env *e, int regno, int size);
int vf_check_ptr_off_reg(struct vf_env *e, const struct vf_reg *r, int regno);
/* Stack bytes -off_bytes ... of frame f exist in the state (grows it). */
int vf_grow_stack(struct vf_env *e, struct vf_frame *f, int bytes);
/* The packet pointers' range after a comparison with pkt_end. */
bool vf_try_match_pkt_pointers(struct vf_env *e, const struct bpf_insn *insn, struct vf_reg *dst, struct vf_reg *src,
			       struct vf_state *this_branch, struct vf_state *other_branch);
bool vf_pkt_branch(struct vf_reg *r1, struct vf_reg *r2, uint8_t op, int *taken);
/* Invalidates every packet pointer (after a helper that moves the packet). */
void vf_clear_pkt_pointers(struct vf_env *e);

/* ---- calls.c ---- */
int vf_check_helper_call(struct vf_env *e, const struct bpf_insn *insn, int *insn_idx);
int vf_check_subprog_call(struct vf_env *e, const struct bpf_insn *insn, int *insn_idx);
/* exit from a subprogram or callback: pops the frame, sets *insn_idx. */
int vf_prepare_func_exit(struct vf_env *e, int *insn_idx);
/* exit from the program: r0 and references. */
int vf_check_exit(struct vf_env *e);
int vf_check_callx(struct vf_env *e, const struct bpf_insn *insn);
/* Releases reference id in the current state; its registers become invalid. */
int vf_release_reference(struct vf_env *e, uint32_t ref_obj_id);
/* Marks maybe-null registers with id as null (is_null) or not null. */
void vf_mark_ptr_or_null_regs(struct vf_env *e, struct vf_state *st, uint32_t id, bool is_null);

/* ---- precise.c ---- */
/* The value of regno in the current frame decides something: mark it and
 * everything it came from precise in the path's checkpoints. */
int vf_mark_precise(struct vf_env *e, int regno);
int vf_mark_precise_bt(struct vf_env *e, struct vf_state *st, struct vf_bt *bt);
void vf_mark_all_scalars_precise(struct vf_env *e, struct vf_state *st);

/* ---- helper shortcuts ---- */
static inline const struct bpf_insn *vf_insn(const struct vf_env *e, int idx) { return &e->insns[idx]; }
static inline struct vf_reg *vf_regs(const struct vf_env *e) { return vf_cur_regs(e->cur); }
/* The frame a stack pointer points into. */
static inline struct vf_frame *vf_ptr_frame(const struct vf_env *e, const struct vf_reg *r)
{
	return e->cur->frame[r->frameno];
}

#endif
