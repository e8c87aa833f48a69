/* rodata_constant.c - accepted: .rodata is frozen (libbpf freezes it, and
 * bpfvm's loader does too) and read-only for programs, so the verifier
 * reads idx as the constant 2; unknown, it would be an unbounded
 * variable-offset stack read. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile unsigned int idx = 2;

SEC("xdp")
int rodata_index(struct xdp_md *ctx)
{
	volatile char buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	return buf[idx];
}

char _license[] SEC("license") = "GPL";
