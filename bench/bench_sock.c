/* bench_sock.c - how fast sock_example runs on bpfvm's interpreter over a
 * capture file, compared with libpcap alone reading the same file. Not a
 * test: it reports numbers, it never passes or fails on them.
 *
 * Rows (each the median of --runs runs, after one warm-up pass that also
 * brings the file into the page cache):
 *   libpcap        pcap_next_ex over the file, nothing else
 *   pktsrc         bpfvm_pktsrc_next over the file (libpcap + bpfvm's frame handling)
 *   checked        sock_example: pktsrc + bpfvm_exec_run, bounds-checked engine
 *   trusted        the same, BPFVM_PROG_F_TRUSTED (no checks, no budget)
 *   exec checked   bpfvm_exec_run alone over frames held in memory (no file)
 *   exec trusted   the same, trusted
 * The sock_example rows are also checked against a byte-23 count of the file.
 *
 *   bench_sock --pcap FILE [--runs N] [--mem-frames N] [--rows 1,2,...]
 * --rows runs only the given rows (1-based), e.g. one row under perf. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvm/bpfvm.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct bpfvm_error *err)
{
	char msg[400];
	fprintf(stderr, "bench_sock: %s: %s\n", what, err ? bpfvm_error_format(err, msg, sizeof(msg)) : strerror(errno));
	exit(1);
}

/* ---- the program ---- */

struct sock {
	bpfvm_env *env;
	bpfvm_prog *prog;
	bpfvm_exec *ex;
	int map_fd;
};

static void sock_open(struct sock *s, int trusted)
{
	struct bpfvm_error err;
	s->env = bpfvm_env_new();
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "my_map", .type = BPF_MAP_TYPE_ARRAY,
				     .key_size = 4, .value_size = 8, .max_entries = 256 };
	s->map_fd = s->env ? bpfvm_map_create(s->env, &mo) : -ENOMEM;
	if (s->map_fd < 0) {
		errno = -s->map_fd;
		die("map", NULL);
	}
	/* the seed's program (examples/sock_example.c) */
	struct bpf_insn prog[] = {
		BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
		BPF_LD_ABS(BPF_B, 14 + 9),
		BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4),
		BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
		BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -4),
		BPF_LD_MAP_FD(BPF_REG_1, s->map_fd),
		BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		BPF_MOV64_IMM(BPF_REG_1, 1),
		BPF_RAW_INSN(BPF_STX | BPF_XADD | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0),
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN()
	};
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "sock_example", .type = BPF_PROG_TYPE_SOCKET_FILTER,
				      .flags = trusted ? BPFVM_PROG_F_TRUSTED : BPFVM_PROG_F_NO_VERIFY };
	if (bpfvm_prog_load(s->env, prog, sizeof(prog) / sizeof(prog[0]), &po, &s->prog, &err))
		die("load", &err);
	s->ex = bpfvm_exec_new(s->env);
}

static void sock_counts(struct sock *s, unsigned long long c[3])
{
	bpfvm_map *m = bpfvm_map_from_fd(s->env, s->map_fd);
	static const uint32_t keys[3] = { 6, 17, 1 };
	for (int i = 0; i < 3; i++) {
		uint64_t v = 0;
		bpfvm_map_lookup(m, &keys[i], &v);
		c[i] = v;
	}
}

static void sock_close(struct sock *s)
{
	bpfvm_exec_free(s->ex);
	bpfvm_prog_free(s->prog);
	bpfvm_env_free(s->env);
}

/* ---- the measured loops: each returns the number of frames ---- */

static unsigned long long sink;

static unsigned long long run_libpcap(const char *path, unsigned long long c[3])
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, ebuf);
	if (!p) {
		fprintf(stderr, "bench_sock: %s\n", ebuf);
		exit(1);
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		n++;
		bytes += h->caplen;
		if (c && h->caplen >= 24) /* the reference count, outside the timed runs */
			c[0] += d[23] == 6, c[1] += d[23] == 17, c[2] += d[23] == 1;
	}
	sink += bytes;
	pcap_close(p);
	return n;
}

static unsigned long long run_pktsrc(const char *path, struct sock *s, unsigned long long c[3])
{
	struct bpfvm_error err;
	bpfvm_pktsrc *src;
	if (bpfvm_pktsrc_open_file(path, &src, &err))
		die(path, &err);
	struct bpfvm_frame f;
	unsigned long long n = 0, bytes = 0;
	int rc;
	while ((rc = bpfvm_pktsrc_next(src, &f, 0, &err)) == 1) {
		if (s) {
			struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f.data, .frame_len = f.caplen,
						     .wire_len = f.wire_len };
			uint64_t r0;
			if (bpfvm_exec_run(s->ex, s->prog, &ro, &r0, &err))
				die("run", &err);
		}
		bytes += f.caplen;
		n++;
	}
	if (rc < 0)
		die(path, &err);
	sink += bytes;
	bpfvm_pktsrc_close(src);
	if (s && c)
		sock_counts(s, c);
	return n;
}

struct memframes {
	uint8_t *data;
	size_t *off;
	uint32_t *len;
	size_t n;
};

