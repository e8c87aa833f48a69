/* test_elf.c - the ELF loader (bpfvm_obj_*) on clang-compiled objects.
 *
 * 1. Every example in examples/bpf (the build's objects, or compiled here
 *    with clang when the build has none) loads and runs over
 *    examples/data/sample.pcap (fed through bpfvm_pktsrc_*) and over a
 *    capture this test writes (several IPv4 sources, IPv6, ARP, short and
 *    truncated frames). The expected return values, map contents and ring
 *    buffer records are computed here by parsing the same frames read with
 *    libpcap; global data's initial values are compared with the sections
 *    llvm-objcopy dumps.
 * 2. Loader features on small objects compiled here: program types from
 *    section names (unsupported types recorded, not fatal; unknown names;
 *    raw programs), the legacy "maps" section, CO-RE outcomes and failures,
 *    NO_LOAD, the relocation listing against the final instructions, format
 *    strings in .rodata and custom .rodata.* / .data.* sections, queries.
 * 3. Malformed objects made from valid ones (truncated at every length,
 *    e_machine, sh_link, sh_info, symbol indices, sh_size, garbled BTF,
 *    random byte flips): a clear error (BPFVM_EFORMAT where the ELF is
 *    malformed, with the section or symbol named and err.offset), never a
 *    crash.
 * Prints counts of frames, records and malformed variants checked. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <elf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* ---------------------------------------------------------------- objects */

static char tmpdir[256];
static int have_clang;

static int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int compile_bpf(const char *src, const char *out)
{
	char cmd[1600];
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c '%s' -o '%s' 2>'%s.log'", src, out, out);
	return system(cmd) == 0 ? 0 : -1;
}

/* Path of examples/bpf/NAME.o: the build's, else compiled into tmpdir. */
static const char *example(const char *name)
{
	static char path[8][600];
	static int next;
	char *p = path[next++ % 8];
	snprintf(p, 600, "%s/examples/bpf/%s.o", tu_build_dir(), name);
	if (file_exists(p))
		return p;
	snprintf(p, 600, "%s/%s.o", tmpdir, name);
	if (file_exists(p))
		return p;
	char src[600];
	snprintf(src, sizeof(src), "%s/examples/bpf/%s.c", tu_source_dir(), name);
	if (!have_clang || compile_bpf(src, p) != 0)
		return NULL;
	return p;
}

