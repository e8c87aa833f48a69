/* test_pktsrc.c - packet sources (bpfvm_pktsrc_*) on good and bad input:
 * capture files written byte by byte by this test (pcap in both byte orders
 * and timestamp resolutions, pcapng with several block types), every link
 * type the library translates to Ethernet (the ethertype, payload and
 * lengths it must produce follow from the input), errors with their codes and
 * file offsets (empty, truncated and garbage files, truncated records, a
 * file cut at every byte), unsupported link types, random corruption (must
 * never crash; run under ASan), and a live capture on lo when root. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

/* link types (pcap/dlt.h values) */
enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_RAW = 12,
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IEEE802_11 = 105,
	LT_USER0 = 147,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

/* ------------------------------------------------------- building files */

struct buf {
	uint8_t *p;
	size_t n, cap;
	int big_endian;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t x[4];
	for (int i = 0; i < 4; i++)
		x[b->big_endian ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	put(b, x, 4);
}

static void put16(struct buf *b, uint16_t v)
{
	uint8_t x[2];
	for (int i = 0; i < 2; i++)
		x[b->big_endian ? 1 - i : i] = (uint8_t)(v >> (8 * i));
	put(b, x, 2);
}

#define PCAP_US 0xa1b2c3d4u
#define PCAP_NS 0xa1b23c4du

static void pcap_header(struct buf *b, uint32_t magic, uint32_t linktype)
{
	put32(b, magic);
	put16(b, 2);
	put16(b, 4);
	put32(b, 0);
	put32(b, 0);
	put32(b, 262144);
	put32(b, linktype);
}

static void pcap_record(struct buf *b, uint32_t sec, uint32_t frac, const void *data, uint32_t caplen, uint32_t len)
{
	put32(b, sec);
	put32(b, frac);
	put32(b, caplen);
	put32(b, len);
	put(b, data, caplen);
}

static void ng_shb(struct buf *b)
{
	put32(b, 0x0A0D0D0A);
	put32(b, 28);
	put32(b, 0x1A2B3C4D);
	put16(b, 1);
	put16(b, 0);
	put32(b, 0xffffffff);
	put32(b, 0xffffffff);
	put32(b, 28);
}

/* An interface; tsresol 0 = default (microseconds), else an if_tsresol option. */
static void ng_idb(struct buf *b, uint16_t linktype, uint8_t tsresol)
{
	uint32_t len = 20 + (tsresol ? 12 : 0);
	put32(b, 1);
	put32(b, len);
	put16(b, linktype);
	put16(b, 0);
	put32(b, 262144);
	if (tsresol) {
		put16(b, 9); /* if_tsresol */
		put16(b, 1);
		uint8_t opt[4] = { tsresol, 0, 0, 0 };
		put(b, opt, 4);
		put32(b, 0); /* opt_endofopt */
	}
	put32(b, len);
}

static void ng_epb(struct buf *b, uint64_t ts, const void *data, uint32_t caplen, uint32_t len)
{
	uint32_t pad = (4 - caplen % 4) % 4, blen = 32 + caplen + pad;
	put32(b, 6);
	put32(b, blen);
	put32(b, 0);
	put32(b, (uint32_t)(ts >> 32));
	put32(b, (uint32_t)ts);
	put32(b, caplen);
	put32(b, len);
	put(b, data, caplen);
	put(b, "\0\0\0", pad);
	put32(b, blen);
}

static void ng_spb(struct buf *b, const void *data, uint32_t len)
{
	uint32_t pad = (4 - len % 4) % 4, blen = 16 + len + pad;
	put32(b, 3);
	put32(b, blen);
	put32(b, len);
	put(b, data, len);
	put(b, "\0\0\0", pad);
	put32(b, blen);
}

/* A block of a type readers skip (a custom block that may be copied). */
static void ng_custom(struct buf *b)
{
	put32(b, 0x00000BAD);
	put32(b, 20);
	put32(b, 32473); /* private enterprise number for examples */
	put32(b, 0x12345678);
	put32(b, 20);
}

static const char *tmpfile_path(const char *name)
{
	static char paths[4][256];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, sizeof(paths[0]), "/tmp/bpfvm-pktsrc-%d-%s", (int)getpid(), name);
	return p;
}

