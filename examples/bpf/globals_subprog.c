/* globals_subprog.c - global data and subprograms: an XDP program that
 * hashes a few header fields with a static subprogram (mix), stirs the hash
 * with bpf_loop and a callback (mix_round, referenced by address), picks a
 * histogram bucket with a global function (bucket_of) and keeps its state
 * in .data (seed, frames seen), .rodata (loop rounds) and .bss (histogram,
 * total bytes). Passes frames whose hash is even and drops the others.
 *
 *   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c globals_subprog.c */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#define NBUCKETS 16

__u32 hash_seed = 0x9e3779b9;          /* .data */
__u64 frames_seen = 0x100;             /* .data (starts at 256) */
const volatile __u32 mix_rounds = 5;   /* .rodata */
__u64 histogram[NBUCKETS];             /* .bss */
__u64 total_bytes;                     /* .bss */

static __attribute__((noinline)) __u32 mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x01000193;
	return h ^ (h >> 15);
}

struct mix_ctx {
	__u32 h;
};

static int mix_round(__u32 i, struct mix_ctx *c)
{
	c->h = mix(c->h, i);
	return 0;
}

__attribute__((noinline)) int bucket_of(__u32 h)
{
	return (h ^ (h >> 4) ^ (h >> 8)) & (NBUCKETS - 1);
}

SEC("xdp")
int globals_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__u32 len = data_end - data;
	struct mix_ctx c = { .h = mix(hash_seed, eth->h_proto) };
	c.h = mix(c.h, len);
	c.h = mix(c.h, eth->h_dest[5]);
	bpf_loop(mix_rounds, mix_round, &c, 0);
	int b = bucket_of(c.h);
	histogram[b & (NBUCKETS - 1)]++;
	total_bytes += len;
	frames_seen++;
	return c.h & 1 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