/* Compiles C text into tmpdir/name.o; NULL without clang. */
static const char *compile_text(const char *name, const char *text)
{
	static char out[600];
	char src[600];
	if (!have_clang)
		return NULL;
	snprintf(src, sizeof(src), "%s/%s.c", tmpdir, name);
	snprintf(out, sizeof(out), "%s/%s.o", tmpdir, name);
	FILE *f = fopen(src, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (compile_bpf(src, out) != 0) {
		printf("compiling %s failed:\n", name);
		char cmd[700];
		snprintf(cmd, sizeof(cmd), "cat '%s.log'", out);
		if (system(cmd) != 0)
			printf("(no log)\n");
		fail();
	}
	return out;
}

/* ---------------------------------------------------------------- frames */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Writes the crafted capture: IPv4 from five sources (TCP, UDP, ICMP, other
 * protocols, various sizes), IPv6, ARP, a VLAN frame, IPv4 frames cut inside
 * the IP header and frames shorter than an Ethernet header. */
static void write_crafted(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	assert_non_null(d);
	uint8_t buf[1600];
	uint64_t rng = 0x1234567;
	static const uint8_t protos[] = { 6, 17, 1, 47, 6, 17 };
	for (int i = 0; i < 60; i++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t len = 34 + (uint32_t)((rng >> 33) % 1200);
		memset(buf, 0, sizeof(buf));
		for (int k = 0; k < 12; k++)
			buf[k] = (uint8_t)(rng >> (k * 5));
		put16(buf + 12, 0x0800);
		buf[14] = 0x45;
		put16(buf + 16, (uint16_t)(len - 14));
		buf[22] = (uint8_t)(64 - i % 7);
		buf[23] = protos[i % 6];
		uint8_t src = (uint8_t)(1 + (i * i) % 5);
		buf[26] = 10, buf[27] = 0, buf[28] = 0, buf[29] = src;
		buf[30] = 192, buf[31] = 168, buf[32] = 1, buf[33] = (uint8_t)i;
		struct pcap_pkthdr h = { .caplen = len, .len = len };
		/* every seventh frame is cut after the IP header's start */
		if (i % 7 == 3)
			h.caplen = 14 + (uint32_t)(i % 20);
		pcap_dump((u_char *)d, &h, buf);
	}
	for (int i = 0; i < 8; i++) { /* IPv6 */
		uint32_t len = 54 + 40u * (uint32_t)i;
		memset(buf, 0xa0 + i, sizeof(buf));
		put16(buf + 12, 0x86dd);
		struct pcap_pkthdr h = { .caplen = len, .len = len };
		pcap_dump((u_char *)d, &h, buf);
	}
	for (int i = 0; i < 4; i++) { /* ARP, VLAN */
		memset(buf, 0x11 * (i + 1), 64);
		put16(buf + 12, i < 3 ? 0x0806 : 0x8100);
		struct pcap_pkthdr h = { .caplen = 42 + 10u * (uint32_t)i, .len = 60 };
		pcap_dump((u_char *)d, &h, buf);
	}
	for (uint32_t n = 0; n < 14; n += 3) { /* shorter than an Ethernet header */
		memset(buf, 0x33, 16);
		struct pcap_pkthdr h = { .caplen = n, .len = n };
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static const char *sample_pcap(void)
{
	static char p[600];
	snprintf(p, sizeof(p), "%s/examples/data/sample.pcap", tu_source_dir());
	return p;
}

static const char *crafted_pcap(void)
{
	static char p[600];
	snprintf(p, sizeof(p), "%s/crafted.pcap", tmpdir);
	if (!file_exists(p))
		write_crafted(p);
	return p;
}

static long frames_run, records_checked, malformed_checked;

/* Runs prog over every frame of path as bpfvm_pktsrc delivers them; returns
 * the r0 values (malloc'd) and their count. */
static uint64_t *run_capture(bpfvm_env *env, const bpfvm_prog *prog, const char *path, size_t *n)
{
	bpfvm_pktsrc *src = NULL;
	struct bpfvm_error err;
	int rc = bpfvm_pktsrc_open_file(path, &src, &err);
	if (rc)
		printf("pktsrc %s: %s\n", path, err.msg);
	assert_int_equal(rc, 0);
	uint64_t *r0s = NULL;
	size_t cnt = 0;
	bpfvm_exec *ex = bpfvm_exec_new(env);
	struct bpfvm_frame f;
	while ((rc = bpfvm_pktsrc_next(src, &f, 0, &err)) == 1) {
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f.data, .frame_len = f.caplen, .wire_len = f.wire_len };
		uint64_t r0 = 0;
		rc = bpfvm_exec_run(ex, prog, &ro, &r0, &err);
		if (rc) {
			char buf[400];
			printf("frame %zu: %s\n", cnt, bpfvm_error_format(&err, buf, sizeof(buf)));
		}
		assert_int_equal(rc, 0);
		r0s = realloc(r0s, (cnt + 1) * sizeof(*r0s));
		r0s[cnt++] = r0;
	}
	assert_int_equal(rc, 0);
	bpfvm_exec_free(ex);
	bpfvm_pktsrc_close(src);
	frames_run += (long)cnt;
	*n = cnt;
	return r0s;
}

struct loaded {
	bpfvm_env *env;
	bpfvm_obj *obj;
};

static int open_example(const char *name, struct loaded *l)
{
	const char *path = example(name);
	if (!path) {
		printf("SKIP %s: no object (no clang to build examples/bpf/%s.c)\n", name, name);
		return -1;
	}
	l->env = bpfvm_env_new();
	struct bpfvm_error err;
	int rc = bpfvm_obj_open(l->env, path, NULL, &l->obj, &err);
	if (rc) {
		char buf[400];
		printf("open %s: %s\n", path, bpfvm_error_format(&err, buf, sizeof(buf)));
	}
	assert_int_equal(rc, 0);
	return 0;
}

/* Opens with BPFVM_OBJ_F_DEFER_LOAD, stores len bytes at the start of the
 * global data map's initial value, then loads: as a libbpf skeleton sets
 * .rodata before the load (the loader freezes .rodata). */
static void open_example_with(const char *name, struct loaded *l, const char *map, const void *data, size_t len)
{
	l->env = bpfvm_env_new();
	struct bpfvm_error err;
	char buf[400];
	struct bpfvm_obj_opts o = { .sz = sizeof(o), .flags = BPFVM_OBJ_F_DEFER_LOAD };
	if (bpfvm_obj_open(l->env, example(name), &o, &l->obj, &err))
		fail_msg("open %s: %s", name, bpfvm_error_format(&err, buf, sizeof(buf)));
	assert_null(bpfvm_obj_prog_by_name(l->obj, "xdp_count_prog")); /* nothing loaded yet */
	size_t size = 0;
	uint8_t *init = bpfvm_obj_map_initial_value(l->obj, map, &size);
	assert_non_null(init);
	assert_true(size >= len);
	memcpy(init, data, len);
	if (bpfvm_obj_load(l->obj, &err))
		fail_msg("load %s: %s", name, bpfvm_error_format(&err, buf, sizeof(buf)));
	assert_null(bpfvm_obj_map_initial_value(l->obj, map, &size)); /* loaded: too late */
	assert_int_equal(bpfvm_obj_load(l->obj, &err), BPFVM_EINVAL);
}

static void close_loaded(struct loaded *l)
{
	bpfvm_obj_close(l->obj);
	bpfvm_env_free(l->env);
}

static bpfvm_prog *prog_named(bpfvm_obj *obj, const char *name)
{
	bpfvm_prog *p = bpfvm_obj_prog_by_name(obj, name);
	if (!p)
		printf("program %s not loaded\n", name);
	assert_non_null(p);
	return p;
}

static bpfvm_map *map_named(bpfvm_obj *obj, const char *name)
{
	bpfvm_map *m = bpfvm_obj_map_by_name(obj, name);
	if (!m)
		printf("map %s missing\n", name);
	assert_non_null(m);
	return m;
}

/* Compares map sec's initial contents with what llvm-objcopy dumps of the
 * section (skipped without llvm-objcopy). */
static void check_section_value(const char *objpath, bpfvm_obj *obj, const char *sec)
{
	char out[600], cmd[1600];
	snprintf(out, sizeof(out), "%s/dump%s", tmpdir, sec);
	snprintf(cmd, sizeof(cmd), "llvm-objcopy --dump-section '%s=%s' '%s' '%s/objcopy.out' 2>/dev/null", sec, out, objpath,
		 tmpdir);
	if (system(cmd) != 0) {
		printf("note: llvm-objcopy unavailable, %s's initial value not compared\n", sec);
		return;
	}
	size_t len = 0;
	char *want = tu_read_file(out, &len);
	assert_non_null(want);
	bpfvm_map *m = map_named(obj, sec);
	struct bpfvm_map_info mi;
	bpfvm_map_get_info(m, &mi);
	assert_int_equal(mi.value_size, len);
	uint8_t *got = calloc(1, len + 1);
	uint32_t zero = 0;
	assert_int_equal(bpfvm_map_lookup(m, &zero, got), 0);
	assert_memory_equal(got, want, len);
	free(got);
	free(want);
}

/* ---------------------------------------------------------------- sock_example */

static void sock_example_on(const char *pcap)
{
	struct loaded l;
	if (open_example("sock_example", &l))
		return;
	bpfvm_prog *prog = prog_named(l.obj, "sock_prog");
	assert_int_equal(bpfvm_prog_type(prog), BPF_PROG_TYPE_SOCKET_FILTER);
	size_t n;
	uint64_t *r0 = run_capture(l.env, prog, pcap, &n);
	struct tu_frames fs;
	tu_read_pcap(pcap, 0, &fs);
	assert_int_equal(n, fs.n);
	uint64_t pk[256] = { 0 }, by[256] = { 0 };
	for (size_t i = 0; i < fs.n; i++) {
		const struct tu_frame *f = &fs.f[i];
		if (f->len < 24) { /* LD_ABS beyond the frame ends the program with 0 */
			assert_int_equal(r0[i], 0);
			continue;
		}
		pk[f->data[23]]++;
		by[f->data[23]] += f->len;
		assert_int_equal(r0[i], f->len);
	}
	bpfvm_map *m = map_named(l.obj, "proto_count");
	for (uint32_t k = 0; k < 256; k++) {
		uint64_t v[2];
		assert_int_equal(bpfvm_map_lookup(m, &k, v), 0);
		assert_int_equal(v[0], pk[k]);
		assert_int_equal(v[1], by[k]);
	}
	free(r0);
	tu_free_frames(&fs);
	close_loaded(&l);
}

static void test_sock_example(void **state)
{
	sock_example_on(sample_pcap());
	sock_example_on(crafted_pcap());
}

/* ---------------------------------------------------------------- xdp_count */

struct src_count {
	uint32_t saddr;
	uint64_t packets, bytes;
};

static void xdp_count_on(const char *pcap, int block_index)
{
	struct loaded l;
	if (open_example("xdp_count", &l))
		return;
	check_section_value(example("xdp_count"), l.obj, ".rodata");
	struct tu_frames fs;
	tu_read_pcap(pcap, 0, &fs);
	/* expected per-source counts; the blocked address is the
	 * block_index-th distinct source */
	struct src_count exp[256];
	size_t nexp = 0;
	for (size_t i = 0; i < fs.n; i++) {
		const struct tu_frame *f = &fs.f[i];
		if (f->len < 34 || get16(f->data + 12) != 0x0800)
			continue;
		uint32_t s = le32(f->data + 26);
		size_t k = 0;
		while (k < nexp && exp[k].saddr != s)
			k++;
		if (k == nexp) {
			assert_true(nexp < 256);
			exp[nexp++] = (struct src_count){ s, 0, 0 };
		}
		exp[k].packets++;
		exp[k].bytes += f->len;
	}
	assert_true(nexp > 0);
	uint32_t blocked = exp[block_index % nexp].saddr;
	bpfvm_map *ro = map_named(l.obj, ".rodata");
	uint32_t zero = 0;
	/* .rodata is frozen at load: the host cannot change it any more */
	assert_int_equal(bpfvm_map_update(ro, &zero, &blocked, BPF_ANY), -EPERM);
	assert_int_equal(bpfvm_map_freeze(ro), -EBUSY);
	/* the variable behind it, as `bpfvm run --set` finds it */
	const char *gmap = NULL;
	size_t goff = 99, gsize = 0;
	assert_int_equal(bpfvm_obj_global(l.obj, "blocked_saddr", &gmap, &goff, &gsize), 0);
	assert_string_equal(gmap, ".rodata");
	assert_int_equal(goff, 0);
	assert_int_equal(gsize, 4);
	assert_int_equal(bpfvm_obj_global(l.obj, "xdp_count_prog", &gmap, &goff, &gsize), BPFVM_EINVAL);
	close_loaded(&l);
	open_example_with("xdp_count", &l, ".rodata", &blocked, sizeof(blocked));
	uint32_t ro_now = 0;
	assert_int_equal(bpfvm_map_lookup(map_named(l.obj, ".rodata"), &zero, &ro_now), 0);
	assert_int_equal(ro_now, blocked);

	size_t n;
	uint64_t *r0 = run_capture(l.env, prog_named(l.obj, "xdp_count_prog"), pcap, &n);
	assert_int_equal(n, fs.n);
	uint64_t dropped = 0;
	for (size_t i = 0; i < fs.n; i++) {
		const struct tu_frame *f = &fs.f[i];
		int v4 = f->len >= 34 && get16(f->data + 12) == 0x0800;
		int drop = v4 && le32(f->data + 26) == blocked;
		dropped += (uint64_t)drop;
		assert_int_equal(r0[i], drop ? XDP_DROP : XDP_PASS);
	}
	bpfvm_map *m = map_named(l.obj, "src_count");
	for (size_t k = 0; k < nexp; k++) {
		uint64_t v[2];
		assert_int_equal(bpfvm_map_lookup(m, &exp[k].saddr, v), 0);
		assert_int_equal(v[0], exp[k].packets);
		assert_int_equal(v[1], exp[k].bytes);
	}
	size_t keys = 0;
	uint32_t key, next;
	for (int rc = bpfvm_map_get_next_key(m, NULL, &next); rc == 0; rc = bpfvm_map_get_next_key(m, &key, &next)) {
		key = next;
		keys++;
	}
	assert_int_equal(keys, nexp);
	uint64_t got = 0;
	assert_int_equal(bpfvm_map_lookup(map_named(l.obj, ".bss"), &zero, &got), 0);
	assert_int_equal(got, dropped);
	assert_true(dropped > 0);
	free(r0);
	tu_free_frames(&fs);
	close_loaded(&l);
}

static void test_xdp_count(void **state)
{
	xdp_count_on(sample_pcap(), 0);
	xdp_count_on(crafted_pcap(), 2);
}

/* ---------------------------------------------------------------- globals_subprog */

/* The program's hash, written again from its source. */
static uint32_t mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x01000193;
	return h ^ (h >> 15);
}

static void globals_on(const char *pcap)
{
	struct loaded l;
	if (open_example("globals_subprog", &l))
		return;
	const char *path = example("globals_subprog");
	check_section_value(path, l.obj, ".data");
	check_section_value(path, l.obj, ".rodata");
	const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(l.obj, (size_t)bpfvm_obj_prog_find(l.obj, "globals_prog"));
	assert_non_null(pi);
	/* the entry, then mix, mix_round (callback) and bucket_of appended */
	assert_int_equal(pi->nfuncs, 4);
	assert_string_equal(pi->funcs[0].name, "globals_prog");
	assert_int_equal(pi->funcs[0].insn, 0);
	for (size_t i = 1; i < pi->nfuncs; i++)
		assert_int_equal(pi->funcs[i].insn, pi->funcs[i - 1].insn + pi->funcs[i - 1].n);
	assert_int_equal(pi->ninsns, pi->funcs[3].insn + pi->funcs[3].n);

	/* .data: u32 hash_seed, u64 frames_seen at 8; .rodata: u32 mix_rounds */
	uint8_t data[16], rod[4];
	uint32_t zero = 0;
	assert_int_equal(bpfvm_map_lookup(map_named(l.obj, ".data"), &zero, data), 0);
	assert_int_equal(bpfvm_map_lookup(map_named(l.obj, ".rodata"), &zero, rod), 0);
	uint32_t seed = le32(data), rounds = le32(rod);
	uint64_t seen0;
	memcpy(&seen0, data + 8, 8);

	size_t n;
	uint64_t *r0 = run_capture(l.env, prog_named(l.obj, "globals_prog"), pcap, &n);
	struct tu_frames fs;
	tu_read_pcap(pcap, 0, &fs);
	assert_int_equal(n, fs.n);
	uint64_t hist[16] = { 0 }, total = 0, seen = seen0;
	for (size_t i = 0; i < fs.n; i++) {
		const struct tu_frame *f = &fs.f[i];
		if (f->len < 14) {
			assert_int_equal(r0[i], XDP_ABORTED);
			continue;
		}
		uint32_t h = mix(seed, (uint32_t)(f->data[12] | f->data[13] << 8));
		h = mix(h, f->len);
		h = mix(h, f->data[5]);
		for (uint32_t k = 0; k < rounds; k++)
			h = mix(h, k);
		hist[(h ^ (h >> 4) ^ (h >> 8)) & 15]++;
		total += f->len;
		seen++;
		assert_int_equal(r0[i], h & 1 ? XDP_DROP : XDP_PASS);
	}
	uint8_t bss[136];
	assert_int_equal(bpfvm_map_lookup(map_named(l.obj, ".bss"), &zero, bss), 0);
	assert_memory_equal(bss, hist, sizeof(hist));
	assert_memory_equal(bss + 128, &total, 8);
	assert_int_equal(bpfvm_map_lookup(map_named(l.obj, ".data"), &zero, data), 0);
	assert_memory_equal(data + 8, &seen, 8);
	free(r0);
	tu_free_frames(&fs);
	close_loaded(&l);
}

static void test_globals_subprog(void **state)
{
	globals_on(sample_pcap());
	globals_on(crafted_pcap());
}

/* ---------------------------------------------------------------- tail_call */

static void tail_call_on(const char *pcap)
{
	struct loaded l;
	if (open_example("tail_call", &l))
		return;
	/* values = {...}: slots 0, 1 and 3 hold the named programs */
	bpfvm_map *jt = map_named(l.obj, "jmp_table");
	static const char *const slot_prog[4] = { "parse_ipv4", "parse_ipv6", NULL, "count_l4" };
	for (uint32_t k = 0; k < 4; k++) {
		uint32_t fd = 0;
		int rc = bpfvm_map_lookup(jt, &k, &fd);
		if (!slot_prog[k]) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(fd, (uint32_t)bpfvm_prog_fd(prog_named(l.obj, slot_prog[k])));
	}
	size_t n;
	uint64_t *r0 = run_capture(l.env, prog_named(l.obj, "entry"), pcap, &n);
	struct tu_frames fs;
	tu_read_pcap(pcap, 0, &fs);
	assert_int_equal(n, fs.n);
	uint64_t hits[4] = { 0 };
	for (size_t i = 0; i < fs.n; i++) {
		const struct tu_frame *f = &fs.f[i];
		uint64_t want = XDP_PASS;
		hits[0]++;
		uint16_t proto = f->len >= 14 ? get16(f->data + 12) : 0;
		if (proto == 0x0800) {
			hits[1]++;
			want = XDP_DROP;
			if (f->len >= 34 && (f->data[23] == 6 || f->data[23] == 17)) {
				hits[3]++;
				want = XDP_PASS;
			}
		} else if (proto == 0x86dd) {
			hits[2]++;
			want = XDP_TX;
		}
		assert_int_equal(r0[i], want);
	}
	bpfvm_map *m = map_named(l.obj, "stage_hits");
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t v;
		assert_int_equal(bpfvm_map_lookup(m, &k, &v), 0);
		assert_int_equal(v, hits[k]);
	}
	free(r0);
	tu_free_frames(&fs);
	close_loaded(&l);
}

