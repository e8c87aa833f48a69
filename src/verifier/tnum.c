/* tnum.c - arithmetic on tracked numbers (tnum.h): the known-bits half of
 * the verifier's scalar tracking. Every operation returns a tnum that
 * contains every result the operation can give for values of its inputs. */
#include <stdio.h>

#include "tnum.h"

struct tnum vf_tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max;
	if (chi == 0)
		return tnum_const(min);
	/* the bits below and at the highest differing bit are unknown */
	unsigned bits = 64 - (unsigned)__builtin_clzll(chi);
	if (bits > 63)
		return TNUM_UNKNOWN;
	uint64_t delta = (1ULL << bits) - 1;
	return (struct tnum){ min & ~delta, delta };
}

struct tnum vf_tnum_lshift(struct tnum a, unsigned shift)
{
	shift &= 63;
	return (struct tnum){ a.value << shift, a.mask << shift };
}

struct tnum vf_tnum_rshift(struct tnum a, unsigned shift)
{
	shift &= 63;
	return (struct tnum){ a.value >> shift, a.mask >> shift };
}

struct tnum vf_tnum_arshift(struct tnum a, unsigned shift, unsigned insn_bitness)
{
	if (insn_bitness == 32) {
		shift &= 31;
		return (struct tnum){ (uint32_t)((int32_t)(uint32_t)a.value >> shift),
				      (uint32_t)((int32_t)(uint32_t)a.mask >> shift) };
	}
	shift &= 63;
	return (struct tnum){ (uint64_t)((int64_t)a.value >> shift), (uint64_t)((int64_t)a.mask >> shift) };
}

struct tnum vf_tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask;
	uint64_t sv = a.value + b.value;
	uint64_t sigma = sm + sv;
	uint64_t chi = sigma ^ sv;
	uint64_t mu = chi | a.mask | b.mask;
	return (struct tnum){ sv & ~mu, mu };
}

struct tnum vf_tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t alpha = dv + a.mask;
	uint64_t beta = dv - b.mask;
	uint64_t chi = alpha ^ beta;
	uint64_t mu = chi | a.mask | b.mask;
	return (struct tnum){ dv & ~mu, mu };
}

struct tnum vf_tnum_neg(struct tnum a)
{
	return vf_tnum_sub(tnum_const(0), a);
}

struct tnum vf_tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask;
	uint64_t beta = b.value | b.mask;
	uint64_t v = a.value & b.value;
	return (struct tnum){ v, alpha & beta & ~v };
}

struct tnum vf_tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask | b.mask;
	return (struct tnum){ v, mu & ~v };
}

struct tnum vf_tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t v = a.value ^ b.value;
	uint64_t mu = a.mask | b.mask;
	return (struct tnum){ v & ~mu, mu };
}

/* Shift-and-add: for each bit of a, add b (known) or a tnum of b's possible
 * bits (unknown bit). */
struct tnum vf_tnum_mul(struct tnum a, struct tnum b)
{
	struct tnum acc_v = tnum_const(a.value * b.value);
	struct tnum acc_m = tnum_const(0);
	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = vf_tnum_add(acc_m, (struct tnum){ 0, b.mask });
		else if (a.mask & 1)
			acc_m = vf_tnum_add(acc_m, (struct tnum){ 0, b.value | b.mask });
		a = vf_tnum_rshift(a, 1);
		b = vf_tnum_lshift(b, 1);
	}
	return vf_tnum_add(acc_v, acc_m);
}

struct tnum vf_tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask & b.mask;
	return (struct tnum){ v & ~mu, mu };
}

struct tnum vf_tnum_union(struct tnum a, struct tnum b)
{
	uint64_t mu = a.mask | b.mask | (a.value ^ b.value);
	return (struct tnum){ a.value & ~mu, mu };
}

struct tnum vf_tnum_cast(struct tnum a, unsigned size)
{
	if (size >= 8)
		return a;
	uint64_t keep = (1ULL << (size * 8)) - 1;
	return (struct tnum){ a.value & keep, a.mask & keep };
}

struct tnum vf_tnum_bswap16(struct tnum a)
{
	return (struct tnum){ __builtin_bswap16((uint16_t)a.value), __builtin_bswap16((uint16_t)a.mask) };
}

struct tnum vf_tnum_bswap32(struct tnum a)
{
	return (struct tnum){ __builtin_bswap32((uint32_t)a.value), __builtin_bswap32((uint32_t)a.mask) };
}

struct tnum vf_tnum_bswap64(struct tnum a)
{
	return (struct tnum){ __builtin_bswap64(a.value), __builtin_bswap64(a.mask) };
}

bool vf_tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	b.value &= ~a.mask;
	return a.value == b.value;
}

bool vf_tnum_is_aligned(struct tnum a, uint64_t size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

char *vf_tnum_str(struct tnum a, char *buf, size_t len)
{
	snprintf(buf, len, "(%#llx; %#llx)", (unsigned long long)a.value, (unsigned long long)a.mask);
	return buf;
}

uint64_t vf_tnum_step(struct tnum a, uint64_t z)
{
	uint64_t tmax = a.value | a.mask;
	if (z >= tmax)
		return tmax;
	if (z < a.value)
		return a.value;
	/* the smallest member >= w: keep w's bits above some position i,
	 * put a 1 at i where w has a 0 (a must allow it there), and a's
	 * smallest bits below i. The bits above i must be ones a allows, so i
	 * is at least the highest fixed bit where w and a differ; the lowest
	 * such i gives the smallest member. */
	uint64_t w = z + 1;
	uint64_t bad = (w ^ a.value) & ~a.mask;
	if (!bad)
		return w;
	int i = 63 - __builtin_clzll(bad);
	uint64_t can_set = (a.mask | a.value) & ~w;
	for (; i < 64; i++) {
		uint64_t bit = 1ULL << i;
		if (can_set & bit) {
			uint64_t below = bit - 1;
			uint64_t above = i == 63 ? 0 : ~((bit << 1) - 1);
			return (w & above) | bit | (a.value & below);
		}
	}
	return tmax; /* not reached: z < tmax leaves a member above z */
}