static const char *write_file(const char *name, const void *data, size_t n)
{
	const char *path = tmpfile_path(name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(data, n, 1, f), 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* ------------------------------------------------------------- reading */

struct rframe {
	uint8_t data[14 + 65535 + 16];
	uint32_t caplen, wire_len;
	uint64_t ts_ns, index;
};

/* Opens path and reads up to max frames into out; returns the number read,
 * *rc the status that ended the loop (0 at the end, or the error), err its
 * message. *open_rc is the open status (frames are 0 when it failed). */
static size_t read_all(const char *path, struct rframe *out, size_t max, int *open_rc, int *rc,
		       struct bpfvm_error *err)
{
	bpfvm_pktsrc *src = (bpfvm_pktsrc *)1;
	memset(err, 0, sizeof(*err));
	*open_rc = bpfvm_pktsrc_open_file(path, &src, err);
	*rc = 0;
	if (*open_rc) {
		assert_null(src);
		assert_int_equal(err->code, *open_rc);
		assert_true(err->msg[0] != 0);
		return 0;
	}
	assert_non_null(src);
	assert_int_equal(bpfvm_pktsrc_ifindex(src), 0);
	size_t n = 0;
	struct bpfvm_frame f;
	for (;;) {
		int r = bpfvm_pktsrc_next(src, &f, 0, err);
		if (r != 1) {
			*rc = r;
			if (r < 0) {
				assert_int_equal(err->code, r);
				assert_true(err->msg[0] != 0);
			}
			break;
		}
		assert_true(f.caplen <= 14 + 65535);
		assert_true(f.data != NULL || f.caplen == 0);
		assert_int_equal(f.index, n);
		if (n < max) {
			memcpy(out[n].data, f.data, f.caplen);
			out[n].caplen = f.caplen;
			out[n].wire_len = f.wire_len;
			out[n].ts_ns = f.ts_ns;
			out[n].index = f.index;
		}
		n++;
	}
	bpfvm_pktsrc_close(src);
	return n;
}

static struct rframe rf[8];

static uint8_t *pattern(size_t n, uint8_t seed)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
	return p;
}

/* ----------------------------------------------------------- open errors */

static void expect_open_error(const char *path, int code, const char *what)
{
	int orc, rc;
	struct bpfvm_error err;
	read_all(path, rf, 0, &orc, &rc, &err);
	if (orc != code)
		fail_msg("%s: want %d, got %d (%s)", what, code, orc, err.msg);
	char line[512];
	printf("%s: %s\n", what, bpfvm_error_format(&err, line, sizeof(line)));
}

static void test_open_errors(void **state)
{
	expect_open_error("/nonexistent/bpfvm/capture.pcap", BPFVM_EIO, "missing file");
	expect_open_error(write_file("empty", "", 0), BPFVM_EFORMAT, "empty file");

	struct buf b = { 0 };
	pcap_header(&b, PCAP_US, LT_EN10MB);
	expect_open_error(write_file("hdr10", b.p, 10), BPFVM_EFORMAT, "file header cut at 10 bytes");
	expect_open_error(write_file("hdr23", b.p, 23), BPFVM_EFORMAT, "file header cut at 23 bytes");

	uint8_t garbage[300];
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 131 + 17);
	expect_open_error(write_file("garbage", garbage, sizeof(garbage)), BPFVM_EFORMAT, "garbage");
	expect_open_error(write_file("text", "this is not a capture\n", 22), BPFVM_EFORMAT, "text file");

	/* a pcapng section header cut short */
	struct buf ng = { 0 };
	ng_shb(&ng);
	expect_open_error(write_file("shb20", ng.p, 20), BPFVM_EFORMAT, "pcapng section header cut at 20 bytes");
	free(b.p);
	free(ng.p);
}

