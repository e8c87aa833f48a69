/* ringbuf.c - a ring buffer producer: an XDP program that describes every
 * frame in a record. IPv4 frames get a struct pkt_event reserved in the
 * ring buffer and filled in place (bpf_ringbuf_reserve/submit); other frames
 * a shorter struct other_event copied in with bpf_ringbuf_output. Frames
 * shorter than 60 bytes are reserved and then discarded (bpf_ringbuf_discard),
 * so they leave no record. The host reads the records in order.
 *
 *   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c ringbuf.c */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define EVENT_IPV4 1
#define EVENT_OTHER 2

struct pkt_event {
	__u32 kind;      /* EVENT_IPV4 */
	__u32 len;
	__u32 saddr, daddr;
	__u8 protocol, ttl;
	__u16 tot_len;   /* host byte order */
};

struct other_event {
	__u32 kind;      /* EVENT_OTHER */
	__u32 len;
	__u16 eth_proto; /* host byte order */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} events SEC(".maps");

SEC("xdp")
int ringbuf_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if (eth->h_proto == bpf_htons(ETH_P_IP) && (void *)(ip + 1) <= data_end) {
		struct pkt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			return XDP_PASS;
		if (len < 60) {
			bpf_ringbuf_discard(e, 0);
			return XDP_PASS;
		}
		e->kind = EVENT_IPV4;
		e->len = len;
		e->saddr = ip->saddr;
		e->daddr = ip->daddr;
		e->protocol = ip->protocol;
		e->ttl = ip->ttl;
		e->tot_len = bpf_ntohs(ip->tot_len);
		bpf_ringbuf_submit(e, 0);
		return XDP_PASS;
	}
	struct other_event o = { EVENT_OTHER, len, bpf_ntohs(eth->h_proto), 0 };
	bpf_ringbuf_output(&events, &o, sizeof(o), 0);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
