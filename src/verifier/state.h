/* state.h - what the verifier knows at one point of one path: the type and
 * value range of every register, the contents of every stack slot of every
 * call frame, the references the path holds; and the operations on it that
 * the other files share (copying, marking registers, liveness, comparing
 * states for pruning). */
#ifndef BPFVM_VERIFIER_STATE_H
#define BPFVM_VERIFIER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"
#include "tnum.h"

struct bpfvm_map;

/* Register types: the kernel's, for what bpfvm's program types can hold. */
enum vf_type {
	VF_NOT_INIT = 0,
	VF_SCALAR,
	VF_PTR_TO_CTX,
	VF_CONST_PTR_TO_MAP,
	VF_PTR_TO_MAP_VALUE,
	VF_PTR_TO_MAP_KEY,
	VF_PTR_TO_STACK,
	VF_PTR_TO_PACKET_META,
	VF_PTR_TO_PACKET,
	VF_PTR_TO_PACKET_END,
	VF_PTR_TO_MEM,        /* sized memory: ring buffer records, raw programs' input */
	VF_PTR_TO_FUNC,       /* a callback (lddw src 4) */
	VF_PTR_TO_SOCK_COMMON,/* __sk_buff->sk: bpfvm runs have none (always NULL) */
	VF_TYPE__COUNT
};
/* Modifiers or-ed into the type. */
#define VF_MAYBE_NULL 0x100u
#define VF_RDONLY 0x200u
#define VF_RINGBUF 0x400u
#define VF_RAWMEM 0x800u      /* raw programs' r1: size proven by comparisons of r2 */
#define VF_BASE(t) ((t) & 0xffu)

/* Packet pointer ranges below 0: what a comparison with pkt_end proved. */
#define VF_AT_PKT_END (-1)
#define VF_BEYOND_PKT_END (-2)

/* Liveness marks. */
#define VF_LIVE_READ 1u
#define VF_LIVE_WRITTEN 2u

/* Scalar ids: registers with the same id hold the same value (copies); with
 * VF_ADD_CONST, this one holds the shared value plus its `delta`. */
#define VF_ADD_CONST (1u << 31)

struct vf_reg {
	uint16_t type;        /* enum vf_type | modifiers */
	uint8_t frameno;      /* PTR_TO_STACK: the frame it points into */
	uint8_t live;         /* VF_LIVE_* */
	uint8_t precise;      /* scalar whose exact range matters to a later decision */
	int32_t off;          /* pointers: fixed offset; linked scalars: delta */
	int32_t range;        /* packet: bytes proven readable from the pointer; MEM: size; FUNC: subprogram */
	uint32_t id;          /* null-check, packet and scalar-link identity */
	uint32_t ref_obj_id;  /* ring buffer record: the reference it must be released with */
	const struct bpfvm_map *map; /* map_ptr, map_value, map_key */
	struct tnum var_off;  /* scalar value / pointer variable offset */
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32_min, s32_max;
	uint32_t u32_min, u32_max;
	struct vf_reg *parent; /* the same register in the parent checkpoint (liveness) */
};

/* Stack byte kinds. */
enum { VF_STACK_INVALID = 0, VF_STACK_SPILL, VF_STACK_MISC, VF_STACK_ZERO };

struct vf_slot {
	struct vf_reg spilled;  /* the spilled register; its parent/live track the slot's liveness */
	uint8_t type[8];        /* type[7] is the slot's lowest address */
};

struct vf_frame {
	struct vf_reg regs[11];
	int frameno;
	int subprog;
	int callsite;         /* insn of the call that made this frame; -1 for the entry */
	int nslots;           /* stack slots tracked (8 bytes each, from r10 down) */
	struct vf_slot *stack;
	uint8_t in_callback;  /* a callback frame (bpf_loop, for_each_map_elem) */
	uint8_t callback_helper; /* the helper that calls it */
	int32_t cb_ret_min, cb_ret_max;
	uint32_t callback_depth; /* bpf_loop iterations simulated from this frame */
};

/* An acquired reference (a ring buffer record) the path must release. */
struct vf_ref {
	uint32_t id;
	int insn;
};

/* One entry of a path's history since its last checkpoint: how insn idx was
 * reached (prev), and what precision tracking must know about it. */
#define VF_HIST_STACK 1u        /* a spill/fill: frame and slot below */
struct vf_hist {
	int idx, prev;
	uint16_t flags;
	uint8_t frame;
	uint8_t spi;
	uint64_t linked;            /* scalars a conditional jump refined together (vf_linked_pack) */
};

/* Up to 6 registers or spilled slots linked by a common scalar id:
 * 10 bits each (is_reg, frame:3, regno or slot:6), the count in the top 3. */
#define VF_LINKED_MAX 6
struct vf_linked {
	int n;
	struct { uint8_t is_reg, frame, idx; } e[VF_LINKED_MAX];
};
uint64_t vf_linked_pack(const struct vf_linked *l);
void vf_linked_unpack(uint64_t v, struct vf_linked *l);

#define VF_MAX_FRAMES 8         /* the kernel's MAX_CALL_FRAMES */

