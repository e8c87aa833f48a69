/* bounds.c - scalar ranges: the signed and unsigned, 64- and 32-bit bounds
 * of a scalar next to its tnum, kept consistent with each other
 * (vf_bounds_sync); the range each ALU operation produces; sign and zero
 * extension; and what a conditional jump decides (vf_is_branch_taken) or
 * teaches about its operands on each branch (vf_refine_cond). The rules are
 * those of the Linux verifier. */
#include <string.h>

#include "verifier.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void mark_reg64_unbounded(struct vf_reg *r)
{
	r->smin = INT64_MIN;
	r->smax = INT64_MAX;
	r->umin = 0;
	r->umax = UINT64_MAX;
}

static void mark_reg32_known(struct vf_reg *r, uint32_t v)
{
	r->var_off = tnum_const_subreg(r->var_off, v);
	r->s32_min = r->s32_max = (int32_t)v;
	r->u32_min = r->u32_max = v;
}

/* The rules that are the same at both widths are written once, for the
 * fields of one width: W is 32 or 64, ST/UT its signed and unsigned types,
 * SMIN..UMAX the register's bounds of that width, S_MIN/S_MAX/U_MAX the
 * type's limits, SUB(t) the part of a tnum that width sees. */
#define VF_W32 32, int32_t, uint32_t, s32_min, s32_max, u32_min, u32_max, INT32_MIN, INT32_MAX, UINT32_MAX, tnum_subreg
#define VF_W64 64, int64_t, uint64_t, smin, smax, umin, umax, INT64_MIN, INT64_MAX, UINT64_MAX, tnum_whole
#define VF_WIDTH(gen, w) gen(w)
#define tnum_whole(t) (t)

/* The bounds the known bits imply. */
#define GEN_UPDATE_BOUNDS(W, ST, UT, SMIN, SMAX, UMIN, UMAX, S_MIN, S_MAX, U_MAX, SUB)               \
	static void update_reg##W##_bounds(struct vf_reg *r)                                            \
	{                                                                                             \
		struct tnum t = SUB(r->var_off);                                                      \
		r->SMIN = MAX(r->SMIN, (ST)(UT)(t.value | (t.mask & ((UT)1 << (W - 1)))));           \
		r->SMAX = MIN(r->SMAX, (ST)(UT)(t.value | (t.mask & ~((UT)1 << (W - 1)))));          \
		r->UMIN = MAX(r->UMIN, (UT)t.value);                                                  \
		r->UMAX = MIN(r->UMAX, (UT)(t.value | t.mask));                                       \
	}
VF_WIDTH(GEN_UPDATE_BOUNDS, VF_W32)
VF_WIDTH(GEN_UPDATE_BOUNDS, VF_W64)

/* The value only, not the identity: Linux's ___mark_reg_known. */
static void set_known(struct vf_reg *r, uint64_t v)
{
	r->var_off = tnum_const(v);
	r->smin = r->smax = (int64_t)v;
	r->umin = r->umax = v;
	r->s32_min = r->s32_max = (int32_t)(uint32_t)v;
	r->u32_min = r->u32_max = (uint32_t)v;
}

/* When the unsigned range and the tnum have one value in common, the
 * register is that value (Linux 6.18 does this in __update_reg64_bounds;
 * measured: a program that needs it is accepted by the kernel). Linux
 * applies it to contradictory bounds too, where it makes a constant of a
 * branch that cannot happen and goes on exploring it; so does bpfvm, to
 * give the kernel's verdicts. */
static void single_value64(struct vf_reg *r)
{
	struct tnum t = r->var_off;
	uint64_t tmax = t.value | t.mask;
	uint64_t next = vf_tnum_step(t, r->umin);
	bool umin_in = (r->umin & ~t.mask) == t.value;
	if (umin_in && next > r->umax)
		set_known(r, r->umin);
	else if (!umin_in && next == tmax)
		set_known(r, tmax);
	else if (!umin_in && next <= r->umax && vf_tnum_step(t, next) > r->umax)
		set_known(r, next);
}

static void update_reg_bounds(struct vf_reg *r)
{
	update_reg32_bounds(r);
	update_reg64_bounds(r);
	single_value64(r);
}

