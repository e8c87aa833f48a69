/* hash_heavy.c - benchmark 2: hash-map heavy. 1,000 iterations, each a
 * bpf_map_lookup_elem and a bpf_map_update_elem (BPF_ANY) on a hash map of
 * 512 u32 keys spread by a multiplicative hash; the stored value counts
 * updates. Once warm every lookup hits: returns the number of hits (1000). */
#include "suite.h"

#define HASH_ITERS 1000
#define HASH_KEYS 512

SUITE_MAP(hash_tbl, BPF_MAP_TYPE_HASH, __u32, __u64, 1024);

SUITE_PROG(hash_heavy)
{
	__u32 hits = 0;
	for (__u32 i = 0; i < HASH_ITERS; i++) {
		__u32 key = (i * 2654435761u) >> 23; /* 0..511 */
		__u64 *v = bpf_map_lookup_elem(&hash_tbl, &key);
		__u64 val = 1;
		if (v) {
			val = *v + 1;
			hits++;
		}
		bpf_map_update_elem(&hash_tbl, &key, &val, BPF_ANY);
	}
	return hits;
}

SUITE_LICENSE;
