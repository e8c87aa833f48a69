/* test_kernel_maps.c - differential test of bpfvm's maps against the Linux
 * kernel's (the referee, through bpf(2)'s BPF_MAP_* commands).
 *
 * 1. Creation: the same attributes (good and bad key/value sizes, max_entries,
 *    flags, for every map type bpfvm implements) must give the same result:
 *    success on both sides, or the same errno.
 * 2. Scripted random sequences (seeded: BPFVM_MAPS_SEED picks the seed,
 *    BPFVM_MAPS_OPS the number of operations per map) of update (with
 *    BPF_ANY/NOEXIST/EXIST, BPF_F_LOCK and unknown flags), lookup, delete,
 *    get_next_key and lookup_and_delete on array, percpu_array, hash,
 *    percpu_hash, lru_hash, lru_percpu_hash, queue and stack maps, run on a
 *    kernel map and a bpfvm map side by side: the return codes and the
 *    values read must be equal. Hash iteration order is the implementation's
 *    own, so get_next_key is compared by the set of keys a full walk visits
 *    (and single steps by return code and membership). LRU maps are sized
 *    so that the kernel never evicts (its per-CPU free lists make eviction
 *    start before the map is full); a separate overflow run checks only what
 *    is deterministic: every update succeeds, the newest key is present and
 *    no more than max_entries keys remain.
 * 3. Fixed cases: host access flags (BPF_F_RDONLY/WRONLY), ring buffer and
 *    prog_array answers to the generic commands.
 *
 * Per-CPU maps use the kernel's number of possible CPUs on both sides.
 * BPFVM_MAPS_VERBOSE=1 prints every creation case's result.
 * Prints "kernel maps: N operations agreed, M disagreed"; fails on any
 * disagreement. Skips (exit 77) without root or bpf(2). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_bpf.h"
#include "maps.h"
#include "testutil.h"

#ifdef BPFVM_HAVE_LINUX_BPF_H

static bpfvm_env *env;
static uint32_t ncpus;
static long agreed, disagreed;

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

/* Kernel return codes seen (0 and -1 .. -599), to show what was covered. */
static long rc_seen[600];

/* Compares two return codes; kernel values are -errno. */
static int same_rc(long k, long v, const char *what)
{
	if (k <= 0 && k > -600)
		rc_seen[-k]++;
	if (k == v) {
		agreed++;
		return 1;
	}
	disagree("%s: kernel %ld, bpfvm %ld", what, k, v);
	return 0;
}

/* ---------------------------------------------------------------- PRNG */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(splitmix(s) % n) : 0;
}

static void rnd_bytes(uint64_t *s, void *buf, size_t len)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)splitmix(s);
}

/* ---------------------------------------------------------------- kernel side */

static int kmap_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	return (int)kbpf_sys(BPF_MAP_CREATE, &a, sizeof(a));
}

static int kelem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return (int)kbpf_sys(cmd, &a, sizeof(a));
}

static int knext(int fd, const void *key, void *next)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.next_key = (uint64_t)(uintptr_t)next;
	return (int)kbpf_sys(BPF_MAP_GET_NEXT_KEY, &a, sizeof(a));
}

static int vmap_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct bpfvm_map_opts o = { .sz = sizeof(o), .type = type, .key_size = ks, .value_size = vs,
				    .max_entries = max, .map_flags = flags, .ncpus = ncpus };
	return bpfvm_map_create(env, &o);
}

static uint32_t possible_cpus(void)
{
	char *s = tu_read_file("/sys/devices/system/cpu/possible", NULL);
	if (!s)
		return 0;
	uint32_t n = 0;
	char *p = s;
	while (*p) { /* "0-3,5,7-8" */
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			break;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			p = end;
		}
		n += (uint32_t)(b - a + 1);
		while (*p == ',' || *p == '\n' || *p == ' ')
			p++;
	}
	free(s);
	return n;
}

/* ---------------------------------------------------------------- 1. creation */

struct create_case {
	const char *what;
	uint32_t type, ks, vs, max, flags;
};

