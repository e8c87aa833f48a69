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

static void update_reg32_bounds(struct vf_reg *r)
{
	struct tnum t = tnum_subreg(r->var_off);
	r->s32_min = MAX(r->s32_min, (int32_t)(uint32_t)(t.value | (t.mask & 0x80000000u)));
	r->s32_max = MIN(r->s32_max, (int32_t)(uint32_t)(t.value | (t.mask & 0x7fffffffu)));
	r->u32_min = MAX(r->u32_min, (uint32_t)t.value);
	r->u32_max = MIN(r->u32_max, (uint32_t)(t.value | t.mask));
}

static void update_reg64_bounds(struct vf_reg *r)
{
	r->smin = MAX(r->smin, (int64_t)(r->var_off.value | (r->var_off.mask & (1ULL << 63))));
	r->smax = MIN(r->smax, (int64_t)(r->var_off.value | (r->var_off.mask & ~(1ULL << 63))));
	r->umin = MAX(r->umin, r->var_off.value);
	r->umax = MIN(r->umax, r->var_off.value | r->var_off.mask);
}

static void update_reg_bounds(struct vf_reg *r)
{
	update_reg32_bounds(r);
	update_reg64_bounds(r);
}

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
	if ((int32_t)r->u32_min <= (int32_t)r->u32_max) {
		r->s32_min = MAX(r->s32_min, (int32_t)r->u32_min);
		r->s32_max = MIN(r->s32_max, (int32_t)r->u32_max);
	}
	if ((uint32_t)r->s32_min <= (uint32_t)r->s32_max) {
		r->u32_min = MAX(r->u32_min, (uint32_t)r->s32_min);
		r->u32_max = MIN(r->u32_max, (uint32_t)r->s32_max);
	} else if (r->u32_max < (uint32_t)r->s32_min) {
		/* the s32 range wraps; the u32 range meets only its
		 * non-negative piece [0, s32_max] */
		r->s32_min = (int32_t)r->u32_min;
		r->s32_max = (int32_t)MIN((uint32_t)r->s32_max, r->u32_max);
	} else if ((uint32_t)r->s32_max < r->u32_min) {
		/* ... or only its negative piece [s32_min, -1] */
		r->s32_max = (int32_t)r->u32_max;
		r->s32_min = (int32_t)MAX((uint32_t)r->s32_min, r->u32_min);
	}
}

static void deduce64(struct vf_reg *r)
{
	if ((int64_t)r->umin <= (int64_t)r->umax) {
		r->smin = MAX(r->smin, (int64_t)r->umin);
		r->smax = MIN(r->smax, (int64_t)r->umax);
	}
	if ((uint64_t)r->smin <= (uint64_t)r->smax) {
		r->umin = MAX(r->umin, (uint64_t)r->smin);
		r->umax = MIN(r->umax, (uint64_t)r->smax);
	} else {
		/* the signed range wraps around the unsigned domain: the
		 * unsigned range may sit in one of its two pieces */
		/* (the comparisons are unsigned: the kernel's signed ones go
		 * wrong when the unsigned range reaches into the other half) */
		if (r->umax < (uint64_t)r->smin) {
			/* only the non-negative piece [0, smax] */
			r->smin = (int64_t)r->umin;
			r->smax = (int64_t)MIN((uint64_t)r->smax, r->umax);
		} else if ((uint64_t)r->smax < r->umin) {
			/* only the negative piece [smin, -1] */
			r->smax = (int64_t)r->umax;
			r->smin = (int64_t)MAX((uint64_t)r->smin, r->umin);
		}
	}
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
	deduce64(r);
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

static void add32(struct vf_reg *d, const struct vf_reg *s)
{
	int32_t smin, smax;
	if (__builtin_add_overflow(d->s32_min, s->s32_min, &smin) ||
	    __builtin_add_overflow(d->s32_max, s->s32_max, &smax)) {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	} else {
		d->s32_min = smin;
		d->s32_max = smax;
	}
	uint32_t umin, umax;
	bool omin = __builtin_add_overflow(d->u32_min, s->u32_min, &umin);
	bool omax = __builtin_add_overflow(d->u32_max, s->u32_max, &umax);
	if (!omin && omax) {
		d->u32_min = 0;
		d->u32_max = UINT32_MAX;
	} else {
		d->u32_min = umin;
		d->u32_max = umax;
	}
}

static void add64(struct vf_reg *d, const struct vf_reg *s)
{
	int64_t smin, smax;
	if (__builtin_add_overflow(d->smin, s->smin, &smin) || __builtin_add_overflow(d->smax, s->smax, &smax)) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = smin;
		d->smax = smax;
	}
	uint64_t umin, umax;
	bool omin = __builtin_add_overflow(d->umin, s->umin, &umin);
	bool omax = __builtin_add_overflow(d->umax, s->umax, &umax);
	if (!omin && omax) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin = umin;
		d->umax = umax;
	}
}

