/* test_ctx.c - program-type contexts: socket filters (struct __sk_buff over
 * the frame, LD_ABS/LD_IND from the Ethernet header as on a packet socket)
 * and XDP (struct xdp_md with direct packet access, actions, head and tail
 * adjustment). Every program, written with the kernel's builder macros, runs
 * on a set of frames on bpfvm (checked and trusted) and, where bpf(2) works,
 * in the kernel through BPF_PROG_TEST_RUN; the results must be equal where
 * the two are comparable:
 *
 * - Socket filters: TEST_RUN pulls the Ethernet header before the program
 *   runs, a packet socket does not. Prepending a copy of the 14-byte header to
 *   data_in gives the packet socket's view (skb->len = the frame's length,
 *   LD_ABS 0 = the frame's first byte, protocol from the frame's header).
 *   TEST_RUN's device is lo (ifindex 1, address 00:00:00:00:00:00), so bpfvm
 *   runs with lo's ifindex; pkt_type is compared for frames addressed to lo's
 *   address and to multicast groups (for other unicast addresses the kernel
 *   says PACKET_OTHERHOST, which bpfvm cannot know from a capture file, and
 *   lo's broadcast address is all zeros, so ff:ff:ff:ff:ff:ff is multicast
 *   there).
 * - XDP: TEST_RUN's data starts at the Ethernet header, as bpfvm's; the
 *   action and the packet the program leaves (data_out) are compared.
 * Checks that need no kernel (lengths, the ifindex passed in, bpfvm's direct
 * packet access for socket filters) run everywhere. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_bpf.h"
#include "testutil.h"

#define SKB(field) ((int16_t)offsetof(struct __sk_buff, field))
#define XMD(field) ((int16_t)offsetof(struct xdp_md, field))

/* ---------------------------------------------------------------- frames */

struct tframe {
	const char *name;
	uint8_t data[1514];
	uint32_t len;
};

#define MAX_FRAMES 40
static struct tframe frames[MAX_FRAMES];
static size_t nframes;

static uint64_t rng_state = 0xc7c7c7c71234ULL;
static uint8_t rnd8(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint8_t)(z ^ (z >> 31));
}

static struct tframe *add_frame(const char *name, const uint8_t *dst, uint16_t ethertype, uint32_t len)
{
	assert_true(nframes < MAX_FRAMES && len <= sizeof(frames[0].data));
	struct tframe *f = &frames[nframes++];
	f->name = name;
	f->len = len;
	for (uint32_t i = 0; i < len; i++)
		f->data[i] = rnd8();
	if (len >= 6)
		memcpy(f->data, dst, 6);
	if (len >= 14) {
		f->data[12] = (uint8_t)(ethertype >> 8);
		f->data[13] = (uint8_t)ethertype;
	}
	return f;
}

static void ipv4(struct tframe *f, uint8_t proto)
{
	if (f->len >= 34) {
		f->data[14] = 0x45;
		f->data[16] = (uint8_t)((f->len - 14) >> 8);
		f->data[17] = (uint8_t)(f->len - 14);
		f->data[22] = 64;
	}
	if (f->len >= 24)
		f->data[23] = proto;
}

