/* stack_index_unbounded.c - rejected: a lookup table on the stack indexed
 * by a packet byte that was never compared with the table size. */
// expect: invalid unbounded variable-offset read from stack
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int table_index(struct __sk_buff *skb)
{
	volatile unsigned char table[16] = { 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 };
	__u32 idx;
	if (bpf_skb_load_bytes(skb, 0, &idx, sizeof(idx)) < 0)
		return 0;
	return table[idx]; /* missing: idx & 15 or idx < 16 */
}

char LICENSE[] SEC("license") = "GPL";
