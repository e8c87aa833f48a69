/* global_func_arg.c - a global function indexes a map value with its scalar argument; every
 * caller passes a small constant, but the kernel verifies a global function for any argument. */
// expect: R0 unbounded memory access, make sure to bounds check any such access
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct val { __u64 slot[4]; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} m SEC(".maps");
__attribute__((noinline)) int bump(__u32 i)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&m, &k);
	if (!v)
		return 0;
	v->slot[i]++;
	return 1;
}
SEC("socket")
int use_global(struct __sk_buff *skb)
{
	return bump(2) + skb->len;
}
char LICENSE[] SEC("license") = "GPL";
