/* percpu_counters.c - accepted: a socket filter that keeps packet and byte
 * counters per packet type in a per-CPU array; the index is clamped before
 * the lookup and the result is checked for NULL. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct counters);
} stats SEC(".maps");

SEC("socket")
int count_types(struct __sk_buff *skb)
{
	__u32 key = skb->pkt_type;
	if (key >= 8)
		key = 7;
	struct counters *c = bpf_map_lookup_elem(&stats, &key);
	if (!c)
		return 0;
	c->packets++;
	c->bytes += skb->len;
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
