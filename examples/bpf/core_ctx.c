/* core_ctx.c - CO-RE against the program contexts: the context structs are
 * declared here with a ___local flavour, fewer fields, another order and
 * preserve_access_index, so every field access carries a relocation that
 * the loader resolves to the real layout of struct __sk_buff / struct
 * xdp_md (bpfvm's, or the kernel's through libbpf). A field that neither
 * has is only tested with bpf_core_field_exists (0).
 *
 * core_skb (socket filter) returns the frame's length plus 1 for IPv4;
 * core_xdp (XDP) passes frames longer than 100 bytes and drops the others.
 * Both add what they saw to core_stats.
 *
 *   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c core_ctx.c */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

struct __sk_buff___local {
	__u32 ifindex;
	__u32 not_in_any_kernel;
	__u32 protocol;
	__u32 len;
} __attribute__((preserve_access_index));

struct xdp_md___local {
	__u32 data_end;
	__u32 data;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} core_stats SEC(".maps");

static __always_inline void bump(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&core_stats, &k);
	if (p)
		__sync_fetch_and_add(p, v);
}

/* Returns the frame's length, plus 1 when it is IPv4, plus 2 when the
 * (missing) field exists. */
SEC("socket")
int core_skb(struct __sk_buff *ctx)
{
	struct __sk_buff___local *skb = (void *)ctx;
	__u32 len = skb->len;
	__u32 v4 = skb->protocol == bpf_htons(0x0800);
	__u32 extra = bpf_core_field_exists(skb->not_in_any_kernel) ? 2 : 0;
	bump(0, len);
	bump(1, bpf_core_field_size(skb->protocol));
	return len + v4 + extra;
}

SEC("xdp")
int core_xdp(struct xdp_md *ctx)
{
	struct xdp_md___local *md = (void *)ctx;
	void *data = (void *)(long)md->data;
	void *data_end = (void *)(long)md->data_end;
	__u64 len = data_end - data;
	bump(2, len);
	bump(3, bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ringbuf_output));
	return len > 100 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
