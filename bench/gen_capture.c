/* gen_capture.c - writes the benchmark's capture: N Ethernet frames (default
 * 1,000,000) of mixed IPv4 TCP, UDP, ICMP and IPv6 TCP/UDP traffic with a
 * realistic spread of sizes, through libpcap's pcap_dump. Deterministic for a
 * given seed. Prints what it wrote, including the per-protocol counts that
 * sock_example must find.
 *
 *   gen_capture [--frames N] [--seed S] [--out FILE]   (default /tmp/bpfvm-bench.pcap) */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Frame sizes: half small (ACKs, DNS), a third medium, the rest full-size. */
static uint32_t frame_size(uint32_t min)
{
	uint32_t r = (uint32_t)(next() % 100), n;
	if (r < 50)
		n = 60 + (uint32_t)(next() % 60);
	else if (r < 83)
		n = 120 + (uint32_t)(next() % 480);
	else
		n = 1000 + (uint32_t)(next() % 515);
	return n < min ? min : n;
}

int main(int argc, char **argv)
{
	unsigned long long frames = 1000000;
	const char *out = "/tmp/bpfvm-bench.pcap";
	rng = 42;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else {
			fprintf(stderr, "usage: gen_capture [--frames N] [--seed S] [--out FILE]\n");
			return 2;
		}
	}
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, out) : NULL;
	if (!d) {
		fprintf(stderr, "gen_capture: %s: %s\n", out, dead ? pcap_geterr(dead) : "pcap_open_dead failed");
		return 1;
	}
	static uint8_t f[1514];
	unsigned long long tcp = 0, udp = 0, icmp = 0, v6 = 0, bytes = 0;
	for (unsigned long long i = 0; i < frames; i++) {
		uint32_t kind = (uint32_t)(next() % 100), len;
		for (size_t k = 0; k < sizeof(f); k += 8) {
			uint64_t v = next();
			memcpy(f + k, &v, sizeof(f) - k < 8 ? sizeof(f) - k : 8);
		}
		f[0] &= 0xfe; /* unicast */
		if (kind < 75) { /* IPv4: 45% TCP, 22% UDP, 8% ICMP */
			uint8_t proto = kind < 45 ? 6 : kind < 67 ? 17 : 1;
			len = frame_size(proto == 6 ? 54 : 42);
			f[12] = 0x08, f[13] = 0x00;
			f[14] = 0x45, f[15] = 0;
			f[16] = (uint8_t)((len - 14) >> 8), f[17] = (uint8_t)(len - 14);
			f[20] = 0x40, f[21] = 0, f[22] = 64, f[23] = proto;
			tcp += proto == 6, udp += proto == 17, icmp += proto == 1;
		} else { /* IPv6 TCP/UDP: byte 23 is inside the source address */
			len = frame_size(74);
			f[12] = 0x86, f[13] = 0xdd;
			f[14] = 0x60;
			f[18] = (uint8_t)((len - 54) >> 8), f[19] = (uint8_t)(len - 54);
			f[20] = kind < 90 ? 6 : 17, f[21] = 64;
			v6++;
			/* the seed counts byte 23 whatever the ethertype */
			tcp += f[23] == 6, udp += f[23] == 17, icmp += f[23] == 1;
		}
		struct pcap_pkthdr h = { .caplen = len, .len = len };
		h.ts.tv_sec = 1700000000 + (time_t)(i / 100000);
		h.ts.tv_usec = (suseconds_t)(i % 100000) * 10;
		pcap_dump((u_char *)d, &h, f);
		bytes += len;
	}
	pcap_dump_close(d);
	pcap_close(dead);
	printf("%s: %llu frames, %llu bytes of frames (IPv6 %llu); byte 23: TCP %llu UDP %llu ICMP %llu\n", out, frames,
	       bytes, v6, tcp, udp, icmp);
	return 0;
}