static void test_tail_call(void **state)
{
	tail_call_on(sample_pcap());
	tail_call_on(crafted_pcap());
}

/* ---------------------------------------------------------------- ringbuf */

struct records {
	uint8_t (*r)[32];
	size_t *len;
	size_t n;
};

static int collect(void *cookie, const void *data, size_t size)
{
	struct records *rs = cookie;
	rs->r = realloc(rs->r, (rs->n + 1) * sizeof(*rs->r));
	rs->len = realloc(rs->len, (rs->n + 1) * sizeof(*rs->len));
	memset(rs->r[rs->n], 0, 32);
	memcpy(rs->r[rs->n], data, size < 32 ? size : 32);
	rs->len[rs->n++] = size;
	return 0;
}

static void ringbuf_on(const char *pcap)
{
	struct loaded l;
	if (open_example("ringbuf", &l))
		return;
	bpfvm_map *events = map_named(l.obj, "events");
	bpfvm_prog *prog = prog_named(l.obj, "ringbuf_prog");
	struct tu_frames fs;
	tu_read_pcap(pcap, 0, &fs);
	/* run in slices and drain the ring buffer between them */
	struct records rs = { 0 };
	size_t n;
	uint64_t *r0 = run_capture(l.env, prog, pcap, &n);
	assert_int_equal(n, fs.n);
	int got = bpfvm_ringbuf_consume(events, collect, &rs);
	assert_true(got >= 0);
	size_t k = 0;
	for (size_t i = 0; i < fs.n; i++) {
		const struct tu_frame *f = &fs.f[i];
		assert_int_equal(r0[i], XDP_PASS);
		if (f->len < 14)
			continue;
		uint8_t want[32] = { 0 };
		size_t wlen;
		uint32_t len = f->len;
		if (get16(f->data + 12) == 0x0800 && f->len >= 34) {
			if (f->len < 60)
				continue; /* discarded */
			uint32_t kind = 1;
			uint16_t tot = get16(f->data + 16);
			memcpy(want, &kind, 4);
			memcpy(want + 4, &len, 4);
			memcpy(want + 8, f->data + 26, 8);
			want[16] = f->data[23];
			want[17] = f->data[22];
			memcpy(want + 18, &tot, 2);
			wlen = 20;
		} else {
			uint32_t kind = 2;
			uint16_t proto = get16(f->data + 12);
			memcpy(want, &kind, 4);
			memcpy(want + 4, &len, 4);
			memcpy(want + 8, &proto, 2);
			wlen = 12;
		}
		assert_true(k < rs.n);
		assert_int_equal(rs.len[k], wlen);
		assert_memory_equal(rs.r[k], want, wlen);
		k++;
	}
	assert_int_equal(k, rs.n);
	assert_int_equal((size_t)got, rs.n);
	records_checked += (long)rs.n;
	free(rs.r);
	free(rs.len);
	free(r0);
	tu_free_frames(&fs);
	close_loaded(&l);
}