/* The signed and the unsigned range of one width narrow each other. */
#define GEN_DEDUCE_SIGN(W, ST, UT, SMIN, SMAX, UMIN, UMAX, S_MIN, S_MAX, U_MAX, SUB)                 \
	static void deduce_sign##W(struct vf_reg *r)                                                  \
	{                                                                                             \
		if ((ST)r->UMIN <= (ST)r->UMAX) {                                                     \
			r->SMIN = MAX(r->SMIN, (ST)r->UMIN);                                          \
			r->SMAX = MIN(r->SMAX, (ST)r->UMAX);                                          \
		}                                                                                     \
		if ((UT)r->SMIN <= (UT)r->SMAX) {                                                     \
			r->UMIN = MAX(r->UMIN, (UT)r->SMIN);                                          \
			r->UMAX = MIN(r->UMAX, (UT)r->SMAX);                                          \
		} else if (r->UMAX < (UT)r->SMIN) {                                                   \
			/* the signed range wraps around the unsigned domain and    \
			 * the unsigned range meets only its non-negative piece     \
			 * [0, smax] (the comparisons are unsigned: the kernel's    \
			 * signed ones go wrong when the unsigned range reaches     \
			 * into the other half) */                                  \
			r->SMIN = (ST)r->UMIN;                                                        \
			r->SMAX = (ST)MIN((UT)r->SMAX, r->UMAX);                                      \
		} else if ((UT)r->SMAX < r->UMIN) {                                                   \
			/* ... or only its negative piece [smin, -1] */                                \
			r->SMAX = (ST)r->UMAX;                                                        \
			r->SMIN = (ST)MAX((UT)r->SMIN, r->UMIN);                                      \
		}                                                                                     \
	}
VF_WIDTH(GEN_DEDUCE_SIGN, VF_W32)
VF_WIDTH(GEN_DEDUCE_SIGN, VF_W64)

static void deduce32(struct vf_reg *r)
{
	/* low halves of a 64-bit range whose upper halves agree form a range */
	if ((r->umin >> 32) == (r->umax >> 32)) {
		r->u32_min = MAX(r->u32_min, (uint32_t)r->umin);
		r->u32_max = MIN(r->u32_max, (uint32_t)r->umax);
		if ((int32_t)r->umin <= (int32_t)r->umax) {
			r->s32_min = MAX(r->s32_min, (int32_t)r->umin);
			r->s32_max = MIN(r->s32_max, (int32_t)r->umax);
		}
	}
	if ((r->smin >> 32) == (r->smax >> 32)) {
		if ((uint32_t)r->smin <= (uint32_t)r->smax) {
			r->u32_min = MAX(r->u32_min, (uint32_t)r->smin);
			r->u32_max = MIN(r->u32_max, (uint32_t)r->smax);
		}
		if ((int32_t)r->smin <= (int32_t)r->smax) {
			r->s32_min = MAX(r->s32_min, (int32_t)r->smin);
			r->s32_max = MIN(r->s32_max, (int32_t)r->smax);
		}
	}
	/* upper halves two consecutive numbers, low halves crossing 0 as s32 */
	if ((uint32_t)(r->umin >> 32) + 1 == (uint32_t)(r->umax >> 32) && (int32_t)r->umin < 0 &&
	    (int32_t)r->umax >= 0) {
		r->s32_min = MAX(r->s32_min, (int32_t)r->umin);
		r->s32_max = MIN(r->s32_max, (int32_t)r->umax);
	}
	if ((uint32_t)((uint64_t)r->smin >> 32) + 1 == (uint32_t)((uint64_t)r->smax >> 32) && (int32_t)r->smin < 0 &&
	    (int32_t)r->smax >= 0) {
		r->s32_min = MAX(r->s32_min, (int32_t)r->smin);
		r->s32_max = MIN(r->s32_max, (int32_t)r->smax);
	}
	deduce_sign32(r);
}

static void deduce_mixed(struct vf_reg *r)
{
	uint64_t new_umin = (r->umin & ~0xffffffffULL) | r->u32_min;
	uint64_t new_umax = (r->umax & ~0xffffffffULL) | r->u32_max;
	r->umin = MAX(r->umin, new_umin);
	r->umax = MIN(r->umax, new_umax);
	int64_t new_smin = (int64_t)(((uint64_t)r->smin & ~0xffffffffULL) | r->u32_min);
	int64_t new_smax = (int64_t)(((uint64_t)r->smax & ~0xffffffffULL) | r->u32_max);
	r->smin = MAX(r->smin, new_smin);
	r->smax = MIN(r->smax, new_smax);
	/* a 64-bit value inside s32 whose s32 range is non-negative */
	if (r->s32_min >= 0 && r->smin >= INT32_MIN && r->smax <= INT32_MAX) {
		r->smin = r->s32_min;
		r->smax = r->s32_max;
		r->umin = (uint64_t)(int64_t)r->s32_min;
		r->umax = (uint64_t)(int64_t)r->s32_max;
		r->var_off = vf_tnum_intersect(r->var_off, vf_tnum_range((uint64_t)r->smin, (uint64_t)r->smax));
	}
}

static void deduce(struct vf_reg *r)
{
	deduce32(r);
	deduce_sign64(r);
	deduce_mixed(r);
}

