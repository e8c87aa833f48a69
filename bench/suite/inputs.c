/* inputs.c - builds the suite's inputs (see inputs.h): deterministic, so
 * every engine, every run and every machine sees the same bytes. */
#include <string.h>

#include "inputs.h"

void suite_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		buf[i] = (uint8_t)((x * 0x2545f4914f6cdd1dULL) >> 56);
	}
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void suite_build_frame(uint8_t *f, size_t len)
{
	static const uint8_t dst[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
	static const uint8_t src[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x01 };
	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;                        /* IPv4, 20-byte header */
	put16(ip + 2, (uint16_t)(len - 14)); /* total length */
	put16(ip + 4, 0x1c46);               /* identification */
	put16(ip + 6, 0x4000);               /* don't fragment */
	ip[8] = 64;                          /* TTL */
	ip[9] = 6;                           /* TCP */
	put32(ip + 12, 0xc0a80001);          /* 192.168.0.1 */
	put32(ip + 16, 0xc0a800c8);          /* 192.168.0.200 */
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
	uint8_t *tcp = ip + 20;
	put16(tcp, 443);
	put16(tcp + 2, 51000);
	put32(tcp + 4, 0x6b8b4567);          /* sequence */
	put32(tcp + 8, 0x327b23c6);          /* acknowledgement */
	tcp[12] = 5 << 4;                    /* 20-byte header */
	tcp[13] = 0x18;                      /* ACK | PSH */
	put16(tcp + 14, 501);                /* window */
	if (len > 54)
		suite_fill(f + 54, len - 54, 7);
}