static const uint8_t mac_lo[6] = { 0, 0, 0, 0, 0, 0 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mcast[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t mac_other[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static void build_frames(void)
{
	if (nframes)
		return;
	ipv4(add_frame("ipv4 tcp", mac_lo, 0x0800, 74), 6);
	ipv4(add_frame("ipv4 udp", mac_lo, 0x0800, 60), 17);
	ipv4(add_frame("ipv4 icmp", mac_lo, 0x0800, 98), 1);
	ipv4(add_frame("ipv4 proto 200, 1514 bytes", mac_lo, 0x0800, 1514), 200);
	ipv4(add_frame("ipv4 to another host", mac_other, 0x0800, 66), 6);
	add_frame("arp broadcast", mac_bcast, 0x0806, 42);
	add_frame("ipv6 multicast", mac_mcast, 0x86dd, 86)->data[14] = 0x60;
	add_frame("vlan", mac_lo, 0x8100, 64);
	add_frame("802.3 llc", mac_lo, 46, 60)->data[14] = 0x42;
	/* raw 802.3: 0xffff after the header. With the copied header in front,
	 * TEST_RUN's eth_type_trans looks for it at the frame's first two bytes
	 * (it reads right after the header it pulled): make those 0xffff too. */
	struct tframe *raw = add_frame("802.3 raw", mac_bcast, 46, 60);
	raw->data[14] = raw->data[15] = 0xff;
	add_frame("header only", mac_lo, 0x0800, 14);
	ipv4(add_frame("20 bytes", mac_lo, 0x0800, 20), 6);
	ipv4(add_frame("23 bytes", mac_lo, 0x0800, 23), 6);
	ipv4(add_frame("24 bytes", mac_lo, 0x0800, 24), 6);
	ipv4(add_frame("61 bytes", mac_lo, 0x0800, 61), 17);
	static const char *short_names[] = { "0 bytes", "1 byte", "6 bytes", "13 bytes" };
	static const uint32_t short_lens[] = { 0, 1, 6, 13 };
	for (int i = 0; i < 4; i++)
		add_frame(short_names[i], mac_lo, 0x0800, short_lens[i]);
}

/* --------------------------------------------------------------- programs */

struct ctx_prog {
	const char *name;
	uint32_t type;
	const struct bpf_insn *insns;
	size_t n;
	int (*comparable)(const struct tframe *f); /* NULL: every frame */
	int uses_protocol; /* reads skb->protocol */
};

/* The instructions are compound literals (the builder macros'), which C does
 * not accept in static initializers: the tables live in with_tables(). */
#define INSNS(...) .insns = (const struct bpf_insn[]){ __VA_ARGS__ }, \
		   .n = sizeof((const struct bpf_insn[]){ __VA_ARGS__ }) / sizeof(struct bpf_insn)

struct tables {
	const struct ctx_prog *sf, *xdp, *sf_8023;
	size_t nsf, nxdp;
};

/* Frames whose protocol eth_type_trans takes from the header as is: a full
 * header with an ethertype (not an 802.3 length). */
static int ethertype_frame(const struct tframe *f)
{
	return f->len >= 14 && (f->data[12] << 8 | f->data[13]) >= 0x600;
}

/* Frames whose pkt_type does not depend on the device: to lo's address
 * (00:00:00:00:00:00, PACKET_HOST) and multicast other than broadcast.
 * TEST_RUN's device is lo, whose broadcast address is also all zeros, so
 * the kernel calls ff:ff:ff:ff:ff:ff multicast there; on an Ethernet device
 * it is PACKET_BROADCAST, as bpfvm says. */
static int lo_or_mcast(const struct tframe *f)
{
	return f->len >= 14 && (memcmp(f->data, mac_lo, 6) == 0 ||
				((f->data[0] & 1) && memcmp(f->data, mac_bcast, 6) != 0));
}

static int ethernet_8023(const struct tframe *f)
{
	return f->len >= 16 && (f->data[12] << 8 | f->data[13]) < 0x600 &&
	       (f->data[0] == 0xff && f->data[1] == 0xff) == (f->data[14] == 0xff && f->data[15] == 0xff);
}

#define SF BPF_PROG_TYPE_SOCKET_FILTER
#define LDX_CTX(field) BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, SKB(field)), BPF_EXIT_INSN()

#define X BPF_PROG_TYPE_XDP
#define LOAD_DATA(reg) BPF_LDX_MEM(BPF_W, reg, BPF_REG_6, XMD(data))
#define LOAD_END(reg) BPF_LDX_MEM(BPF_W, reg, BPF_REG_6, XMD(data_end))
/* r0 = data_end - data, from the context in r6 */
#define RETURN_LEN LOAD_DATA(BPF_REG_2), LOAD_END(BPF_REG_3), BPF_MOV64_REG(BPF_REG_0, BPF_REG_3), \
		   BPF_ALU64_REG(BPF_SUB, BPF_REG_0, BPF_REG_2), BPF_EXIT_INSN()

/* Calls fn with the program tables. */
static void with_tables(void (*fn)(const struct tables *t))
{
	const struct ctx_prog sf_progs[] = {
		{ "skb->len", SF, INSNS(LDX_CTX(len)) },
		{ "skb->protocol", SF, INSNS(LDX_CTX(protocol)), ethertype_frame, 1 },
		{ "skb->pkt_type", SF, INSNS(LDX_CTX(pkt_type)), lo_or_mcast },
		{ "skb->ifindex", SF, INSNS(LDX_CTX(ifindex)) },
		{ "skb->mark", SF, INSNS(LDX_CTX(mark)) },
		{ "skb->queue_mapping", SF, INSNS(LDX_CTX(queue_mapping)) },
		{ "skb->priority", SF, INSNS(LDX_CTX(priority)) },
		{ "skb->vlan_present", SF, INSNS(LDX_CTX(vlan_present)) },
		{ "skb->cb write and read", SF,
		  INSNS(BPF_MOV64_IMM(BPF_REG_2, 42), BPF_STX_MEM(BPF_W, BPF_REG_1, BPF_REG_2, SKB(cb[2])),
			BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, SKB(cb[2])),
			BPF_LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, SKB(cb[0])), BPF_ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_3),
			BPF_EXIT_INSN()) },
		{ "len + ld_abs h 12", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_1, SKB(len)),
			BPF_LD_ABS(BPF_H, 12), BPF_ALU64_IMM(BPF_LSH, BPF_REG_0, 16),
			BPF_ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_7), BPF_EXIT_INSN()) },
		/* LD_ABS/LD_IND: network byte order; out of bounds ends the program, r0 = 0 */
		{ "ld_abs b 60", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_0, 77), BPF_LD_ABS(BPF_B, 60),
			BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 1000), BPF_EXIT_INSN()) },
		{ "ld_abs h 12", SF, INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LD_ABS(BPF_H, 12), BPF_EXIT_INSN()) },
		{ "ld_abs w 20", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LD_ABS(BPF_W, 20), BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 1),
			BPF_EXIT_INSN()) },
		{ "ld_abs b -1", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_0, 5), BPF_LD_ABS(BPF_B, -1),
			BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 7), BPF_EXIT_INSN()) },
		{ "ld_abs w 0x7ffffff0", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LD_ABS(BPF_W, 0x7ffffff0),
			BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 7), BPF_EXIT_INSN()) },
		{ "ld_ind b [len - 1] (last byte)", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_1, SKB(len)),
			BPF_LD_IND(BPF_B, BPF_REG_7, -1), BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 0x100), BPF_EXIT_INSN()) },
		{ "ld_ind w [len - 4] (last word)", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_1, SKB(len)),
			BPF_LD_IND(BPF_W, BPF_REG_7, -4), BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 1), BPF_EXIT_INSN()) },
		{ "ld_ind h [len - 1] (one byte past the end)", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_1, SKB(len)),
			BPF_LD_IND(BPF_H, BPF_REG_7, -1), BPF_MOV64_IMM(BPF_REG_0, 5), BPF_EXIT_INSN()) },
		{ "ld_ind b [r7 = 30, imm -7]", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_7, 30), BPF_LD_IND(BPF_B, BPF_REG_7, -7),
			BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 0x300), BPF_EXIT_INSN()) },
		{ "ld_ind b [-30 + 10]", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_7, -30), BPF_LD_IND(BPF_B, BPF_REG_7, 10),
			BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 3), BPF_EXIT_INSN()) },
		{ "ld_ind b [0x1_0000_0017] (32-bit offset)", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_LD_IMM64(BPF_REG_7, 0x100000017ULL),
			BPF_LD_IND(BPF_B, BPF_REG_7, 0), BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 0x200), BPF_EXIT_INSN()) },
		{ "ld_abs sequence keeps r6-r9", SF,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_8, 3), BPF_LD_ABS(BPF_H, 12),
			BPF_MOV64_REG(BPF_REG_9, BPF_REG_0), BPF_LD_ABS(BPF_B, 14), BPF_ALU64_IMM(BPF_LSH, BPF_REG_0, 16),
			BPF_ALU64_REG(BPF_OR, BPF_REG_0, BPF_REG_9), BPF_ALU64_IMM(BPF_LSH, BPF_REG_8, 24),
			BPF_ALU64_REG(BPF_OR, BPF_REG_0, BPF_REG_8), BPF_EXIT_INSN()) },
	};

	/* eth_type_trans on frames with a length field: ETH_P_802_3 for raw IPX
	 * (0xffff after the header), ETH_P_802_2 otherwise. A packet socket shows the
	 * program that protocol; kept apart so that a difference stands out.
	 * Comparable only where the frame's first two bytes and the two after
	 * its header agree on being 0xffff (see build_frames). */
	const struct ctx_prog sf_8023_prog = { "skb->protocol of 802.3 frames", SF, INSNS(LDX_CTX(protocol)),
					       ethernet_8023, 1 };

	const struct ctx_prog xdp_progs[] = {
		{ "data_end - data", X, INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), RETURN_LEN) },
		{ "data - data_meta", X,
		  INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, XMD(data)),
			BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, XMD(data_meta)), BPF_ALU64_REG(BPF_SUB, BPF_REG_0, BPF_REG_2),
			BPF_EXIT_INSN()) },
		{ "ingress_ifindex", X, INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, XMD(ingress_ifindex)), BPF_EXIT_INSN()) },
		{ "rx_queue_index", X, INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, XMD(rx_queue_index)), BPF_EXIT_INSN()) },
		/* a classifier: ABORTED when there is no Ethernet header, PASS for
		 * non-IPv4, DROP for a short IPv4 header and UDP, TX (MACs swapped)
		 * for ICMP, PASS otherwise */
		{ "classify and swap MACs", X,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), LOAD_DATA(BPF_REG_2), LOAD_END(BPF_REG_3),
			BPF_MOV64_REG(BPF_REG_4, BPF_REG_2), BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, 14),
			BPF_JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 20),         /* -> aborted */
			BPF_LDX_MEM(BPF_H, BPF_REG_5, BPF_REG_2, 12),
			BPF_JMP_IMM(BPF_JNE, BPF_REG_5, 0x0008, 16),           /* -> pass (htons 0x0800 read little-endian) */
			BPF_MOV64_REG(BPF_REG_4, BPF_REG_2), BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, 34),
			BPF_JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 17),         /* -> drop */
			BPF_LDX_MEM(BPF_B, BPF_REG_5, BPF_REG_2, 23),
			BPF_JMP_IMM(BPF_JEQ, BPF_REG_5, 17, 15),               /* -> drop */
			BPF_JMP_IMM(BPF_JNE, BPF_REG_5, 1, 10),                /* -> pass */
			BPF_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_2, 0), BPF_LDX_MEM(BPF_H, BPF_REG_8, BPF_REG_2, 4),
			BPF_LDX_MEM(BPF_W, BPF_REG_4, BPF_REG_2, 6), BPF_LDX_MEM(BPF_H, BPF_REG_5, BPF_REG_2, 10),
			BPF_STX_MEM(BPF_W, BPF_REG_2, BPF_REG_4, 0), BPF_STX_MEM(BPF_H, BPF_REG_2, BPF_REG_5, 4),
			BPF_STX_MEM(BPF_W, BPF_REG_2, BPF_REG_7, 6), BPF_STX_MEM(BPF_H, BPF_REG_2, BPF_REG_8, 10),
			BPF_MOV64_IMM(BPF_REG_0, XDP_TX), BPF_EXIT_INSN(),
			BPF_MOV64_IMM(BPF_REG_0, XDP_PASS), BPF_EXIT_INSN(),    /* pass */
			BPF_MOV64_IMM(BPF_REG_0, XDP_ABORTED), BPF_EXIT_INSN(), /* aborted */
			BPF_MOV64_IMM(BPF_REG_0, XDP_DROP), BPF_EXIT_INSN()) },   /* drop */
		{ "xdp_adjust_head +14 (pop the Ethernet header)", X,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_2, 14),
			BPF_CALL_HELPER(BPF_FUNC_xdp_adjust_head), BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1), BPF_EXIT_INSN(),
			RETURN_LEN) },
		{ "xdp_adjust_head -4 and write the new bytes", X,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_2, -4),
			BPF_CALL_HELPER(BPF_FUNC_xdp_adjust_head), BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1), BPF_EXIT_INSN(),
			LOAD_DATA(BPF_REG_2), LOAD_END(BPF_REG_3), BPF_MOV64_REG(BPF_REG_4, BPF_REG_2),
			BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, 4), BPF_JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 2),
			BPF_MOV32_IMM(BPF_REG_5, 0xdeadbeef), BPF_STX_MEM(BPF_W, BPF_REG_2, BPF_REG_5, 0),
			RETURN_LEN) },
		{ "xdp_adjust_head -1000 (beyond the headroom)", X,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_2, -1000),
			BPF_CALL_HELPER(BPF_FUNC_xdp_adjust_head), BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1), BPF_EXIT_INSN(),
			RETURN_LEN) },
		{ "xdp_adjust_tail -4", X,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_2, -4),
			BPF_CALL_HELPER(BPF_FUNC_xdp_adjust_tail), BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1), BPF_EXIT_INSN(),
			RETURN_LEN) },
		{ "xdp_adjust_tail +8", X,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_2, 8),
			BPF_CALL_HELPER(BPF_FUNC_xdp_adjust_tail), BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1), BPF_EXIT_INSN(),
			RETURN_LEN) },
		{ "xdp_adjust_tail -2000 (below the Ethernet header)", X,
		  INSNS(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), BPF_MOV64_IMM(BPF_REG_2, -2000),
			BPF_CALL_HELPER(BPF_FUNC_xdp_adjust_tail), BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1), BPF_EXIT_INSN(),
			RETURN_LEN) },
	};
	const struct tables t = { sf_progs, xdp_progs, &sf_8023_prog, sizeof(sf_progs) / sizeof(sf_progs[0]),
				  sizeof(xdp_progs) / sizeof(xdp_progs[0]) };
	fn(&t);
}

