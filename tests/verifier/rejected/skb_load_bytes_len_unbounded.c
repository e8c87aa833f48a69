/* helper_size_unbounded.c - rejected: bpf_skb_load_bytes copies a length
 * taken from the packet into a stack buffer; the length is checked against
 * zero but not against the buffer size, so its upper bound is unknown. */
// expect: R4 unbounded memory access, use 'var &= const' or 'if (var < const)'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int copy_len(struct __sk_buff *skb)
{
	char buf[64];
	__u32 len;
	if (bpf_skb_load_bytes(skb, 0, &len, sizeof(len)) < 0)
		return 0;
	if (len == 0)
		return 0;
	if (bpf_skb_load_bytes(skb, 4, buf, len) < 0) /* missing: len <= sizeof(buf) */
		return 0;
	return buf[0];
}

char LICENSE[] SEC("license") = "GPL";