static void sub32(struct vf_reg *d, const struct vf_reg *s)
{
	int32_t smin, smax;
	if (__builtin_sub_overflow(d->s32_min, s->s32_max, &smin) ||
	    __builtin_sub_overflow(d->s32_max, s->s32_min, &smax)) {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	} else {
		d->s32_min = smin;
		d->s32_max = smax;
	}
	uint32_t umin, umax;
	bool umin_under = __builtin_sub_overflow(d->u32_min, s->u32_max, &umin);
	bool umax_under = __builtin_sub_overflow(d->u32_max, s->u32_min, &umax);
	if (umin_under && !umax_under) {
		d->u32_min = 0;
		d->u32_max = UINT32_MAX;
	} else {
		d->u32_min = umin;
		d->u32_max = umax;
	}
}

static void sub64(struct vf_reg *d, const struct vf_reg *s)
{
	int64_t smin, smax;
	if (__builtin_sub_overflow(d->smin, s->smax, &smin) || __builtin_sub_overflow(d->smax, s->smin, &smax)) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = smin;
		d->smax = smax;
	}
	uint64_t umin, umax;
	bool umin_under = __builtin_sub_overflow(d->umin, s->umax, &umin);
	bool umax_under = __builtin_sub_overflow(d->umax, s->umin, &umax);
	if (umin_under && !umax_under) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin = umin;
		d->umax = umax;
	}
}

static void mul32(struct vf_reg *d, const struct vf_reg *s)
{
	uint32_t umin, umax;
	if (__builtin_mul_overflow(d->u32_max, s->u32_max, &umax) ||
	    __builtin_mul_overflow(d->u32_min, s->u32_min, &umin)) {
		d->u32_min = 0;
		d->u32_max = UINT32_MAX;
	} else {
		d->u32_min = umin;
		d->u32_max = umax;
	}
	int32_t p[4];
	if (__builtin_mul_overflow(d->s32_min, s->s32_min, &p[0]) ||
	    __builtin_mul_overflow(d->s32_min, s->s32_max, &p[1]) ||
	    __builtin_mul_overflow(d->s32_max, s->s32_min, &p[2]) ||
	    __builtin_mul_overflow(d->s32_max, s->s32_max, &p[3])) {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	} else {
		d->s32_min = MIN(MIN(p[0], p[1]), MIN(p[2], p[3]));
		d->s32_max = MAX(MAX(p[0], p[1]), MAX(p[2], p[3]));
	}
}

static void mul64(struct vf_reg *d, const struct vf_reg *s)
{
	uint64_t umin, umax;
	if (__builtin_mul_overflow(d->umax, s->umax, &umax) || __builtin_mul_overflow(d->umin, s->umin, &umin)) {
		d->umin = 0;
		d->umax = UINT64_MAX;
	} else {
		d->umin = umin;
		d->umax = umax;
	}
	int64_t p[4];
	if (__builtin_mul_overflow(d->smin, s->smin, &p[0]) || __builtin_mul_overflow(d->smin, s->smax, &p[1]) ||
	    __builtin_mul_overflow(d->smax, s->smin, &p[2]) || __builtin_mul_overflow(d->smax, s->smax, &p[3])) {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	} else {
		d->smin = MIN(MIN(p[0], p[1]), MIN(p[2], p[3]));
		d->smax = MAX(MAX(p[0], p[1]), MAX(p[2], p[3]));
	}
}

/* s32 bounds from u32 bounds when they do not cross the sign bit. */
static void s32_from_u32(struct vf_reg *d)
{
	if ((int32_t)d->u32_min <= (int32_t)d->u32_max) {
		d->s32_min = (int32_t)d->u32_min;
		d->s32_max = (int32_t)d->u32_max;
	} else {
		d->s32_min = INT32_MIN;
		d->s32_max = INT32_MAX;
	}
}

static void s64_from_u64(struct vf_reg *d)
{
	if ((int64_t)d->umin <= (int64_t)d->umax) {
		d->smin = (int64_t)d->umin;
		d->smax = (int64_t)d->umax;
	} else {
		d->smin = INT64_MIN;
		d->smax = INT64_MAX;
	}
}

