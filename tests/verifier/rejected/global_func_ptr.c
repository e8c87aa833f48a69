/* global_func_ptr.c - a global function dereferences its pointer argument without a NULL check. */
// expect: R1 invalid mem access 'mem_or_null'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
__attribute__((noinline)) int first(int *p)
{
	return *p;
}
SEC("socket")
int use_global(struct __sk_buff *skb)
{
	int x = skb->len;
	return first(&x);
}
char LICENSE[] SEC("license") = "GPL";