static void bound_offset(struct vf_reg *r)
{
	struct tnum t64 = vf_tnum_intersect(r->var_off, vf_tnum_range(r->umin, r->umax));
	struct tnum t32 = vf_tnum_intersect(tnum_subreg(t64), vf_tnum_range(r->u32_min, r->u32_max));
	r->var_off = vf_tnum_or(tnum_clear_subreg(t64), t32);
}

void vf_bounds_sync(struct vf_reg *r)
{
	update_reg_bounds(r);
	deduce(r);
	deduce(r);
	deduce(r);
	bound_offset(r);
	update_reg_bounds(r);
}

bool vf_bounds_sane(const struct vf_reg *r)
{
	if (r->umin > r->umax || r->smin > r->smax || r->u32_min > r->u32_max || r->s32_min > r->s32_max)
		return false;
	if (r->var_off.value & r->var_off.mask)
		return false;
	if (tnum_is_const(r->var_off)) {
		uint64_t v = r->var_off.value;
		uint32_t v32 = (uint32_t)v;
		if (r->umin != v || r->umax != v || r->smin != (int64_t)v || r->smax != (int64_t)v ||
		    r->u32_min != v32 || r->u32_max != v32 || r->s32_min != (int32_t)v32 ||
		    r->s32_max != (int32_t)v32)
			return false;
	}
	return true;
}

/* ---- zero and sign extension ---- */

void vf_zext_32_to_64(struct vf_reg *r)
{
	r->var_off = tnum_subreg(r->var_off);
	r->umin = r->u32_min;
	r->umax = r->u32_max;
	if (r->s32_min >= 0 && r->s32_max >= 0) {
		r->smin = r->s32_min;
		r->smax = r->s32_max;
	} else {
		r->smin = 0;
		r->smax = UINT32_MAX;
	}
}

void vf_coerce_to_size(struct vf_reg *r, int size)
{
	r->var_off = vf_tnum_cast(r->var_off, (unsigned)size);
	uint64_t mask = size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
	if ((r->umin & ~mask) == (r->umax & ~mask)) {
		r->umin &= mask;
		r->umax &= mask;
	} else {
		r->umin = 0;
		r->umax = mask;
	}
	r->smin = (int64_t)r->umin;
	r->smax = (int64_t)r->umax;
	if (size < 4)
		vf_mark_reg32_unbounded(r);
	vf_bounds_sync(r);
}

static int64_t sext(uint64_t v, int size)
{
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	default: return (int32_t)v;
	}
}

void vf_coerce_to_size_sx(struct vf_reg *r, int size)
{
	if (tnum_is_const(r->var_off)) {
		uint64_t v = (uint64_t)sext(r->var_off.value, size);
		r->var_off = tnum_const(v);
		r->smin = r->smax = (int64_t)v;
		r->umin = r->umax = v;
		r->s32_min = r->s32_max = (int32_t)v;
		r->u32_min = r->u32_max = (uint32_t)v;
		return;
	}
	unsigned bits = (unsigned)size * 8;
	uint64_t top_max = ((uint64_t)r->smax >> bits) << bits;
	uint64_t top_min = ((uint64_t)r->smin >> bits) << bits;
	if (top_max == top_min) {
		int64_t a = sext((uint64_t)r->smax, size), b = sext((uint64_t)r->smin, size);
		int64_t hi = MAX(a, b), lo = MIN(a, b);
		if ((hi >= 0) == (lo >= 0)) {
			r->smin = lo;
			r->smax = hi;
			r->s32_min = (int32_t)lo;
			r->s32_max = (int32_t)hi;
			r->umin = (uint64_t)lo;
			r->umax = (uint64_t)hi;
			r->u32_min = (uint32_t)lo;
			r->u32_max = (uint32_t)hi;
			r->var_off = vf_tnum_range((uint64_t)lo, (uint64_t)hi);
			return;
		}
	}
	int64_t lo = size == 1 ? INT8_MIN : size == 2 ? INT16_MIN : INT32_MIN;
	int64_t hi = size == 1 ? INT8_MAX : size == 2 ? INT16_MAX : INT32_MAX;
	r->smin = lo;
	r->smax = hi;
	r->s32_min = (int32_t)lo;
	r->s32_max = (int32_t)hi;
	r->umin = 0;
	r->umax = UINT64_MAX;
	r->u32_min = 0;
	r->u32_max = UINT32_MAX;
	r->var_off = TNUM_UNKNOWN;
}

