/* socket_counters.c - accepted: a socket filter that reads the IP protocol
 * with LD_ABS (load_byte), counts in an array map and a global variable,
 * and calls a non-inlined subprogram. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} by_proto SEC(".maps");

__u64 total;

static __attribute__((noinline)) int keep(__u32 len)
{
	return len > 1500 ? 0 : -1;
}

SEC("socket")
int counters(struct __sk_buff *skb)
{
	__u32 proto = load_byte(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, protocol));
	__u64 *n = bpf_map_lookup_elem(&by_proto, &proto);
	if (n)
		__sync_fetch_and_add(n, 1);
	__sync_fetch_and_add(&total, 1);
	return keep(skb->len);
}

char LICENSE[] SEC("license") = "GPL";
