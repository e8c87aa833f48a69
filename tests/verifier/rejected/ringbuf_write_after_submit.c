/* ringbuf_write_after_submit.c - rejected: a field of a ring buffer record
 * is written after bpf_ringbuf_submit released it; the pointer is no
 * longer valid. */
// expect: invalid mem access 'scalar'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 len;
	__u32 done;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int late_write(struct __sk_buff *skb)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->len = skb->len;
	bpf_ringbuf_submit(e, 0);
	e->done = 1; /* the record belongs to the consumer now */
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
