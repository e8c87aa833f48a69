/* copy32k.c - benchmark 5: a byte-by-byte copy of 32 KiB from one array map
 * value to another (element 0 to element 1 of the same map). Returns a
 * checksum of a few copied bytes. */
#include "suite.h"

#define COPY_LEN 32768

struct copy_buf {
	__u8 b[COPY_LEN];
};

SUITE_MAP(copy_bufs, BPF_MAP_TYPE_ARRAY, __u32, struct copy_buf, 2);

SUITE_PROG(copy32k)
{
	__u32 k0 = 0, k1 = 1;
	struct copy_buf *src = bpf_map_lookup_elem(&copy_bufs, &k0);
	struct copy_buf *dst = bpf_map_lookup_elem(&copy_bufs, &k1);
	if (!src || !dst)
		return 0;
	for (__u32 i = 0; i < COPY_LEN; i++)
		dst->b[i] = src->b[i];
	return dst->b[0] | dst->b[COPY_LEN / 2] << 8 | dst->b[COPY_LEN - 1] << 16;
}

SUITE_LICENSE;