/* d->var_off already holds the result's tnum for the bitwise ops. */
static void and32(struct vf_reg *d, const struct vf_reg *s, bool src_known, bool dst_known)
{
	struct tnum t = tnum_subreg(d->var_off);
	if (src_known && dst_known) {
		mark_reg32_known(d, (uint32_t)t.value);
		return;
	}
	d->u32_min = (uint32_t)t.value;
	d->u32_max = MIN(d->u32_max, s->u32_max);
	s32_from_u32(d);
}

static void and64(struct vf_reg *d, const struct vf_reg *s, bool src_known, bool dst_known)
{
	if (src_known && dst_known) {
		vf_mark_known(d, d->var_off.value);
		return;
	}
	d->umin = d->var_off.value;
	d->umax = MIN(d->umax, s->umax);
	s64_from_u64(d);
	update_reg_bounds(d);
}

static void or32(struct vf_reg *d, const struct vf_reg *s, bool src_known, bool dst_known)
{
	struct tnum t = tnum_subreg(d->var_off);
	if (src_known && dst_known) {
		mark_reg32_known(d, (uint32_t)t.value);
		return;
	}
	d->u32_min = MAX(d->u32_min, s->u32_min);
	d->u32_max = (uint32_t)(t.value | t.mask);
	s32_from_u32(d);
}

static void or64(struct vf_reg *d, const struct vf_reg *s, bool src_known, bool dst_known)
{
	if (src_known && dst_known) {
		vf_mark_known(d, d->var_off.value);
		return;
	}
	d->umin = MAX(d->umin, s->umin);
	d->umax = d->var_off.value | d->var_off.mask;
	s64_from_u64(d);
	update_reg_bounds(d);
}

static void xor32(struct vf_reg *d, bool src_known, bool dst_known)
{
	struct tnum t = tnum_subreg(d->var_off);
	if (src_known && dst_known) {
		mark_reg32_known(d, (uint32_t)t.value);
		return;
	}
	d->u32_min = (uint32_t)t.value;
	d->u32_max = (uint32_t)(t.value | t.mask);
	s32_from_u32(d);
}

static void xor64(struct vf_reg *d, bool src_known, bool dst_known)
{
	if (src_known && dst_known) {
		vf_mark_known(d, d->var_off.value);
		return;
	}
	d->umin = d->var_off.value;
	d->umax = d->var_off.value | d->var_off.mask;
	s64_from_u64(d);
	update_reg_bounds(d);
}

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

static void rsh32(struct vf_reg *d, const struct vf_reg *s)
{
	struct tnum sub = tnum_subreg(d->var_off);
	d->s32_min = INT32_MIN;
	d->s32_max = INT32_MAX;
	d->var_off = vf_tnum_rshift(sub, s->u32_min);
	d->u32_min >>= s->u32_max;
	d->u32_max >>= s->u32_min;
	mark_reg64_unbounded(d);
	update_reg32_bounds(d);
}

static void rsh64(struct vf_reg *d, const struct vf_reg *s)
{
	d->smin = INT64_MIN;
	d->smax = INT64_MAX;
	d->var_off = vf_tnum_rshift(d->var_off, (unsigned)s->umin);
	d->umin >>= s->umax;
	d->umax >>= s->umin;
	vf_mark_reg32_unbounded(d);
	update_reg_bounds(d);
}

static void arsh32(struct vf_reg *d, const struct vf_reg *s)
{
	unsigned sh = s->u32_min;
	d->s32_min = d->s32_min >> sh;
	d->s32_max = d->s32_max >> sh;
	d->var_off = vf_tnum_arshift(tnum_subreg(d->var_off), sh, 32);
	d->u32_min = 0;
	d->u32_max = UINT32_MAX;
	mark_reg64_unbounded(d);
	update_reg32_bounds(d);
}

