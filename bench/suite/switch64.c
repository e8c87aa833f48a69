/* switch64.c - benchmark 7: a 64-way switch. For each of 256 pseudo-random
 * selector bytes (an array map's value), the low 6 bits pick one of 64
 * cases, each a different small computation on an accumulator (eight shapes
 * of operation with different constants, so the compiler cannot turn the
 * switch into a table of values). BPF has no indirect jump: clang lowers
 * the switch to a tree of compares; natively it is a jump table. Returns
 * the low 32 bits of the accumulator. */
#include "suite.h"

#define SWITCH_LEN 256

struct switch_buf {
	__u8 sel[SWITCH_LEN];
};

SUITE_MAP(switch_data, BPF_MAP_TYPE_ARRAY, __u32, struct switch_buf, 1);

/* Eight shapes of operation; k (0..63) makes each case's constants unique. */
#define SHAPE0(k) acc = acc * (2 * (k) + 3) + (k)
#define SHAPE1(k) acc ^= acc >> ((k) % 29 + 3)
#define SHAPE2(k) acc = (acc << ((k) % 7 + 1)) + (acc >> (57 - (k) % 7)) + (k)
#define SHAPE3(k) acc += (acc ^ (0x9e3779b9ULL * (k + 1))) >> 3
#define SHAPE4(k) acc -= acc << ((k) % 5 + 2)
#define SHAPE5(k) acc = (acc | (k)) * 0xff51afd7ed558ccdULL
#define SHAPE6(k) acc ^= (acc + (k)) << ((k) % 11 + 1)
#define SHAPE7(k) acc = ~acc + ((k) << 8)

#define CASE(k, s)             \
	case k:                \
		SHAPE##s(k);   \
		break;
#define CASES8(b)          \
	CASE(b + 0, 0)     \
	CASE(b + 1, 1)     \
	CASE(b + 2, 2)     \
	CASE(b + 3, 3)     \
	CASE(b + 4, 4)     \
	CASE(b + 5, 5)     \
	CASE(b + 6, 6)     \
	CASE(b + 7, 7)

SUITE_PROG(switch64)
{
	__u32 key = 0;
	struct switch_buf *buf = bpf_map_lookup_elem(&switch_data, &key);
	if (!buf)
		return 0;
	__u64 acc = 0x0123456789abcdefULL;
	for (__u32 i = 0; i < SWITCH_LEN; i++) {
		switch (buf->sel[i] & 63) {
			CASES8(0)
			CASES8(8)
			CASES8(16)
			CASES8(24)
			CASES8(32)
			CASES8(40)
			CASES8(48)
			CASES8(56)
		}
	}
	return (int)(acc ^ (acc >> 32));
}

SUITE_LICENSE;