static void test_ringbuf(void **state)
{
	ringbuf_on(sample_pcap());
	ringbuf_on(crafted_pcap());
}

/* ---------------------------------------------------------------- CO-RE example */

static const struct bpfvm_obj_reloc *find_reloc(bpfvm_obj *obj, int kind, const char *target_part)
{
	for (size_t i = 0; i < bpfvm_obj_reloc_count(obj); i++) {
		const struct bpfvm_obj_reloc *r = bpfvm_obj_reloc(obj, i);
		if (r->kind == kind && r->target && strstr(r->target, target_part))
			return r;
	}
	printf("no relocation of kind %d naming '%s'\n", kind, target_part);
	fail();
	return NULL;
}

static void core_on(const char *pcap)
{
	struct loaded l;
	if (open_example("core_ctx", &l))
		return;
	/* the relocations resolved to the UAPI layouts */
	assert_int_equal(find_reloc(l.obj, BPFVM_RELOC_CORE, "__sk_buff___local::len")->value,
			 offsetof(struct __sk_buff, len));
	assert_int_equal(find_reloc(l.obj, BPFVM_RELOC_CORE, "__sk_buff___local::protocol")->value,
			 offsetof(struct __sk_buff, protocol));
	assert_int_equal(find_reloc(l.obj, BPFVM_RELOC_CORE, "field_exists struct __sk_buff___local::not_in_any_kernel")->value,
			 0);
	assert_int_equal(find_reloc(l.obj, BPFVM_RELOC_CORE, "xdp_md___local::data_end")->value,
			 offsetof(struct xdp_md, data_end));
	assert_int_equal(find_reloc(l.obj, BPFVM_RELOC_CORE, "BPF_FUNC_ringbuf_output")->value, 1);

	size_t n, n2;
	uint64_t *r_skb = run_capture(l.env, prog_named(l.obj, "core_skb"), pcap, &n);
	uint64_t *r_xdp = run_capture(l.env, prog_named(l.obj, "core_xdp"), pcap, &n2);
	struct tu_frames fs;
	tu_read_pcap(pcap, 0, &fs);
	assert_int_equal(n, fs.n);
	assert_int_equal(n2, fs.n);
	uint64_t stats[4] = { 0 };
	for (size_t i = 0; i < fs.n; i++) {
		const struct tu_frame *f = &fs.f[i];
		int v4 = f->len >= 14 && get16(f->data + 12) == 0x0800;
		assert_int_equal(r_skb[i], f->len + (uint64_t)v4);
		assert_int_equal(r_xdp[i], f->len > 100 ? XDP_PASS : XDP_DROP);
		stats[0] += f->len;
		stats[1] += 4;
		stats[2] += f->len;
		stats[3] += 1;
	}
	bpfvm_map *m = map_named(l.obj, "core_stats");
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t v;
		assert_int_equal(bpfvm_map_lookup(m, &k, &v), 0);
		assert_int_equal(v, stats[k]);
	}
	free(r_skb);
	free(r_xdp);
	tu_free_frames(&fs);
	close_loaded(&l);
}

static void test_core_ctx(void **state)
{
	core_on(sample_pcap());
	core_on(crafted_pcap());
}

/* ---------------------------------------------------------------- loader features */

static const char types_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"SEC(\"kprobe/do_unlinkat\") int kp(void *ctx) { return 1; }\n"
	"SEC(\"tracepoint/syscalls/sys_enter_openat\") int tp(void *ctx) { return 2; }\n"
	"SEC(\"tc\") int cls(struct __sk_buff *skb) { return 0; }\n"
	"SEC(\"xdp.frags\") int frags(struct xdp_md *ctx) { return XDP_PASS; }\n"
	"SEC(\"socket1\") int old_socket(struct __sk_buff *skb) { return 0; }\n"
	"SEC(\"myraw\") int raw(void *mem) { return 7; }\n"
	"char _license[] SEC(\"license\") = \"Dual BSD/GPL\";\n"
	"__u32 _version SEC(\"version\") = 0x060100;\n";