static void test_create(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	const uint32_t HASHMAX = VM_KMALLOC_MAX_SIZE - VM_HTAB_ELEM_SIZE; /* key + value limit */
	const struct create_case cases[] = {
		/* arrays */
		{ "array ok", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0 },
		{ "array value 1", BPF_MAP_TYPE_ARRAY, 4, 1, 1, 0 },
		{ "array key 8", BPF_MAP_TYPE_ARRAY, 8, 8, 4, 0 },
		{ "array key 0", BPF_MAP_TYPE_ARRAY, 0, 8, 4, 0 },
		{ "array value 0", BPF_MAP_TYPE_ARRAY, 4, 0, 4, 0 },
		{ "array max 0", BPF_MAP_TYPE_ARRAY, 4, 8, 0, 0 },
		{ "array flag no_prealloc", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_NO_PREALLOC },
		{ "array flag mmapable", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE },
		{ "array flag inner_map", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_INNER_MAP },
		{ "array flag preserve_elems", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_PRESERVE_ELEMS },
		{ "array flag rdonly_prog", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY_PROG },
		{ "array flags rdonly_prog|wronly_prog", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG },
		{ "array flags rdonly|wronly", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY | BPF_F_WRONLY },
		{ "array flag zero_seed", BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_ZERO_SEED },
		{ "array flag 1<<20", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 1u << 20 },
		{ "array value 4 MiB", BPF_MAP_TYPE_ARRAY, 4, 4u << 20, 1, 0 },
		{ "array value INT_MAX+1", BPF_MAP_TYPE_ARRAY, 4, 0x80000000u, 1, 0 },
		{ "array value UINT_MAX", BPF_MAP_TYPE_ARRAY, 4, 0xffffffffu, 1, 0 },
		{ "percpu_array ok", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 4, 0 },
		{ "percpu_array value 32 KiB", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32768, 1, 0 },
		{ "percpu_array value 32 KiB + 1", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32769, 1, 0 },
		{ "percpu_array flag mmapable", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, BPF_F_MMAPABLE },
		{ "percpu_array flag numa", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, BPF_F_NUMA_NODE },
		{ "percpu_array key 2", BPF_MAP_TYPE_PERCPU_ARRAY, 2, 8, 4, 0 },
		{ "prog_array ok", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0 },
		{ "prog_array value 8", BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0 },
		{ "prog_array key 8", BPF_MAP_TYPE_PROG_ARRAY, 8, 4, 4, 0 },
		{ "prog_array flag rdonly_prog", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, BPF_F_RDONLY_PROG },
		{ "prog_array flag mmapable", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, BPF_F_MMAPABLE },
		{ "prog_array max 0", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 0, 0 },
		/* hashes */
		{ "hash ok", BPF_MAP_TYPE_HASH, 4, 8, 16, 0 },
		{ "hash odd sizes", BPF_MAP_TYPE_HASH, 3, 5, 16, 0 },
		{ "hash key 0", BPF_MAP_TYPE_HASH, 0, 8, 16, 0 },
		{ "hash value 0", BPF_MAP_TYPE_HASH, 4, 0, 16, 0 },
		{ "hash max 0", BPF_MAP_TYPE_HASH, 4, 8, 0, 0 },
		{ "hash key 512", BPF_MAP_TYPE_HASH, 512, 8, 4, 0 },
		{ "hash key 513", BPF_MAP_TYPE_HASH, 513, 8, 4, 0 },
		{ "hash key+value at limit - 1", BPF_MAP_TYPE_HASH, 8, HASHMAX - 9, 1, 0 },
		{ "hash key+value at limit", BPF_MAP_TYPE_HASH, 8, HASHMAX - 8, 1, 0 },
		{ "hash flag no_prealloc", BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_NO_PREALLOC },
		{ "hash flag no_common_lru", BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_NO_COMMON_LRU },
		{ "hash flag zero_seed", BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_ZERO_SEED },
		{ "hash flag numa", BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_NUMA_NODE },
		{ "hash flag mmapable", BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_MMAPABLE },
		{ "hash flag rdonly", BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_RDONLY },
		{ "hash flag wronly_prog", BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_WRONLY_PROG },
		{ "hash flag 1<<20", BPF_MAP_TYPE_HASH, 4, 8, 16, 1u << 20 },
		{ "hash max 2^31 + 1", BPF_MAP_TYPE_HASH, 4, 8, 0x80000001u, 0 },
		{ "percpu_hash ok", BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 16, 0 },
		{ "percpu_hash value 32 KiB + 1", BPF_MAP_TYPE_PERCPU_HASH, 4, 32769, 16, 0 },
		{ "percpu_hash value 32 KiB", BPF_MAP_TYPE_PERCPU_HASH, 4, 32768, 16, 0 },
		{ "percpu_hash flag numa", BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 16, BPF_F_NUMA_NODE },
		{ "lru_hash ok", BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0 },
		{ "lru_hash flag no_prealloc", BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, BPF_F_NO_PREALLOC },
		{ "lru_hash flag no_common_lru", BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, BPF_F_NO_COMMON_LRU },
		{ "lru_hash no_common_lru numa", BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE },
		{ "lru_hash key 0", BPF_MAP_TYPE_LRU_HASH, 0, 8, 16, 0 },
		{ "lru_percpu_hash ok", BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 16, 0 },
		{ "lru_percpu_hash no_prealloc", BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 16, BPF_F_NO_PREALLOC },
		/* queue / stack */
		{ "queue ok", BPF_MAP_TYPE_QUEUE, 0, 8, 16, 0 },
		{ "queue key 4", BPF_MAP_TYPE_QUEUE, 4, 8, 16, 0 },
		{ "queue value 0", BPF_MAP_TYPE_QUEUE, 0, 0, 16, 0 },
		{ "queue max 0", BPF_MAP_TYPE_QUEUE, 0, 8, 0, 0 },
		{ "queue value 4 MiB", BPF_MAP_TYPE_QUEUE, 0, 4u << 20, 1, 0 },
		{ "queue value 4 MiB + 1", BPF_MAP_TYPE_QUEUE, 0, (4u << 20) + 1, 1, 0 },
		{ "queue flag no_prealloc", BPF_MAP_TYPE_QUEUE, 0, 8, 16, BPF_F_NO_PREALLOC },
		{ "queue flag rdonly_prog", BPF_MAP_TYPE_QUEUE, 0, 8, 16, BPF_F_RDONLY_PROG },
		{ "stack ok", BPF_MAP_TYPE_STACK, 0, 3, 16, 0 },
		{ "stack key 4", BPF_MAP_TYPE_STACK, 4, 8, 16, 0 },
		{ "stack flag mmapable", BPF_MAP_TYPE_STACK, 0, 8, 16, BPF_F_MMAPABLE },
		/* ring buffer */
		{ "ringbuf one page", BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)page, 0 },
		{ "ringbuf 16 pages", BPF_MAP_TYPE_RINGBUF, 0, 0, 16 * (uint32_t)page, 0 },
		{ "ringbuf not a power of 2", BPF_MAP_TYPE_RINGBUF, 0, 0, 3 * (uint32_t)page, 0 },
		{ "ringbuf smaller than a page", BPF_MAP_TYPE_RINGBUF, 0, 0, 1024, 0 },
		{ "ringbuf max 0", BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 0 },
		{ "ringbuf key 4", BPF_MAP_TYPE_RINGBUF, 4, 0, (uint32_t)page, 0 },
		{ "ringbuf value 4", BPF_MAP_TYPE_RINGBUF, 0, 4, (uint32_t)page, 0 },
		{ "ringbuf flag numa", BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)page, BPF_F_NUMA_NODE },
		{ "ringbuf flag rdonly", BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)page, BPF_F_RDONLY },
		{ "ringbuf flag mmapable", BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)page, BPF_F_MMAPABLE },
		/* types */
		{ "type 0", 0, 4, 8, 4, 0 },
		{ "type 1000", 1000, 4, 8, 4, 0 },
	};
	size_t ok = 0, failed = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct create_case *c = &cases[i];
		int k = kmap_create(c->type, c->ks, c->vs, c->max, c->flags);
		int v = vmap_create(c->type, c->ks, c->vs, c->max, c->flags);
		if (k >= 0)
			close(k);
		char what[160];
		snprintf(what, sizeof(what), "create %s (type %u key %u value %u max %u flags %#x)", c->what, c->type,
			 c->ks, c->vs, c->max, c->flags);
		if (getenv("BPFVM_MAPS_VERBOSE"))
			printf("  %s: kernel %d, bpfvm %d\n", what, k < 0 ? k : 0, v < 0 ? v : 0);
		if ((k >= 0) != (v >= 0) || (k < 0 && k != v))
			disagree("%s: kernel %d, bpfvm %d", what, k < 0 ? k : 0, v < 0 ? v : 0);
		else
			agreed++;
		if (k >= 0)
			ok++;
		else
			failed++;
	}
	printf("creation: %zu cases (%zu accepted, %zu refused by the kernel)\n", ok + failed, ok, failed);
}