static void expect_unsupported(const char *path, uint32_t lt)
{
	int orc, rc;
	struct bpfvm_error err;
	read_all(path, rf, 0, &orc, &rc, &err);
	assert_int_equal(orc, BPFVM_EUNSUPP);
	char num[16];
	snprintf(num, sizeof(num), "%u", lt);
	if (!strstr(err.msg, num))
		fail_msg("the message should name link type %u: \"%s\"", lt, err.msg);
	printf("link type %u: %s\n", lt, err.msg);
}

static void test_unknown_linktype(void **state)
{
	uint8_t frame[60] = { 1, 2, 3 };
	static const uint32_t lts[] = { LT_USER0, LT_IEEE802_11 };
	for (size_t i = 0; i < 2; i++) {
		struct buf b = { 0 };
		pcap_header(&b, PCAP_US, lts[i]);
		pcap_record(&b, 1, 2, frame, sizeof(frame), sizeof(frame));
		expect_unsupported(write_file("lt.pcap", b.p, b.n), lts[i]);
		free(b.p);
		struct buf ng = { 0 };
		ng_shb(&ng);
		ng_idb(&ng, (uint16_t)lts[i], 0);
		ng_epb(&ng, 5, frame, sizeof(frame), sizeof(frame));
		expect_unsupported(write_file("lt.pcapng", ng.p, ng.n), lts[i]);
		free(ng.p);
	}
}

/* ------------------------------------------------------- record errors */

static void test_truncated_records(void **state)
{
	uint8_t *frame = pattern(100, 3);
	struct bpfvm_error err;
	int orc, rc;
	char line[512];

	/* record data cut: 30 of 100 bytes */
	struct buf b = { 0 };
	pcap_header(&b, PCAP_US, LT_EN10MB);
	pcap_record(&b, 10, 20, frame, 60, 60);
	size_t bad = b.n;
	pcap_record(&b, 11, 21, frame, 100, 100);
	b.n = bad + 16 + 30;
	size_t n = read_all(write_file("trunc-data", b.p, b.n), rf, 8, &orc, &rc, &err);
	assert_int_equal(orc, 0);
	assert_int_equal(n, 1);
	assert_int_equal(rc, BPFVM_EFORMAT);
	printf("record data cut: %s\n", bpfvm_error_format(&err, line, sizeof(line)));
	assert_true(err.offset >= (long)bad && err.offset <= (long)b.n);
	assert_non_null(strstr(err.msg, "frame 1"));

	/* record header cut: 8 of 16 bytes */
	b.n = bad + 8;
	n = read_all(write_file("trunc-hdr", b.p, b.n), rf, 8, &orc, &rc, &err);
	assert_int_equal(n, 1);
	assert_int_equal(rc, BPFVM_EFORMAT);
	printf("record header cut: %s\n", bpfvm_error_format(&err, line, sizeof(line)));
	assert_true(err.offset >= (long)bad && err.offset <= (long)b.n);

	/* an absurd captured length */
	b.n = bad;
	put32(&b, 1);
	put32(&b, 2);
	put32(&b, 0x7fffffff);
	put32(&b, 0x7fffffff);
	put(&b, frame, 100);
	n = read_all(write_file("huge-caplen", b.p, b.n), rf, 8, &orc, &rc, &err);
	assert_int_equal(n, 1);
	assert_int_equal(rc, BPFVM_EFORMAT);
	printf("huge caplen: %s\n", bpfvm_error_format(&err, line, sizeof(line)));
	assert_true(err.offset >= (long)bad && err.offset <= (long)b.n);
	free(b.p);
	free(frame);
}

/* The file cut after every byte: frames are those complete before the cut;
 * an error (with an offset inside the file) exactly when the cut falls inside
 * a record or block. Checked for pcap and pcapng. */
