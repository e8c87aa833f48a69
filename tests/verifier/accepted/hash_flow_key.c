/* hash_flow_key.c - accepted: a socket filter that builds a flow key struct
 * on the stack (zeroed first, so the padding is initialized), looks it up
 * in a hash map and inserts it when missing, then updates the value. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u8 proto;
	/* 3 bytes of padding */
};

struct flow_val {
	__u64 packets;
	__u64 last_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

SEC("socket")
int track_flows(struct __sk_buff *skb)
{
	struct iphdr ip;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0)
		return 0;
	struct flow_key key;
	__builtin_memset(&key, 0, sizeof(key));
	key.saddr = ip.saddr;
	key.daddr = ip.daddr;
	key.proto = ip.protocol;
	struct flow_val *v = bpf_map_lookup_elem(&flows, &key);
	if (!v) {
		struct flow_val init = { 0, 0 };
		bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&flows, &key);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->packets, 1);
	v->last_len = skb->len;
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
