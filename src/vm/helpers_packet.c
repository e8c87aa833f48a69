/* helpers_packet.c - the packet helpers: bpf_skb_load_bytes (socket filters),
 * bpf_csum_diff, and bpf_xdp_adjust_head / bpf_xdp_adjust_tail, which move
 * the bounds of an XDP frame inside the run's packet buffer.
 *
 * The packet buffer (src/net/ctx.c) is VM_PKT_HEADROOM (256, the kernel's
 * XDP_PACKET_HEADROOM) bytes of headroom, the frame, and room after it; a
 * run starts with the frame at pkt_buf + 256. The XDP limits are the
 * kernel's: the first sizeof(struct xdp_frame) = 40 bytes of headroom stay
 * reserved (so the head can grow by at most 216 bytes), and at least ETH_HLEN
 * (14) bytes of frame must remain after either call. The tail can grow by at
 * most VM_PKT_TAILROOM (256) bytes past the frame's length at the start of
 * the run (the kernel's limit depends on the driver; in BPF_PROG_TEST_RUN it
 * is the rest of a 4 KiB page). Bytes the frame grows over are zeroed, as
 * the kernel zeroes a grown tail and as TEST_RUN's zeroed headroom shows. */
#include <linux/bpf.h>
#include <string.h>

#include "helpers_impl.h"

#define VM_ETH_HLEN 14
#define VM_XDP_FRAME_SIZE 40 /* sizeof(struct xdp_frame), kept free at the start of the headroom */

/* bpf_skb_load_bytes(skb, offset, to, len): len bytes of the frame from
 * offset (the frame starts at its Ethernet header, as on a packet socket).
 * Out of range: to is zeroed and the result is -EFAULT. */
VM_HELPER_IMPL(vm_helper_skb_load_bytes)
{
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	if (!vm_helper_mem_ok(ex, r3, len, 1))
		return vm_helper_errno(EFAULT);
	uint8_t *to = vm_helper_ptr(r3);
	size_t frame_len = ex->pkt_data ? (size_t)(ex->pkt_end - ex->pkt_data) : 0;
	if (!vm_helper_ctx_ok(ex, r1) || off > INT32_MAX || (uint64_t)off + len > frame_len) {
		if (len)
			memset(to, 0, len);
		return vm_helper_errno(EFAULT);
	}
	if (len)
		memcpy(to, ex->pkt_data + off, len);
	return 0;
}

/* ---- bpf_csum_diff ----
 * Linux 6.18's algorithm (net/core/filter.c with x86-64's csum_partial): a
 * 32-bit ones'-complement sum of little-endian 32-bit words (a short last
 * word padded with zeroes), combined as
 *   both sizes  csum_sub(partial(to, seed), partial(from, 0))
 *   to only     partial(to, seed)
 *   from only   ~partial(from, ~seed)
 *   neither     seed
 * and folded to 16 bits (not complemented). Sizes need not be multiples of 4
 * and have no upper limit: 6.18 dropped the older -EINVAL rules (and older
 * kernels returned the unfolded 32-bit sum). The seed is the low 32 bits of
 * r5. In checked runs a range outside the program's memory gives -EFAULT. */

static uint32_t csum_partial32(const uint8_t *p, size_t len, uint32_t seed)
{
	uint64_t sum = seed;
	for (; len >= 4; p += 4, len -= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		sum += w;
	}
	if (len) {
		uint32_t w = 0;
		memcpy(&w, p, len); /* little-endian host: the bytes fill the low end */
		sum += w;
	}
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	return (uint32_t)sum;
}

static uint32_t csum_add32(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < b);
}

static uint16_t csum_fold16(uint32_t x)
{
	x += (x >> 16) | (x << 16);
	return (uint16_t)(x >> 16);
}

VM_HELPER_IMPL(vm_helper_csum_diff)
{
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, seed = (uint32_t)r5;
	if (!vm_helper_mem_ok(ex, r1, from_size, 0) || !vm_helper_mem_ok(ex, r3, to_size, 0))
		return vm_helper_errno(EFAULT);
	const uint8_t *from = vm_helper_ptr(r1), *to = vm_helper_ptr(r3);
	uint32_t sum = seed;
	if (from_size && to_size)
		sum = csum_add32(csum_partial32(to, to_size, seed), ~csum_partial32(from, from_size, 0));
	else if (to_size)
		sum = csum_partial32(to, to_size, seed);
	else if (from_size)
		sum = ~csum_partial32(from, from_size, ~seed);
	return csum_fold16(sum);
}

/* ---- XDP ---- */

static struct xdp_md *xdp_md_of(bpfvm_exec *ex)
{
	return (struct xdp_md *)ex->ctx_buf;
}

/* bpf_xdp_adjust_head(xdp, delta): moves the frame's start by delta bytes
 * (negative grows the frame), taking the metadata in front of it along. */
VM_HELPER_IMPL(vm_helper_xdp_adjust_head)
{
	if (!ex->pkt_buf || !ex->pkt_data || !vm_helper_ctx_ok(ex, r1))
		return vm_helper_errno(EINVAL);
	int64_t delta = (int32_t)r2;
	uintptr_t data = (uintptr_t)ex->pkt_data, meta = (uintptr_t)ex->pkt_meta, end = (uintptr_t)ex->pkt_end;
	uintptr_t metalen = data - meta;
	uintptr_t lowest = (uintptr_t)ex->pkt_buf + VM_XDP_FRAME_SIZE + metalen;
	int64_t new_data = (int64_t)data + delta;
	if (new_data < (int64_t)lowest || new_data > (int64_t)end - VM_ETH_HLEN)
		return vm_helper_errno(EINVAL);
	if (metalen)
		memmove((uint8_t *)(meta + (uintptr_t)delta), (uint8_t *)meta, metalen);
	if (delta < 0)
		memset((uint8_t *)(uintptr_t)new_data, 0, (size_t)-delta);
	ex->pkt_meta = (uint8_t *)(meta + (uintptr_t)delta);
	ex->pkt_data = (uint8_t *)(uintptr_t)new_data;
	struct xdp_md *md = xdp_md_of(ex);
	md->data = (uint32_t)(uintptr_t)ex->pkt_data;
	md->data_meta = (uint32_t)(uintptr_t)ex->pkt_meta;
	return 0;
}

/* bpf_xdp_adjust_tail(xdp, delta): moves the frame's end by delta bytes. */
VM_HELPER_IMPL(vm_helper_xdp_adjust_tail)
{
	if (!ex->pkt_buf || !ex->pkt_data || !vm_helper_ctx_ok(ex, r1))
		return vm_helper_errno(EINVAL);
	int64_t delta = (int32_t)r2;
	int64_t data = (int64_t)(uintptr_t)ex->pkt_data, end = (int64_t)(uintptr_t)ex->pkt_end;
	int64_t hard_end = (int64_t)(uintptr_t)ex->pkt_buf + VM_PKT_HEADROOM + (int64_t)ex->pkt_len + VM_PKT_TAILROOM;
	int64_t new_end = end + delta;
	if (new_end > hard_end || new_end < data + VM_ETH_HLEN)
		return vm_helper_errno(EINVAL);
	if (delta > 0)
		memset((uint8_t *)(uintptr_t)end, 0, (size_t)delta);
	ex->pkt_end = (uint8_t *)(uintptr_t)new_end;
	xdp_md_of(ex)->data_end = (uint32_t)(uintptr_t)ex->pkt_end;
	return 0;
}
