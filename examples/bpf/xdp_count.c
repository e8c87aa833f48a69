/* xdp_count.c - an XDP program that counts packets and bytes per IPv4
 * source address in a hash map and drops the packets of one configured
 * address: blocked_saddr in .rodata (set it before running; 0 blocks
 * nothing), with the number dropped in a .bss counter. Everything else
 * passes.
 *
 *   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c xdp_count.c */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct src_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);                /* IPv4 source address, network byte order */
	__type(value, struct src_stats);
	__uint(max_entries, 1024);
} src_count SEC(".maps");

const volatile __u32 blocked_saddr = 0; /* network byte order; 0: none */
__u64 dropped = 0;                      /* .bss */

SEC("xdp")
int xdp_count_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	__u32 saddr = ip->saddr;
	__u64 len = data_end - data;
	struct src_stats *st = bpf_map_lookup_elem(&src_count, &saddr);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, len);
	} else {
		struct src_stats init = { 1, len };
		bpf_map_update_elem(&src_count, &saddr, &init, BPF_NOEXIST);
	}
	if (blocked_saddr && saddr == blocked_saddr) {
		__sync_fetch_and_add(&dropped, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
