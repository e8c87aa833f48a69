/* xdp_parser.c - test object for the disassembler tests: an XDP program that
 * parses Ethernet, VLAN tags, IPv4 (with options) and IPv6 (with extension
 * headers), then TCP/UDP/ICMP, with the bounds checks the verifier wants, a
 * switch on the protocol and byte swaps. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* <linux/icmp.h> drags in libc headers; the part used here. */
struct icmp_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 rest;
};
#define ICMP_ECHO 8

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct flow {
	__u32 src, dst;
	__u16 sport, dport;
	__u8 proto;
	__u8 vlans;
	__u16 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow);
} last_flow SEC(".maps");

static __always_inline int parse_l4(void *l4, void *end, __u8 proto, struct flow *f)
{
	switch (proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;
		if ((void *)(th + 1) > end)
			return XDP_DROP;
		f->sport = bpf_ntohs(th->source);
		f->dport = bpf_ntohs(th->dest);
		if (th->syn && !th->ack && f->dport < 1024)
			return XDP_PASS;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;
		if ((void *)(uh + 1) > end)
			return XDP_DROP;
		f->sport = bpf_ntohs(uh->source);
		f->dport = bpf_ntohs(uh->dest);
		if (f->dport == 53 || f->sport == 53)
			return XDP_PASS;
		break;
	}
	case IPPROTO_ICMP: {
		struct icmp_hdr *ih = l4;
		if ((void *)(ih + 1) > end)
			return XDP_DROP;
		if (ih->type == ICMP_ECHO)
			return XDP_TX;
		break;
	}
	default:
		return XDP_PASS;
	}
	return XDP_ABORTED + 2;
}

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0;
	struct flow *f = bpf_map_lookup_elem(&last_flow, &zero);
	if (!f)
		return XDP_ABORTED;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;

	__u16 proto = eth->h_proto;
	void *cur = eth + 1;
	f->vlans = 0;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vh = cur;
		if ((void *)(vh + 1) > end)
			return XDP_DROP;
		proto = vh->proto;
		cur = vh + 1;
		f->vlans++;
	}

	switch (bpf_ntohs(proto)) {
	case ETH_P_IP: {
		struct iphdr *iph = cur;
		if ((void *)(iph + 1) > end)
			return XDP_DROP;
		__u32 hl = iph->ihl * 4;
		if (hl < sizeof(*iph) || cur + hl > end)
			return XDP_DROP;
		f->src = __builtin_bswap32(iph->saddr);
		f->dst = __builtin_bswap32(iph->daddr);
		f->len = bpf_ntohs(iph->tot_len);
		f->proto = iph->protocol;
		if (iph->frag_off & bpf_htons(0x3fff))
			return XDP_PASS;
		return parse_l4(cur + hl, end, iph->protocol, f);
	}
	case ETH_P_IPV6: {
		struct ipv6hdr *ip6 = cur;
		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		__u8 nh = ip6->nexthdr;
		cur = ip6 + 1;
		f->src = __builtin_bswap32(ip6->saddr.in6_u.u6_addr32[3]);
		f->dst = __builtin_bswap32(ip6->daddr.in6_u.u6_addr32[3]);
		f->len = __builtin_bswap16(ip6->payload_len);
		/* Skip up to four extension headers. */
		for (int i = 0; i < 4; i++) {
			if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS)
				break;
			__u8 *ext = cur;
			if ((void *)(ext + 2) > end)
				return XDP_DROP;
			nh = ext[0];
			cur += (ext[1] + 1) * 8;
		}
		f->proto = nh;
		return parse_l4(cur, end, nh, f);
	}
	case ETH_P_ARP:
		return XDP_PASS;
	default:
		return XDP_DROP;
	}
}

char _license[] SEC("license") = "GPL";
