/* rodata_write.c - rejected: a program casts away const and writes a
 * .rodata config variable; .rodata is a frozen map that programs may only
 * read (BPF_F_RDONLY_PROG). */
// expect: write into map forbidden
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 threshold = 100;

SEC("socket")
int write_rodata(struct __sk_buff *skb)
{
	if (skb->len > threshold)
		*(volatile __u32 *)&threshold = skb->len; /* a read-only map value */
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
