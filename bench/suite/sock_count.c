/* sock_count.c - benchmark 1: the seed's sock_example packet counter (the
 * kernel's samples/bpf/sockex1): read the IP protocol byte of the frame with
 * load_byte (LD_ABS, the frame from its Ethernet header as on a packet
 * socket) and count packets and bytes per protocol in an array map with
 * atomic adds. Input: one full-sized TCP/IPv4 frame (1514 bytes). Returns
 * the frame's length. */
#include "suite.h"

struct sock_count_stats {
	__u64 packets;
	__u64 bytes;
};

SUITE_MAP(sock_counts, BPF_MAP_TYPE_ARRAY, __u32, struct sock_count_stats, 256);

SUITE_PROG(sock_count)
{
	__u32 index = load_byte(skb, 14 + 9); /* ETH_HLEN + offsetof(struct iphdr, protocol) */
	struct sock_count_stats *st = bpf_map_lookup_elem(&sock_counts, &index);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, skb->len);
	}
	return skb->len;
}

SUITE_LICENSE;
