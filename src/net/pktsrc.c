/* pktsrc.c - packet sources over libpcap: capture files (pcap, pcapng) and
 * live interfaces, delivering every frame as an Ethernet frame. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpfvm/bpfvm.h"

/* link types we translate (values from pcap/dlt.h, which the header we use
 * without pcap/bpf.h may not define) */
#ifndef DLT_EN10MB
#define DLT_EN10MB 1
#endif
#ifndef DLT_NULL
#define DLT_NULL 0
#endif
#ifndef DLT_RAW
#define DLT_RAW 12
#endif
#ifndef DLT_LOOP
#define DLT_LOOP 108
#endif
#ifndef DLT_LINUX_SLL
#define DLT_LINUX_SLL 113
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define MAX_FRAME 262144 /* libpcap's largest snapshot length */

struct bpfvm_pktsrc {
	pcap_t *pcap;
	int linktype;
	int live;
	uint32_t ifindex;
	uint64_t count;
	uint64_t file_size;
	uint8_t buf[14 + MAX_FRAME]; /* translated frames */
};

static int src_err(struct bpfvm_error *err, int code, long offset, const char *fmt, const char *a, const char *b)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		err->insn = -1;
		err->offset = offset;
		snprintf(err->msg, sizeof(err->msg), fmt, a, b);
	}
	return code;
}

static int linktype_ok(int lt)
{
	switch (lt) {
	case DLT_EN10MB: case DLT_NULL: case DLT_LOOP: case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
	case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

static int finish_open(bpfvm_pktsrc *s, bpfvm_pktsrc **out, const char *what, struct bpfvm_error *err)
{
	s->linktype = pcap_datalink(s->pcap);
	if (!linktype_ok(s->linktype)) {
		char lt[64];
		const char *name = pcap_datalink_val_to_name(s->linktype);
		snprintf(lt, sizeof(lt), "%d (%s)", s->linktype, name ? name : "unknown");
		/* for files, the link type is the pcap header's field at offset 20 */
		src_err(err, BPFVM_EUNSUPP, s->live ? -1 : 20, "%s: unsupported link type %s", what, lt);
		bpfvm_pktsrc_close(s);
		return BPFVM_EUNSUPP;
	}
	*out = s;
	return 0;
}

int bpfvm_pktsrc_open_file(const char *path, bpfvm_pktsrc **out, struct bpfvm_error *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	bpfvm_pktsrc *s = calloc(1, sizeof(*s));
	if (!s)
		return src_err(err, BPFVM_ENOMEM, -1, "%s%s", "out of memory", "");
	struct stat st;
	if (strcmp(path, "-") != 0) {
		if (stat(path, &st) != 0) {
			free(s);
			return src_err(err, BPFVM_EIO, -1, "%s: %s", path, strerror(errno));
		}
		s->file_size = (uint64_t)st.st_size;
	}
	s->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!s->pcap) {
		free(s);
		/* libpcap says why: unknown magic, truncated header, ... */
		return src_err(err, BPFVM_EFORMAT, 0, "%s: %s", path, ebuf);
	}
	return finish_open(s, out, path, err);
}

int bpfvm_pktsrc_open_live(const char *iface, bpfvm_pktsrc **out, struct bpfvm_error *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	bpfvm_pktsrc *s = calloc(1, sizeof(*s));
	if (!s)
		return src_err(err, BPFVM_ENOMEM, -1, "%s%s", "out of memory", "");
	s->live = 1;
	s->ifindex = if_nametoindex(iface);
	s->pcap = pcap_create(iface, ebuf);
	if (!s->pcap) {
		free(s);
		return src_err(err, BPFVM_EIO, -1, "%s: %s", iface, ebuf);
	}
	pcap_set_snaplen(s->pcap, MAX_FRAME);
	pcap_set_buffer_size(s->pcap, 32 << 20); /* bursts of full-size loopback frames */
	pcap_set_promisc(s->pcap, 0);
	pcap_set_timeout(s->pcap, 100);
	pcap_set_immediate_mode(s->pcap, 1);
	pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_NANO); /* best effort */
	int rc = pcap_activate(s->pcap);
	if (rc < 0) {
		const char *why = rc == PCAP_ERROR_PERM_DENIED ? "permission denied (needs root or CAP_NET_RAW)"
				  : rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
								    : pcap_geterr(s->pcap);
		src_err(err, BPFVM_EIO, -1, "%s: %s", iface, why);
		bpfvm_pktsrc_close(s);
		return BPFVM_EIO;
	}
	/* non-blocking: bpfvm_pktsrc_next waits with poll() for at most timeout_ms */
	if (pcap_setnonblock(s->pcap, 1, ebuf) < 0 || pcap_get_selectable_fd(s->pcap) < 0) {
		src_err(err, BPFVM_EIO, -1, "%s: %s", iface, "cannot wait for frames on this interface");
		bpfvm_pktsrc_close(s);
		return BPFVM_EIO;
	}
	return finish_open(s, out, iface, err);
}

