/* fuzz_pcap.c - libFuzzer target for the capture-file path: the input is
 * written to a memfd and opened by path (/proc/self/fd/N) with
 * bpfvm_pktsrc_open_file, then read with bpfvm_pktsrc_next until the end or
 * an error. Every frame runs the seed's sock_example socket filter
 * (examples/sock_example.c: count packets per IP protocol byte in an array
 * map) on a reused bpfvm_exec. Checked besides "no crash, no sanitizer
 * report" (abort() otherwise):
 *   - errors are BPFVM_E* codes with a one-line message and a file offset
 *     inside the file (or -1);
 *   - frames are numbered 0, 1, 2 ... and their caplen bytes are readable;
 *   - the filter runs without error and returns 0; a frame of at least 24
 *     bytes adds one to the counter of its byte 23 (the IPv4 protocol
 *     field), a shorter one ends the filter at the LD_ABS (the kernel's
 *     rule) and counts nothing;
 *   - progress never exceeds the file's size. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfvm/bpfvm.h"

#define MAX_FRAMES 100000

static int memfd = -1;
static char path[64];

static void die(const char *what, const struct bpfvm_error *err)
{
	if (err)
		fprintf(stderr, "fuzz_pcap: %s: code %d offset %ld: %s\n", what, err->code, err->offset, err->msg);
	else
		fprintf(stderr, "fuzz_pcap: %s\n", what);
	abort();
}

static void check_error(const char *what, int rc, const struct bpfvm_error *err, size_t size)
{
	if (rc != BPFVM_EIO && rc != BPFVM_EFORMAT && rc != BPFVM_EUNSUPP && rc != BPFVM_ENOMEM)
		die(what, err);
	if (err->code != rc || !memchr(err->msg, 0, sizeof(err->msg)) || strchr(err->msg, '\n'))
		die(what, err);
	if (err->offset < -1 || err->offset > (long)size)
		die(what, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz_pcap", 0);
		if (memfd < 0)
			die("memfd_create failed", NULL);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		die("cannot write the memfd", NULL);

	bpfvm_env *env = bpfvm_env_new();
	if (!env)
		return 0;
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "my_map", .type = BPF_MAP_TYPE_ARRAY,
				     .key_size = sizeof(uint32_t), .value_size = sizeof(uint64_t), .max_entries = 256 };
	int map_fd = bpfvm_map_create(env, &mo);
	if (map_fd < 0)
		die("cannot create the map", NULL);
	bpfvm_map *map = bpfvm_map_from_fd(env, map_fd);
	/* The seed's program, as examples/sock_example.c has it. */
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
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "sock_example", .type = BPF_PROG_TYPE_SOCKET_FILTER };
	bpfvm_prog *p = NULL;
	if (bpfvm_prog_load(env, prog, sizeof(prog) / sizeof(prog[0]), &po, &p, &err))
		die("sock_example does not load", &err);
	bpfvm_exec *ex = bpfvm_exec_new(env);
	if (!ex)
		die("bpfvm_exec_new failed", NULL);

	bpfvm_pktsrc *src = NULL;
	memset(&err, 0, sizeof(err));
	int rc = bpfvm_pktsrc_open_file(path, &src, &err);
	const int show = getenv("FUZZ_PCAP_SHOW") != NULL; /* to look at what an input does */
	if (show)
		fprintf(stderr, "open: %d %s\n", rc, rc ? err.msg : "");
	if (rc != 0) {
		check_error("open", rc, &err, size);
		goto out;
	}
	if (bpfvm_pktsrc_ifindex(src) != 0)
		die("a file has an ifindex", NULL);
	uint64_t expect[256] = { 0 };
	for (uint64_t i = 0; i < MAX_FRAMES; i++) {
		struct bpfvm_frame f;
		memset(&err, 0, sizeof(err));
		rc = bpfvm_pktsrc_next(src, &f, 0, &err);
		uint64_t done = 0, total = 0;
		bpfvm_pktsrc_progress(src, &done, &total);
		if (total > size || done > size)
			die("progress beyond the file's size", NULL);
		if (show)
			fprintf(stderr, "next: %d caplen %u wire_len %u: %s\n", rc, rc == 1 ? f.caplen : 0,
				rc == 1 ? f.wire_len : 0, rc < 0 ? err.msg : "");
		if (rc == 0)
			break;
		if (rc < 0) {
			check_error("next", rc, &err, size);
			break;
		}
		if (rc != 1)
			die("bpfvm_pktsrc_next returned something else than -E, 0 or 1", NULL);
		if (f.index != i)
			die("frames are not numbered in order", NULL);
		if (f.caplen && !f.data)
			die("a frame without data", NULL);
		volatile uint8_t sum = 0;
		for (uint32_t k = 0; k < f.caplen; k++)
			sum += f.data[k];
		(void)sum;
		if (f.caplen >= ETH_HLEN + offsetof(struct iphdr, protocol) + 1)
			expect[f.data[ETH_HLEN + offsetof(struct iphdr, protocol)]]++;
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f.data, .frame_len = f.caplen,
					     .wire_len = f.wire_len, .ifindex = bpfvm_pktsrc_ifindex(src) };
		uint64_t r0 = 1;
		memset(&err, 0, sizeof(err));
		rc = bpfvm_exec_run(ex, p, &ro, &r0, &err);
		if (rc != 0)
			die("sock_example fails on a frame", &err);
		if (r0 != 0)
			die("sock_example returned non-zero", NULL);
	}
	for (uint32_t key = 0; key < 256; key++) {
		uint64_t got = 0;
		if (bpfvm_map_lookup(map, &key, &got) != 0 || got != expect[key]) {
			fprintf(stderr, "fuzz_pcap: counter %u is %llu, the frames say %llu\n", key,
				(unsigned long long)got, (unsigned long long)expect[key]);
			abort();
		}
	}
	bpfvm_pktsrc_close(src);
out:
	bpfvm_exec_free(ex);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
	return 0;
}
