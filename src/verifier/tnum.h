/* tnum.h - tracked numbers: the known bits of a 64-bit value. A tnum is a
 * (value, mask) pair; bits set in mask are unknown, the others equal the
 * bits of value (value & mask is always 0). The verifier keeps one per
 * scalar next to its signed and unsigned ranges. */
#ifndef BPFVM_VERIFIER_TNUM_H
#define BPFVM_VERIFIER_TNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tnum {
	uint64_t value;
	uint64_t mask;
};

#define TNUM_UNKNOWN ((struct tnum){ 0, UINT64_MAX })

static inline struct tnum tnum_const(uint64_t v) { return (struct tnum){ v, 0 }; }
static inline bool tnum_is_const(struct tnum a) { return a.mask == 0; }
static inline bool tnum_is_unknown(struct tnum a) { return a.mask == UINT64_MAX; }
static inline bool tnum_equals_const(struct tnum a, uint64_t v) { return a.mask == 0 && a.value == v; }
/* The smallest and largest values a can hold (as unsigned). */
static inline uint64_t tnum_umin(struct tnum a) { return a.value; }
static inline uint64_t tnum_umax(struct tnum a) { return a.value | a.mask; }

/* The tnum of every value in [min, max]. */
struct tnum vf_tnum_range(uint64_t min, uint64_t max);
/* The smallest member of a that is greater than z; a's largest member when
 * there is none (z >= it), a's smallest when z is below it. */
uint64_t vf_tnum_step(struct tnum a, uint64_t z);
struct tnum vf_tnum_lshift(struct tnum a, unsigned shift);
struct tnum vf_tnum_rshift(struct tnum a, unsigned shift);
/* Arithmetic shift of the low insn_bitness bits (32 or 64). */
struct tnum vf_tnum_arshift(struct tnum a, unsigned shift, unsigned insn_bitness);
struct tnum vf_tnum_add(struct tnum a, struct tnum b);
struct tnum vf_tnum_sub(struct tnum a, struct tnum b);
struct tnum vf_tnum_neg(struct tnum a);
struct tnum vf_tnum_and(struct tnum a, struct tnum b);
struct tnum vf_tnum_or(struct tnum a, struct tnum b);
struct tnum vf_tnum_xor(struct tnum a, struct tnum b);
struct tnum vf_tnum_mul(struct tnum a, struct tnum b);
/* Values both a and b allow. */
struct tnum vf_tnum_intersect(struct tnum a, struct tnum b);
/* Values either allows (an over-approximation of the union). */
struct tnum vf_tnum_union(struct tnum a, struct tnum b);
/* The low size bytes (zero-extended). */
struct tnum vf_tnum_cast(struct tnum a, unsigned size);
/* Byte swaps of the low 16/32/64 bits. */
struct tnum vf_tnum_bswap16(struct tnum a);
struct tnum vf_tnum_bswap32(struct tnum a);
struct tnum vf_tnum_bswap64(struct tnum a);
/* 1 when every value of b is a value of a. */
bool vf_tnum_in(struct tnum a, struct tnum b);
/* 1 when every value of a is a multiple of size (a power of two). */
bool vf_tnum_is_aligned(struct tnum a, uint64_t size);

/* The 32-bit subregister: low half only, upper half zero. */
static inline struct tnum tnum_subreg(struct tnum a) { return vf_tnum_cast(a, 4); }
/* a with its low half cleared. */
static inline struct tnum tnum_clear_subreg(struct tnum a)
{
	return (struct tnum){ a.value & ~0xffffffffULL, a.mask & ~0xffffffffULL };
}
/* reg's upper half with subreg as the lower half. */
static inline struct tnum tnum_with_subreg(struct tnum reg, struct tnum subreg)
{
	return vf_tnum_or(tnum_clear_subreg(reg), tnum_subreg(subreg));
}
static inline struct tnum tnum_const_subreg(struct tnum a, uint32_t v)
{
	return tnum_with_subreg(a, tnum_const(v));
}
static inline bool tnum_subreg_is_const(struct tnum a) { return (uint32_t)a.mask == 0; }

/* "(0x5; 0xf0)" style text into buf; returns buf. */
char *vf_tnum_str(struct tnum a, char *buf, size_t len);

#endif
