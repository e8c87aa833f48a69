/* tail_call.c - a tail-call chain through a prog_array whose slots are
 * filled from the object itself (values = {...}): the XDP entry program
 * dispatches on the Ethernet type to parse_ipv4 (slot 0) or parse_ipv6
 * (slot 1); ARP would go to slot 2, which is empty, so the call falls
 * through. parse_ipv4 hands TCP and UDP on to count_l4 (slot 3). Every stage
 * counts its runs in stage_hits; the return value says where a packet
 * ended: XDP_PASS from entry (not IP) or count_l4 (TCP/UDP), XDP_DROP from
 * parse_ipv4 (other IPv4), XDP_TX from parse_ipv6.
 *
 *   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c tail_call.c */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { STAGE_ENTRY, STAGE_IPV4, STAGE_IPV6, STAGE_L4, NSTAGES };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, NSTAGES);
} stage_hits SEC(".maps");

static __always_inline void hit(__u32 stage)
{
	__u64 *v = bpf_map_lookup_elem(&stage_hits, &stage);
	if (v)
		__sync_fetch_and_add(v, 1);
}

int parse_ipv4(struct xdp_md *ctx);
int parse_ipv6(struct xdp_md *ctx);
int count_l4(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = {
		[0] = (void *)&parse_ipv4,
		[1] = (void *)&parse_ipv6,
		[3] = (void *)&count_l4,
	},
};

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	hit(STAGE_ENTRY);
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &jmp_table, 0);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &jmp_table, 1);
	else if (eth->h_proto == bpf_htons(ETH_P_ARP))
		bpf_tail_call(ctx, &jmp_table, 2);
	return XDP_PASS;
}

SEC("xdp")
int parse_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	hit(STAGE_IPV4);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP)
		bpf_tail_call(ctx, &jmp_table, 3);
	return XDP_DROP;
}

SEC("xdp")
int parse_ipv6(struct xdp_md *ctx)
{
	hit(STAGE_IPV6);
	return XDP_TX;
}

SEC("xdp")
int count_l4(struct xdp_md *ctx)
{
	hit(STAGE_L4);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
