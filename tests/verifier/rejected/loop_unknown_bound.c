/* loop_unknown_bound.c - rejected: a loop bounded by skb->len, which can
 * be up to 4 GiB as far as the verifier knows; it walks the iterations one
 * by one until it hits the limit of processed instructions. */
// expect: BPF program is too large. Processed 1000001 insn
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int unknown_bound(struct __sk_buff *skb)
{
	__u32 h = 0;
	for (__u32 i = 0; i < skb->len; i++)
		h = h * 31 + i;
	return h & 1 ? 0 : skb->len;
}

char LICENSE[] SEC("license") = "GPL";