static void test_prog_types(void **state)
{
	const char *path = compile_text("types", types_src);
	if (!path) {
		printf("SKIP prog types: no clang\n");
		return;
	}
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_obj *obj = NULL;
	struct bpfvm_error err;
	assert_int_equal(bpfvm_obj_open(env, path, NULL, &obj, &err), 0);
	assert_string_equal(bpfvm_obj_license(obj), "Dual BSD/GPL");
	assert_int_equal(bpfvm_obj_kversion(obj), 0x060100);
	assert_string_equal(bpfvm_obj_name(obj), "types");
	static const struct {
		const char *name, *sec, *type_name;
		uint32_t type;
		int known, loaded;
	} want[] = {
		{ "kp", "kprobe/do_unlinkat", "kprobe", BPF_PROG_TYPE_KPROBE, 1, 0 },
		{ "tp", "tracepoint/syscalls/sys_enter_openat", "tracepoint", BPF_PROG_TYPE_TRACEPOINT, 1, 0 },
		{ "cls", "tc", "sched_cls", BPF_PROG_TYPE_SCHED_CLS, 1, 0 },
		{ "frags", "xdp.frags", "xdp", BPF_PROG_TYPE_XDP, 1, 1 },
		{ "old_socket", "socket1", "unknown", 0, 0, 0 },
		{ "raw", "myraw", "unknown", 0, 0, 0 },
	};
	assert_int_equal(bpfvm_obj_prog_count(obj), 6);
	for (size_t i = 0; i < 6; i++) {
		long k = bpfvm_obj_prog_find(obj, want[i].name);
		assert_true(k >= 0);
		const struct bpfvm_obj_prog_info *p = bpfvm_obj_prog(obj, (size_t)k);
		assert_string_equal(p->section, want[i].sec);
		assert_string_equal(p->type_name, want[i].type_name);
		assert_int_equal(p->type, want[i].type);
		assert_int_equal(p->type_known, want[i].known);
		assert_int_equal(p->prog != NULL, want[i].loaded);
		if (!want[i].loaded) {
			assert_int_equal(p->load_error, BPFVM_EUNSUPP);
			assert_true(strlen(p->load_msg) > 10);
		}
		assert_int_equal(bpfvm_obj_prog_find(obj, want[i].sec), k); /* by section too */
		assert_non_null(p->insns);
	}
	assert_non_null(strstr(bpfvm_obj_prog(obj, (size_t)bpfvm_obj_prog_find(obj, "kp"))->load_msg, "kprobe"));
	assert_non_null(strstr(bpfvm_obj_prog(obj, (size_t)bpfvm_obj_prog_find(obj, "raw"))->load_msg, "myraw"));
	assert_null(bpfvm_obj_prog_by_name(obj, "kp"));
	assert_non_null(bpfvm_obj_prog_by_section(obj, "xdp.frags"));
	assert_int_equal(bpfvm_obj_prog_find(obj, "nope"), -1);
	bpfvm_obj_close(obj);

	/* raw programs for unknown sections */
	struct bpfvm_obj_opts o = { .sz = sizeof(o), .flags = BPFVM_OBJ_F_RAW_UNKNOWN, .name = "renamed" };
	assert_int_equal(bpfvm_obj_open(env, path, &o, &obj, &err), 0);
	assert_string_equal(bpfvm_obj_name(obj), "renamed");
	bpfvm_prog *raw = bpfvm_obj_prog_by_name(obj, "raw");
	assert_non_null(raw);
	assert_int_equal(bpfvm_prog_type(raw), BPFVM_PROG_TYPE_RAW);
	uint8_t mem[8] = { 0 };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = mem, .mem_len = sizeof(mem) };
	uint64_t r0 = 0;
	assert_int_equal(bpfvm_prog_run(raw, &ro, &r0, &err), 0);
	assert_int_equal(r0, 7);
	bpfvm_obj_close(obj);

	/* NO_LOAD: no env needed, nothing loaded, instructions all there */
	o.flags = BPFVM_OBJ_F_NO_LOAD;
	assert_int_equal(bpfvm_obj_open(NULL, path, &o, &obj, &err), 0);
	for (size_t i = 0; i < bpfvm_obj_prog_count(obj); i++) {
		assert_null(bpfvm_obj_prog(obj, i)->prog);
		assert_int_equal(bpfvm_obj_prog(obj, i)->load_error, 0);
		assert_true(bpfvm_obj_prog(obj, i)->ninsns >= 2);
	}
	bpfvm_obj_close(obj);
	bpfvm_env_free(env);
}

static const char legacy_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"struct legacy_def { unsigned int type, key_size, value_size, max_entries, map_flags; };\n"
	"struct legacy_def counters SEC(\"maps\") = { BPF_MAP_TYPE_ARRAY, 4, 8, 3, 0 };\n"
	"struct legacy_def by_len SEC(\"maps\") = { BPF_MAP_TYPE_HASH, 4, 8, 64, 0 };\n"
	"SEC(\"socket\") int legacy(struct __sk_buff *skb) {\n"
	"  __u32 k = skb->len & 1, len = skb->len; __u64 one = 1, *v = bpf_map_lookup_elem(&counters, &k);\n"
	"  if (v) __sync_fetch_and_add(v, 1);\n"
	"  v = bpf_map_lookup_elem(&by_len, &len);\n"
	"  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&by_len, &len, &one, BPF_ANY);\n"
	"  return 0; }\n"
	"char _license[] SEC(\"license\") = \"GPL\";\n";