/* ---------------------------------------------------------------- 2. sequences */

struct pair {
	const char *name;
	uint32_t type, ks, vs, max, flags;
	int kfd, vfd;
	bpfvm_map *vm;
	size_t hvs;        /* host value size: value_size, or ncpus * stride */
	uint32_t keyspace; /* keys drawn from 0 .. keyspace - 1 */
};

static int is_hash(uint32_t t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int is_qs(uint32_t t)
{
	return t == BPF_MAP_TYPE_QUEUE || t == BPF_MAP_TYPE_STACK;
}

/* The key for number n: its bytes spread over the key size. */
static void make_key(const struct pair *p, uint32_t n, uint8_t *key)
{
	memset(key, 0, p->ks);
	for (uint32_t i = 0; i < p->ks; i++)
		key[i] = (uint8_t)(n >> (8 * (i % 4))) ^ (uint8_t)(i * 37);
	if (p->ks >= 4 && !is_hash(p->type))
		memcpy(key, &n, 4);
}

/* Walks every key with get_next_key from NULL; returns the count (keys in
 * out, up to cap) or -1 if the walk does not end. */
static long walk_kernel(const struct pair *p, uint8_t *out, size_t cap)
{
	uint8_t cur[64], next[64];
	long n = 0;
	const void *k = NULL;
	while (knext(p->kfd, k, next) == 0) {
		if ((size_t)n < cap)
			memcpy(out + (size_t)n * p->ks, next, p->ks);
		if (++n > 1000000)
			return -1;
		memcpy(cur, next, p->ks);
		k = cur;
	}
	return n;
}

static long walk_bpfvm(const struct pair *p, uint8_t *out, size_t cap)
{
	uint8_t cur[64], next[64];
	long n = 0;
	const void *k = NULL;
	while (bpfvm_map_get_next_key(p->vm, k, next) == 0) {
		if ((size_t)n < cap)
			memcpy(out + (size_t)n * p->ks, next, p->ks);
		if (++n > 1000000)
			return -1;
		memcpy(cur, next, p->ks);
		k = cur;
	}
	return n;
}

static int key_cmp_size;
static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, (size_t)key_cmp_size);
}

