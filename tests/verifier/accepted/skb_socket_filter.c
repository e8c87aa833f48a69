/* skb_socket_filter.c - accepted: a socket filter that reads the
 * __sk_buff fields a socket filter may read (len, protocol, pkt_type,
 * ifindex, mark, priority, hash, cb[], queue_mapping, vlan fields) and
 * writes a cb[] slot, which it may. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int skb_fields(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_IPV6))
		return 0;
	if (skb->pkt_type == PACKET_OUTGOING)
		return 0;
	__u32 score = skb->len + skb->ifindex + skb->mark + skb->priority + skb->hash;
	score ^= skb->queue_mapping;
	if (skb->vlan_present)
		score += skb->vlan_tci;
	skb->cb[0] = score;
	return skb->cb[1] == 0 ? skb->len : 64;
}

char LICENSE[] SEC("license") = "GPL";
