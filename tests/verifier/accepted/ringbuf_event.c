/* ringbuf_event.c - accepted: an XDP program that reserves a struct in a
 * ring buffer, fills it from the packet (after a bounds check) and the
 * context, and submits it on every path after a successful reserve. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 ifindex;
	__u32 len;
	__u8 dst[ETH_ALEN];
	__u16 proto;
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int report(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return XDP_PASS;
	e->ifindex = ctx->ingress_ifindex;
	e->len = end - data;
	e->ts = bpf_ktime_get_ns();
	if ((void *)(eth + 1) > end) {
		bpf_ringbuf_discard(e, 0);
		return XDP_PASS;
	}
	__builtin_memcpy(e->dst, eth->h_dest, ETH_ALEN);
	e->proto = eth->h_proto;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