/* Full walks on both sides: same keys (as a set for hashes, in order for
 * arrays), and the same value under each. */
static void compare_walks(const struct pair *p, const char *when)
{
	size_t cap = 4096;
	uint8_t *kk = calloc(cap, p->ks), *vk = calloc(cap, p->ks);
	uint8_t *kv = malloc(p->hvs), *vv = malloc(p->hvs);
	assert_true(kk && vk && kv && vv);
	long nk = walk_kernel(p, kk, cap), nv = walk_bpfvm(p, vk, cap);
	char what[160];
	snprintf(what, sizeof(what), "%s: walk length (%s)", p->name, when);
	if (same_rc(nk, nv, what) && nk > 0 && (size_t)nk <= cap) {
		if (is_hash(p->type)) {
			key_cmp_size = (int)p->ks;
			qsort(kk, (size_t)nk, p->ks, key_cmp);
			qsort(vk, (size_t)nv, p->ks, key_cmp);
		}
		snprintf(what, sizeof(what), "%s: walk keys (%s)", p->name, when);
		if (memcmp(kk, vk, (size_t)nk * p->ks) == 0)
			agreed++;
		else
			disagree("%s differ", what);
		for (long i = 0; i < nk; i++) {
			const uint8_t *key = kk + (size_t)i * p->ks;
			memset(kv, 0xaa, p->hvs);
			memset(vv, 0x55, p->hvs);
			int rk = kelem(BPF_MAP_LOOKUP_ELEM, p->kfd, key, kv, 0);
			int rv = bpfvm_map_lookup(p->vm, key, vv);
			snprintf(what, sizeof(what), "%s: lookup of walked key %ld (%s)", p->name, i, when);
			if (same_rc(rk, rv, what) && rk == 0 && memcmp(kv, vv, p->hvs) != 0)
				disagree("%s: values differ", what);
		}
	}
	free(kk);
	free(vk);
	free(kv);
	free(vv);
}

static const char *cmd_name[] = { "update", "lookup", "delete", "get_next_key", "lookup_and_delete",
				  "walk", "get_next_key(NULL)" };

static uint64_t pick_flags(uint64_t *s)
{
	static const uint64_t choice[] = { BPF_ANY, BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_NOEXIST, BPF_EXIST, BPF_EXIST,
					   BPF_F_LOCK, BPF_NOEXIST | BPF_EXIST, 8, BPF_EXIST | BPF_F_LOCK };
	return choice[rnd(s, sizeof(choice) / sizeof(choice[0]))];
}