struct vf_state {
	struct vf_frame *frame[VF_MAX_FRAMES];
	int curframe;
	struct vf_state *parent;     /* the checkpoint this path descends from */
	uint32_t branches;           /* paths still being explored below this state */
	int insn_idx;
	int first_insn_idx, last_insn_idx;
	struct vf_hist *hist;
	uint32_t nhist, cap_hist;
	struct vf_ref *refs;
	uint32_t nrefs;
	uint32_t may_goto_depth;
	uint32_t callback_unroll_depth;
	uint32_t raw_len;            /* raw programs: bytes of r1 proven present */
	uint32_t dfs_depth;
	uint32_t seg;                /* names this path segment for vf_env.bt_memo (0: none yet) */
	uint8_t in_loop;             /* reached again while an ancestor at the same insn is in progress */
	uint8_t evicted;             /* a checkpoint no longer compared against (vf_sl in vf_env.all_sl) */
};

struct vf_env;

/* Allocation and copies (NULL / negative on ENOMEM). */
struct vf_state *vf_state_new(void);
int vf_state_copy(struct vf_state *dst, const struct vf_state *src);
void vf_state_free_content(struct vf_state *st);
void vf_state_free(struct vf_state *st);
struct vf_frame *vf_frame_new(int frameno, int subprog, int callsite);
int vf_frame_grow(struct vf_frame *f, int nslots);

static inline struct vf_frame *vf_cur_frame(const struct vf_state *st) { return st->frame[st->curframe]; }
static inline struct vf_reg *vf_cur_regs(const struct vf_state *st) { return st->frame[st->curframe]->regs; }
static inline bool vf_is_spilled(const struct vf_slot *s) { return s->type[7] == VF_STACK_SPILL; }
static inline bool vf_is_spilled_scalar(const struct vf_slot *s)
{
	return vf_is_spilled(s) && s->spilled.type == VF_SCALAR;
}

/* Register marking. */
void vf_mark_unknown(struct vf_reg *r);     /* scalar, nothing known */
void vf_mark_known(struct vf_reg *r, uint64_t v);
void vf_mark_not_init(struct vf_reg *r);
void vf_mark_known_zero_ptr(struct vf_reg *r, uint16_t type); /* pointer with offset 0 */
void vf_mark_unbounded(struct vf_reg *r);   /* ranges unknown; tnum and type kept */
void vf_mark_reg32_unbounded(struct vf_reg *r);
void vf_copy_reg(struct vf_reg *dst, const struct vf_reg *src); /* keeps dst's parent and live */
bool vf_reg_is_const(const struct vf_reg *r, bool is32);
uint64_t vf_reg_const(const struct vf_reg *r, bool is32);
bool vf_reg_is_null(const struct vf_reg *r);  /* scalar known 0 */
bool vf_is_pointer(const struct vf_reg *r);
bool vf_is_pkt_pointer(const struct vf_reg *r);     /* pkt or pkt_meta */
bool vf_is_pkt_pointer_any(const struct vf_reg *r); /* also pkt_end */
bool vf_reg_not_null(const struct vf_reg *r);
/* Width in bits a scalar's unsigned value needs (64 when unknown). */
int vf_reg_width(const struct vf_reg *r);

/* Liveness: r (in the current state) was read; mark its parents. */
void vf_mark_read(struct vf_env *e, struct vf_reg *r);

/* Pruning: is cur at least as constrained as the complete state old (every
 * path from cur is one old's exploration already proved safe)?
 * exact: 0 = pruning, 1 = ranges must be within (loops through callbacks),
 * 2 = identical (infinite loop detection). */
enum { VF_NOT_EXACT = 0, VF_RANGE_WITHIN = 1, VF_EXACT = 2 };
bool vf_states_equal(struct vf_env *e, const struct vf_state *old, const struct vf_state *cur, int exact);
/* 1 when old and cur's current-frame registers are bitwise the same
 * (a cheap filter before the infinite loop check). */
bool vf_states_maybe_looping(const struct vf_state *old, const struct vf_state *cur);
/* After a prune: the reads and precision old relied on apply to cur's
 * parents too. */
int vf_propagate_liveness(struct vf_env *e, const struct vf_state *old, struct vf_state *cur);
/* Scalars cur holds with another value than old and that nothing needs
 * precisely become unknown (so that loops converge). */
void vf_widen_imprecise(struct vf_env *e, const struct vf_state *old, struct vf_state *cur);

/* Calls fn on every register of every frame of st, spilled ones included. */
#define VF_FOR_EACH_REG(st, fr, reg, body)                                                             \
	do {                                                                                           \
		for (int fr##_i = 0; fr##_i <= (st)->curframe; fr##_i++) {                            \
			struct vf_frame *fr = (st)->frame[fr##_i];                                    \
			for (int reg##_j = 0; reg##_j < 11 + fr->nslots; reg##_j++) {                 \
				struct vf_reg *reg;                                                   \
				if (reg##_j < 11) {                                                   \
					reg = &fr->regs[reg##_j];                                     \
				} else {                                                              \
					if (!vf_is_spilled(&fr->stack[reg##_j - 11]))                \
						continue;                                             \
					reg = &fr->stack[reg##_j - 11].spilled;                       \
				}                                                                     \
				body;                                                                 \
			}                                                                             \
		}                                                                                     \
	} while (0)

#endif
