/* loop_and_bpf_loop.c - accepted: a socket filter with a real (not
 * unrolled) bounded loop over the first packet bytes, read with
 * bpf_skb_load_bytes into a stack buffer, and the same sum done again by a
 * bpf_loop callback that checks its index against the buffer size. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N 16

struct sum_ctx {
	unsigned char *buf;
	__u32 sum;
};

static long add_byte(__u32 i, void *data)
{
	struct sum_ctx *c = data;
	if (i >= N)
		return 1; /* stop */
	c->sum += c->buf[i];
	return 0;
}

SEC("socket")
int loops(struct __sk_buff *skb)
{
	unsigned char buf[N];
	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)) < 0)
		return 0;
	__u32 sum = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < N; i++)
		sum += buf[i];
	struct sum_ctx c = { .buf = buf, .sum = 0 };
	bpf_loop(N, add_byte, &c, 0);
	return sum == c.sum ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
