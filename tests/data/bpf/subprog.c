/* subprog.c - test object for the disassembler tests: bpf-to-bpf calls to
 * static noinline subprograms, global data (.data, .bss, .rodata), bounded
 * loops, 32- and 64-bit arithmetic (shifts, unsigned division and modulo,
 * signed comparisons), 64-bit constants and byte swaps. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef BPF_CPU
#define BPF_CPU 1
#endif

int run_count = 3;                       /* .data */
__u64 histogram[16];                     /* .bss */
const char greeting[] = "hello, bpf\n";  /* .rodata */
static volatile __u32 seed = 0x2545f491; /* .data, kept by volatile */

static __attribute__((noinline)) __u32 mix32(__u32 x, __u32 k)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= k | 1;
	x ^= x >> 16;
	return x + (x << 3) - (x >> 2);
}

static __attribute__((noinline)) __u64 mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static __attribute__((noinline)) int clamp(int v, int lo, int hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

static __attribute__((noinline)) __u32 digits(__u32 v, __u32 base)
{
	__u32 n = 0;
	for (int i = 0; i < 32 && v; i++) {
		v /= base;
		n++;
	}
	return n;
}

static __attribute__((noinline)) __u64 swaps(__u64 a, __u32 b, __u16 c)
{
	return __builtin_bswap64(a) ^ __builtin_bswap32(b) ^ __builtin_bswap16(c);
}

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(void *ctx)
{
	__u32 s = seed;
	__u32 acc = 0;
	for (int i = 0; i < 8; i++) {
		s = mix32(s, i);
		acc += s % 1000 + (s & 0xff) / 3;
	}
	seed = s;
	int level = clamp((int)(acc >> 20) - 512, -100, 100);
	__u32 bucket = (__u32)(level + 100) >> 4;
	if (bucket < 16)
		histogram[bucket] += mix64(acc) & 0xffff;
	run_count++;
	if (digits(acc, 10) > 6)
		bpf_trace_printk(greeting, sizeof(greeting));
	__s32 sv = (__s32)acc;
	__s64 wide = (__s64)sv >> 3;
	if (wide < -5000 || (sv ^ level) > 77)
		return (int)swaps(wide, acc, (__u16)level);
	return level;
}

SEC("tracepoint/syscalls/sys_enter_read")
int on_read(void *ctx)
{
	__u64 big = 0x123456789abcdefULL;
	__u64 v = mix64(big + run_count);
	__u32 lo = (__u32)v, hi = (__u32)(v >> 32);
	__u32 r = lo * hi + (lo >> (hi & 31)) - (hi << (lo & 7));
	r = r / 7 + r % 13;
	if ((__s32)r < 0)
		r = -r;
	return (int)(r + digits(lo, 16));
}

char _license[] SEC("license") = "GPL";