/* ------------------------------------------------------------ bpfvm side */

struct vm {
	bpfvm_env *env;
	bpfvm_prog *checked, *trusted;
	bpfvm_exec *ex;
};

static void vm_load(struct vm *v, const struct ctx_prog *p)
{
	v->env = bpfvm_env_new();
	assert_non_null(v->env);
	struct bpfvm_error err;
	char msg[400];
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "ctx", .type = p->type, .flags = BPFVM_PROG_F_NO_VERIFY };
	if (bpfvm_prog_load(v->env, p->insns, p->n, &po, &v->checked, &err))
		fail_msg("%s: bpfvm load: %s", p->name, bpfvm_error_format(&err, msg, sizeof(msg)));
	po.flags = BPFVM_PROG_F_TRUSTED;
	if (bpfvm_prog_load(v->env, p->insns, p->n, &po, &v->trusted, &err))
		fail_msg("%s: bpfvm load: %s", p->name, bpfvm_error_format(&err, msg, sizeof(msg)));
	v->ex = bpfvm_exec_new(v->env);
	assert_non_null(v->ex);
}

static void vm_unload(struct vm *v)
{
	bpfvm_exec_free(v->ex);
	bpfvm_prog_free(v->checked);
	bpfvm_prog_free(v->trusted);
	bpfvm_env_free(v->env);
}

