/* ctx.c - program types: what r1 points to for each. Raw programs get the
 * input memory (r1) and its length (r2); socket filters a struct __sk_buff
 * over the frame (LD_ABS/LD_IND read the frame from its Ethernet header, as
 * on a packet socket); XDP programs a struct xdp_md with direct packet access.
 *
 * The kernel's context structs hold packet pointers in 32-bit fields (data,
 * data_end, data_meta) that programs widen with a 32-bit load. bpfvm keeps
 * each run's packet in a buffer mapped below 4 GiB, so those fields hold the
 * real addresses and programs run unchanged, without rewriting their context
 * accesses. */
#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

#ifndef MAP_32BIT
#define MAP_32BIT 0
#endif

#define VM_PKT_MAX (1u << 18) /* the largest frame: 256 KiB, libpcap's largest snapshot length */

_Static_assert(sizeof(struct __sk_buff) <= sizeof(((bpfvm_exec *)0)->ctx_buf), "ctx_buf too small for __sk_buff");
_Static_assert(sizeof(struct xdp_md) <= sizeof(((bpfvm_exec *)0)->ctx_buf), "ctx_buf too small for xdp_md");

int vm_ctx_supported(uint32_t prog_type)
{
	return prog_type == BPFVM_PROG_TYPE_RAW || prog_type == BPF_PROG_TYPE_SOCKET_FILTER ||
	       prog_type == BPF_PROG_TYPE_XDP;
}

static int ctx_err(bpfvm_exec *ex, int code, const char *msg)
{
	memset(ex->err, 0, sizeof(*ex->err));
	ex->err->code = code;
	ex->err->insn = -1;
	ex->err->offset = -1;
	snprintf(ex->err->msg, sizeof(ex->err->msg), "%s", msg);
	return code;
}

/* The packet buffer: headroom, up to VM_PKT_MAX bytes of frame, tailroom,
 * mapped once per exec below 4 GiB. */
static int pkt_buffer(bpfvm_exec *ex)
{
	if (ex->pkt_buf)
		return 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (VM_PKT_HEADROOM + VM_PKT_MAX + VM_PKT_TAILROOM + page - 1) / page * page;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (p == MAP_FAILED || (uint64_t)(uintptr_t)p + size > (1ULL << 32)) {
		if (p != MAP_FAILED)
			munmap(p, size);
		/* no MAP_32BIT here: ask for a low address */
		p = mmap((void *)(uintptr_t)0x10000000, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || (uint64_t)(uintptr_t)p + size > (1ULL << 32)) {
			if (p != MAP_FAILED)
				munmap(p, size);
			return ctx_err(ex, BPFVM_ENOMEM, "cannot map a packet buffer below 4 GiB");
		}
	}
	ex->pkt_buf = p;
	ex->pkt_buf_size = size;
	return 0;
}

static uint32_t lo32(const void *p)
{
	return (uint32_t)(uintptr_t)p;
}

int vm_ctx_prepare(bpfvm_exec *ex, const struct bpfvm_run_opts *o, uint64_t regs[11])
{
	uint32_t type = ex->prog->type;
	if (type == BPFVM_PROG_TYPE_RAW) {
		regs[1] = (uint64_t)(uintptr_t)o->mem;
		regs[2] = o->mem_len;
		return 0;
	}
	const uint8_t *frame = o->frame ? o->frame : o->mem;
	size_t len = o->frame ? o->frame_len : o->mem_len;
	if (len > VM_PKT_MAX)
		return ctx_err(ex, BPFVM_EINVAL, "frame larger than 256 KiB");
	int rc = pkt_buffer(ex);
	if (rc)
		return rc;
	uint8_t *data = ex->pkt_buf + VM_PKT_HEADROOM;
	if (len)
		memcpy(data, frame, len);
	ex->pkt_data = ex->pkt_meta = data;
	ex->pkt_end = data + len;
	ex->pkt = data;
	ex->pkt_len = len;
	ex->pkt_net_off = len >= 14 ? 14 : len; /* after the Ethernet header */
	ex->pkt_has_ll = 1;
	regs[1] = (uint64_t)(uintptr_t)ex->ctx_buf;

	if (type == BPF_PROG_TYPE_SOCKET_FILTER) {
		struct __sk_buff *skb = (struct __sk_buff *)ex->ctx_buf;
		memset(skb, 0, sizeof(*skb));
		skb->len = (uint32_t)len;
		skb->wire_len = o->wire_len ? o->wire_len : (uint32_t)len;
		if (len >= 14) {
			/* skb->protocol as eth_type_trans sets it, in network byte order:
			 * the ethertype, or for 802.3 length fields ETH_P_802_3 (raw
			 * 802.3, payload starting 0xffff) or ETH_P_802_2 (LLC). */
			uint16_t type = (uint16_t)(data[12] << 8 | data[13]);
			if (type < 0x600)
				type = len >= 16 && data[14] == 0xff && data[15] == 0xff ? 0x0001 : 0x0004;
			skb->protocol = (uint16_t)(type >> 8 | type << 8);
			if (memcmp(data, "\xff\xff\xff\xff\xff\xff", 6) == 0)
				skb->pkt_type = PACKET_BROADCAST;
			else if (data[0] & 1)
				skb->pkt_type = PACKET_MULTICAST;
			else
				skb->pkt_type = PACKET_HOST;
		}
		skb->ifindex = skb->ingress_ifindex = o->ifindex;
		skb->queue_mapping = o->rx_queue;
		skb->data = lo32(data);
		skb->data_end = lo32(data + len);
		skb->data_meta = lo32(data);
		vm_exec_add_region(ex, data, len, 0);
		vm_exec_add_region(ex, skb, sizeof(*skb), 1);
		return 0;
	}
	/* XDP: headroom, frame and tailroom, the most bpf_xdp_adjust_head/tail
	 * can move the bounds to */
	struct xdp_md *md = (struct xdp_md *)ex->ctx_buf;
	memset(md, 0, sizeof(*md));
	md->data = lo32(data);
	md->data_end = lo32(data + len);
	md->data_meta = lo32(data);
	md->ingress_ifindex = o->ifindex;
	md->rx_queue_index = o->rx_queue;
	vm_exec_add_region(ex, ex->pkt_buf, VM_PKT_HEADROOM + len + VM_PKT_TAILROOM, 1);
	vm_exec_add_region(ex, md, sizeof(*md), 0);
	return 0;
}
