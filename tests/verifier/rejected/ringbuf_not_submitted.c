/* ringbuf_not_submitted.c - rejected: a ring buffer record is reserved but
 * one path (short packets) returns without submitting or discarding it,
 * leaking the reference. */
// expect: Unreleased reference
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 len;
	__u16 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int leak(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return XDP_PASS;
	if ((void *)(eth + 1) > end)
		return XDP_DROP; /* forgot bpf_ringbuf_discard(e, 0) */
	e->len = end - data;
	e->proto = eth->h_proto;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