void vf_coerce_subreg_to_size_sx(struct vf_reg *r, int size)
{
	if (tnum_is_const(r->var_off)) {
		uint32_t v = (uint32_t)sext(r->var_off.value, size);
		r->var_off = tnum_const(v);
		r->s32_min = r->s32_max = (int32_t)v;
		r->u32_min = r->u32_max = v;
		return;
	}
	unsigned bits = (unsigned)size * 8;
	uint32_t top_max = ((uint32_t)r->s32_max >> bits) << bits;
	uint32_t top_min = ((uint32_t)r->s32_min >> bits) << bits;
	if (top_max == top_min) {
		int32_t a = (int32_t)sext((uint32_t)r->s32_max, size), b = (int32_t)sext((uint32_t)r->s32_min, size);
		int32_t hi = MAX(a, b), lo = MIN(a, b);
		if ((lo >= 0) == (hi >= 0)) {
			r->s32_min = lo;
			r->s32_max = hi;
			r->u32_min = (uint32_t)lo;
			r->u32_max = (uint32_t)hi;
			r->var_off = tnum_subreg(vf_tnum_range((uint32_t)lo, (uint32_t)hi));
			return;
		}
	}
	r->s32_min = size == 1 ? INT8_MIN : INT16_MIN;
	r->s32_max = size == 1 ? INT8_MAX : INT16_MAX;
	r->u32_min = 0;
	r->u32_max = UINT32_MAX;
	r->var_off = tnum_subreg(TNUM_UNKNOWN);
}

/* ---- ALU ranges ---- */

/* d += s or d -= s (sub), d *= s: the ranges (a range whose ends wrap
 * differently gives up). */
#define GEN_ADD_SUB_MUL(W, ST, UT, SMIN, SMAX, UMIN, UMAX, S_MIN, S_MAX, U_MAX, SUB)                 \
	static void add_sub##W(struct vf_reg *d, const struct vf_reg *s, bool sub)                    \
	{                                                                                             \
		ST smin, smax;                                                                        \
		bool sover = sub ? __builtin_sub_overflow(d->SMIN, s->SMAX, &smin) ||                 \
					   __builtin_sub_overflow(d->SMAX, s->SMIN, &smax)                    \
				 : __builtin_add_overflow(d->SMIN, s->SMIN, &smin) ||                 \
					   __builtin_add_overflow(d->SMAX, s->SMAX, &smax);                   \
		if (sover) {                                                                          \
			d->SMIN = S_MIN;                                                              \
			d->SMAX = S_MAX;                                                              \
		} else {                                                                              \
			d->SMIN = smin;                                                               \
			d->SMAX = smax;                                                               \
		}                                                                                     \
		UT umin, umax;                                                                        \
		bool olo = sub ? __builtin_sub_overflow(d->UMIN, s->UMAX, &umin)                      \
			       : __builtin_add_overflow(d->UMIN, s->UMIN, &umin);                     \
		bool ohi = sub ? __builtin_sub_overflow(d->UMAX, s->UMIN, &umax)                      \
			       : __builtin_add_overflow(d->UMAX, s->UMAX, &umax);                     \
		if (sub ? olo && !ohi : !olo && ohi) {                                                \
			d->UMIN = 0;                                                                  \
			d->UMAX = U_MAX;                                                              \
		} else {                                                                              \
			d->UMIN = umin;                                                               \
			d->UMAX = umax;                                                               \
		}                                                                                     \
	}                                                                                             \
	static void mul##W(struct vf_reg *d, const struct vf_reg *s)                                  \
	{                                                                                             \
		UT umin, umax;                                                                        \
		if (__builtin_mul_overflow(d->UMAX, s->UMAX, &umax) ||                                \
		    __builtin_mul_overflow(d->UMIN, s->UMIN, &umin)) {                                \
			d->UMIN = 0;                                                                  \
			d->UMAX = U_MAX;                                                              \
		} else {                                                                              \
			d->UMIN = umin;                                                               \
			d->UMAX = umax;                                                               \
		}                                                                                     \
		ST p[4];                                                                              \
		if (__builtin_mul_overflow(d->SMIN, s->SMIN, &p[0]) ||                                \
		    __builtin_mul_overflow(d->SMIN, s->SMAX, &p[1]) ||                                \
		    __builtin_mul_overflow(d->SMAX, s->SMIN, &p[2]) ||                                \
		    __builtin_mul_overflow(d->SMAX, s->SMAX, &p[3])) {                                \
			d->SMIN = S_MIN;                                                              \
			d->SMAX = S_MAX;                                                              \
		} else {                                                                              \
			d->SMIN = MIN(MIN(p[0], p[1]), MIN(p[2], p[3]));                              \
			d->SMAX = MAX(MAX(p[0], p[1]), MAX(p[2], p[3]));                              \
		}                                                                                     \
	}
VF_WIDTH(GEN_ADD_SUB_MUL, VF_W32)
VF_WIDTH(GEN_ADD_SUB_MUL, VF_W64)

/* The width's hooks for the bitwise operations: a known result, and what
 * follows (the 64-bit rules refresh both widths from the tnum). */
static void mark_known32(struct vf_reg *r, uint64_t v) { mark_reg32_known(r, (uint32_t)v); }
static void mark_known64(struct vf_reg *r, uint64_t v) { vf_mark_known(r, v); }
static void after_bitwise32(struct vf_reg *r) { (void)r; }
static void after_bitwise64(struct vf_reg *r) { update_reg_bounds(r); }

