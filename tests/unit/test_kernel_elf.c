/* test_kernel_elf.c - differential test of the ELF loader against the
 * kernel: every object of examples/bpf is loaded into the kernel by libbpf
 * (bpf_object__open_file, bpf_object__load) and into bpfvm by
 * bpfvm_obj_open; both run the same frames (examples/data/sample.pcap and a
 * capture written here) with BPF_PROG_TEST_RUN and bpfvm_prog_run. The
 * return values, every map's contents (arrays by index, hash maps by their
 * key sets and values, prog_array slots by presence, global data) and the
 * ring buffer records must be the same. libbpf's names for the maps must be
 * bpfvm's names in its env.
 *
 * Socket filters see TEST_RUN data from the network header (the kernel pulls
 * the Ethernet header): they get a copy of the frame's 14-byte Ethernet
 * header in front, so that the program sees the whole frame as on a packet
 * socket (and as bpfvm shows it). Frames shorter than an Ethernet header
 * cannot be given to TEST_RUN and are skipped on both sides, as are IPv4 and
 * IPv6 frames cut inside the IP header for socket filters (TEST_RUN answers
 * EINVAL for them).
 *
 * Prints "kernel elf: N runs agreed, M disagreed"; fails on any
 * disagreement. Skips (exit 77) without bpf(2), the objects or libbpf's
 * ability to load them. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "kernel_bpf.h"
#include "testutil.h"

static char tmpdir[256];
static int have_clang;
static long agreed, disagreed, refused;

#define MAX_REPORTS 30

static void disagree(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void disagree(const char *fmt, ...)
{
	disagreed++;
	if (disagreed > MAX_REPORTS)
		return;
	va_list ap;
	va_start(ap, fmt);
	printf("DISAGREE: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vprintf(fmt, ap);
}

/* ---------------------------------------------------------------- inputs */

static int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

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
	char cmd[1600];
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c '%s/examples/bpf/%s.c' -o '%s' 2>/dev/null",
		 tu_source_dir(), name, p);
	if (!have_clang || system(cmd) != 0)
		return NULL;
	return p;
}


/* A capture with IPv4 from several sources and protocols, IPv6, ARP and
 * IPv4 frames cut short. */