static void load_memframes(const char *path, size_t max, struct memframes *m)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, ebuf);
	if (!p) {
		fprintf(stderr, "bench_sock: %s\n", ebuf);
		exit(1);
	}
	size_t cap = 1 << 20, used = 0;
	m->data = malloc(cap);
	m->off = malloc(max * sizeof(size_t));
	m->len = malloc(max * sizeof(uint32_t));
	m->n = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	while (m->n < max && pcap_next_ex(p, &h, &d) == 1) {
		if (used + h->caplen > cap) {
			cap *= 2;
			m->data = realloc(m->data, cap);
		}
		memcpy(m->data + used, d, h->caplen);
		m->off[m->n] = used;
		m->len[m->n] = h->caplen;
		used += h->caplen;
		m->n++;
	}
	pcap_close(p);
}

static unsigned long long run_exec(const struct memframes *m, struct sock *s)
{
	struct bpfvm_error err;
	for (size_t i = 0; i < m->n; i++) {
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = m->data + m->off[i], .frame_len = m->len[i] };
		uint64_t r0;
		if (bpfvm_exec_run(s->ex, s->prog, &ro, &r0, &err))
			die("run", &err);
	}
	return m->n;
}

/* ---- timing ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

enum row { R_LIBPCAP, R_PKTSRC, R_CHECKED, R_TRUSTED, R_EXEC_CHECKED, R_EXEC_TRUSTED, NROWS };
static const char *row_names[NROWS] = { "libpcap (pcap_next_ex only)", "bpfvm_pktsrc_next only",
					"sock_example, checked", "sock_example, trusted",
					"exec_run only, checked (in memory)", "exec_run only, trusted (in memory)" };

int main(int argc, char **argv)
{
	const char *path = NULL;
	int runs = 5;
	size_t mem_frames = 200000;
	unsigned rows = (1u << NROWS) - 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--mem-frames") && i + 1 < argc)
			mem_frames = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rows") && i + 1 < argc) {
			rows = 0;
			for (char *p = argv[++i]; *p;) {
				long r = strtol(p, &p, 10);
				if (r >= 1 && r <= NROWS)
					rows |= 1u << (r - 1);
				if (*p == ',')
					p++;
				else if (*p)
					return 2;
			}
		} else {
			fprintf(stderr, "usage: bench_sock --pcap FILE [--runs N] [--mem-frames N] [--rows 1,2,...]\n");
			return 2;
		}
	}
	if (!path || runs < 1)
		return 2;

	/* warm-up and reference counts */
	unsigned long long ref[3] = { 0 }, frames = run_libpcap(path, ref);
	struct memframes mem;
	load_memframes(path, mem_frames, &mem);

	double rate[NROWS][64];
	if (runs > 64)
		runs = 64;
	unsigned long long got[2][3];
	memcpy(got[0], ref, sizeof(ref));
	memcpy(got[1], ref, sizeof(ref));
	for (int r = 0; r < runs; r++) {
		for (int row = 0; row < NROWS; row++) {
			if (!(rows & (1u << row)))
				continue;
			struct sock s;
			int trusted = row == R_TRUSTED || row == R_EXEC_TRUSTED;
			int uses_vm = row >= R_CHECKED;
			if (uses_vm)
				sock_open(&s, trusted);
			unsigned long long c[3] = { 0 }, n;
			double t0 = now();
			switch (row) {
			case R_LIBPCAP: n = run_libpcap(path, NULL); break;
			case R_PKTSRC: n = run_pktsrc(path, NULL, NULL); break;
			case R_CHECKED: case R_TRUSTED: n = run_pktsrc(path, &s, c); break;
			default: n = run_exec(&mem, &s); break;
			}
			double dt = now() - t0;
			if ((row <= R_TRUSTED && n != frames) || (row > R_TRUSTED && n != mem.n)) {
				fprintf(stderr, "bench_sock: %s read %llu frames\n", row_names[row], n);
				return 1;
			}
			rate[row][r] = (double)n / dt;
			if (row == R_CHECKED || row == R_TRUSTED)
				memcpy(got[row - R_CHECKED], c, sizeof(c));
			if (uses_vm)
				sock_close(&s);
		}
		for (int m = 0; m < 2; m++)
			if (memcmp(got[m], ref, sizeof(ref))) {
				fprintf(stderr,
					"bench_sock: %s counted TCP %llu UDP %llu ICMP %llu, the file has %llu %llu %llu\n",
					row_names[R_CHECKED + m], got[m][0], got[m][1], got[m][2], ref[0], ref[1], ref[2]);
				return 1;
			}
	}

	printf("%s: %llu frames; sock_example counts TCP %llu UDP %llu ICMP %llu (= byte 23 of the file); "
	       "median of %d runs\n\n",
	       path, frames, ref[0], ref[1], ref[2], runs);
	printf("%-38s %14s %10s %12s\n", "loop", "packets/s", "ns/packet", "vs libpcap");
	double base = 0;
	for (int row = 0; row < NROWS; row++) {
		if (!(rows & (1u << row)))
			continue;
		qsort(rate[row], (size_t)runs, sizeof(double), cmp_double);
		double med = runs % 2 ? rate[row][runs / 2] : (rate[row][runs / 2 - 1] + rate[row][runs / 2]) / 2;
		if (row == R_LIBPCAP)
			base = med;
		char ratio[32] = "";
		if (row <= R_TRUSTED && base > 0)
			snprintf(ratio, sizeof(ratio), "%.3f", med / base);
		printf("%-38s %14.0f %10.1f %12s\n", row_names[row], med, 1e9 / med, ratio);
	}
	printf("\n(the in-memory rows run %zu frames of the file without reading it: the VM's own cost per packet)\n",
	       mem.n);
	if (sink == 42)
		printf(" ");
	free(mem.data);
	free(mem.off);
	free(mem.len);
	return 0;
}