/* The signed bounds from the unsigned ones when these do not cross the
 * sign bit; and, or, xor (d->var_off already holds the result's tnum). */
#define GEN_BITWISE(W, ST, UT, SMIN, SMAX, UMIN, UMAX, S_MIN, S_MAX, U_MAX, SUB)                     \
	static void s##W##_from_u##W(struct vf_reg *d)                                                \
	{                                                                                             \
		if ((ST)d->UMIN <= (ST)d->UMAX) {                                                     \
			d->SMIN = (ST)d->UMIN;                                                        \
			d->SMAX = (ST)d->UMAX;                                                        \
		} else {                                                                              \
			d->SMIN = S_MIN;                                                              \
			d->SMAX = S_MAX;                                                              \
		}                                                                                     \
	}                                                                                             \
	static void and##W(struct vf_reg *d, const struct vf_reg *s, bool src_known, bool dst_known)  \
	{                                                                                             \
		struct tnum t = SUB(d->var_off);                                                      \
		if (src_known && dst_known) {                                                         \
			mark_known##W(d, t.value);                                                    \
			return;                                                                       \
		}                                                                                     \
		d->UMIN = (UT)t.value;                                                                \
		d->UMAX = MIN(d->UMAX, s->UMAX);                                                      \
		s##W##_from_u##W(d);                                                                  \
		after_bitwise##W(d);                                                                  \
	}                                                                                             \
	static void or##W(struct vf_reg *d, const struct vf_reg *s, bool src_known, bool dst_known)   \
	{                                                                                             \
		struct tnum t = SUB(d->var_off);                                                      \
		if (src_known && dst_known) {                                                         \
			mark_known##W(d, t.value);                                                    \
			return;                                                                       \
		}                                                                                     \
		d->UMIN = MAX(d->UMIN, s->UMIN);                                                      \
		d->UMAX = (UT)(t.value | t.mask);                                                     \
		s##W##_from_u##W(d);                                                                  \
		after_bitwise##W(d);                                                                  \
	}                                                                                             \
	static void xor##W(struct vf_reg *d, bool src_known, bool dst_known)                          \
	{                                                                                             \
		struct tnum t = SUB(d->var_off);                                                      \
		if (src_known && dst_known) {                                                         \
			mark_known##W(d, t.value);                                                    \
			return;                                                                       \
		}                                                                                     \
		d->UMIN = (UT)t.value;                                                                \
		d->UMAX = (UT)(t.value | t.mask);                                                     \
		s##W##_from_u##W(d);                                                                  \
		after_bitwise##W(d);                                                                  \
	}
VF_WIDTH(GEN_BITWISE, VF_W32)
VF_WIDTH(GEN_BITWISE, VF_W64)

static void lsh32_bounds(struct vf_reg *d, uint64_t umin_val, uint64_t umax_val)
{
	d->s32_min = INT32_MIN;
	d->s32_max = INT32_MAX;
	if (umax_val > 31 || d->u32_max > (1ULL << (31 - umax_val))) {
		d->u32_min = 0;
		d->u32_max = UINT32_MAX;
	} else {
		d->u32_min <<= umin_val;
		d->u32_max <<= umax_val;
	}
}

static void lsh32(struct vf_reg *d, const struct vf_reg *s)
{
	struct tnum sub = tnum_subreg(d->var_off);
	lsh32_bounds(d, s->u32_min, s->u32_max);
	d->var_off = tnum_subreg(vf_tnum_lshift(sub, s->u32_min));
	mark_reg64_unbounded(d);
	update_reg32_bounds(d);
}

static void lsh64(struct vf_reg *d, const struct vf_reg *s)
{
	uint64_t umin_val = s->umin, umax_val = s->umax;
	if (umin_val == 32 && umax_val == 32 && d->s32_max >= 0)
		d->smax = (int64_t)d->s32_max << 32;
	else
		d->smax = INT64_MAX;
	if (umin_val == 32 && umax_val == 32 && d->s32_min >= 0)
		d->smin = (int64_t)d->s32_min << 32;
	else
		d->smin = INT64_MIN;
	if (d->umax > (1ULL << (63 - umax_val))) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin <<= umin_val;
		d->umax <<= umax_val;
	}
	lsh32_bounds(d, umin_val, umax_val);
	d->var_off = vf_tnum_lshift(d->var_off, (unsigned)umin_val);
	update_reg_bounds(d);
}

/* What a shift leaves of the other width's bounds, then the bounds the
 * known bits imply. */
static void after_shift32(struct vf_reg *r)
{
	mark_reg64_unbounded(r);
	update_reg32_bounds(r);
}