static void write_crafted(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	assert_non_null(d);
	uint8_t buf[1600];
	uint64_t rng = 0xabcdef;
	static const uint8_t protos[] = { 6, 17, 1, 47, 6, 17 };
	for (int i = 0; i < 80; i++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t len = 34 + (uint32_t)((rng >> 33) % 1200);
		memset(buf, 0, sizeof(buf));
		for (int k = 0; k < 12; k++)
			buf[k] = (uint8_t)(rng >> (k * 5));
		int kind = i % 10;
		uint16_t type = kind == 8 ? 0x86dd : kind == 9 ? 0x0806 : 0x0800;
		buf[12] = (uint8_t)(type >> 8), buf[13] = (uint8_t)type;
		buf[14] = 0x45;
		buf[16] = (uint8_t)((len - 14) >> 8), buf[17] = (uint8_t)(len - 14);
		buf[22] = (uint8_t)(64 - i % 7);
		buf[23] = protos[i % 6];
		buf[26] = 10, buf[29] = (uint8_t)(1 + (i * i) % 6);
		buf[30] = 192, buf[31] = 168, buf[33] = (uint8_t)i;
		struct pcap_pkthdr h = { .caplen = len, .len = len };
		if (i % 7 == 3)
			h.caplen = 14 + (uint32_t)(i % 20);
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

/* ---------------------------------------------------------------- both sides */

struct pair {
	const char *path;
	struct bpf_object *kobj;
	bpfvm_env *env;
	bpfvm_obj *obj;
};

/* Loads path on both sides; rodata_u32, when not NULL, is stored at the
 * start of .rodata before the kernel's load (and into bpfvm's map). */
static int open_pair(const char *name, struct pair *p, const uint32_t *rodata_u32)
{
	memset(p, 0, sizeof(*p));
	p->path = example(name);
	if (!p->path) {
		printf("SKIP %s: no object\n", name);
		return -1;
	}
	p->kobj = bpf_object__open_file(p->path, NULL);
	if (!p->kobj) {
		printf("SKIP %s: libbpf cannot open it (%s)\n", name, strerror(errno));
		return -1;
	}
	if (rodata_u32) {
		struct bpf_map *m = bpf_object__find_map_by_name(p->kobj, ".rodata");
		size_t sz = 0;
		const void *cur = m ? bpf_map__initial_value(m, &sz) : NULL;
		assert_non_null(cur);
		assert_true(sz >= 4);
		uint8_t *v = malloc(sz);
		memcpy(v, cur, sz);
		memcpy(v, rodata_u32, 4);
		assert_int_equal(bpf_map__set_initial_value(m, v, sz), 0);
		free(v);
	}
	int rc = bpf_object__load(p->kobj);
	if (rc) {
		printf("kernel refused %s: %s\n", name, strerror(-rc));
		fail();
	}
	p->env = bpfvm_env_new();
	struct bpfvm_error err;
	/* the same on bpfvm's side: open, set .rodata, load (it is frozen then) */
	struct bpfvm_obj_opts o = { .sz = sizeof(o), .flags = BPFVM_OBJ_F_DEFER_LOAD };
	rc = bpfvm_obj_open(p->env, p->path, &o, &p->obj, &err);
	if (!rc && rodata_u32) {
		size_t sz = 0;
		uint8_t *v = bpfvm_obj_map_initial_value(p->obj, ".rodata", &sz);
		assert_non_null(v);
		assert_true(sz >= 4);
		memcpy(v, rodata_u32, 4);
	}
	if (!rc)
		rc = bpfvm_obj_load(p->obj, &err);
	if (rc) {
		char buf[400];
		printf("bpfvm: %s: %s\n", p->path, bpfvm_error_format(&err, buf, sizeof(buf)));
	}
	assert_int_equal(rc, 0);
	return 0;
}

static void close_pair(struct pair *p)
{
	bpf_object__close(p->kobj);
	bpfvm_obj_close(p->obj);
	bpfvm_env_free(p->env);
}

/* Runs program name on every frame on both sides; compares r0. */
static void run_both(struct pair *p, const char *name, const struct tu_frames *fs)
{
	struct bpf_program *kp = bpf_object__find_program_by_name(p->kobj, name);
	assert_non_null(kp);
	int kfd = bpf_program__fd(kp);
	bpfvm_prog *vp = bpfvm_obj_prog_by_name(p->obj, name);
	assert_non_null(vp);
	int sock = bpf_program__type(kp) == BPF_PROG_TYPE_SOCKET_FILTER;
	assert_int_equal(bpfvm_prog_type(vp), bpf_program__type(kp));
	uint8_t buf[70000];
	for (size_t i = 0; i < fs->n; i++) {
		const struct tu_frame *f = &fs->f[i];
		size_t off = sock ? 14 : 0;
		memcpy(buf, f->data, off);
		memcpy(buf + off, f->data, f->len);
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = buf, .data_size_in = (uint32_t)(f->len + off), .repeat = 1);
		int krc = bpf_prog_test_run_opts(kfd, &topts);
		uint16_t et = (uint16_t)(f->data[12] << 8 | f->data[13]);
		if (krc == -EINVAL && sock && ((et == 0x0800 && f->len < 14 + 20) || (et == 0x86dd && f->len < 14 + 40))) {
			refused++; /* TEST_RUN wants the whole IPv4 or IPv6 header its ethertype announces */
			continue;
		}
		if (krc) {
			disagree("%s frame %zu: kernel TEST_RUN failed: %s", name, i, strerror(-krc));
			continue;
		}
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .frame = f->data, .frame_len = f->len, .wire_len = f->wire };
		uint64_t r0 = 0;
		struct bpfvm_error err;
		int rc = bpfvm_prog_run(vp, &ro, &r0, &err);
		if (rc) {
			char eb[400];
			disagree("%s frame %zu: bpfvm: %s", name, i, bpfvm_error_format(&err, eb, sizeof(eb)));
			continue;
		}
		if ((uint32_t)r0 != topts.retval)
			disagree("%s frame %zu (%u bytes): kernel returned %u, bpfvm %u", name, i, f->len, topts.retval,
				 (uint32_t)r0);
		else
			agreed++;
	}
}

/* Ring buffer records, in order. */
struct rec {
	size_t len;
	uint8_t data[64];
};

struct recs {
	struct rec *r;
	size_t n;
};