static void cut_everywhere(const struct buf *b, const size_t *bounds, size_t nb, size_t min_open,
			   uint8_t *const *payloads, const uint32_t *lens, const char *what)
{
	for (size_t cut = 0; cut <= b->n; cut++) {
		const char *path = write_file("cut", b->p, cut);
		int orc, rc;
		struct bpfvm_error err;
		size_t n = read_all(path, rf, 8, &orc, &rc, &err);
		if (cut < min_open) {
			if (orc != BPFVM_EFORMAT)
				fail_msg("%s cut at %zu: open gave %d, want BPFVM_EFORMAT", what, cut, orc);
			continue;
		}
		if (orc)
			fail_msg("%s cut at %zu: open failed: %s", what, cut, err.msg);
		size_t complete = 0, at_bound = 0;
		for (size_t i = 0; i < nb; i++) {
			if (bounds[i] <= cut)
				complete = i;
			if (bounds[i] == cut)
				at_bound = 1;
		}
		if (n != complete)
			fail_msg("%s cut at %zu: %zu frames, want %zu", what, cut, n, complete);
		if (at_bound && rc != 0)
			fail_msg("%s cut at %zu (a record boundary): error %d: %s", what, cut, rc, err.msg);
		if (!at_bound) {
			if (rc != BPFVM_EFORMAT)
				fail_msg("%s cut at %zu (inside a record): status %d, want BPFVM_EFORMAT", what, cut, rc);
			if (err.offset < 0 || err.offset > (long)cut)
				fail_msg("%s cut at %zu: error offset %ld", what, cut, err.offset);
		}
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(rf[i].caplen, lens[i]);
			assert_memory_equal(rf[i].data, payloads[i], lens[i]);
		}
	}
}

static void test_cut_everywhere(void **state)
{
	static const uint32_t lens[] = { 60, 1, 0, 77, 14 };
	uint8_t *payloads[5];
	for (int i = 0; i < 5; i++)
		payloads[i] = pattern(lens[i], (uint8_t)(i * 40));

	struct buf b = { 0 };
	size_t bounds[6];
	pcap_header(&b, PCAP_US, LT_EN10MB);
	bounds[0] = b.n;
	for (int i = 0; i < 5; i++) {
		pcap_record(&b, 100 + (uint32_t)i, (uint32_t)i, payloads[i], lens[i], lens[i]);
		bounds[i + 1] = b.n;
	}
	cut_everywhere(&b, bounds, 6, 24, payloads, lens, "pcap");

	struct buf ng = { 0 };
	ng_shb(&ng);
	ng_idb(&ng, LT_EN10MB, 0);
	bounds[0] = ng.n;
	for (int i = 0; i < 5; i++) {
		ng_epb(&ng, 1000 + (uint64_t)i, payloads[i], lens[i], lens[i]);
		bounds[i + 1] = ng.n;
	}
	cut_everywhere(&ng, bounds, 6, bounds[0], payloads, lens, "pcapng");
	free(b.p);
	free(ng.p);
	for (int i = 0; i < 5; i++)
		free(payloads[i]);
}

/* ------------------------------------------------------------ link types */

struct lt_case {
	const char *name;
	uint32_t linktype;
	uint8_t hdr[24];    /* the link-layer header in front of the payload */
	uint32_t hdr_len;
	uint8_t ip_version; /* 4 or 6: the first payload byte's high nibble */
	uint16_t ethertype; /* what the Ethernet frame must carry */
	int src_mac_from;   /* offset of the source address in hdr, or -1 */
};

