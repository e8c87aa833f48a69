/* sock_example.c - the kernel's samples/bpf/sockex1 in C, as bpfvm's seed
 * program does it in bytecode: a socket filter that reads the IP protocol
 * byte with load_byte (LD_ABS, the frame from its Ethernet header, as on a
 * packet socket) and counts packets and bytes per protocol in an array map.
 * Returns the frame's length: keep the whole packet.
 *
 *   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c sock_example.c
 *   bpfvm run sock_example.o --pcap examples/data/sample.pcap */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>

/* The legacy packet load, as LLVM's intrinsic (what samples/bpf uses). */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct proto_stats);
	__uint(max_entries, 256);
} proto_count SEC(".maps");

SEC("socket")
int sock_prog(struct __sk_buff *skb)
{
	__u32 index = load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol));
	struct proto_stats *st = bpf_map_lookup_elem(&proto_count, &index);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, skb->len);
	}
	return skb->len;
}

char _license[] SEC("license") = "GPL";