static int add_rec(struct recs *rs, const void *data, size_t size)
{
	rs->r = realloc(rs->r, (rs->n + 1) * sizeof(*rs->r));
	struct rec *r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	r->len = size;
	memcpy(r->data, data, size < sizeof(r->data) ? size : sizeof(r->data));
	return 0;
}

static int krec(void *ctx, void *data, size_t size)
{
	return add_rec(ctx, data, size);
}

static int vrec(void *ctx, const void *data, size_t size)
{
	return add_rec(ctx, data, size);
}

static void compare_ringbuf(const char *name, int kfd, bpfvm_map *vm)
{
	struct recs k = { 0 }, v = { 0 };
	struct ring_buffer *rb = ring_buffer__new(kfd, krec, &k, NULL);
	assert_non_null(rb);
	assert_true(ring_buffer__consume(rb) >= 0);
	ring_buffer__free(rb);
	assert_true(bpfvm_ringbuf_consume(vm, vrec, &v) >= 0);
	if (k.n != v.n)
		disagree("ring buffer %s: kernel has %zu records, bpfvm %zu", name, k.n, v.n);
	for (size_t i = 0; i < k.n && i < v.n; i++) {
		if (k.r[i].len != v.r[i].len || memcmp(k.r[i].data, v.r[i].data, sizeof(k.r[i].data)))
			disagree("ring buffer %s: record %zu differs (%zu and %zu bytes)", name, i, k.r[i].len, v.r[i].len);
		else
			agreed++;
	}
	free(k.r);
	free(v.r);
}

/* Every map of the object: same name in the env as libbpf gives it, same
 * contents. */
static void compare_maps(struct pair *p)
{
	for (size_t i = 0; i < bpfvm_obj_map_count(p->obj); i++) {
		const struct bpfvm_obj_map_info *mi = bpfvm_obj_map(p->obj, i);
		struct bpf_map *km = bpf_object__find_map_by_name(p->kobj, mi->name);
		if (!km) {
			disagree("map %s: libbpf has no such map", mi->name);
			continue;
		}
		if (strcmp(bpf_map__name(km), mi->env_name) != 0)
			disagree("map %s: libbpf calls it %s, bpfvm %s", mi->name, bpf_map__name(km), mi->env_name);
		if (bpf_map__type(km) != mi->type || bpf_map__key_size(km) != mi->key_size ||
		    bpf_map__value_size(km) != mi->value_size || bpf_map__max_entries(km) != mi->max_entries)
			disagree("map %s: kernel definition %u/%u/%u/%u, bpfvm %u/%u/%u/%u", mi->name, bpf_map__type(km),
				 bpf_map__key_size(km), bpf_map__value_size(km), bpf_map__max_entries(km), mi->type,
				 mi->key_size, mi->value_size, mi->max_entries);
		int kfd = bpf_map__fd(km);
		if (mi->type == BPF_MAP_TYPE_RINGBUF) {
			compare_ringbuf(mi->name, kfd, mi->map);
			continue;
		}
		uint8_t *kv = calloc(1, mi->value_size + 8), *vv = calloc(1, mi->value_size + 8);
		uint8_t key[64], next[64];
		assert_true(mi->key_size <= sizeof(key));
		size_t kkeys = 0, vkeys = 0;
		if (mi->type == BPF_MAP_TYPE_ARRAY || mi->type == BPF_MAP_TYPE_PROG_ARRAY) {
			for (uint32_t k = 0; k < mi->max_entries; k++) {
				int krc = bpf_map_lookup_elem(kfd, &k, kv) ? -errno : 0;
				int vrc = bpfvm_map_lookup(mi->map, &k, vv);
				if (krc != vrc)
					disagree("map %s[%u]: kernel lookup %d, bpfvm %d", mi->name, k, krc, vrc);
				else if (!krc && mi->type == BPF_MAP_TYPE_ARRAY && memcmp(kv, vv, mi->value_size))
					disagree("map %s[%u]: values differ", mi->name, k);
				else
					agreed++;
			}
		} else {
			/* hash: the same keys with the same values */
			int rc = bpf_map_get_next_key(kfd, NULL, next);
			while (rc == 0) {
				memcpy(key, next, mi->key_size);
				kkeys++;
				assert_int_equal(bpf_map_lookup_elem(kfd, key, kv), 0);
				int vrc = bpfvm_map_lookup(mi->map, key, vv);
				if (vrc)
					disagree("map %s: bpfvm lacks a key the kernel has (%d)", mi->name, vrc);
				else if (memcmp(kv, vv, mi->value_size))
					disagree("map %s: values of a key differ", mi->name);
				else
					agreed++;
				rc = bpf_map_get_next_key(kfd, key, next);
			}
			for (int vrc = bpfvm_map_get_next_key(mi->map, NULL, next); vrc == 0;
			     vrc = bpfvm_map_get_next_key(mi->map, key, next)) {
				memcpy(key, next, mi->key_size);
				vkeys++;
			}
			if (kkeys != vkeys)
				disagree("map %s: kernel has %zu keys, bpfvm %zu", mi->name, kkeys, vkeys);
		}
		free(kv);
		free(vv);
	}
}