static void check_translation(const struct lt_case *c, int pcapng)
{
	uint8_t *payload = pattern(80, 9);
	payload[0] = (uint8_t)(c->ip_version << 4 | 5);
	uint8_t rec[128];
	memcpy(rec, c->hdr, c->hdr_len);
	memcpy(rec + c->hdr_len, payload, 80);
	uint32_t caplen = c->hdr_len + 80, wire = caplen + 20;

	struct buf b = { 0 };
	if (pcapng) {
		ng_shb(&b);
		ng_idb(&b, (uint16_t)c->linktype, 0);
		ng_epb(&b, 7, rec, caplen, wire);
	} else {
		pcap_header(&b, PCAP_US, c->linktype);
		pcap_record(&b, 1, 2, rec, caplen, wire);
	}
	int orc, rc;
	struct bpfvm_error err;
	size_t n = read_all(write_file("lt", b.p, b.n), rf, 8, &orc, &rc, &err);
	if (orc)
		fail_msg("%s: open: %s", c->name, err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	const struct rframe *f = &rf[0];
	if (c->linktype == LT_EN10MB) {
		assert_int_equal(f->caplen, caplen);
		assert_int_equal(f->wire_len, wire);
		assert_memory_equal(f->data, rec, caplen);
	} else {
		assert_int_equal(f->caplen, 14 + 80);
		assert_int_equal(f->wire_len, wire - c->hdr_len + 14);
		uint16_t et = (uint16_t)(f->data[12] << 8 | f->data[13]);
		if (et != c->ethertype)
			fail_msg("%s: ethertype %#06x, want %#06x", c->name, et, c->ethertype);
		assert_memory_equal(f->data + 14, payload, 80);
		if (c->src_mac_from >= 0)
			assert_memory_equal(f->data + 6, c->hdr + c->src_mac_from, 6);
	}
	free(b.p);
	free(payload);
}

static void test_linktypes(void **state)
{
	const struct lt_case cases[] = {
		{ "ethernet", LT_EN10MB, { 0 }, 0, 4, 0, -1 },
		{ "raw ipv4", LT_RAW, { 0 }, 0, 4, 0x0800, -1 },
		{ "raw ipv6", LT_RAW, { 0 }, 0, 6, 0x86dd, -1 },
		{ "ipv4", LT_IPV4, { 0 }, 0, 4, 0x0800, -1 },
		{ "ipv6", LT_IPV6, { 0 }, 0, 6, 0x86dd, -1 },
		/* BSD loopback: address family in host order (AF_INET 2; AF_INET6 is
		 * 24, 28 or 30 depending on the BSD) */
		{ "null ipv4", LT_NULL, { 2, 0, 0, 0 }, 4, 4, 0x0800, -1 },
		{ "null ipv6", LT_NULL, { 30, 0, 0, 0 }, 4, 6, 0x86dd, -1 },
		{ "loop ipv4", LT_LOOP, { 0, 0, 0, 2 }, 4, 4, 0x0800, -1 },
		{ "loop ipv6", LT_LOOP, { 0, 0, 0, 24 }, 4, 6, 0x86dd, -1 },
		/* cooked v1: type, ARPHRD, address length, 8 address bytes, protocol */
		{ "sll ipv4", LT_LINUX_SLL, { 0, 0, 0, 1, 0, 6, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0, 0, 0x08, 0x00 }, 16, 4,
		  0x0800, 6 },
		{ "sll arp", LT_LINUX_SLL, { 0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06 }, 16, 4, 0x0806, 6 },
		{ "sll ipv6", LT_LINUX_SLL, { 0, 0, 0, 1, 0, 6, 9, 8, 7, 6, 5, 4, 0, 0, 0x86, 0xdd }, 16, 6, 0x86dd, 6 },
		/* cooked v2: protocol, reserved, ifindex, ARPHRD, type, address length, address */
		{ "sll2 ipv4", LT_LINUX_SLL2,
		  { 0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0, 0 }, 20, 4, 0x0800,
		  12 },
		{ "sll2 ipv6", LT_LINUX_SLL2,
		  { 0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0, 0 }, 20, 6, 0x86dd,
		  12 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_translation(&cases[i], 0);
		check_translation(&cases[i], 1);
	}
}

/* Link-layer headers cut short, empty records, the largest frames: no
 * crash, at least an Ethernet header's worth, never more than was there. */
static void test_linktype_edges(void **state)
{
	static const uint32_t lts[] = { LT_RAW, LT_IPV4, LT_IPV6, LT_NULL, LT_LOOP, LT_LINUX_SLL, LT_LINUX_SLL2 };
	uint8_t *big = pattern(65535, 1);
	for (size_t i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		struct buf b = { 0 };
		pcap_header(&b, PCAP_US, lts[i]);
		static const uint32_t caps[] = { 0, 1, 3, 4, 10, 15, 16, 19, 20, 21 };
		for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++)
			pcap_record(&b, 1, (uint32_t)k, big, caps[k], caps[k]);
		pcap_record(&b, 2, 0, big, 65535, 65535);
		int orc, rc;
		struct bpfvm_error err;
		size_t n = read_all(write_file("edges", b.p, b.n), rf, 8, &orc, &rc, &err);
		assert_int_equal(orc, 0);
		assert_int_equal(rc, 0);
		assert_int_equal(n, sizeof(caps) / sizeof(caps[0]) + 1);
		for (size_t k = 0; k < 8 && k < sizeof(caps) / sizeof(caps[0]); k++) {
			assert_true(rf[k].caplen >= 14);
			assert_true(rf[k].caplen <= 14 + caps[k]);
		}
		free(b.p);
	}
	/* the largest raw-IP frame: header plus payload, the payload intact as far as it goes */
	struct buf b = { 0 };
	pcap_header(&b, PCAP_US, LT_RAW);
	pcap_record(&b, 2, 0, big, 65535, 65535);
	int orc, rc;
	struct bpfvm_error err;
	static struct rframe one;
	size_t n = read_all(write_file("bigraw", b.p, b.n), &one, 1, &orc, &rc, &err);
	assert_int_equal(n, 1);
	assert_true(one.caplen > 14 && one.caplen <= 14 + 65535);
	assert_memory_equal(one.data + 14, big, one.caplen - 14);
	printf("raw IP frame of 65535 bytes comes out as %u bytes\n", one.caplen);
	free(b.p);
	free(big);
}

/* ------------------------------------------------- timestamps and formats */

/* One pcap file: two records, the given timestamp resolution and byte order. */
static void check_pcap_times(int be, int ns)
{
	uint8_t *p = pattern(64, 5);
	struct buf b = { .big_endian = be };
	pcap_header(&b, ns ? PCAP_NS : PCAP_US, LT_EN10MB);
	pcap_record(&b, 1700000000u, ns ? 123456789u : 654321u, p, 64, 1000);
	pcap_record(&b, 1700000001u, ns ? 999999999u : 999999u, p, 20, 20);
	const char *path = write_file("ts", b.p, b.n);
	int orc, rc;
	struct bpfvm_error err;
	size_t n = read_all(path, rf, 8, &orc, &rc, &err);
	if (orc)
		fail_msg("%s-endian %s pcap: %s", be ? "big" : "little", ns ? "ns" : "us", err.msg);
	assert_int_equal(n, 2);
	assert_int_equal(rc, 0);
	assert_int_equal(rf[0].caplen, 64);
	assert_int_equal(rf[0].wire_len, 1000);
	assert_memory_equal(rf[0].data, p, 64);
	assert_int_equal(rf[1].caplen, 20);
	assert_int_equal(rf[1].index, 1);
	uint64_t want0 = 1700000000ull * 1000000000ull + (ns ? 123456789ull : 654321000ull);
	uint64_t want1 = 1700000001ull * 1000000000ull + (ns ? 999999999ull : 999999000ull);
	if (rf[0].ts_ns != want0 || rf[1].ts_ns != want1)
		fail_msg("%s-endian %s pcap: ts_ns %llu and %llu, want %llu and %llu", be ? "big" : "little",
			 ns ? "ns" : "us", (unsigned long long)rf[0].ts_ns, (unsigned long long)rf[1].ts_ns,
			 (unsigned long long)want0, (unsigned long long)want1);

	/* progress: the whole file read at the end */
	bpfvm_pktsrc *src;
	assert_int_equal(bpfvm_pktsrc_open_file(path, &src, &err), 0);
	struct bpfvm_frame f;
	while (bpfvm_pktsrc_next(src, &f, 0, &err) == 1)
		;
	uint64_t done, total;
	bpfvm_pktsrc_progress(src, &done, &total);
	assert_int_equal(total, b.n);
	assert_int_equal(done, b.n);
	bpfvm_pktsrc_close(src);
	free(b.p);
	free(p);
}

static void test_timestamps_and_byte_order(void **state)
{
	check_pcap_times(0, 0);
	check_pcap_times(1, 0);
}

/* Nanosecond captures keep their nanoseconds (ts_ns is in ns): the pcap
 * nanosecond magic and pcapng's if_tsresol = 9. */
static void test_nanosecond_timestamps(void **state)
{
	check_pcap_times(0, 1);
	check_pcap_times(1, 1);
	uint8_t *p = pattern(60, 11);
	struct buf c = { 0 };
	ng_shb(&c);
	ng_idb(&c, LT_EN10MB, 9);
	ng_epb(&c, 1700000000123456789ull, p, 60, 60);
	int orc, rc;
	struct bpfvm_error err;
	size_t n = read_all(write_file("ngns", c.p, c.n), rf, 8, &orc, &rc, &err);
	if (orc)
		fail_msg("pcapng ns: %s", err.msg);
	assert_int_equal(n, 1);
	if (rf[0].ts_ns != 1700000000123456789ull)
		fail_msg("pcapng if_tsresol 9: ts_ns %llu, want 1700000000123456789", (unsigned long long)rf[0].ts_ns);
	free(c.p);
	free(p);
}

static void test_pcapng_blocks(void **state)
{
	uint8_t *p = pattern(70, 11);
	/* default resolution (microseconds), an unknown block in between, a
	 * simple packet block */
	struct buf b = { 0 };
	ng_shb(&b);
	ng_idb(&b, LT_EN10MB, 0);
	ng_epb(&b, 1700000000123456ull, p, 70, 70);
	ng_custom(&b);
	ng_epb(&b, 1700000000123457ull, p, 33, 99);
	ng_spb(&b, p, 41);
	int orc, rc;
	struct bpfvm_error err;
	size_t n = read_all(write_file("ng", b.p, b.n), rf, 8, &orc, &rc, &err);
	if (orc)
		fail_msg("pcapng: %s", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 3);
	assert_int_equal(rf[0].ts_ns, 1700000000123456ull * 1000);
	assert_int_equal(rf[0].caplen, 70);
	assert_memory_equal(rf[0].data, p, 70);
	assert_int_equal(rf[1].caplen, 33);
	assert_int_equal(rf[1].wire_len, 99);
	assert_int_equal(rf[1].ts_ns, 1700000000123457ull * 1000);
	assert_int_equal(rf[2].caplen, 41);
	assert_memory_equal(rf[2].data, p, 41);
	free(b.p);
	free(p);
}

/* Random corruption of valid files: whatever happens, no crash, and every
 * failure is a format, link-type or I/O error with a message. */
static void test_corruption(void **state)
{
	struct buf pc = { 0 }, ng = { 0 };
	uint8_t *p = pattern(200, 77);
	pcap_header(&pc, PCAP_US, LT_EN10MB);
	ng_shb(&ng);
	ng_idb(&ng, LT_EN10MB, 6);
	for (uint32_t i = 0; i < 6; i++) {
		pcap_record(&pc, i, i, p, 20 + i * 30, 20 + i * 30);
		ng_epb(&ng, i, p, 20 + i * 30, 20 + i * 30);
	}
	uint64_t s = 0x1234;
	size_t runs = 0, errors = 0;
	for (int iter = 0; iter < 1500; iter++) {
		const struct buf *src = iter & 1 ? &ng : &pc;
		uint8_t *m = malloc(src->n);
		memcpy(m, src->p, src->n);
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int flips = 1 + (int)((s >> 33) % 4);
		for (int k = 0; k < flips; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			size_t at = (size_t)((s >> 20) % src->n);
			m[at] = (uint8_t)(s >> 56);
		}
		int orc, rc;
		struct bpfvm_error err;
		read_all(write_file("corrupt", m, src->n), rf, 0, &orc, &rc, &err);
		int code = orc ? orc : rc;
		if (code && code != BPFVM_EFORMAT && code != BPFVM_EUNSUPP && code != BPFVM_EIO)
			fail_msg("corruption %d: unexpected status %d (%s)", iter, code, err.msg);
		errors += code != 0;
		runs++;
		free(m);
	}
	printf("%zu corrupted files read, %zu ended with an error\n", runs, errors);
	free(pc.p);
	free(ng.p);
	free(p);
}

/* ------------------------------------------------------------------ live */

static void test_live(void **state)
{
	bpfvm_pktsrc *src = (bpfvm_pktsrc *)1;
	struct bpfvm_error err;
	int rc = bpfvm_pktsrc_open_live("bpfvm-no-such-if0", &src, &err);
	assert_true(rc < 0);
	assert_null(src);
	assert_int_equal(err.code, rc);
	assert_true(err.msg[0] != 0);
	printf("no such interface: %s\n", err.msg);
	if (geteuid() != 0 || if_nametoindex("lo") == 0) {
		printf("SKIP live capture on lo: %s\n", geteuid() ? "not root" : "no lo");
		skip();
	}
	rc = bpfvm_pktsrc_open_live("lo", &src, &err);
	if (rc)
		fail_msg("open_live lo: %s", err.msg);
	assert_int_equal(bpfvm_pktsrc_ifindex(src), if_nametoindex("lo"));

	/* a UDP datagram to ourselves with a payload we can recognise */
	int s = socket(AF_INET, SOCK_DGRAM, 0), r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(r, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(r, (struct sockaddr *)&a, &alen), 0);
	char payload[32];
	int plen = snprintf(payload, sizeof(payload), "bpfvm-pktsrc-%d", (int)getpid());
	assert_int_equal(sendto(s, payload, (size_t)plen, 0, (struct sockaddr *)&a, sizeof(a)), plen);
	int found = 0;
	for (int tries = 0; tries < 50 && !found; tries++) {
		struct bpfvm_frame f;
		int got = bpfvm_pktsrc_next(src, &f, 100, &err);
		assert_true(got >= 0);
		if (got == 1 && f.caplen >= 14 + 20 + 8 + (uint32_t)plen &&
		    !memcmp(f.data + f.caplen - (uint32_t)plen, payload, (size_t)plen)) {
			assert_int_equal(f.data[12] << 8 | f.data[13], 0x0800);
			assert_int_equal(f.data[23], IPPROTO_UDP);
			assert_int_equal(f.wire_len, f.caplen);
			found = 1;
		}
	}
	assert_true(found);
	close(s);
	close(r);
	bpfvm_pktsrc_close(src);
}

static int cleanup(void **state)
{
	static const char *names[] = { "empty", "hdr10", "hdr23", "garbage", "text", "shb20", "lt.pcap",
				       "lt.pcapng", "trunc-data", "trunc-hdr", "huge-caplen", "cut", "lt",
				       "edges", "bigraw", "ts", "ng", "ngns", "corrupt" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmpfile_path(names[i]));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_unknown_linktype),
		cmocka_unit_test(test_truncated_records),
		cmocka_unit_test(test_cut_everywhere),
		cmocka_unit_test(test_linktypes),
		cmocka_unit_test(test_linktype_edges),
		cmocka_unit_test(test_timestamps_and_byte_order),
		cmocka_unit_test(test_nanosecond_timestamps),
		cmocka_unit_test(test_pcapng_blocks),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