static void run_sequence(struct pair *p, uint64_t seed, uint32_t nops)
{
	uint64_t s = seed;
	uint8_t key[64], nk[64], nv[64];
	size_t hvs = p->hvs;
	uint8_t *val = malloc(hvs), *kv = malloc(hvs), *vv = malloc(hvs);
	assert_true(val && kv && vv);
	char what[200];
	int rk, rv;
	for (uint32_t op = 0; op < nops; op++) {
		uint32_t cmd = rnd(&s, 100);
		cmd = cmd < 40 ? 0 : cmd < 60 ? 1 : cmd < 72 ? 2 : cmd < 82 ? 3 : cmd < 94 ? 4 : cmd < 97 ? 5 : 6;
		uint32_t n = rnd(&s, p->keyspace);
		const void *kp = NULL;
		if (p->ks) {
			make_key(p, n, key);
			kp = key;
		}
		snprintf(what, sizeof(what), "%s op %u %s key %u", p->name, op, cmd_name[cmd], n);
		switch (cmd) {
		case 0: { /* update / push */
			uint64_t flags = pick_flags(&s);
			rnd_bytes(&s, val, hvs);
			snprintf(what, sizeof(what), "%s op %u update key %u flags %#" PRIx64, p->name, op, n, flags);
			rk = kelem(BPF_MAP_UPDATE_ELEM, p->kfd, kp, val, flags);
			rv = bpfvm_map_update(p->vm, kp, val, flags);
			same_rc(rk, rv, what);
			break;
		}
		case 1: /* lookup / peek */
			memset(kv, 0xaa, hvs);
			memset(vv, 0x55, hvs);
			rk = kelem(BPF_MAP_LOOKUP_ELEM, p->kfd, kp, kv, 0);
			rv = bpfvm_map_lookup(p->vm, kp, vv);
			if (same_rc(rk, rv, what) && rk == 0) {
				if (memcmp(kv, vv, hvs) == 0)
					agreed++;
				else
					disagree("%s: values differ", what);
			}
			break;
		case 2:
			rk = kelem(BPF_MAP_DELETE_ELEM, p->kfd, kp, NULL, 0);
			rv = bpfvm_map_delete(p->vm, kp);
			same_rc(rk, rv, what);
			break;
		case 3: /* from a given key: rc and membership (order differs for hashes) */
			rk = knext(p->kfd, kp, nk);
			rv = bpfvm_map_get_next_key(p->vm, kp, nv);
			if (is_hash(p->type)) {
				/* from an existing key the answer depends on the order;
				 * compare only when the key is absent (first key) */
				int present = kelem(BPF_MAP_LOOKUP_ELEM, p->kfd, kp, kv, 0) == 0;
				if (!present && same_rc(rk, rv, what) && rk == 0) {
					int kin = bpfvm_map_lookup(p->vm, nk, vv) == 0;
					int vin = kelem(BPF_MAP_LOOKUP_ELEM, p->kfd, nv, kv, 0) == 0;
					if (kin && vin)
						agreed++;
					else
						disagree("%s: first keys not in the other map", what);
				}
			} else if (same_rc(rk, rv, what) && rk == 0 && p->ks) {
				if (memcmp(nk, nv, p->ks) == 0)
					agreed++;
				else
					disagree("%s: next keys differ", what);
			}
			break;
		case 4: /* lookup_and_delete / pop */
			memset(kv, 0xaa, hvs);
			memset(vv, 0x55, hvs);
			rk = kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, p->kfd, kp, kv, 0);
			rv = bpfvm_map_lookup_and_delete(p->vm, kp, vv);
			if (same_rc(rk, rv, what) && rk == 0) {
				if (memcmp(kv, vv, hvs) == 0)
					agreed++;
				else
					disagree("%s: values differ", what);
			}
			break;
		case 5:
			if (!is_qs(p->type)) {
				snprintf(what, sizeof(what), "op %u", op);
				compare_walks(p, what);
			}
			break;
		case 6:
			rk = knext(p->kfd, NULL, nk);
			rv = bpfvm_map_get_next_key(p->vm, NULL, nv);
			if (same_rc(rk, rv, what) && rk == 0 && !is_hash(p->type) && memcmp(nk, nv, p->ks) != 0)
				disagree("%s: first keys differ", what);
			break;
		}
	}
	/* queue/stack: a key where none is taken */
	if (is_qs(p->type)) {
		uint32_t z = 0;
		rk = kelem(BPF_MAP_LOOKUP_ELEM, p->kfd, &z, kv, 0);
		rv = bpfvm_map_lookup(p->vm, &z, vv);
		same_rc(rk, rv, "queue/stack lookup with a key");
		rk = knext(p->kfd, &z, nk);
		rv = bpfvm_map_get_next_key(p->vm, &z, nv);
		same_rc(rk, rv, "queue/stack get_next_key with a key");
		rk = kelem(BPF_MAP_UPDATE_ELEM, p->kfd, &z, val, 0);
		rv = bpfvm_map_update(p->vm, &z, val, 0);
		same_rc(rk, rv, "queue/stack update with a key");
	} else {
		compare_walks(p, "end");
	}
	free(val);
	free(kv);
	free(vv);
}

