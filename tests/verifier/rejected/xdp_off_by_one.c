/* xdp_off_by_one.c - rejected: the bounds check proves 14 bytes (the
 * Ethernet header) but the program reads the byte after them: p[14] is one
 * past the checked length. */
// expect: invalid access to packet, off=14 size=1
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int off_by_one(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	if (p + 14 > end)
		return XDP_DROP;
	return p[14] == 0x45 ? XDP_PASS : XDP_DROP; /* should check p + 15 */
}

char LICENSE[] SEC("license") = "GPL";