/* Runs f on both engines (they must agree); returns r0 and, when out is
 * given, the packet the program left. */
static uint64_t vm_run(struct vm *v, const char *name, const struct tframe *f, uint32_t ifindex, uint8_t *out,
		       size_t *out_len)
{
	uint64_t r[2];
	size_t lens[2];
	static uint8_t pkts[2][1514 + 512];
	for (int t = 0; t < 2; t++) {
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f->data, .frame_len = f->len,
					     .ifindex = ifindex };
		struct bpfvm_error err;
		char msg[400];
		if (bpfvm_exec_run(v->ex, t ? v->trusted : v->checked, &ro, &r[t], &err))
			fail_msg("%s on \"%s\" (%s): %s", name, f->name, t ? "trusted" : "checked",
				 bpfvm_error_format(&err, msg, sizeof(msg)));
		const void *pkt = bpfvm_exec_packet(v->ex, &lens[t]);
		assert_true(lens[t] <= sizeof(pkts[t]));
		if (lens[t])
			memcpy(pkts[t], pkt, lens[t]);
	}
	if (r[0] != r[1])
		fail_msg("%s on \"%s\": checked r0 %#llx, trusted r0 %#llx", name, f->name, (unsigned long long)r[0],
			 (unsigned long long)r[1]);
	assert_int_equal(lens[0], lens[1]);
	assert_memory_equal(pkts[0], pkts[1], lens[0]);
	if (out) {
		memcpy(out, pkts[0], lens[0]);
		*out_len = lens[0];
	}
	return r[0];
}

