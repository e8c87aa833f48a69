/* xdp_bounded_loop.c - accepted: an XDP program that sums the first bytes
 * of the packet in a bounded loop, checking data_end at every step. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int sum_bytes(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 sum = 0;
	for (int i = 0; i < 32; i++) {
		if (p + i + 1 > end)
			break;
		sum += p[i];
	}
	return sum & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
