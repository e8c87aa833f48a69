/* xdp_parse_l4.c - accepted: an XDP parser that walks Ethernet, up to two
 * VLAN tags, IPv4 (with options) or IPv6, and TCP, comparing every header's
 * end with data_end before reading it, and drops TCP packets to port 23. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

SEC("xdp")
int parse_l4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	void *cur = eth + 1;
	__be16 proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (!is_vlan(proto))
			break;
		struct vlan_hdr *vh = cur;
		if ((void *)(vh + 1) > end)
			return XDP_DROP;
		proto = vh->proto;
		cur = vh + 1;
	}
	__u8 l4;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = cur;
		if ((void *)(ip + 1) > end)
			return XDP_DROP;
		if (ip->ihl < 5)
			return XDP_DROP;
		l4 = ip->protocol;
		cur = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cur;
		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		l4 = ip6->nexthdr;
		cur = ip6 + 1;
	} else {
		return XDP_PASS;
	}
	if (l4 != IPPROTO_TCP)
		return XDP_PASS;
	struct tcphdr *tcp = cur;
	if ((void *)(tcp + 1) > end)
		return XDP_DROP;
	if (tcp->dest == bpf_htons(23) && tcp->syn)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
