/* sock_example.c - the kernel's samples/bpf/sock_example on bpfvm: the seed's
 * bytecode, written with the kernel's builder macros exactly as listed in
 * DEVELOPERS.md, counts packets per IP protocol in an array map of 256 u64
 * counters. Runs over a capture file or a live interface and ends with one
 * line: "TCP <n> UDP <n> ICMP <n>".
 *
 *   sock_example --pcap FILE
 *   sock_example --live IFACE [--seconds N] [--count N]
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfvm/bpfvm.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: sock_example --pcap FILE | --live IFACE [--seconds N] [--count N]\n");
	return 2;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *pcap = NULL, *live = NULL;
	double seconds = 0;
	unsigned long long count = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc)
			pcap = argv[++i];
		else if (!strcmp(argv[i], "--live") && i + 1 < argc)
			live = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return 0;
		} else
			return usage();
	}
	if (!!pcap == !!live)
		return usage();

	bpfvm_env *env = bpfvm_env_new();
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "my_map", .type = BPF_MAP_TYPE_ARRAY,
				     .key_size = sizeof(uint32_t), .value_size = sizeof(uint64_t), .max_entries = 256 };
	int map_fd = env ? bpfvm_map_create(env, &mo) : -ENOMEM;
	if (map_fd < 0) {
		fprintf(stderr, "sock_example: cannot create the map: %s\n", strerror(-map_fd));
		return 1;
	}

	/* The seed's program, unchanged. */
	struct bpf_insn prog[] = {
		BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
		BPF_LD_ABS(BPF_B, ETH_HLEN + offsetof(struct iphdr, protocol)),
		BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4),
		BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
		BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -4),
		BPF_LD_MAP_FD(BPF_REG_1, map_fd),
		BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		BPF_MOV64_IMM(BPF_REG_1, 1),
		BPF_RAW_INSN(BPF_STX | BPF_XADD | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0),
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN()
	};

	struct bpfvm_error err;
	char msg[400];
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "sock_example", .type = BPF_PROG_TYPE_SOCKET_FILTER };
	bpfvm_prog *p = NULL;
	if (bpfvm_prog_load(env, prog, sizeof(prog) / sizeof(prog[0]), &po, &p, &err)) {
		fprintf(stderr, "sock_example: load: %s\n", bpfvm_error_format(&err, msg, sizeof(msg)));
		return 1;
	}
	bpfvm_pktsrc *src = NULL;
	int rc = pcap ? bpfvm_pktsrc_open_file(pcap, &src, &err) : bpfvm_pktsrc_open_live(live, &src, &err);
	if (rc) {
		fprintf(stderr, "sock_example: %s\n", bpfvm_error_format(&err, msg, sizeof(msg)));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	bpfvm_exec *ex = bpfvm_exec_new(env);
	struct bpfvm_frame f;
	unsigned long long n = 0;
	double t0 = now();
	int status = 0;
	while (!stop) {
		if (live && seconds > 0 && now() - t0 >= seconds)
			break;
		if (count && n >= count)
			break;
		rc = bpfvm_pktsrc_next(src, &f, 100, &err);
		if (rc == 0) {
			if (pcap)
				break;
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "sock_example: %s\n", bpfvm_error_format(&err, msg, sizeof(msg)));
			status = 1;
			break;
		}
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f.data, .frame_len = f.caplen,
					     .wire_len = f.wire_len, .ifindex = bpfvm_pktsrc_ifindex(src) };
		uint64_t r0;
		if (bpfvm_exec_run(ex, p, &ro, &r0, &err)) {
			fprintf(stderr, "sock_example: frame %llu: %s\n", (unsigned long long)f.index,
				bpfvm_error_format(&err, msg, sizeof(msg)));
			status = 1;
			break;
		}
		n++;
	}

	bpfvm_map *map = bpfvm_map_from_fd(env, map_fd);
	uint64_t tcp = 0, udp = 0, icmp = 0;
	uint32_t key;
	key = IPPROTO_TCP;
	bpfvm_map_lookup(map, &key, &tcp);
	key = IPPROTO_UDP;
	bpfvm_map_lookup(map, &key, &udp);
	key = IPPROTO_ICMP;
	bpfvm_map_lookup(map, &key, &icmp);
	printf("TCP %llu UDP %llu ICMP %llu\n", (unsigned long long)tcp, (unsigned long long)udp,
	       (unsigned long long)icmp);

	bpfvm_exec_free(ex);
	bpfvm_pktsrc_close(src);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
	return status;
}
