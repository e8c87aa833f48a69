/* sockfilter.c - test object for the disassembler tests: a socket filter that
 * reads the packet with legacy LD_ABS/LD_IND loads and __sk_buff fields, looks
 * up per-protocol counters in maps and bumps them atomically. Compiled by
 * tests/unit/test_disasm.c with -DBPF_CPU=1..3 (clang 14 does not say which
 * -mcpu it targets); fetching atomics need v3. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef BPF_CPU
#define BPF_CPU 1
#endif

/* The legacy packet loads, as LLVM's intrinsics. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

struct counters {
	__u64 packets;
	__u64 bytes;
	__u32 small;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counters);
} proto_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} by_source SEC(".maps");

SEC("socket")
int count_protocols(struct __sk_buff *skb)
{
	if (load_half(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP)
		return 0;
	__u32 proto = load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol));
	__u32 ihl = (load_byte(skb, ETH_HLEN) & 0x0f) << 2;
	__u32 saddr = load_word(skb, ETH_HLEN + offsetof(struct iphdr, saddr));

	struct counters *c = bpf_map_lookup_elem(&proto_stats, &proto);
	if (!c)
		return 0;
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, skb->len);
	if (skb->len < 128)
		__sync_fetch_and_add(&c->small, 1);
#if BPF_CPU >= 3
	__u32 old = __sync_fetch_and_or(&c->flags, 1u << (proto & 31));
	if (old & 0x80000000u)
		__sync_fetch_and_and(&c->flags, 0x7fffffff);
	__sync_fetch_and_xor(&c->flags, ihl);
	__u64 prev = __sync_lock_test_and_set(&c->bytes, 0);
	__sync_val_compare_and_swap(&c->packets, prev, prev + 1);
	__sync_val_compare_and_swap(&c->small, 0, saddr);
#endif

	__u64 init = 1, *n = bpf_map_lookup_elem(&by_source, &saddr);
	if (n) {
#if BPF_CPU >= 3
		if (__sync_fetch_and_add(n, 1) > 1000000)
			return 0;
#else
		__sync_fetch_and_add(n, 1);
#endif
	} else {
		bpf_map_update_elem(&by_source, &saddr, &init, BPF_NOEXIST);
	}
	/* Keep the first ihl + 20 bytes: the IP header and the start of L4. */
	__u32 port = load_half(skb, ETH_HLEN + ihl + 2);
	if (proto == IPPROTO_TCP && (port == 22 || port == 443))
		return -1;
	return (int)(ihl + 20);
}

char _license[] SEC("license") = "GPL";
