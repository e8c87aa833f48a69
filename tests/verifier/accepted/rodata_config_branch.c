/* rodata_config_branch.c - accepted: a const volatile .rodata config (set
 * by the loader before load, frozen at load) steers a branch; the verifier
 * knows its value, so only the taken side is checked: the other side
 * reads a stack buffer at an unbounded index and would be rejected. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 fast_path = 1;

SEC("socket")
int configured(struct __sk_buff *skb)
{
	volatile unsigned char table[16] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 };
	if (fast_path)
		return skb->len;
	return table[skb->len]; /* dead code while fast_path is 1 */
}

char LICENSE[] SEC("license") = "GPL";