static void after_shift64(struct vf_reg *r)
{
	vf_mark_reg32_unbounded(r);
	update_reg_bounds(r);
}

/* d >>= s, d s>>= s (s known and below W: safe_to_compute). */
#define GEN_RSH(W, ST, UT, SMIN, SMAX, UMIN, UMAX, S_MIN, S_MAX, U_MAX, SUB)                         \
	static void rsh##W(struct vf_reg *d, const struct vf_reg *s)                                  \
	{                                                                                             \
		d->SMIN = S_MIN;                                                                      \
		d->SMAX = S_MAX;                                                                      \
		d->var_off = vf_tnum_rshift(SUB(d->var_off), (unsigned)s->UMIN);                      \
		d->UMIN >>= s->UMAX;                                                                  \
		d->UMAX >>= s->UMIN;                                                                  \
		after_shift##W(d);                                                                    \
	}                                                                                             \
	static void arsh##W(struct vf_reg *d, const struct vf_reg *s)                                 \
	{                                                                                             \
		unsigned sh = (unsigned)s->UMIN;                                                      \
		d->SMIN >>= sh;                                                                       \
		d->SMAX >>= sh;                                                                       \
		d->var_off = vf_tnum_arshift(SUB(d->var_off), sh, W);                                 \
		d->UMIN = 0;                                                                          \
		d->UMAX = U_MAX;                                                                      \
		after_shift##W(d);                                                                    \
	}
VF_WIDTH(GEN_RSH, VF_W32)
VF_WIDTH(GEN_RSH, VF_W64)

static bool safe_to_compute(uint8_t op, bool alu32, const struct vf_reg *s)
{
	switch (op) {
	case BPF_ADD:
	case BPF_SUB:
	case BPF_NEG:
	case BPF_AND:
	case BPF_XOR:
	case BPF_OR:
	case BPF_MUL:
		return true;
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH: {
		bool known;
		if (alu32)
			known = tnum_subreg_is_const(s->var_off) && s->s32_min == s->s32_max && s->u32_min == s->u32_max;
		else
			known = tnum_is_const(s->var_off) && s->smin == s->smax && s->umin == s->umax;
		return known && s->umax < (alu32 ? 32u : 64u);
	}
	default:
		return false;
	}
}

int vf_scalar_alu(struct vf_env *e, uint8_t op, bool alu32, struct vf_reg *d, struct vf_reg s)
{
	(void)e;
	if (!safe_to_compute(op, alu32, &s)) {
		vf_mark_unknown(d);
		return 0;
	}
	bool src_known = alu32 ? tnum_subreg_is_const(s.var_off) : tnum_is_const(s.var_off);
	bool dst_known = alu32 ? tnum_subreg_is_const(d->var_off) : tnum_is_const(d->var_off);
	switch (op) {
	case BPF_ADD:
		add_sub32(d, &s, false);
		add_sub64(d, &s, false);
		d->var_off = vf_tnum_add(d->var_off, s.var_off);
		break;
	case BPF_SUB:
		add_sub32(d, &s, true);
		add_sub64(d, &s, true);
		d->var_off = vf_tnum_sub(d->var_off, s.var_off);
		break;
	case BPF_NEG: {
		struct vf_reg old = *d;
		vf_mark_known(d, 0);
		d->type = VF_SCALAR;
		add_sub32(d, &old, true);
		add_sub64(d, &old, true);
		d->var_off = vf_tnum_neg(old.var_off);
		break;
	}
	case BPF_MUL:
		d->var_off = vf_tnum_mul(d->var_off, s.var_off);
		mul32(d, &s);
		mul64(d, &s);
		break;
	case BPF_AND:
		d->var_off = vf_tnum_and(d->var_off, s.var_off);
		and32(d, &s, src_known, dst_known);
		and64(d, &s, src_known, dst_known);
		break;
	case BPF_OR:
		d->var_off = vf_tnum_or(d->var_off, s.var_off);
		or32(d, &s, src_known, dst_known);
		or64(d, &s, src_known, dst_known);
		break;
	case BPF_XOR:
		d->var_off = vf_tnum_xor(d->var_off, s.var_off);
		xor32(d, src_known, dst_known);
		xor64(d, src_known, dst_known);
		break;
	case BPF_LSH:
		(alu32 ? lsh32 : lsh64)(d, &s);
		break;
	case BPF_RSH:
		(alu32 ? rsh32 : rsh64)(d, &s);
		break;
	case BPF_ARSH:
		(alu32 ? arsh32 : arsh64)(d, &s);
		break;
	}
	if (alu32)
		vf_zext_32_to_64(d);
	vf_bounds_sync(d);
	return 0;
}

/* ---- conditional jumps ---- */