/* ----------------------------------------------------------- kernel side */

static int kernel_ok = -1;
static char kernel_why[256];

static int have_kernel(void)
{
	if (kernel_ok < 0)
		kernel_ok = kbpf_available(kernel_why, sizeof(kernel_why));
	return kernel_ok;
}

/* TEST_RUN with data_out. Returns 0 or -errno. */
static int ktest_run(int fd, const void *in, size_t in_len, void *out, size_t *out_len, uint32_t *retval)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)in;
	a.test.data_size_in = (uint32_t)in_len;
	a.test.data_out = (uint64_t)(uintptr_t)out;
	a.test.data_size_out = (uint32_t)*out_len;
	a.test.repeat = 1;
	long rc = kbpf_sys(BPF_PROG_TEST_RUN, &a, sizeof(a));
	if (rc < 0)
		return (int)rc;
	*retval = a.test.retval;
	*out_len = a.test.data_size_out;
	return 0;
}

static int kload(const struct ctx_prog *p)
{
	static char log[65536];
	int fd = kbpf_prog_load(p->type, p->insns, p->n, log, sizeof(log));
	if (fd < 0)
		fail_msg("%s: the kernel refuses it: %s\n%s", p->name, strerror(-fd), log);
	return fd;
}

/* -------------------------------------------------------------- the tests */

