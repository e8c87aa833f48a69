/* trafficgen.c - generates known loopback traffic for captures and live tests:
 * TCP connections carrying a little data, UDP datagrams and ICMP echo requests
 * over IPv4 (127.0.0.1), and the same over IPv6 (::1) with --ipv6. ICMP needs
 * root (raw sockets). Prints what it sent as one line:
 *   tcp_conns N udp N icmp N tcp6_conns N udp6 N icmp6 N
 * Usage: trafficgen [--tcp N] [--udp N] [--icmp N] [--ipv6] [--delay-ms MS] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int delay_ms = 0;

static void pause_a_little(void)
{
	if (delay_ms > 0) {
		struct timespec ts = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static socklen_t loopback(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((uint16_t)port);
	s->sin6_addr = in6addr_loopback;
	return sizeof(*s);
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* One TCP connection: connect, send, receive the echo, close. */
static int tcp_round(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int ls = socket(family, SOCK_STREAM, 0), c = -1, a = -1, ok = -1;
	if (ls < 0 || bind(ls, (struct sockaddr *)&ss, len) || listen(ls, 1))
		goto out;
	len = loopback(family, bound_port(ls), &ss);
	c = socket(family, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len))
		goto out;
	a = accept(ls, NULL, NULL);
	if (a < 0)
		goto out;
	char buf[64] = "bpfvm trafficgen";
	if (send(c, buf, 16, 0) != 16 || recv(a, buf, sizeof(buf), 0) <= 0 || send(a, buf, 16, 0) != 16 ||
	    recv(c, buf, sizeof(buf), 0) <= 0)
		goto out;
	ok = 0;
out:
	if (c >= 0)
		close(c);
	if (a >= 0)
		close(a);
	if (ls >= 0)
		close(ls);
	return ok;
}

static int udp_round(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int rs = socket(family, SOCK_DGRAM, 0), s = socket(family, SOCK_DGRAM, 0), ok = -1;
	if (rs < 0 || s < 0 || bind(rs, (struct sockaddr *)&ss, len))
		goto out;
	len = loopback(family, bound_port(rs), &ss);
	if (sendto(s, "bpfvm", 5, 0, (struct sockaddr *)&ss, len) != 5)
		goto out;
	char buf[16];
	struct pollfd p = { rs, POLLIN, 0 };
	if (poll(&p, 1, 1000) == 1 && recv(rs, buf, sizeof(buf), 0) == 5)
		ok = 0;
out:
	if (rs >= 0)
		close(rs);
	if (s >= 0)
		close(s);
	return ok;
}

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* One ICMP echo request (the kernel answers it: a reply is captured too). */
static int icmp_round(int family, uint16_t seq)
{
	int s = family == AF_INET ? socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) : socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (s < 0)
		return -1;
	uint8_t pkt[32] = { 0 };
	if (family == AF_INET) {
		struct icmphdr *h = (struct icmphdr *)pkt;
		h->type = ICMP_ECHO;
		h->un.echo.id = htons(0xb0f);
		h->un.echo.sequence = htons(seq);
		h->checksum = csum(pkt, sizeof(pkt));
	} else { /* the kernel fills the ICMPv6 checksum for raw ICMPv6 sockets */
		struct icmp6_hdr *h = (struct icmp6_hdr *)pkt;
		h->icmp6_type = ICMP6_ECHO_REQUEST;
		h->icmp6_id = htons(0xb0f);
		h->icmp6_seq = htons(seq);
	}
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int ok = sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, len) == (ssize_t)sizeof(pkt) ? 0 : -1;
	if (ok == 0) { /* wait for the reply so that it is on the wire before we go on */
		uint8_t buf[256];
		struct pollfd p = { s, POLLIN, 0 };
		if (poll(&p, 1, 1000) == 1)
			(void)recv(s, buf, sizeof(buf), 0);
	}
	close(s);
	return ok;
}

int main(int argc, char **argv)
{
	int ntcp = 3, nudp = 3, nicmp = 3, ipv6 = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tcp") && i + 1 < argc)
			ntcp = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--udp") && i + 1 < argc)
			nudp = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--icmp") && i + 1 < argc)
			nicmp = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ipv6"))
			ipv6 = 1;
		else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
			delay_ms = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: trafficgen [--tcp N] [--udp N] [--icmp N] [--ipv6] [--delay-ms MS]\n");
			return 2;
		}
	}
	int sent[6] = { 0 };
	for (int f = 0; f < (ipv6 ? 2 : 1); f++) {
		int family = f ? AF_INET6 : AF_INET;
		for (int i = 0; i < ntcp; i++, pause_a_little())
			sent[f * 3] += tcp_round(family) == 0;
		for (int i = 0; i < nudp; i++, pause_a_little())
			sent[f * 3 + 1] += udp_round(family) == 0;
		for (int i = 0; i < nicmp; i++, pause_a_little())
			sent[f * 3 + 2] += icmp_round(family, (uint16_t)(i + 1)) == 0;
	}
	printf("tcp_conns %d udp %d icmp %d tcp6_conns %d udp6 %d icmp6 %d\n", sent[0], sent[1], sent[2], sent[3],
	       sent[4], sent[5]);
	int want = ntcp + nudp + nicmp;
	return sent[0] + sent[1] + sent[2] == want && (!ipv6 || sent[3] + sent[4] + sent[5] == want) ? 0 : 1;
}