static const char *captures[2];

static void run_example(const char *name, const char *const *progs, int with_rodata)
{
	for (int c = 0; c < 2; c++) {
		struct tu_frames fs;
		tu_read_pcap(captures[c], 14, &fs); /* TEST_RUN needs an Ethernet header */
		uint32_t blocked = 0;
		for (size_t i = 0; i < fs.n && !blocked; i++)
			if (fs.f[i].len >= 34 && fs.f[i].data[12] == 8 && fs.f[i].data[13] == 0)
				memcpy(&blocked, fs.f[i].data + 26, 4);
		struct pair p;
		if (open_pair(name, &p, with_rodata ? &blocked : NULL)) {
			tu_free_frames(&fs);
			return;
		}
		for (const char *const *pn = progs; *pn; pn++)
			run_both(&p, *pn, &fs);
		compare_maps(&p);
		close_pair(&p);
		tu_free_frames(&fs);
	}
}

static void test_sock_example(void **state)
{
	static const char *const progs[] = { "sock_prog", NULL };
	run_example("sock_example", progs, 0);
}

static void test_xdp_count(void **state)
{
	static const char *const progs[] = { "xdp_count_prog", NULL };
	run_example("xdp_count", progs, 1);
}

static void test_globals_subprog(void **state)
{
	static const char *const progs[] = { "globals_prog", NULL };
	run_example("globals_subprog", progs, 0);
}

static void test_tail_call(void **state)
{
	static const char *const progs[] = { "entry", NULL };
	run_example("tail_call", progs, 0);
}

static void test_ringbuf(void **state)
{
	static const char *const progs[] = { "ringbuf_prog", NULL };
	run_example("ringbuf", progs, 0);
}

static void test_core_ctx(void **state)
{
	static const char *const progs[] = { "core_skb", "core_xdp", NULL };
	run_example("core_ctx", progs, 0);
}

static void test_summary(void **state)
{
	printf("kernel elf: %ld runs agreed, %ld disagreed (%ld short IP frames TEST_RUN refuses for socket filters)\n",
	       agreed, disagreed, refused);
	assert_int_equal(disagreed, 0);
	assert_true(agreed > 0);
}

int main(void)
{
	char why[256];
	if (!kbpf_available(why, sizeof(why)))
		tu_skip_all("kernel elf test: %s", why);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpfvm-kelf-XXXXXX");
	if (!mkdtemp(tmpdir))
		tu_skip_all("cannot make a temporary directory");
	have_clang = system("clang --version >/dev/null 2>&1") == 0;
	if (!example("sock_example"))
		tu_skip_all("kernel elf test: no examples/bpf objects and no clang to build them");
	libbpf_set_print(libbpf_print);
	static char sample[600], crafted[600];
	snprintf(sample, sizeof(sample), "%s/examples/data/sample.pcap", tu_source_dir());
	snprintf(crafted, sizeof(crafted), "%s/crafted.pcap", tmpdir);
	write_crafted(crafted);
	captures[0] = sample;
	captures[1] = crafted;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sock_example),
		cmocka_unit_test(test_xdp_count),
		cmocka_unit_test(test_globals_subprog),
		cmocka_unit_test(test_tail_call),
		cmocka_unit_test(test_ringbuf),
		cmocka_unit_test(test_core_ctx),
		cmocka_unit_test(test_summary),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", tmpdir);
	return rc;
}