static uint32_t lo_ifindex(void)
{
	uint32_t i = if_nametoindex("lo");
	return i ? i : 1;
}

/* Each program against the kernel on every comparable frame. */
static void compare_with_kernel(const struct ctx_prog *progs, size_t n)
{
	if (!have_kernel()) {
		printf("SKIP kernel comparison: %s\n", kernel_why);
		skip();
	}
	build_frames();
	size_t compared = 0, retried = 0, refused = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ctx_prog *p = &progs[i];
		struct vm v;
		vm_load(&v, p);
		int kfd = kload(p);
		for (size_t j = 0; j < nframes; j++) {
			const struct tframe *f = &frames[j];
			if (p->comparable && !p->comparable(f))
				continue;
			static uint8_t in[14 + 1514], kout[4096], vout[4096];
			size_t in_len, klen = sizeof(kout), vlen = 0;
			if (p->type == BPF_PROG_TYPE_XDP) {
				if (f->len < ETH_HLEN) /* TEST_RUN wants an Ethernet header */
					continue;
				memcpy(in, f->data, f->len);
				in_len = f->len;
			} else { /* the packet socket's view: a copy of the header in front */
				memset(in, 0, 14);
				memcpy(in, f->data, f->len < 14 ? f->len : 14);
				memcpy(in + 14, f->data, f->len);
				in_len = 14 + f->len;
			}
			uint32_t kret;
			int rc = ktest_run(kfd, in, in_len, kout, &klen, &kret);
			if (rc == -EINVAL && p->type == BPF_PROG_TYPE_SOCKET_FILTER && f->len >= 14 &&
			    !p->uses_protocol) {
				/* TEST_RUN wants a whole IPv4 (IPv6) header after an
				 * IPv4 (IPv6) ethertype; the program does not read
				 * skb->protocol, so a neutral ethertype in the copy
				 * shows it the same frame */
				in[12] = 0x88;
				in[13] = 0xb5;
				klen = sizeof(kout);
				rc = ktest_run(kfd, in, in_len, kout, &klen, &kret);
				retried++;
			}
			if (rc == -EINVAL && p->uses_protocol) {
				refused++; /* no way to show this frame to the program through TEST_RUN */
				continue;
			}
			if (rc)
				fail_msg("%s on \"%s\": TEST_RUN: %s", p->name, f->name, strerror(-rc));
			uint64_t r0 = vm_run(&v, p->name, f, lo_ifindex(), vout, &vlen);
			if ((uint32_t)r0 != kret)
				fail_msg("%s on \"%s\" (%u bytes): bpfvm r0 %#llx, kernel %#x", p->name, f->name, f->len,
					 (unsigned long long)r0, kret);
			if (p->type == BPF_PROG_TYPE_XDP) {
				if (klen != vlen)
					fail_msg("%s on \"%s\": packet after the run: bpfvm %zu bytes, kernel %zu",
						 p->name, f->name, vlen, klen);
				if (memcmp(kout, vout, klen))
					fail_msg("%s on \"%s\": the packets after the run differ", p->name, f->name);
			}
			compared++;
		}
		close(kfd);
		vm_unload(&v);
	}
	printf("%zu program runs compared with the kernel (%zu with a neutral ethertype in the copied header, %zu "
	       "frames TEST_RUN refuses skipped)\n",
	       compared, retried, refused);
	assert_true(compared > 0);
}

