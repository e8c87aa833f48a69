/* socket_write_skb_len.c - rejected: a socket filter tries to truncate the
 * packet by assigning skb->len; only cb[] (and a few fields other program
 * types own) may be written, so the store is a bad context access. */
// expect: invalid bpf_context access off=0 size=4
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int truncate_len(struct __sk_buff *skb)
{
	if (skb->len > 128)
		skb->len = 128; /* return 128 instead: the filter's result is the length kept */
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