static int pair_open(struct pair *p)
{
	p->kfd = kmap_create(p->type, p->ks, p->vs, p->max, p->flags);
	p->vfd = vmap_create(p->type, p->ks, p->vs, p->max, p->flags);
	if (p->kfd < 0 || p->vfd < 0) {
		disagree("%s: create: kernel %d, bpfvm %d", p->name, p->kfd, p->vfd);
		if (p->kfd >= 0)
			close(p->kfd);
		return -1;
	}
	p->vm = bpfvm_map_from_fd(env, p->vfd);
	assert_non_null(p->vm);
	uint32_t stride = (p->vs + 7) & ~7u;
	p->hvs = vm_map_is_percpu(p->type) ? (size_t)ncpus * stride : (p->vs ? p->vs : 1);
	return 0;
}

static uint64_t base_seed(void)
{
	const char *e = getenv("BPFVM_MAPS_SEED");
	return e ? strtoull(e, NULL, 0) : 0x6d617073ULL;
}

static uint32_t ops_per_map(void)
{
	const char *e = getenv("BPFVM_MAPS_OPS");
	return e ? (uint32_t)strtoul(e, NULL, 0) : 4000;
}

static void test_sequences(void **state)
{
	/* LRU maps: large enough that the kernel never evicts (each CPU's free
	 * list holds up to 128 nodes the others cannot use) */
	uint32_t lru_max = 32 + 128 * (ncpus + 2);
	struct pair pairs[] = {
		{ "array", BPF_MAP_TYPE_ARRAY, 4, 12, 8, 0, .keyspace = 12 },
		{ "array v1", BPF_MAP_TYPE_ARRAY, 4, 1, 3, 0, .keyspace = 6 },
		{ "array rdonly_prog", BPF_MAP_TYPE_ARRAY, 4, 16, 5, BPF_F_RDONLY_PROG, .keyspace = 7 },
		{ "percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 6, 0, .keyspace = 9 },
		{ "hash", BPF_MAP_TYPE_HASH, 4, 8, 8, 0, .keyspace = 16 },
		{ "hash odd", BPF_MAP_TYPE_HASH, 6, 13, 5, 0, .keyspace = 12 },
		{ "hash no_prealloc", BPF_MAP_TYPE_HASH, 8, 24, 16, BPF_F_NO_PREALLOC, .keyspace = 40 },
		{ "hash wide", BPF_MAP_TYPE_HASH, 20, 4, 64, 0, .keyspace = 96 },
		{ "percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 4, 12, 8, 0, .keyspace = 14 },
		{ "lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 8, lru_max, 0, .keyspace = 32 },
		{ "lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, 4, lru_max, 0, .keyspace = 32 },
		{ "queue", BPF_MAP_TYPE_QUEUE, 0, 12, 6, 0, .keyspace = 1 },
		{ "stack", BPF_MAP_TYPE_STACK, 0, 5, 6, 0, .keyspace = 1 },
	};
	uint64_t seed = base_seed();
	uint32_t nops = ops_per_map();
	printf("seed %#" PRIx64 ", %u operations per map, %u possible CPUs\n", seed, nops, ncpus);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct pair *p = &pairs[i];
		if (pair_open(p))
			continue;
		long before = agreed + disagreed;
		memset(rc_seen, 0, sizeof(rc_seen));
		run_sequence(p, seed + i * 0x1000193, nops);
		printf("  %-18s %5ld comparisons; kernel results:", p->name, agreed + disagreed - before);
		for (int e = 0; e < 600; e++)
			if (rc_seen[e])
				printf(" %s%d x%ld", e ? "-" : "", e, rc_seen[e]);
		printf("\n");
		close(p->kfd);
	}
}

/* LRU beyond max_entries: only what is deterministic. */
static void test_lru_overflow(void **state)
{
	const uint32_t types[] = { BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH };
	for (size_t t = 0; t < 2; t++) {
		struct pair p = { t ? "lru_percpu overflow" : "lru overflow", types[t], 4, 8, 16, 0, .keyspace = 1 };
		if (pair_open(&p))
			continue;
		uint8_t *val = calloc(1, p.hvs), *kv = calloc(1, p.hvs), *vv = calloc(1, p.hvs);
		assert_true(val && kv && vv);
		char what[120];
		for (uint32_t n = 0; n < 8 * p.max; n++) {
			memset(val, (int)n, p.hvs);
			snprintf(what, sizeof(what), "%s: update of new key %u", p.name, n);
			same_rc(kelem(BPF_MAP_UPDATE_ELEM, p.kfd, &n, val, BPF_NOEXIST),
				bpfvm_map_update(p.vm, &n, val, BPF_NOEXIST), what);
			snprintf(what, sizeof(what), "%s: lookup of the newest key %u", p.name, n);
			int rk = kelem(BPF_MAP_LOOKUP_ELEM, p.kfd, &n, kv, 0), rv = bpfvm_map_lookup(p.vm, &n, vv);
			if (same_rc(rk, rv, what) && rk == 0 && (memcmp(kv, val, p.hvs) || memcmp(vv, val, p.hvs)))
				disagree("%s: value is not the one written", what);
		}
		long nk = walk_kernel(&p, NULL, 0), nv = walk_bpfvm(&p, NULL, 0);
		if (nk >= 1 && nk <= (long)p.max && nv >= 1 && nv <= (long)p.max)
			agreed++;
		else
			disagree("%s: keys left: kernel %ld, bpfvm %ld (max %u)", p.name, nk, nv, p.max);
		printf("  %s: %ld keys left in the kernel's map, %ld in bpfvm's (max_entries %u)\n", p.name, nk, nv,
		       p.max);
		free(val);
		free(kv);
		free(vv);
		close(p.kfd);
	}
}

/* ---------------------------------------------------------------- 3. fixed cases */

static void test_fixed(void **state)
{
	uint8_t v[64] = { 1, 2, 3 }, out[64];
	uint32_t k = 1, next;
	long page = sysconf(_SC_PAGESIZE);
	char what[120];

	/* host access flags */
	const uint32_t access[] = { BPF_F_RDONLY, BPF_F_WRONLY };
	const uint32_t types[] = { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_QUEUE };
	for (size_t a = 0; a < 2; a++) {
		for (size_t t = 0; t < 3; t++) {
			uint32_t ks = types[t] == BPF_MAP_TYPE_QUEUE ? 0 : 4;
			struct pair p = { "access", types[t], ks, 8, 4, access[a], .keyspace = 1 };
			if (pair_open(&p))
				continue;
			const void *kp = ks ? &k : NULL;
			snprintf(what, sizeof(what), "type %u flags %#x update", types[t], access[a]);
			same_rc(kelem(BPF_MAP_UPDATE_ELEM, p.kfd, kp, v, 0), bpfvm_map_update(p.vm, kp, v, 0), what);
			snprintf(what, sizeof(what), "type %u flags %#x lookup", types[t], access[a]);
			same_rc(kelem(BPF_MAP_LOOKUP_ELEM, p.kfd, kp, out, 0), bpfvm_map_lookup(p.vm, kp, out), what);
			snprintf(what, sizeof(what), "type %u flags %#x delete", types[t], access[a]);
			same_rc(kelem(BPF_MAP_DELETE_ELEM, p.kfd, kp, NULL, 0), bpfvm_map_delete(p.vm, kp), what);
			snprintf(what, sizeof(what), "type %u flags %#x get_next_key", types[t], access[a]);
			same_rc(knext(p.kfd, NULL, &next), bpfvm_map_get_next_key(p.vm, NULL, &next), what);
			snprintf(what, sizeof(what), "type %u flags %#x lookup_and_delete", types[t], access[a]);
			same_rc(kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, p.kfd, kp, out, 0),
				bpfvm_map_lookup_and_delete(p.vm, kp, out), what);
			close(p.kfd);
		}
	}

	/* ring buffer: the generic commands */
	struct pair rb = { "ringbuf", BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)page, 0, .keyspace = 1 };
	if (pair_open(&rb) == 0) {
		same_rc(kelem(BPF_MAP_LOOKUP_ELEM, rb.kfd, NULL, out, 0), bpfvm_map_lookup(rb.vm, NULL, out),
			"ringbuf lookup");
		same_rc(kelem(BPF_MAP_UPDATE_ELEM, rb.kfd, NULL, v, 0), bpfvm_map_update(rb.vm, NULL, v, 0),
			"ringbuf update");
		same_rc(kelem(BPF_MAP_DELETE_ELEM, rb.kfd, NULL, NULL, 0), bpfvm_map_delete(rb.vm, NULL),
			"ringbuf delete");
		same_rc(knext(rb.kfd, NULL, &next), bpfvm_map_get_next_key(rb.vm, NULL, &next), "ringbuf get_next_key");
		same_rc(kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, rb.kfd, NULL, out, 0),
			bpfvm_map_lookup_and_delete(rb.vm, NULL, out), "ringbuf lookup_and_delete");
		same_rc(kelem(BPF_MAP_LOOKUP_ELEM, rb.kfd, &k, out, 0), bpfvm_map_lookup(rb.vm, &k, out),
			"ringbuf lookup with a key");
		close(rb.kfd);
	}

	/* prog_array without programs */
	struct pair pa = { "prog_array", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, .keyspace = 1 };
	if (pair_open(&pa) == 0) {
		for (uint32_t i = 0; i < 6; i++) {
			snprintf(what, sizeof(what), "prog_array lookup %u", i);
			same_rc(kelem(BPF_MAP_LOOKUP_ELEM, pa.kfd, &i, out, 0), bpfvm_map_lookup(pa.vm, &i, out), what);
			snprintf(what, sizeof(what), "prog_array delete %u", i);
			same_rc(kelem(BPF_MAP_DELETE_ELEM, pa.kfd, &i, NULL, 0), bpfvm_map_delete(pa.vm, &i), what);
			snprintf(what, sizeof(what), "prog_array get_next_key %u", i);
			int rk = knext(pa.kfd, &i, &next);
			uint32_t vnext;
			int rv = bpfvm_map_get_next_key(pa.vm, &i, &vnext);
			if (same_rc(rk, rv, what) && rk == 0 && next != vnext)
				disagree("%s: %u vs %u", what, next, vnext);
		}
		uint32_t bogus = 12345;
		for (uint64_t f = 0; f < 3; f++) {
			snprintf(what, sizeof(what), "prog_array update with a bad fd, flags %" PRIu64, f);
			same_rc(kelem(BPF_MAP_UPDATE_ELEM, pa.kfd, &k, &bogus, f), bpfvm_map_update(pa.vm, &k, &bogus, f),
				what);
		}
		uint32_t far = 99;
		same_rc(kelem(BPF_MAP_UPDATE_ELEM, pa.kfd, &far, &bogus, 0), bpfvm_map_update(pa.vm, &far, &bogus, 0),
			"prog_array update out of range");
		same_rc(kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, pa.kfd, &k, out, 0),
			bpfvm_map_lookup_and_delete(pa.vm, &k, out), "prog_array lookup_and_delete");
		close(pa.kfd);
	}

	/* lookup_and_delete on arrays */
	struct pair ar = { "array", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0, .keyspace = 1 };
	if (pair_open(&ar) == 0) {
		same_rc(kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, ar.kfd, &k, out, 0),
			bpfvm_map_lookup_and_delete(ar.vm, &k, out), "array lookup_and_delete");
		close(ar.kfd);
	}
}

static void test_summary(void **state)
{
	printf("kernel maps: %ld operations agreed, %ld disagreed\n", agreed, disagreed);
	assert_int_equal(disagreed, 0);
}

int main(void)
{
	char why[400];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		tu_skip_all("kernel maps test needs root (bpf(2) map commands)");
	if (!kbpf_available(why, sizeof(why)))
		tu_skip_all("kernel maps test: %s", why);
	ncpus = possible_cpus();
	if (!ncpus)
		tu_skip_all("cannot read /sys/devices/system/cpu/possible");
	env = bpfvm_env_new();
	if (!env)
		tu_skip_all("out of memory");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_lru_overflow),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_summary),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	bpfvm_env_free(env);
	return rc;
}

#else /* !BPFVM_HAVE_LINUX_BPF_H */

int main(void)
{
	tu_skip_all("kernel maps test: no <linux/bpf.h> on this system");
}

#endif