static void sf_vs_kernel(const struct tables *t)
{
	compare_with_kernel(t->sf, t->nsf);
}

static void sf_8023_vs_kernel(const struct tables *t)
{
	compare_with_kernel(t->sf_8023, 1);
}

static void xdp_vs_kernel(const struct tables *t)
{
	compare_with_kernel(t->xdp, t->nxdp);
}

static void test_socket_filter_vs_kernel(void **state)
{
	with_tables(sf_vs_kernel);
}

static void test_socket_filter_8023_protocol_vs_kernel(void **state)
{
	with_tables(sf_8023_vs_kernel);
}

static void test_xdp_vs_kernel(void **state)
{
	with_tables(xdp_vs_kernel);
}

/* What needs no kernel: values the test computes from the frame and the
 * run options. */
static void contexts_without_kernel(const struct tables *t)
{
	const struct ctx_prog *sf_progs = t->sf, *xdp_progs = t->xdp;
	build_frames();
	struct vm v;
	for (size_t j = 0; j < nframes; j++) {
		const struct tframe *f = &frames[j];
		/* skb->len and xdp data_end - data are the frame's length */
		vm_load(&v, &sf_progs[0]);
		assert_int_equal(vm_run(&v, "skb->len", f, 0, NULL, NULL), f->len);
		vm_unload(&v);
		vm_load(&v, &xdp_progs[0]);
		uint8_t out[2048];
		size_t out_len;
		assert_int_equal(vm_run(&v, "data_end - data", f, 0, out, &out_len), f->len);
		assert_int_equal(out_len, f->len);
		assert_memory_equal(out, f->data, f->len);
		vm_unload(&v);
		/* ifindex is the one passed in */
		vm_load(&v, &sf_progs[3]);
		assert_int_equal(vm_run(&v, "skb->ifindex", f, 7, NULL, NULL), 7);
		vm_unload(&v);
		/* skb->protocol as eth_type_trans derives it on a packet socket
		 * (net/ethernet/eth.c): the ethertype, or for an 802.3 length
		 * ETH_P_802_3 when 0xffff follows the header, else ETH_P_802_2;
		 * in network byte order. The kernel comparison cannot show the
		 * 0xffff case on every frame (TEST_RUN looks elsewhere). */
		if (f->len >= 14) {
			uint16_t et = (uint16_t)(f->data[12] << 8 | f->data[13]);
			if (et < 0x600)
				et = f->len >= 16 && f->data[14] == 0xff && f->data[15] == 0xff ? 0x0001 : 0x0004;
			vm_load(&v, &sf_progs[1]);
			assert_int_equal(vm_run(&v, "skb->protocol", f, 0, NULL, NULL), htons(et));
			vm_unload(&v);
		}
		/* LD_ABS b 60: the byte, or r0 = 0 when the frame is shorter */
		vm_load(&v, &sf_progs[10]);
		assert_int_equal(vm_run(&v, "ld_abs b 60", f, 0, NULL, NULL), f->len > 60 ? f->data[60] + 1000u : 0);
		vm_unload(&v);
		/* LD_ABS h 12: network byte order */
		vm_load(&v, &sf_progs[11]);
		assert_int_equal(vm_run(&v, "ld_abs h 12", f, 0, NULL, NULL),
				 f->len >= 14 ? (uint32_t)(f->data[12] << 8 | f->data[13]) : 0);
		vm_unload(&v);
	}

	/* bpfvm shows socket filters data/data_end too (the kernel does not let
	 * them read those fields): the frame's bounds */
	const struct ctx_prog direct = {
		"socket filter data/data_end", SF,
		INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, SKB(data)),
		      BPF_LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, SKB(data_end)), BPF_MOV64_REG(BPF_REG_4, BPF_REG_2),
		      BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, 13), BPF_MOV64_IMM(BPF_REG_0, 0xffff),
		      BPF_JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 4), BPF_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_2, 12),
		      BPF_ALU64_IMM(BPF_LSH, BPF_REG_0, 16), BPF_ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_3),
		      BPF_ALU64_REG(BPF_SUB, BPF_REG_0, BPF_REG_2), BPF_EXIT_INSN())
	};
	vm_load(&v, &direct);
	for (size_t j = 0; j < nframes; j++) {
		const struct tframe *f = &frames[j];
		uint64_t want = f->len >= 13 ? ((uint64_t)f->data[12] << 16) + f->len : 0xffff;
		assert_int_equal(vm_run(&v, direct.name, f, 0, NULL, NULL), want);
	}
	vm_unload(&v);
}