uint8_t vf_flip_op(uint8_t op)
{
	switch (op) {
	case BPF_JGT: return BPF_JLT;
	case BPF_JLT: return BPF_JGT;
	case BPF_JGE: return BPF_JLE;
	case BPF_JLE: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGT;
	case BPF_JSGE: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGE;
	default: return op; /* JEQ, JNE, JSET */
	}
}

/* BPF_JSET | BPF_X stands for "no bit of the mask set" (the false branch of
 * jset). */
#define VF_JNSET (BPF_JSET | BPF_X)

uint8_t vf_rev_op(uint8_t op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JSET: return VF_JNSET;
	case VF_JNSET: return BPF_JSET;
	case BPF_JGE: return BPF_JLT;
	case BPF_JLT: return BPF_JGE;
	case BPF_JGT: return BPF_JLE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGE;
	case BPF_JSGT: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGT;
	default: return op;
	}
}

static bool tnum_overlap(struct tnum a, struct tnum b)
{
	uint64_t mu = ~a.mask & ~b.mask;
	return (a.value & mu) == (b.value & mu);
}

int vf_is_branch_taken(struct vf_reg *r1, struct vf_reg *r2, uint8_t op, bool is32)
{
	struct tnum t1 = is32 ? tnum_subreg(r1->var_off) : r1->var_off;
	struct tnum t2 = is32 ? tnum_subreg(r2->var_off) : r2->var_off;
	uint64_t umin1 = is32 ? r1->u32_min : r1->umin, umax1 = is32 ? r1->u32_max : r1->umax;
	int64_t smin1 = is32 ? r1->s32_min : r1->smin, smax1 = is32 ? r1->s32_max : r1->smax;
	uint64_t umin2 = is32 ? r2->u32_min : r2->umin, umax2 = is32 ? r2->u32_max : r2->umax;
	int64_t smin2 = is32 ? r2->s32_min : r2->smin, smax2 = is32 ? r2->s32_max : r2->smax;

	switch (op) {
	case BPF_JEQ:
	case BPF_JNE: {
		int eq = -1;
		if (tnum_is_const(t1) && tnum_is_const(t2))
			eq = t1.value == t2.value;
		else if (!tnum_overlap(t1, t2) || umin1 > umax2 || umax1 < umin2 || smin1 > smax2 || smax1 < smin2)
			eq = 0;
		else if (!is32 && (r1->u32_min > r2->u32_max || r1->u32_max < r2->u32_min ||
				   r1->s32_min > r2->s32_max || r1->s32_max < r2->s32_min))
			eq = 0;
		if (eq < 0)
			return -1;
		return op == BPF_JEQ ? eq : !eq;
	}
	case BPF_JSET:
		if (!vf_reg_is_const(r2, is32)) {
			struct tnum t = t1;
			t1 = t2;
			t2 = t;
			struct vf_reg *r = r1;
			r1 = r2;
			r2 = r;
		}
		if (!vf_reg_is_const(r2, is32))
			return -1;
		if ((~t1.mask & t1.value) & t2.value)
			return 1;
		if (!((t1.mask | t1.value) & t2.value))
			return 0;
		return -1;
	case BPF_JGT:
		if (umin1 > umax2)
			return 1;
		if (umax1 <= umin2)
			return 0;
		return -1;
	case BPF_JSGT:
		if (smin1 > smax2)
			return 1;
		if (smax1 <= smin2)
			return 0;
		return -1;
	case BPF_JLT:
		if (umax1 < umin2)
			return 1;
		if (umin1 >= umax2)
			return 0;
		return -1;
	case BPF_JSLT:
		if (smax1 < smin2)
			return 1;
		if (smin1 >= smax2)
			return 0;
		return -1;
	case BPF_JGE:
		if (umin1 >= umax2)
			return 1;
		if (umax1 < umin2)
			return 0;
		return -1;
	case BPF_JSGE:
		if (smin1 >= smax2)
			return 1;
		if (smax1 < smin2)
			return 0;
		return -1;
	case BPF_JLE:
		if (umax1 <= umin2)
			return 1;
		if (umin1 > umax2)
			return 0;
		return -1;
	case BPF_JSLE:
		if (smax1 <= smin2)
			return 1;
		if (smin1 > smax2)
			return 0;
		return -1;
	default:
		return -1;
	}
}

/* What "r1 op r2" teaches about the ranges of one width (op: JEQ, JNE with
 * r2 the constant val, JLE, JLT, JSLE, JSLT). */
