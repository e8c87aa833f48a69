/* global_func_checked.c - accepted: global (non-static) functions are
 * verified once, on their own, for any arguments of their types: this one
 * checks its pointer for NULL and bounds its scalar index itself, and takes
 * the context as a typed pointer. Callers only have their arguments checked
 * (the kernel logs "Func#1 ('...') is global and assumed valid."). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counters {
	__u64 slot[8];
};

__attribute__((noinline)) int add_at(struct counters *c, __u32 i, struct __sk_buff *skb)
{
	if (!c)
		return 0;
	c->slot[i & 7] += skb->len;
	return 1;
}

SEC("socket")
int global_checked(struct __sk_buff *skb)
{
	struct counters c = {};
	int done = add_at(&c, skb->protocol, skb);
	done += add_at((void *)0, 3, skb);
	return done + (int)c.slot[1];
}

char _license[] SEC("license") = "GPL";