static void test_contexts_without_kernel(void **state)
{
	with_tables(contexts_without_kernel);
}

/* The packet buffer is below 4 GiB: the 32-bit data fields are the real
 * addresses, for both program types. */
static void test_data_pointers_are_real(void **state)
{
	build_frames();
	const struct ctx_prog progs[] = {
		{ "xdp data", X, INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, XMD(data)), BPF_EXIT_INSN()) },
		{ "skb data", SF, INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, SKB(data)), BPF_EXIT_INSN()) },
	};
	for (size_t i = 0; i < 2; i++) {
		struct vm v;
		vm_load(&v, &progs[i]);
		const struct tframe *f = &frames[0];
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f->data, .frame_len = f->len };
		uint64_t r0;
		assert_int_equal(bpfvm_exec_run(v.ex, v.checked, &ro, &r0, NULL), 0);
		size_t len;
		const uint8_t *pkt = bpfvm_exec_packet(v.ex, &len);
		assert_int_equal(len, f->len);
		assert_true((uint64_t)(uintptr_t)pkt < (1ULL << 32));
		assert_int_equal(r0, (uint64_t)(uintptr_t)pkt);
		assert_memory_equal(pkt, f->data, f->len);
		vm_unload(&v);
	}
}

/* A checked run of a socket filter may not write the frame (read-only, as
 * on a packet socket) nor reach far outside it. */
static void test_checked_faults(void **state)
{
	build_frames();
	const struct ctx_prog progs[] = {
		{ "write through skb->data", SF,
		  INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, SKB(data)), BPF_ST_MEM(BPF_B, BPF_REG_2, 0, 1),
			BPF_MOV64_IMM(BPF_REG_0, 0), BPF_EXIT_INSN()) },
		{ "read 64 KiB past xdp data", X,
		  INSNS(BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, XMD(data)), BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, 0x20000),
			BPF_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_2, 0), BPF_EXIT_INSN()) },
	};
	for (size_t i = 0; i < 2; i++) {
		struct vm v;
		vm_load(&v, &progs[i]);
		const struct tframe *f = &frames[0];
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f->data, .frame_len = f->len };
		uint64_t r0;
		struct bpfvm_error err;
		int rc = bpfvm_exec_run(v.ex, v.checked, &ro, &r0, &err);
		if (rc != BPFVM_EFAULT)
			fail_msg("%s: want BPFVM_EFAULT, got %d", progs[i].name, rc);
		assert_true(err.insn >= 0);
		vm_unload(&v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contexts_without_kernel),
		cmocka_unit_test(test_data_pointers_are_real),
		cmocka_unit_test(test_checked_faults),
		cmocka_unit_test(test_socket_filter_vs_kernel),
		cmocka_unit_test(test_socket_filter_8023_protocol_vs_kernel),
		cmocka_unit_test(test_xdp_vs_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