/* Writes an Ethernet header with the given type in front of payload. */
static const uint8_t *with_eth(bpfvm_pktsrc *s, const uint8_t *payload, uint32_t *len, uint16_t ethertype,
			       const uint8_t *src_mac)
{
	uint32_t n = *len > MAX_FRAME ? MAX_FRAME : *len;
	memset(s->buf, 0, 12);
	if (src_mac)
		memcpy(s->buf + 6, src_mac, 6);
	s->buf[12] = (uint8_t)(ethertype >> 8);
	s->buf[13] = (uint8_t)ethertype;
	memcpy(s->buf + 14, payload, n);
	*len = n + 14;
	return s->buf;
}

static uint16_t ip_ethertype(const uint8_t *p, uint32_t len)
{
	return len && (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
}

int bpfvm_pktsrc_next(bpfvm_pktsrc *s, struct bpfvm_frame *f, int timeout_ms, struct bpfvm_error *err)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *fp = s->live ? NULL : pcap_file(s->pcap);
	long record = fp ? ftell(fp) : -1; /* where this record starts, for errors */
	int rc = pcap_next_ex(s->pcap, &h, &data);
	if (rc == 0 && s->live) { /* nothing buffered: wait for the interface, then try once more */
		struct pollfd p = { pcap_get_selectable_fd(s->pcap), POLLIN, 0 };
		if (poll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms) <= 0)
			return 0;
		rc = pcap_next_ex(s->pcap, &h, &data);
	}
	if (rc == 0)
		return 0; /* live timeout */
	if (rc == PCAP_ERROR_BREAK)
		return 0; /* end of file */
	if (rc < 0) {
		long off = record;
		char idx[32];
		snprintf(idx, sizeof(idx), "%llu", (unsigned long long)s->count);
		return src_err(err, BPFVM_EFORMAT, off, "frame %s: %s", idx, pcap_geterr(s->pcap));
	}
	uint32_t caplen = h->caplen, wire = h->len;
	const uint8_t *p = data;
	switch (s->linktype) {
	case DLT_EN10MB:
		break;
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
		p = with_eth(s, data, &caplen, ip_ethertype(data, caplen), NULL);
		wire += 14;
		break;
	case DLT_NULL: case DLT_LOOP: { /* 4-byte address family, then IP */
		uint32_t skip = caplen < 4 ? caplen : 4;
		caplen -= skip;
		p = with_eth(s, data + skip, &caplen, ip_ethertype(data + skip, caplen), NULL);
		wire = wire - skip + 14;
		break;
	}
	case DLT_LINUX_SLL: { /* 16-byte cooked header: protocol at 14, address at 6 */
		uint16_t proto = caplen >= 16 ? (uint16_t)(data[14] << 8 | data[15]) : 0;
		uint32_t skip = caplen < 16 ? caplen : 16;
		caplen -= skip;
		p = with_eth(s, data + skip, &caplen, proto, caplen + skip >= 12 ? data + 6 : NULL);
		wire = wire - skip + 14;
		break;
	}
	case DLT_LINUX_SLL2: { /* 20-byte cooked v2 header: protocol at 0, address at 12 */
		uint16_t proto = caplen >= 20 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
		uint32_t skip = caplen < 20 ? caplen : 20;
		caplen -= skip;
		p = with_eth(s, data + skip, &caplen, proto, caplen + skip >= 18 ? data + 12 : NULL);
		wire = wire - skip + 14;
		break;
	}
	}
	f->data = p;
	f->caplen = caplen;
	f->wire_len = wire;
	/* opened with nanosecond precision: tv_usec holds nanoseconds */
	uint64_t sub = (uint64_t)h->ts.tv_usec;
	if (s->live && pcap_get_tstamp_precision(s->pcap) != PCAP_TSTAMP_PRECISION_NANO)
		sub *= 1000;
	f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + sub;
	f->index = s->count++;
	return 1;
}

uint32_t bpfvm_pktsrc_ifindex(const bpfvm_pktsrc *s)
{
	return s->ifindex;
}

void bpfvm_pktsrc_progress(const bpfvm_pktsrc *s, uint64_t *done, uint64_t *total)
{
	FILE *fp = s->live ? NULL : pcap_file(s->pcap);
	long pos = fp ? ftell(fp) : -1;
	*done = pos > 0 ? (uint64_t)pos : 0;
	*total = s->file_size;
}

void bpfvm_pktsrc_close(bpfvm_pktsrc *s)
{
	if (!s)
		return;
	if (s->pcap)
		pcap_close(s->pcap);
	free(s);
}