static void arsh64(struct vf_reg *d, const struct vf_reg *s)
{
	unsigned sh = (unsigned)s->umin;
	d->smin >>= sh;
	d->smax >>= sh;
	d->var_off = vf_tnum_arshift(d->var_off, sh, 64);
	d->umin = 0;
	d->umax = UINT64_MAX;
	vf_mark_reg32_unbounded(d);
	update_reg_bounds(d);
}

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
		add32(d, &s);
		add64(d, &s);
		d->var_off = vf_tnum_add(d->var_off, s.var_off);
		break;
	case BPF_SUB:
		sub32(d, &s);
		sub64(d, &s);
		d->var_off = vf_tnum_sub(d->var_off, s.var_off);
		break;
	case BPF_NEG: {
		struct vf_reg old = *d;
		vf_mark_known(d, 0);
		d->type = VF_SCALAR;
		sub32(d, &old);
		sub64(d, &old);
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
		if (alu32)
			lsh32(d, &s);
		else
			lsh64(d, &s);
		break;
	case BPF_RSH:
		if (alu32)
			rsh32(d, &s);
		else
			rsh64(d, &s);
		break;
	case BPF_ARSH:
		if (alu32)
			arsh32(d, &s);
		else
			arsh64(d, &s);
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
	default:
		break;
	}
	switch (op) {
	case BPF_JEQ:
		if (is32) {
			r1->u32_min = MAX(r1->u32_min, r2->u32_min);
			r1->u32_max = MIN(r1->u32_max, r2->u32_max);
			r1->s32_min = MAX(r1->s32_min, r2->s32_min);
			r1->s32_max = MIN(r1->s32_max, r2->s32_max);
			r2->u32_min = r1->u32_min;
			r2->u32_max = r1->u32_max;
			r2->s32_min = r1->s32_min;
			r2->s32_max = r1->s32_max;
			struct tnum x = vf_tnum_intersect(tnum_subreg(r1->var_off), tnum_subreg(r2->var_off));
			r1->var_off = tnum_with_subreg(r1->var_off, x);
			r2->var_off = tnum_with_subreg(r2->var_off, x);
		} else {
			r1->umin = MAX(r1->umin, r2->umin);
			r1->umax = MIN(r1->umax, r2->umax);
			r1->smin = MAX(r1->smin, r2->smin);
			r1->smax = MIN(r1->smax, r2->smax);
			r2->umin = r1->umin;
			r2->umax = r1->umax;
			r2->smin = r1->smin;
			r2->smax = r1->smax;
			r1->var_off = vf_tnum_intersect(r1->var_off, r2->var_off);
			r2->var_off = r1->var_off;
		}
		break;
	case BPF_JNE:
		if (!vf_reg_is_const(r2, is32)) {
			t = r1;
			r1 = r2;
			r2 = t;
		}
		if (!vf_reg_is_const(r2, is32))
			break;
		val = vf_reg_const(r2, is32);
		if (is32) {
			if (r1->u32_min == (uint32_t)val)
				r1->u32_min++;
			if (r1->u32_max == (uint32_t)val)
				r1->u32_max--;
			if (r1->s32_min == (int32_t)val)
				r1->s32_min++;
			if (r1->s32_max == (int32_t)val)
				r1->s32_max--;
		} else {
			if (r1->umin == val)
				r1->umin++;
			if (r1->umax == val)
				r1->umax--;
			if (r1->smin == (int64_t)val)
				r1->smin++;
			if (r1->smax == (int64_t)val)
				r1->smax--;
		}
		break;
	case BPF_JSET:
		if (!vf_reg_is_const(r2, is32)) {
			t = r1;
			r1 = r2;
			r2 = t;
		}
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
		if (!vf_reg_is_const(r2, is32)) {
			t = r1;
			r1 = r2;
			r2 = t;
		}
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
		if (is32) {
			r1->u32_max = MIN(r1->u32_max, r2->u32_max);
			r2->u32_min = MAX(r1->u32_min, r2->u32_min);
		} else {
			r1->umax = MIN(r1->umax, r2->umax);
			r2->umin = MAX(r1->umin, r2->umin);
		}
		break;
	case BPF_JLT:
		if (is32) {
			r1->u32_max = MIN(r1->u32_max, r2->u32_max - 1);
			r2->u32_min = MAX(r1->u32_min + 1, r2->u32_min);
		} else {
			r1->umax = MIN(r1->umax, r2->umax - 1);
			r2->umin = MAX(r1->umin + 1, r2->umin);
		}
		break;
	case BPF_JSLE:
		if (is32) {
			r1->s32_max = MIN(r1->s32_max, r2->s32_max);
			r2->s32_min = MAX(r1->s32_min, r2->s32_min);
		} else {
			r1->smax = MIN(r1->smax, r2->smax);
			r2->smin = MAX(r1->smin, r2->smin);
		}
		break;
	case BPF_JSLT:
		if (is32) {
			/* wrapping arithmetic, as the kernel's (-fno-strict-overflow) */
			r1->s32_max = MIN(r1->s32_max, (int32_t)((uint32_t)r2->s32_max - 1));
			r2->s32_min = MAX((int32_t)((uint32_t)r1->s32_min + 1), r2->s32_min);
		} else {
			r1->smax = MIN(r1->smax, (int64_t)((uint64_t)r2->smax - 1));
			r2->smin = MAX((int64_t)((uint64_t)r1->smin + 1), r2->smin);
		}
		break;
	default:
		break;
	}
}
