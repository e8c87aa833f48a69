/* array_no_null_check.c - rejected: an array lookup whose key comes from
 * the packet metadata may fail (key >= max_entries), and the result is
 * dereferenced without checking it for NULL. */
// expect: invalid mem access 'map_value_or_null'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} per_type SEC(".maps");

SEC("socket")
int no_null(struct __sk_buff *skb)
{
	__u32 key = skb->pkt_type;
	__u64 *v = bpf_map_lookup_elem(&per_type, &key);
	return *v; /* missing: if (!v) return 0; */
}

char LICENSE[] SEC("license") = "GPL";
