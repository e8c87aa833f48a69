/* tail_call_dispatch.c - accepted: an XDP dispatcher that tail-calls the
 * program stored in a prog_array under the packet's first byte (bounded by
 * the map size) and passes the packet when the slot is empty. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	if (p + 1 > end)
		return XDP_DROP;
	__u32 slot = p[0] & 3;
	bpf_tail_call(ctx, &jump, slot);
	return XDP_PASS; /* no program in that slot */
}

char LICENSE[] SEC("license") = "GPL";
