/* fnv1a.c - benchmark 4: 64-bit FNV-1a over 4 KiB of pseudo-random bytes
 * held in an array map's value (TEST_RUN cannot give a socket filter 4 KiB
 * of linear packet data). Returns the low 32 bits of the hash. */
#include "suite.h"

#define FNV_LEN 4096

struct fnv_buf {
	__u8 b[FNV_LEN];
};

SUITE_MAP(fnv_data, BPF_MAP_TYPE_ARRAY, __u32, struct fnv_buf, 1);

SUITE_PROG(fnv1a)
{
	__u32 key = 0;
	struct fnv_buf *buf = bpf_map_lookup_elem(&fnv_data, &key);
	if (!buf)
		return 0;
	__u64 h = 0xcbf29ce484222325ULL;
	for (__u32 i = 0; i < FNV_LEN; i++) {
		h ^= buf->b[i];
		h *= 0x100000001b3ULL;
	}
	return (int)(h ^ (h >> 32));
}

SUITE_LICENSE;