static void test_legacy_maps(void **state)
{
	const char *path = compile_text("legacy", legacy_src);
	if (!path) {
		printf("SKIP legacy maps: no clang\n");
		return;
	}
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_obj *obj = NULL;
	struct bpfvm_error err;
	int rc = bpfvm_obj_open(env, path, NULL, &obj, &err);
	if (rc)
		printf("%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(bpfvm_obj_map_count(obj), 2);
	const struct bpfvm_obj_map_info *mi = bpfvm_obj_map(obj, 0);
	assert_int_equal(mi->kind, BPFVM_OBJ_MAP_LEGACY);
	assert_string_equal(mi->section, "maps");
	struct bpfvm_map_info info;
	bpfvm_map_get_info(bpfvm_obj_map_by_name(obj, "counters"), &info);
	assert_int_equal(info.type, BPF_MAP_TYPE_ARRAY);
	assert_int_equal(info.value_size, 8);
	assert_int_equal(info.max_entries, 3);
	bpfvm_map_get_info(bpfvm_obj_map_by_name(obj, "by_len"), &info);
	assert_int_equal(info.type, BPF_MAP_TYPE_HASH);
	assert_int_equal(info.max_entries, 64);
	size_t n;
	uint64_t *r0 = run_capture(env, prog_named(obj, "legacy"), sample_pcap(), &n);
	struct tu_frames fs;
	tu_read_pcap(sample_pcap(), 0, &fs);
	uint64_t parity[2] = { 0 };
	for (size_t i = 0; i < fs.n; i++)
		parity[fs.f[i].len & 1]++;
	for (uint32_t k = 0; k < 2; k++) {
		uint64_t v;
		assert_int_equal(bpfvm_map_lookup(bpfvm_obj_map_by_name(obj, "counters"), &k, &v), 0);
		assert_int_equal(v, parity[k]);
	}
	uint32_t len = fs.f[0].len;
	uint64_t want = 0, got = 0;
	for (size_t i = 0; i < fs.n; i++)
		want += fs.f[i].len == len;
	assert_int_equal(bpfvm_map_lookup(bpfvm_obj_map_by_name(obj, "by_len"), &len, &got), 0);
	assert_int_equal(got, want);
	free(r0);
	tu_free_frames(&fs);
	bpfvm_obj_close(obj);
	/* closing removed the maps from the env */
	assert_int_equal(bpfvm_env_maps(env, NULL, 0), 0);
	bpfvm_env_free(env);
}

static const char core_bad_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"#include <bpf/bpf_core_read.h>\n"
	"struct __sk_buff___bad { __u32 len; __u32 no_such_field; } __attribute__((preserve_access_index));\n"
	"struct my_own { __u32 a, b; } __attribute__((preserve_access_index));\n"
	"SEC(\"socket\") int bad(struct __sk_buff *ctx) { return ((struct __sk_buff___bad *)ctx)->no_such_field; }\n"
	"SEC(\"socket\") int good(struct __sk_buff *ctx) {\n"
	"  return ((struct __sk_buff___bad *)ctx)->len\n"
	"    + 100 * bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_skb_store_bytes)\n"
	"    + 1000 * bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_map_lookup_elem); }\n"
	"SEC(\"xdp\") int own(struct my_own *p) { return bpf_core_field_offset(p->b) + 10 * bpf_core_type_size(struct my_own); }\n"
	"char _license[] SEC(\"license\") = \"GPL\";\n";

static void test_core_errors(void **state)
{
	const char *path = compile_text("core_bad", core_bad_src);
	if (!path) {
		printf("SKIP CO-RE errors: no clang\n");
		return;
	}
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_obj *obj = NULL;
	struct bpfvm_error err;
	/* a field bpfvm's __sk_buff lacks fails the open, naming the relocation */
	int rc = bpfvm_obj_open(env, path, NULL, &obj, &err);
	assert_int_equal(rc, BPFVM_EUNSUPP);
	printf("expected error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "'bad'"));
	assert_non_null(strstr(err.msg, "CO-RE relocation"));
	assert_non_null(strstr(err.msg, "__sk_buff___bad::no_such_field"));
	assert_int_equal(bpfvm_env_maps(env, NULL, 0), 0);
	/* keep going: the others load; bpfvm's helpers decide bpf_func_id */
	struct bpfvm_obj_opts o = { .sz = sizeof(o), .flags = BPFVM_OBJ_F_KEEP_GOING };
	assert_int_equal(bpfvm_obj_open(env, path, &o, &obj, &err), 0);
	const struct bpfvm_obj_prog_info *bad = bpfvm_obj_prog(obj, (size_t)bpfvm_obj_prog_find(obj, "bad"));
	assert_null(bad->prog);
	assert_int_equal(bad->load_error, BPFVM_EUNSUPP);
	assert_non_null(strstr(bad->load_msg, "no_such_field"));
	bpfvm_prog *good = bpfvm_obj_prog_by_name(obj, "good");
	assert_non_null(good);
	const char *skb_store = bpfvm_builtin_helper(9, NULL);
	uint8_t frame[60] = { 0 };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = frame, .frame_len = sizeof(frame) };
	uint64_t r0;
	assert_int_equal(bpfvm_prog_run(good, &ro, &r0, &err), 0);
	assert_int_equal(r0, 60 + (skb_store ? 100 : 0) + 1000);
	/* a type bpfvm does not provide resolves to the object's own layout */
	bpfvm_prog *own = bpfvm_obj_prog_by_name(obj, "own");
	assert_non_null(own);
	assert_int_equal(find_reloc(obj, BPFVM_RELOC_CORE, "my_own::b")->value, 4);
	assert_int_equal(bpfvm_prog_run(own, &ro, &r0, &err), 0);
	assert_int_equal(r0, 4 + 10 * 8);
	bpfvm_obj_close(obj);
	/* ... unless strict */
	o.flags = BPFVM_OBJ_F_KEEP_GOING | BPFVM_OBJ_F_STRICT_CORE;
	assert_int_equal(bpfvm_obj_open(env, path, &o, &obj, &err), 0);
	const struct bpfvm_obj_prog_info *ownp = bpfvm_obj_prog(obj, (size_t)bpfvm_obj_prog_find(obj, "own"));
	assert_null(ownp->prog);
	assert_non_null(strstr(ownp->load_msg, "my_own"));
	bpfvm_obj_close(obj);
	bpfvm_env_free(env);
}

/* The relocation listing and the final instructions of one program. */
static void test_relocs(void **state)
{
	const char *path = example("globals_subprog");
	if (!path) {
		printf("SKIP relocs: no object\n");
		return;
	}
	bpfvm_obj *obj = NULL;
	struct bpfvm_error err;
	struct bpfvm_obj_opts o = { .sz = sizeof(o), .flags = BPFVM_OBJ_F_NO_LOAD };
	assert_int_equal(bpfvm_obj_open(NULL, path, &o, &obj, &err), 0);
	const struct bpfvm_obj_prog_info *p = bpfvm_obj_prog(obj, 0);
	size_t calls = 0, funcs = 0, values = 0;
	for (size_t i = 0; i < bpfvm_obj_reloc_count(obj); i++) {
		const struct bpfvm_obj_reloc *r = bpfvm_obj_reloc(obj, i);
		assert_int_equal(r->prog, 0);
		assert_true(r->insn < p->ninsns);
		const struct bpf_insn *in = &p->insns[r->insn];
		assert_ptr_equal(bpfvm_obj_reloc_at(obj, 0, r->insn), r);
		switch (r->kind) {
		case BPFVM_RELOC_CALL:
			calls++;
			assert_int_equal(in->code, BPF_JMP | BPF_CALL);
			assert_int_equal(in->src_reg, BPF_PSEUDO_CALL);
			assert_int_equal((long)r->insn + 1 + in->imm, r->value);
			break;
		case BPFVM_RELOC_FUNC:
			funcs++;
			assert_int_equal(in->src_reg, BPF_PSEUDO_FUNC);
			assert_string_equal(r->target, "mix_round");
			assert_int_equal((long)r->insn + 1 + in->imm, r->value);
			break;
		case BPFVM_RELOC_MAP_VALUE:
			values++;
			assert_int_equal(in->src_reg, BPF_PSEUDO_MAP_IDX_VALUE);
			assert_int_equal(in[0].imm, r->map);
			assert_int_equal(in[1].imm, r->value);
			assert_string_equal(bpfvm_obj_map(obj, (size_t)r->map)->name, r->target);
			break;
		default:
			fail();
		}
		/* each call target starts one of the placed functions */
		if (r->kind == BPFVM_RELOC_CALL || r->kind == BPFVM_RELOC_FUNC) {
			int found = 0;
			for (size_t k = 0; k < p->nfuncs; k++)
				found |= p->funcs[k].insn == (size_t)r->value && strcmp(p->funcs[k].name, r->target) == 0;
			assert_true(found);
		}
	}
	assert_true(calls >= 4); /* mix x3 (one from mix_round), bucket_of */
	assert_int_equal(funcs, 1);
	assert_true(values >= 5);
	assert_true(p->nlines > 0);
	for (size_t i = 1; i < p->nlines; i++)
		assert_true(p->lines[i].insn >= p->lines[i - 1].insn);
	assert_non_null(strstr(p->lines[0].file, "globals_subprog.c"));
	assert_int_equal(bpfvm_obj_map(obj, 0)->fd, -1);
	assert_null(bpfvm_obj_map(obj, 0)->map);
	bpfvm_obj_close(obj);
}

static const char printk_src[] =
	"#include <linux/bpf.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"static const char fmt2[] = \"second %d\";\n"
	"const volatile int scale SEC(\".rodata.cfg\") = 3;\n"
	"int bias SEC(\".data.custom\") = 7;\n"
	"SEC(\"socket\") int say(struct __sk_buff *skb) {\n"
	"  bpf_printk(\"len is %u\", skb->len);\n"
	"  bpf_trace_printk(fmt2, sizeof(fmt2), 42);\n"
	"  bias++;\n"
	"  return scale * bias; }\n"
	"char _license[] SEC(\"license\") = \"GPL\";\n";

static char printk_lines[2][200];
static int printk_count;

static void on_printk(void *cookie, const char *line)
{
	const char *t = strstr(line, "bpf_trace_printk: ");
	if (t && printk_count < 2)
		snprintf(printk_lines[printk_count], sizeof(printk_lines[0]), "%s", t + 18);
	printk_count++;
}

/* Format strings in .rodata, and custom global data sections (.rodata.cfg,
 * .data.custom): maps named after the section alone, as libbpf names them. */
static void test_rodata_strings(void **state)
{
	const char *path = compile_text("printk", printk_src);
	if (!path) {
		printf("SKIP rodata strings: no clang\n");
		return;
	}
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_env_set_printk(env, on_printk, NULL);
	bpfvm_obj *obj = NULL;
	struct bpfvm_error err;
	int rc = bpfvm_obj_open(env, path, NULL, &obj, &err);
	if (rc)
		printf("%s\n", err.msg);
	assert_int_equal(rc, 0);
	int custom = 0;
	for (size_t i = 0; i < bpfvm_obj_map_count(obj); i++) {
		const struct bpfvm_obj_map_info *m = bpfvm_obj_map(obj, i);
		assert_true(m->kind == BPFVM_OBJ_MAP_RODATA || m->kind == BPFVM_OBJ_MAP_DATA);
		assert_int_equal(m->map_flags, m->kind == BPFVM_OBJ_MAP_RODATA ? BPF_F_RDONLY_PROG : 0);
		if (strcmp(m->name, ".rodata.cfg") == 0 || strcmp(m->name, ".data.custom") == 0) {
			custom++;
			assert_string_equal(m->env_name, m->name);
		} else {
			assert_string_equal(m->env_name, "printk.rodata");
		}
	}
	assert_int_equal(custom, 2);
	uint8_t frame[77] = { 0 };
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = frame, .frame_len = sizeof(frame) };
	uint64_t r0;
	assert_int_equal(bpfvm_prog_run(bpfvm_obj_prog_by_name(obj, "say"), &ro, &r0, &err), 0);
	assert_int_equal(r0, 3 * 8);
	assert_int_equal(printk_count, 2);
	assert_string_equal(printk_lines[0], "len is 77");
	assert_string_equal(printk_lines[1], "second 42");
	bpfvm_obj_close(obj);
	bpfvm_env_free(env);
}

