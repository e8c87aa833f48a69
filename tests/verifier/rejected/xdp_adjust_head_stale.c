/* xdp_adjust_head_stale.c - rejected: a header pointer checked before
 * bpf_xdp_adjust_head is used after it; the helper moves the packet, so
 * the verifier turns every packet pointer into an unusable scalar. */
// expect: invalid mem access 'scalar'
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int push_tag(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_DROP;
	/* missing: reload ctx->data and ctx->data_end and check again */
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