#define GEN_REFINE(W, ST, UT, SMIN, SMAX, UMIN, UMAX, S_MIN, S_MAX, U_MAX, SUB)                      \
	static void refine##W(struct vf_reg *r1, struct vf_reg *r2, uint8_t op, uint64_t val)        \
	{                                                                                             \
		switch (op) {                                                                         \
		case BPF_JEQ:                                                                         \
			r1->UMIN = MAX(r1->UMIN, r2->UMIN);                                           \
			r1->UMAX = MIN(r1->UMAX, r2->UMAX);                                           \
			r1->SMIN = MAX(r1->SMIN, r2->SMIN);                                           \
			r1->SMAX = MIN(r1->SMAX, r2->SMAX);                                           \
			r2->UMIN = r1->UMIN;                                                          \
			r2->UMAX = r1->UMAX;                                                          \
			r2->SMIN = r1->SMIN;                                                          \
			r2->SMAX = r1->SMAX;                                                          \
			break;                                                                        \
		case BPF_JNE:                                                                         \
			if (r1->UMIN == (UT)val)                                                      \
				r1->UMIN++;                                                           \
			if (r1->UMAX == (UT)val)                                                      \
				r1->UMAX--;                                                           \
			if (r1->SMIN == (ST)val)                                                      \
				r1->SMIN++;                                                           \
			if (r1->SMAX == (ST)val)                                                      \
				r1->SMAX--;                                                           \
			break;                                                                        \
		case BPF_JLE:                                                                         \
			r1->UMAX = MIN(r1->UMAX, r2->UMAX);                                           \
			r2->UMIN = MAX(r1->UMIN, r2->UMIN);                                           \
			break;                                                                        \
		case BPF_JLT:                                                                         \
			r1->UMAX = MIN(r1->UMAX, r2->UMAX - 1);                                       \
			r2->UMIN = MAX(r1->UMIN + 1, r2->UMIN);                                       \
			break;                                                                        \
		case BPF_JSLE:                                                                        \
			r1->SMAX = MIN(r1->SMAX, r2->SMAX);                                           \
			r2->SMIN = MAX(r1->SMIN, r2->SMIN);                                           \
			break;                                                                        \
		case BPF_JSLT:                                                                        \
			/* wrapping arithmetic, as the kernel's (-fno-strict-overflow) */             \
			r1->SMAX = MIN(r1->SMAX, (ST)((UT)r2->SMAX - 1));                             \
			r2->SMIN = MAX((ST)((UT)r1->SMIN + 1), r2->SMIN);                             \
			break;                                                                        \
		}                                                                                     \
	}
VF_WIDTH(GEN_REFINE, VF_W32)
VF_WIDTH(GEN_REFINE, VF_W64)

void vf_refine_cond(struct vf_reg *r1, struct vf_reg *r2, uint8_t op, bool is32)
{
	struct vf_reg *t;
	uint64_t val;
	switch (op) {
	case BPF_JGE:
	case BPF_JGT:
	case BPF_JSGE:
	case BPF_JSGT:
		op = vf_flip_op(op);
		t = r1;
		r1 = r2;
		r2 = t;
		break;
	case BPF_JNE:
	case BPF_JSET:
	case VF_JNSET:
		/* r2 the constant, when one is */
		if (!vf_reg_is_const(r2, is32)) {
			t = r1;
			r1 = r2;
			r2 = t;
		}
		break;
	default:
		break;
	}
	switch (op) {
	case BPF_JEQ:
		(is32 ? refine32 : refine64)(r1, r2, op, 0);
		if (is32) {
			struct tnum x = vf_tnum_intersect(tnum_subreg(r1->var_off), tnum_subreg(r2->var_off));
			r1->var_off = tnum_with_subreg(r1->var_off, x);
			r2->var_off = tnum_with_subreg(r2->var_off, x);
		} else {
			r1->var_off = vf_tnum_intersect(r1->var_off, r2->var_off);
			r2->var_off = r1->var_off;
		}
		break;
	case BPF_JNE:
		if (!vf_reg_is_const(r2, is32))
			break;
		val = vf_reg_const(r2, is32);
		(is32 ? refine32 : refine64)(r1, r2, op, val);
		break;
	case BPF_JSET:
		if (!vf_reg_is_const(r2, is32))
			break;
		val = vf_reg_const(r2, is32);
		if (!val || (val & (val - 1)))
			break;
		if (is32)
			r1->var_off = tnum_with_subreg(r1->var_off, vf_tnum_or(tnum_subreg(r1->var_off), tnum_const(val)));
		else
			r1->var_off = vf_tnum_or(r1->var_off, tnum_const(val));
		break;
	case VF_JNSET:
		if (!vf_reg_is_const(r2, is32))
			break;
		val = vf_reg_const(r2, is32);
		vf_mark_unbounded(r1);
		if (is32)
			r1->var_off = tnum_with_subreg(r1->var_off, vf_tnum_and(tnum_subreg(r1->var_off), tnum_const(~val)));
		else
			r1->var_off = vf_tnum_and(r1->var_off, tnum_const(~val));
		break;
	case BPF_JLE:
	case BPF_JLT:
	case BPF_JSLE:
	case BPF_JSLT:
		(is32 ? refine32 : refine64)(r1, r2, op, 0);
		break;
	default:
		break;
	}
}