/* ---------------------------------------------------------------- malformed objects */

static uint8_t *read_obj(const char *name, size_t *len)
{
	const char *path = example(name);
	if (!path)
		return NULL;
	return (uint8_t *)tu_read_file(path, len);
}

/* Opens the bytes; returns the code, checks the error is well-formed. */
static int try_open(const uint8_t *buf, size_t len, struct bpfvm_error *err)
{
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_obj *obj = NULL;
	memset(err, 0, sizeof(*err));
	int rc = bpfvm_obj_open_mem(env, buf, len, NULL, &obj, err);
	malformed_checked++;
	if (rc == 0) {
		assert_non_null(obj);
		/* whatever loaded must be queryable and runnable */
		for (size_t i = 0; i < bpfvm_obj_prog_count(obj); i++)
			assert_non_null(bpfvm_obj_prog(obj, i)->name);
		bpfvm_obj_close(obj);
	} else {
		assert_null(obj);
		assert_int_equal(err->code, rc);
		assert_true(strlen(err->msg) > 0);
		assert_null(strchr(err->msg, '\n'));
		assert_int_equal(bpfvm_env_maps(env, NULL, 0), 0);
	}
	bpfvm_env_free(env);
	return rc;
}

static Elf64_Shdr *shdr(uint8_t *buf, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	return (Elf64_Shdr *)(buf + eh->e_shoff + i * eh->e_shentsize);
}

static const char *sec_name(uint8_t *buf, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	return (const char *)buf + shdr(buf, eh->e_shstrndx)->sh_offset + shdr(buf, i)->sh_name;
}

static size_t find_sec(uint8_t *buf, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	for (size_t i = 1; i < eh->e_shnum; i++)
		if (strcmp(sec_name(buf, i), name) == 0)
			return i;
	fail_msg("no section %s", name);
	return 0;
}

static void expect_format(uint8_t *buf, size_t len, const char *what, const char *needle, long offset)
{
	struct bpfvm_error err;
	int rc = try_open(buf, len, &err);
	printf("%-28s -> %s (offset %ld)\n", what, err.msg, err.offset);
	assert_int_equal(rc, BPFVM_EFORMAT);
	if (needle)
		assert_non_null(strstr(err.msg, needle));
	if (offset >= 0)
		assert_int_equal(err.offset, offset);
}

static void test_malformed(void **state)
{
	size_t len;
	uint8_t *orig = read_obj("xdp_count", &len);
	if (!orig) {
		printf("SKIP malformed: no object\n");
		return;
	}
	uint8_t *buf = malloc(len);
	struct bpfvm_error err;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	/* truncated at every length */
	long fmt = 0;
	for (size_t n = 0; n < len; n++) {
		int rc = try_open(orig, n, &err);
		assert_true(rc < 0);
		fmt += rc == BPFVM_EFORMAT;
	}
	assert_int_equal(fmt, (long)len);
	memcpy(buf, orig, len);
	assert_int_equal(try_open(buf, len, &err), 0);
	expect_format(buf, 10, "10 bytes", "not an ELF", 0);

	eh->e_machine = 62; /* EM_X86_64 */
	expect_format(buf, len, "e_machine", "e_machine 62", offsetof(Elf64_Ehdr, e_machine));
	memcpy(buf, orig, len);
	eh->e_type = ET_EXEC;
	expect_format(buf, len, "e_type", "ET_REL", offsetof(Elf64_Ehdr, e_type));
	memcpy(buf, orig, len);
	buf[EI_CLASS] = ELFCLASS32;
	{
		struct bpfvm_error e;
		assert_true(try_open(buf, len, &e) < 0);
	}

	size_t symtab = find_sec(orig, ".symtab");
	size_t relxdp = find_sec(orig, ".relxdp");
	size_t btf = find_sec(orig, ".BTF");
	long sh_off = (long)(((Elf64_Ehdr *)orig)->e_shoff);
	long shent = ((Elf64_Ehdr *)orig)->e_shentsize;

	memcpy(buf, orig, len);
	shdr(buf, symtab)->sh_link = 999;
	expect_format(buf, len, "symtab sh_link", "'.symtab'", sh_off + (long)symtab * shent);
	memcpy(buf, orig, len);
	shdr(buf, relxdp)->sh_info = 999;
	expect_format(buf, len, "rel sh_info", "'.relxdp'", sh_off + (long)relxdp * shent);
	memcpy(buf, orig, len);
	shdr(buf, relxdp)->sh_link = 1;
	expect_format(buf, len, "rel sh_link", "'.relxdp'", sh_off + (long)relxdp * shent);
	memcpy(buf, orig, len);
	eh->e_shstrndx = 999;
	{
		struct bpfvm_error e;
		assert_true(try_open(buf, len, &e) < 0);
	}

	/* a relocation's symbol index out of range, and one naming a symbol
	 * of no section */
	memcpy(buf, orig, len);
	Elf64_Rel *rel = (Elf64_Rel *)(buf + shdr(buf, relxdp)->sh_offset);
	rel[0].r_info = ELF64_R_INFO(5000, ELF64_R_TYPE(rel[0].r_info));
	expect_format(buf, len, "rel symbol index", "symbol #5000", (long)shdr(orig, relxdp)->sh_offset);
	Elf64_Sym *syms = (Elf64_Sym *)(buf + shdr(buf, symtab)->sh_offset);
	const char *strtab = (const char *)orig + shdr(orig, shdr(orig, symtab)->sh_link)->sh_offset;
	const Elf64_Sym *osyms = (const Elf64_Sym *)(orig + shdr(orig, symtab)->sh_offset);
	const Elf64_Rel *orel = (const Elf64_Rel *)(orig + shdr(orig, relxdp)->sh_offset);
	size_t nrel = shdr(orig, relxdp)->sh_size / sizeof(Elf64_Rel), ri = nrel;
	for (size_t i = 0; i < nrel; i++)
		if (strcmp(strtab + osyms[ELF64_R_SYM(orel[i].r_info)].st_name, "dropped") == 0)
			ri = i;
	assert_true(ri < nrel);
	size_t target = ELF64_R_SYM(orel[ri].r_info);
	long rel_off = (long)(shdr(orig, relxdp)->sh_offset + ri * sizeof(Elf64_Rel));
	memcpy(buf, orig, len);
	syms[target].st_shndx = 0xfff0;
	expect_format(buf, len, "rel symbol section", "'dropped'", rel_off);
	memcpy(buf, orig, len);
	syms[target].st_shndx = SHN_COMMON;
	expect_format(buf, len, "rel symbol common", "-fno-common", rel_off);
	memcpy(buf, orig, len);
	syms[target].st_value = 4096;
	expect_format(buf, len, "rel symbol value", "outside section '.bss'", rel_off);
	memcpy(buf, orig, len);
	syms[target].st_shndx = SHN_UNDEF; /* an extern: the program cannot load */
	{
		struct bpfvm_error e;
		assert_int_equal(try_open(buf, len, &e), BPFVM_EUNSUPP);
		printf("%-28s -> %s\n", "extern symbol", e.msg);
		assert_non_null(strstr(e.msg, "'dropped' is an extern"));
	}
	memcpy(buf, orig, len);
	((Elf64_Rel *)(buf + shdr(buf, relxdp)->sh_offset))[ri].r_offset = 3;
	expect_format(buf, len, "rel offset", "not an instruction", rel_off);
	/* a function symbol outside its section */
	memcpy(buf, orig, len);
	size_t nsyms = shdr(buf, symtab)->sh_size / sizeof(Elf64_Sym);
	for (size_t i = 0; i < nsyms; i++) {
		if (ELF64_ST_TYPE(syms[i].st_info) == STT_FUNC) {
			syms[i].st_size = 1 << 20;
			expect_format(buf, len, "function size", "xdp_count_prog",
				      (long)(shdr(orig, symtab)->sh_offset + i * sizeof(Elf64_Sym)));
			syms[i].st_size = ((Elf64_Sym *)(orig + shdr(orig, symtab)->sh_offset))[i].st_size;
			syms[i].st_shndx = 900;
			expect_format(buf, len, "function section", "xdp_count_prog", -1);
			break;
		}
	}
	/* huge section sizes */
	const char *secs[] = { "xdp", ".BTF", ".symtab", ".relxdp", ".strtab" };
	for (size_t k = 0; k < sizeof(secs) / sizeof(secs[0]); k++) {
		memcpy(buf, orig, len);
		size_t s = find_sec(buf, secs[k]);
		shdr(buf, s)->sh_size = 1ull << 40;
		char what[64];
		snprintf(what, sizeof(what), "sh_size of %s", secs[k]);
		char needle[64];
		snprintf(needle, sizeof(needle), "'%s'", secs[k]);
		if (s == ((Elf64_Ehdr *)orig)->e_shstrndx) /* clang's .strtab also names the sections */
			snprintf(needle, sizeof(needle), "section name table");
		expect_format(buf, len, what, needle, sh_off + (long)s * shent);
	}
	/* .bss claims a terabyte: refused before anything is allocated */
	memcpy(buf, orig, len);
	shdr(buf, find_sec(buf, ".bss"))->sh_size = 1ull << 40;
	expect_format(buf, len, "sh_size of .bss", "'.bss'", -1);

	/* garbled BTF */
	memcpy(buf, orig, len);
	uint8_t *b = buf + shdr(buf, btf)->sh_offset;
	b[0] ^= 0xff;
	expect_format(buf, len, "BTF magic", "'.BTF'", (long)shdr(orig, btf)->sh_offset);
	memcpy(buf, orig, len);
	memset(b + 24, 0xee, 64); /* the first types */
	expect_format(buf, len, "BTF types", "'.BTF'", (long)shdr(orig, btf)->sh_offset);
	memcpy(buf, orig, len);
	uint32_t *hdr = (uint32_t *)b;
	hdr[3] = 0x7fffffff; /* type_len */
	expect_format(buf, len, "BTF type_len", "'.BTF'", (long)shdr(orig, btf)->sh_offset);
	/* every byte of .BTF and .BTF.ext flipped in turn: any answer but a crash */
	size_t ext = find_sec(orig, ".BTF.ext");
	size_t flipped = 0, refused = 0;
	for (int which = 0; which < 2; which++) {
		size_t s = which ? ext : btf;
		size_t off = shdr(orig, s)->sh_offset, n = shdr(orig, s)->sh_size;
		for (size_t i = 0; i < n; i++) {
			memcpy(buf, orig, len);
			buf[off + i] ^= (uint8_t)(0x5a + i);
			refused += try_open(buf, len, &err) != 0;
			flipped++;
		}
	}
	printf("BTF byte flips: %zu variants, %zu refused\n", flipped, refused);

	/* random byte changes anywhere */
	uint64_t rng = 0xfeedface;
	size_t ok = 0;
	for (int t = 0; t < 3000; t++) {
		memcpy(buf, orig, len);
		int nflip = 1 + t % 4;
		for (int k = 0; k < nflip; k++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t at = (size_t)(rng >> 20) % len;
			buf[at] = (uint8_t)(rng >> 8);
		}
		ok += try_open(buf, len, &err) == 0;
	}
	printf("random mutations: 3000 variants, %zu still load\n", ok);
	free(buf);
	free(orig);
}

/* The other examples survive truncation and flips as well. */
static void test_malformed_all(void **state)
{
	static const char *const names[] = { "sock_example", "globals_subprog", "tail_call", "ringbuf", "core_ctx" };
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t len;
		uint8_t *orig = read_obj(names[k], &len);
		if (!orig)
			continue;
		struct bpfvm_error err;
		assert_int_equal(try_open(orig, len, &err), 0);
		for (size_t n = 0; n < len; n += 3)
			assert_int_equal(try_open(orig, n, &err), BPFVM_EFORMAT);
		uint8_t *buf = malloc(len);
		uint64_t rng = 77 + k;
		for (int t = 0; t < 1000; t++) {
			memcpy(buf, orig, len);
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[(rng >> 20) % len] ^= (uint8_t)(1 + (rng >> 8) % 255);
			try_open(buf, len, &err);
		}
		free(buf);
		free(orig);
	}
}

static void test_counts(void **state)
{
	printf("elf: %ld frames run, %ld ring buffer records checked, %ld malformed variants opened\n", frames_run,
	       records_checked, malformed_checked);
	assert_true(frames_run > 0);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpfvm-elf-XXXXXX");
	if (!mkdtemp(tmpdir))
		tu_skip_all("cannot make a temporary directory");
	have_clang = system("clang --version >/dev/null 2>&1") == 0;
	char probe[600];
	snprintf(probe, sizeof(probe), "%s/examples/bpf/sock_example.o", tu_build_dir());
	if (!have_clang && !file_exists(probe))
		tu_skip_all("no clang and no prebuilt examples/bpf objects in %s", tu_build_dir());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sock_example),
		cmocka_unit_test(test_xdp_count),
		cmocka_unit_test(test_globals_subprog),
		cmocka_unit_test(test_tail_call),
		cmocka_unit_test(test_ringbuf),
		cmocka_unit_test(test_core_ctx),
		cmocka_unit_test(test_prog_types),
		cmocka_unit_test(test_legacy_maps),
		cmocka_unit_test(test_core_errors),
		cmocka_unit_test(test_relocs),
		cmocka_unit_test(test_rodata_strings),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_all),
		cmocka_unit_test(test_counts),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", tmpdir);
	return rc;
}
