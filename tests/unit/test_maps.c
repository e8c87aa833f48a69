/* test_maps.c - bpfvm's maps, through the public API (bpfvm_map_*) and the
 * program-side functions the helpers call (vm_map_*, vm_ringbuf_*):
 * creation checks, every type's update/lookup/delete/get_next_key
 * semantics as the kernel defines them (kernel/bpf/arraymap.c, hashtab.c,
 * queue_stack_maps.c, ringbuf.c; test_kernel_maps.c compares against the
 * running kernel itself), per-CPU copies, LRU eviction, ring buffer records,
 * prog_array slots, the registry that validates map pointers and memory for
 * checked runs, for_each, and concurrency: programs on several threads
 * adding atomically to one array value (through lddw of a map value), host
 * threads inserting and deleting hash keys while others look them up from
 * the program side, queue pushes and pops, ring buffer producers against a
 * consumer. Counts must come out exact. */
#define _GNU_SOURCE /* pthread_tryjoin_np */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "testutil.h"

/* ---- helpers ---- */

static bpfvm_env *env_with(uint32_t ncpus)
{
	bpfvm_env *env = bpfvm_env_new();
	assert_non_null(env);
	if (ncpus)
		bpfvm_env_set_ncpus(env, ncpus);
	return env;
}

static int mk(bpfvm_env *env, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct bpfvm_map_opts o = { .sz = sizeof(o), .type = type, .key_size = ks, .value_size = vs,
				    .max_entries = max, .map_flags = flags };
	return bpfvm_map_create(env, &o);
}

static bpfvm_map *mkmap(bpfvm_env *env, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	int fd = mk(env, type, ks, vs, max, flags);
	if (fd < 0)
		fail_msg("creating map type %u: %d", type, fd);
	bpfvm_map *m = bpfvm_map_from_fd(env, fd);
	assert_non_null(m);
	return m;
}

static uint64_t u64_at(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* ---- creation, info, names ---- */

static void test_create(void **state)
{
	bpfvm_env *env = env_with(3);
	/* the kernel's checks (BPF_MAP_CREATE) */
	assert_int_equal(mk(env, VM_MAP_ARRAY, 8, 8, 4, 0), -EINVAL);      /* array key must be 4 */
	assert_int_equal(mk(env, VM_MAP_ARRAY, 4, 0, 4, 0), -EINVAL);      /* value_size 0 */
	assert_int_equal(mk(env, VM_MAP_ARRAY, 4, 8, 0, 0), -EINVAL);      /* max_entries 0 */
	assert_int_equal(mk(env, VM_MAP_ARRAY, 4, 8, 4, 1u << 20), -EINVAL); /* unknown flag */
	assert_int_equal(mk(env, VM_MAP_ARRAY, 4, 0x80000000u, 1, 0), -E2BIG);
	assert_int_equal(mk(env, VM_MAP_PERCPU_ARRAY, 4, 32769, 1, 0), -E2BIG);
	assert_int_equal(mk(env, VM_MAP_HASH, 0, 8, 4, 0), -EINVAL);
	assert_int_equal(mk(env, VM_MAP_HASH, 8, VM_KMALLOC_MAX_SIZE, 4, 0), -E2BIG);
	assert_int_equal(mk(env, VM_MAP_HASH, 4, 8, 4, VM_F_NO_COMMON_LRU), -EINVAL);
	assert_int_equal(mk(env, VM_MAP_LRU_HASH, 4, 8, 4, VM_F_NO_PREALLOC), -VM_ENOTSUPP);
	assert_int_equal(mk(env, VM_MAP_QUEUE, 4, 8, 4, 0), -EINVAL);      /* queue keys are 0 bytes */
	assert_int_equal(mk(env, VM_MAP_STACK, 0, (4u << 20) + 1, 1, 0), -E2BIG);
	assert_int_equal(mk(env, VM_MAP_RINGBUF, 0, 0, 3 * 4096, 0), -EINVAL); /* not a power of 2 */
	assert_int_equal(mk(env, VM_MAP_RINGBUF, 0, 0, 1024, 0), -EINVAL);  /* not a page multiple */
	assert_int_equal(mk(env, VM_MAP_RINGBUF, 0, 8, 4096, 0), -EINVAL);  /* value_size must be 0 */
	assert_int_equal(mk(env, VM_MAP_PROG_ARRAY, 4, 8, 4, 0), -EINVAL);  /* values are u32 fds */
	assert_int_equal(mk(env, VM_MAP_ARRAY, 4, 8, 4, VM_F_RDONLY | VM_F_WRONLY), -EINVAL);
	assert_int_equal(mk(env, 0, 4, 8, 4, 0), -EINVAL);
	assert_int_equal(mk(env, 1000, 4, 8, 4, 0), -EINVAL);
	assert_int_equal(mk(env, 11 /* LPM_TRIE: the kernel's, not bpfvm's */, 8, 8, 4, VM_F_NO_PREALLOC), -EOPNOTSUPP);
	struct bpfvm_map_opts bad = { .sz = 4, .type = VM_MAP_ARRAY };
	assert_int_equal(bpfvm_map_create(env, &bad), -EINVAL);
	assert_int_equal(bpfvm_map_create(env, NULL), -EINVAL);

	/* fds, names, order, info */
	struct bpfvm_map_opts o = { .sz = sizeof(o), .name = "counters_with_a_long_name", .type = VM_MAP_PERCPU_HASH,
				    .key_size = 4, .value_size = 12, .max_entries = 10 };
	int fd1 = bpfvm_map_create(env, &o);
	o.name = "second";
	o.type = VM_MAP_ARRAY;
	o.ncpus = 5;
	int fd2 = bpfvm_map_create(env, &o);
	assert_true(fd1 >= 3 && fd2 >= 3 && fd1 != fd2);
	bpfvm_map *m1 = bpfvm_map_from_fd(env, fd1), *m2 = bpfvm_map_from_fd(env, fd2);
	assert_non_null(m1);
	assert_null(bpfvm_map_from_fd(env, 999));
	assert_ptr_equal(bpfvm_map_by_name(env, "counters_with_a"), m1);
	assert_ptr_equal(bpfvm_map_by_name(env, "counters_with_a_long_name"), m1);
	assert_null(bpfvm_map_by_name(env, "counters"));
	assert_ptr_equal(bpfvm_map_by_name(env, "second"), m2);
	bpfvm_map *all[4];
	assert_int_equal(bpfvm_env_maps(env, all, 1), 2);
	assert_ptr_equal(all[0], m1);
	struct bpfvm_map_info info;
	bpfvm_map_get_info(m1, &info);
	assert_string_equal(info.name, "counters_with_a");
	assert_int_equal(info.fd, fd1);
	assert_int_equal(info.type, VM_MAP_PERCPU_HASH);
	assert_int_equal(info.key_size, 4);
	assert_int_equal(info.value_size, 12);
	assert_int_equal(info.max_entries, 10);
	assert_int_equal(info.ncpus, 3); /* the env's */
	assert_int_equal(vm_map_host_value_size(m1), 3 * 16);
	bpfvm_map_get_info(m2, &info);
	assert_int_equal(info.ncpus, 5); /* the options' */
	assert_int_equal(vm_map_host_value_size(m2), 12);
	/* per-CPU LRU lists: max_entries rounded up to a multiple of the CPUs */
	bpfvm_map *lru = mkmap(env, VM_MAP_LRU_HASH, 4, 8, 16, VM_F_NO_COMMON_LRU);
	bpfvm_map_get_info(lru, &info);
	assert_int_equal(info.max_entries, 18);
	bpfvm_env_free(env);
}

/* ---- arrays ---- */

static void test_array(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_map *m = mkmap(env, VM_MAP_ARRAY, 4, 12, 5, 0);
	uint8_t v[12], out[12], zero[12] = { 0 };
	uint32_t k;
	for (k = 0; k < 5; k++) { /* preallocated and zeroed */
		memset(out, 0xee, sizeof(out));
		assert_int_equal(bpfvm_map_lookup(m, &k, out), 0);
		assert_memory_equal(out, zero, 12);
	}
	k = 2;
	memset(v, 7, sizeof(v));
	assert_int_equal(bpfvm_map_update(m, &k, v, VM_ANY), 0);
	assert_int_equal(bpfvm_map_update(m, &k, v, VM_EXIST), 0);
	assert_int_equal(bpfvm_map_update(m, &k, v, VM_NOEXIST), -EEXIST); /* every element exists */
	assert_int_equal(bpfvm_map_update(m, &k, v, VM_F_LOCK), -EINVAL);
	assert_int_equal(bpfvm_map_update(m, &k, v, 3), -EINVAL);
	assert_int_equal(bpfvm_map_update(m, &k, v, 8), -EINVAL);
	assert_int_equal(bpfvm_map_lookup(m, &k, out), 0);
	assert_memory_equal(out, v, 12);
	k = 5;
	assert_int_equal(bpfvm_map_update(m, &k, v, VM_ANY), -E2BIG);
	assert_int_equal(bpfvm_map_lookup(m, &k, out), -ENOENT);
	assert_int_equal(bpfvm_map_delete(m, &k), -EINVAL);
	k = 1;
	assert_int_equal(bpfvm_map_delete(m, &k), -EINVAL);
	assert_int_equal(bpfvm_map_lookup_and_delete(m, &k, out), -VM_ENOTSUPP);
	assert_int_equal(bpfvm_map_lookup(m, NULL, out), -EFAULT);
	/* get_next_key: NULL or out of range -> 0; i -> i + 1; last -> -ENOENT */
	uint32_t next = 99;
	assert_int_equal(bpfvm_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next, 0);
	k = 77;
	assert_int_equal(bpfvm_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 0);
	k = 3;
	assert_int_equal(bpfvm_map_get_next_key(m, &k, &next), 0);
	assert_int_equal(next, 4);
	k = 4;
	assert_int_equal(bpfvm_map_get_next_key(m, &k, &next), -ENOENT);
	/* program side: 8-byte aligned values, value_stride apart, in the region */
	k = 0;
	uint8_t *p0 = vm_map_lookup_elem(m, &k, 0);
	k = 2;
	uint8_t *p2 = vm_map_lookup_elem(m, &k, 0);
	assert_non_null(p0);
	assert_int_equal((uintptr_t)p0 % 8, 0);
	assert_int_equal(p2 - p0, 2 * 16);
	assert_int_equal(m->value_stride, 16);
	assert_memory_equal(p2, v, 12);
	k = 5;
	assert_null(vm_map_lookup_elem(m, &k, 0));
	memset(v, 9, sizeof(v));
	k = 4;
	assert_int_equal(vm_map_update_elem(m, &k, v, VM_ANY, 0), 0);
	assert_int_equal(vm_map_update_elem(m, &k, v, VM_NOEXIST, 0), -EEXIST);
	assert_int_equal(vm_map_delete_elem(m, &k), -EINVAL);
	assert_int_equal(bpfvm_map_lookup(m, &k, out), 0);
	assert_memory_equal(out, v, 12);
	/* queue operations do not apply */
	assert_int_equal(vm_map_push_elem(m, v, 0), -EINVAL);
	assert_int_equal(vm_map_pop_elem(m, out), -EINVAL);
	bpfvm_env_free(env);
}

static void test_percpu_array(void **state)
{
	bpfvm_env *env = env_with(2);
	struct bpfvm_map_opts o = { .sz = sizeof(o), .type = VM_MAP_PERCPU_ARRAY, .key_size = 4, .value_size = 4,
				    .max_entries = 3, .ncpus = 3 };
	bpfvm_map *m = bpfvm_map_from_fd(env, bpfvm_map_create(env, &o));
	assert_non_null(m);
	assert_int_equal(m->ncpus, 3);
	uint32_t k = 1;
	uint8_t all[3 * 8], out[3 * 8];
	for (int i = 0; i < 24; i++)
		all[i] = (uint8_t)(i + 1);
	assert_int_equal(bpfvm_map_update(m, &k, all, VM_ANY), 0); /* every CPU, 8 bytes each */
	memset(out, 0, sizeof(out));
	assert_int_equal(bpfvm_map_lookup(m, &k, out), 0);
	assert_memory_equal(out, all, 24);
	for (uint32_t cpu = 0; cpu < 3; cpu++) {
		uint8_t *p = vm_map_lookup_elem(m, &k, cpu);
		assert_non_null(p);
		assert_memory_equal(p, all + 8 * cpu, 8);
	}
	assert_null(vm_map_lookup_elem(m, &k, 3)); /* no such CPU */
	uint32_t v = 0xabcdef01;
	assert_int_equal(vm_map_update_elem(m, &k, &v, VM_ANY, 2), 0); /* that CPU's copy only */
	assert_int_equal(vm_map_update_elem(m, &k, &v, VM_ANY, 3), -EINVAL);
	assert_int_equal(bpfvm_map_lookup(m, &k, out), 0);
	assert_memory_equal(out, all, 16);
	assert_memory_equal(out + 16, &v, 4);
	assert_memory_equal(out + 20, all + 20, 4); /* the padding is untouched */
	assert_int_equal(bpfvm_map_update(m, &k, all, VM_NOEXIST), -EEXIST);
	k = 3;
	assert_int_equal(bpfvm_map_update(m, &k, all, VM_ANY), -E2BIG);
	bpfvm_env_free(env);
}

/* ---- hashes ---- */

/* Walks the keys of a map with u32 keys; returns how many (each once). */
static int walk_u32(bpfvm_map *m, uint8_t *seen, uint32_t nseen)
{
	uint32_t cur, next;
	int n = 0;
	const void *k = NULL;
	while (bpfvm_map_get_next_key(m, k, &next) == 0) {
		if (next < nseen) {
			assert_int_equal(seen[next], 0);
			seen[next] = 1;
		}
		n++;
		assert_true(n <= 100000);
		cur = next;
		k = &cur;
	}
	return n;
}

static void test_hash(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_map *m = mkmap(env, VM_MAP_HASH, 4, 8, 8, 0);
	uint64_t v, out;
	uint32_t k, next;
	assert_int_equal(bpfvm_map_get_next_key(m, NULL, &next), -ENOENT); /* empty */
	for (k = 0; k < 8; k++) {
		v = k * 100;
		assert_int_equal(bpfvm_map_update(m, &k, &v, k % 2 ? VM_ANY : VM_NOEXIST), 0);
	}
	k = 8;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_ANY), -E2BIG); /* full */
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_EXIST), -ENOENT);
	k = 3;
	v = 333;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_ANY), 0);  /* replacing works when full */
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_EXIST), 0);
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_NOEXIST), -EEXIST);
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_F_LOCK), -EINVAL);
	assert_int_equal(bpfvm_map_update(m, &k, &v, 16), -EINVAL);
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), 0);
	assert_int_equal(out, 333);
	uint8_t seen[16] = { 0 };
	assert_int_equal(walk_u32(m, seen, 16), 8);
	for (k = 0; k < 8; k++)
		assert_int_equal(seen[k], 1);
	/* a missing key starts over: same answer as NULL */
	uint32_t first, from_missing;
	k = 12345;
	assert_int_equal(bpfvm_map_get_next_key(m, NULL, &first), 0);
	assert_int_equal(bpfvm_map_get_next_key(m, &k, &from_missing), 0);
	assert_int_equal(first, from_missing);
	/* delete, lookup_and_delete */
	k = 5;
	assert_int_equal(bpfvm_map_delete(m, &k), 0);
	assert_int_equal(bpfvm_map_delete(m, &k), -ENOENT);
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), -ENOENT);
	k = 6;
	assert_int_equal(bpfvm_map_lookup_and_delete(m, &k, &out), 0);
	assert_int_equal(out, 600);
	assert_int_equal(bpfvm_map_lookup_and_delete(m, &k, &out), -ENOENT);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(walk_u32(m, seen, 16), 6);
	assert_int_equal(seen[5] + seen[6], 0);
	/* two free slots again */
	k = 20;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_NOEXIST), 0);
	k = 21;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_NOEXIST), 0);
	k = 22;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_NOEXIST), -E2BIG);
	/* program side: pointers into the value slab, keys outside it */
	k = 3;
	uint64_t *p = vm_map_lookup_elem(m, &k, 0);
	assert_non_null(p);
	assert_int_equal(*p, 333);
	assert_int_equal((uintptr_t)p % 8, 0);
	assert_true((uint8_t *)p >= m->region && (uint8_t *)(p + 1) <= m->region + m->region_len);
	assert_true(vm_maps_region_ok(env, (uint64_t)(uintptr_t)p, 8, 1));
	*p += 1; /* programs write values in place */
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), 0);
	assert_int_equal(out, 334);
	k = 99;
	assert_null(vm_map_lookup_elem(m, &k, 0));
	v = 7;
	assert_int_equal(vm_map_update_elem(m, &k, &v, VM_ANY, 0), -E2BIG);
	k = 3;
	assert_int_equal(vm_map_delete_elem(m, &k), 0);
	assert_int_equal(vm_map_update_elem(m, &k, &v, VM_EXIST, 0), -ENOENT);
	assert_int_equal(vm_map_update_elem(m, &k, &v, VM_NOEXIST, 0), 0);
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), 0);
	assert_int_equal(out, 7);
	/* keys of odd sizes */
	bpfvm_map *h = mkmap(env, VM_MAP_HASH, 3, 5, 4, 0);
	uint8_t k3[3] = { 1, 2, 3 }, v5[5] = { 9, 8, 7, 6, 5 }, o5[5];
	assert_int_equal(bpfvm_map_update(h, k3, v5, VM_ANY), 0);
	k3[2] = 4;
	assert_int_equal(bpfvm_map_lookup(h, k3, o5), -ENOENT);
	k3[2] = 3;
	assert_int_equal(bpfvm_map_lookup(h, k3, o5), 0);
	assert_memory_equal(o5, v5, 5);
	bpfvm_env_free(env);
}

static void test_percpu_hash(void **state)
{
	bpfvm_env *env = env_with(4);
	bpfvm_map *m = mkmap(env, VM_MAP_PERCPU_HASH, 4, 4, 4, 0);
	uint32_t k = 7, v = 0x11223344;
	uint8_t out[4 * 8], all[4 * 8];
	memset(all, 0x5a, sizeof(all));
	/* a program's insert: its CPU's copy, zeros on the others */
	assert_int_equal(vm_map_update_elem(m, &k, &v, VM_NOEXIST, 1), 0);
	assert_int_equal(bpfvm_map_lookup(m, &k, out), 0);
	for (uint32_t cpu = 0; cpu < 4; cpu++) {
		uint32_t c;
		memcpy(&c, out + 8 * cpu, 4);
		assert_int_equal(c, cpu == 1 ? v : 0);
	}
	uint32_t *p = vm_map_lookup_elem(m, &k, 1);
	assert_non_null(p);
	assert_int_equal(*p, v);
	assert_null(vm_map_lookup_elem(m, &k, 4));
	assert_int_equal(vm_map_update_elem(m, &k, &v, VM_ANY, 4), -EINVAL);
	/* the host writes every CPU's copy */
	assert_int_equal(bpfvm_map_update(m, &k, all, VM_EXIST), 0);
	assert_int_equal(bpfvm_map_lookup(m, &k, out), 0);
	assert_memory_equal(out, all, sizeof(all));
	assert_int_equal(bpfvm_map_lookup_and_delete(m, &k, out), 0);
	assert_memory_equal(out, all, sizeof(all));
	assert_int_equal(bpfvm_map_lookup(m, &k, out), -ENOENT);
	bpfvm_env_free(env);
}

static void test_lru(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_map *m = mkmap(env, VM_MAP_LRU_HASH, 4, 8, 4, 0);
	uint64_t v = 1, out;
	uint32_t k;
	for (k = 0; k < 4; k++)
		assert_int_equal(bpfvm_map_update(m, &k, &v, VM_NOEXIST), 0);
	/* a program looks key 0 up: it gets a second chance, key 1 goes */
	k = 0;
	assert_non_null(vm_map_lookup_elem(m, &k, 0));
	k = 4;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_NOEXIST), 0); /* evicts instead of -E2BIG */
	k = 0;
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), 0);
	k = 1;
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), -ENOENT);
	/* host lookups do not count as use: key 2 goes next */
	k = 2;
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), 0);
	k = 5;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_ANY), 0);
	k = 2;
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), -ENOENT);
	/* many inserts: never an error, never more than max_entries keys, the
	 * newest always present */
	for (k = 100; k < 1000; k++) {
		v = k;
		assert_int_equal(bpfvm_map_update(m, &k, &v, VM_ANY), 0);
		assert_int_equal(bpfvm_map_lookup(m, &k, &out), 0);
		assert_int_equal(out, k);
	}
	assert_int_equal(walk_u32(m, NULL, 0), 4);
	k = 999;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_NOEXIST), -EEXIST);
	k = 5000;
	assert_int_equal(bpfvm_map_update(m, &k, &v, VM_EXIST), -ENOENT);
	assert_int_equal(bpfvm_map_delete(m, &k), -ENOENT);
	k = 999;
	assert_int_equal(bpfvm_map_delete(m, &k), 0);
	assert_int_equal(walk_u32(m, NULL, 0), 3);
	/* per-CPU LRU */
	bpfvm_map *pl = mkmap(env, VM_MAP_LRU_PERCPU_HASH, 4, 8, 2, 0);
	for (k = 0; k < 10; k++)
		assert_int_equal(vm_map_update_elem(pl, &k, &v, VM_ANY, 0), 0);
	assert_int_equal(walk_u32(pl, NULL, 0), 2);
	bpfvm_env_free(env);
}

/* ---- queue and stack ---- */

static void test_queue_stack(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	for (int stack = 0; stack < 2; stack++) {
		bpfvm_map *m = mkmap(env, stack ? VM_MAP_STACK : VM_MAP_QUEUE, 0, 4, 3, 0);
		uint32_t v, out;
		assert_int_equal(bpfvm_map_lookup(m, NULL, &out), -ENOENT);
		assert_int_equal(bpfvm_map_lookup_and_delete(m, NULL, &out), -ENOENT);
		for (v = 1; v <= 3; v++)
			assert_int_equal(bpfvm_map_update(m, NULL, &v, VM_ANY), 0);
		v = 4;
		assert_int_equal(bpfvm_map_update(m, NULL, &v, VM_ANY), -E2BIG); /* full */
		assert_int_equal(bpfvm_map_update(m, NULL, &v, VM_NOEXIST), -EINVAL);
		assert_int_equal(bpfvm_map_update(m, NULL, &v, 4), -EINVAL);
		assert_int_equal(bpfvm_map_update(m, NULL, &v, VM_EXIST), 0); /* drops the oldest (1) */
		uint32_t k = 0;
		assert_int_equal(bpfvm_map_lookup(m, &k, &out), -EINVAL);   /* no keys */
		assert_int_equal(bpfvm_map_update(m, &k, &v, 0), -EINVAL);
		assert_int_equal(bpfvm_map_delete(m, NULL), -EINVAL);
		assert_int_equal(bpfvm_map_get_next_key(m, NULL, &out), -EINVAL);
		/* contents 2, 3, 4 (oldest first) */
		const uint32_t order[2][3] = { { 2, 3, 4 }, { 4, 3, 2 } };
		assert_int_equal(bpfvm_map_lookup(m, NULL, &out), 0); /* peek */
		assert_int_equal(out, order[stack][0]);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(bpfvm_map_lookup_and_delete(m, NULL, &out), 0);
			assert_int_equal(out, order[stack][i]);
		}
		/* program side */
		out = 77;
		assert_int_equal(vm_map_pop_elem(m, &out), -ENOENT);
		assert_int_equal(out, 0); /* zeroed, as the helper does */
		out = 77;
		assert_int_equal(vm_map_peek_elem(m, &out), -ENOENT);
		assert_int_equal(out, 0);
		for (v = 10; v < 14; v++) /* wraps around the ring */
			assert_int_equal(vm_map_push_elem(m, &v, VM_EXIST), 0);
		assert_int_equal(vm_map_peek_elem(m, &out), 0);
		assert_int_equal(out, stack ? 13 : 11);
		assert_null(vm_map_lookup_elem(m, &k, 0));
		assert_int_equal(vm_map_update_elem(m, &k, &v, 0, 0), -EINVAL);
		assert_int_equal(vm_map_delete_elem(m, &k), -EINVAL);
		assert_int_equal(vm_map_for_each(m, 0, NULL, NULL), -EINVAL);
	}
	bpfvm_env_free(env);
}

/* ---- ring buffer ---- */

struct rec_log {
	int n;
	size_t sizes[64];
	uint8_t first[64];
	int stop_after;
};

static int log_rec(void *cookie, const void *data, size_t size)
{
	struct rec_log *l = cookie;
	if (l->n < 64) {
		l->sizes[l->n] = size;
		l->first[l->n] = size ? *(const uint8_t *)data : 0;
	}
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

static void test_ringbuf(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	long page = sysconf(_SC_PAGESIZE);
	bpfvm_map *m = mkmap(env, VM_MAP_RINGBUF, 0, 0, (uint32_t)page, 0);
	uint8_t out[8];
	assert_int_equal(bpfvm_map_lookup(m, NULL, out), -VM_ENOTSUPP);
	assert_int_equal(vm_ringbuf_query(m, VM_RB_RING_SIZE), (uint64_t)page);
	assert_int_equal(vm_ringbuf_query(m, VM_RB_AVAIL_DATA), 0);
	assert_null(vm_ringbuf_reserve(m, 8, 1)); /* flags must be 0 */
	assert_null(vm_ringbuf_reserve(m, (uint64_t)page, 0)); /* record + header > ring */

	uint8_t *a = vm_ringbuf_reserve(m, 5, 0);
	uint8_t *b = vm_ringbuf_reserve(m, 16, 0);
	uint8_t *c = vm_ringbuf_reserve(m, 1, 0);
	assert_true(a && b && c);
	assert_int_equal(b - a, 16); /* 8-byte header, 5 bytes rounded up to 8 */
	assert_int_equal(c - b, 24);
	uint32_t hdr;
	memcpy(&hdr, a - 8, 4);
	assert_int_equal(hdr, 5 | VM_RINGBUF_BUSY_BIT);
	assert_int_equal(vm_ringbuf_query(m, VM_RB_PROD_POS), 16 + 24 + 16);
	/* checked runs may touch reserved payloads, not headers or padding */
	assert_true(vm_maps_region_ok(env, (uint64_t)(uintptr_t)a, 5, 1));
	assert_false(vm_maps_region_ok(env, (uint64_t)(uintptr_t)a, 6, 1));
	assert_false(vm_maps_region_ok(env, (uint64_t)(uintptr_t)(a - 8), 4, 0));
	memset(a, 'a', 5);
	memset(b, 'b', 16);
	*c = 'c';
	/* b is committed first, but records come out in order */
	assert_int_equal(vm_ringbuf_commit(env, b, 0, 0), 0);
	assert_int_equal(vm_ringbuf_commit(env, b, 0, 0), -EINVAL); /* not reserved any more */
	assert_false(vm_maps_region_ok(env, (uint64_t)(uintptr_t)b, 1, 0));
	assert_int_equal(vm_ringbuf_commit(env, b + 1, 0, 0), -EINVAL);
	assert_int_equal(vm_ringbuf_commit(env, out, 0, 0), -EINVAL);
	struct rec_log log = { 0 };
	assert_int_equal(bpfvm_ringbuf_consume(m, log_rec, &log), 0); /* a is still busy */
	assert_int_equal(vm_ringbuf_commit(env, a, 0, VM_RB_NO_WAKEUP), 0);
	assert_int_equal(vm_ringbuf_commit(env, c, 1, 0), 0); /* discarded */
	memcpy(&hdr, c - 8, 4);
	assert_int_equal(hdr, 1 | VM_RINGBUF_DISCARD_BIT);
	assert_int_equal(vm_ringbuf_output(m, "xyz", 3, 0), 0);
	assert_int_equal(vm_ringbuf_output(m, "xyz", 3, 4), -EINVAL);
	assert_int_equal(bpfvm_ringbuf_consume(m, log_rec, &log), 3);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.sizes[0], 5);
	assert_int_equal(log.first[0], 'a');
	assert_int_equal(log.sizes[1], 16);
	assert_int_equal(log.first[1], 'b');
	assert_int_equal(log.sizes[2], 3);
	assert_int_equal(log.first[2], 'x');
	assert_int_equal(vm_ringbuf_query(m, VM_RB_AVAIL_DATA), 0);
	assert_int_equal(vm_ringbuf_query(m, VM_RB_CONS_POS), vm_ringbuf_query(m, VM_RB_PROD_POS));

	/* full: reservations fail until the consumer frees space; records
	 * wrap around the end and stay contiguous */
	uint64_t rsize = (uint64_t)page / 4 - 8;
	int n = 0;
	uint8_t *r;
	while ((r = vm_ringbuf_reserve(m, rsize, 0)) != NULL) {
		memset(r, n, rsize);
		assert_int_equal(vm_ringbuf_commit(env, r, 0, 0), 0);
		n++;
		assert_true(n < 10);
	}
	assert_int_equal(n, 3); /* the producer may not get a whole ring ahead */
	assert_int_equal(vm_ringbuf_output(m, "q", 1, 0), 0);
	assert_int_equal(vm_ringbuf_output(m, "q", rsize, 0), -EAGAIN);
	struct rec_log l2 = { .stop_after = 2 };
	assert_int_equal(bpfvm_ringbuf_consume(m, log_rec, &l2), 2); /* stops early */
	r = vm_ringbuf_reserve(m, rsize, 0); /* crosses the end of the ring */
	assert_non_null(r);
	memset(r, 0x42, rsize);
	assert_true(vm_maps_region_ok(env, (uint64_t)(uintptr_t)r, rsize, 1));
	assert_int_equal(vm_ringbuf_commit(env, r, 0, 0), 0);
	struct rec_log l3 = { 0 };
	assert_int_equal(bpfvm_ringbuf_consume(m, log_rec, &l3), 3);
	assert_int_equal(l3.sizes[0], rsize);
	assert_int_equal(l3.sizes[1], 1);
	assert_int_equal(l3.sizes[2], rsize);
	assert_int_equal(l3.first[2], 0x42);
	assert_int_equal(bpfvm_ringbuf_consume(bpfvm_map_from_fd(env, mk(env, VM_MAP_ARRAY, 4, 4, 1, 0)), log_rec,
					       &l3), -EINVAL);
	bpfvm_env_free(env);
}

/* ---- prog_array ---- */

static bpfvm_prog *load(bpfvm_env *env, const struct bpf_insn *insns, size_t n, uint32_t type, uint32_t flags)
{
	struct bpfvm_prog_opts o = { .sz = sizeof(o), .type = type, .flags = flags ? flags : BPFVM_PROG_F_NO_VERIFY };
	bpfvm_prog *p = NULL;
	struct bpfvm_error err;
	int rc = bpfvm_prog_load(env, insns, n, &o, &p, &err);
	if (rc)
		fail_msg("load: %s", err.msg);
	return p;
}

static void test_prog_array(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	const struct bpf_insn ret0[] = { BPF_MOV64_IMM(BPF_REG_0, 0), BPF_EXIT_INSN() };
	bpfvm_prog *p1 = load(env, ret0, 2, BPFVM_PROG_TYPE_RAW, 0);
	bpfvm_prog *p2 = load(env, ret0, 2, BPFVM_PROG_TYPE_RAW, 0);
	bpfvm_prog *px = load(env, ret0, 2, BPF_PROG_TYPE_XDP, 0);
	bpfvm_map *m = mkmap(env, VM_MAP_PROG_ARRAY, 4, 4, 4, 0);
	uint32_t k = 1, fd = (uint32_t)bpfvm_prog_fd(p1), out;
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), -ENOENT);
	assert_null(vm_prog_array_get(m, 1));
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_NOEXIST), -EINVAL); /* only BPF_ANY */
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_ANY), 0);
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), 0);
	assert_int_equal(out, fd);
	assert_ptr_equal(vm_prog_array_get(m, 1), p1);
	assert_null(vm_prog_array_get(m, 4));
	fd = (uint32_t)bpfvm_prog_fd(p2);
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_ANY), 0);
	assert_ptr_equal(vm_prog_array_get(m, 1), p2);
	fd = (uint32_t)bpfvm_prog_fd(px);
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_ANY), -EINVAL); /* another program type */
	fd = 4000;
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_ANY), -EBADF);
	fd = (uint32_t)m->fd; /* a map, not a program */
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_ANY), -EINVAL);
	k = 4;
	fd = (uint32_t)bpfvm_prog_fd(p1);
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_ANY), -E2BIG);
	assert_int_equal(bpfvm_map_delete(m, &k), -E2BIG);
	k = 2;
	assert_int_equal(bpfvm_map_update(m, &k, &fd, VM_ANY), 0);
	assert_int_equal(bpfvm_map_delete(m, &k), 0);
	assert_int_equal(bpfvm_map_delete(m, &k), -ENOENT);
	k = 1;
	assert_null(vm_map_lookup_elem(m, &k, 0)); /* programs only tail-call */
	/* a freed program leaves its slot empty */
	bpfvm_prog_free(p2);
	assert_null(vm_prog_array_get(m, 1));
	assert_int_equal(bpfvm_map_lookup(m, &k, &out), -ENOENT);
	bpfvm_prog_free(p1);
	bpfvm_prog_free(px);
	bpfvm_env_free(env);
}

/* ---- registry, regions, direct value access, access flags ---- */

static void test_registry(void **state)
{
	bpfvm_env *env = bpfvm_env_new(), *other = bpfvm_env_new();
	bpfvm_map *a = mkmap(env, VM_MAP_ARRAY, 4, 8, 2, 0);
	bpfvm_map *one = mkmap(env, VM_MAP_ARRAY, 4, 12, 1, 0);
	bpfvm_map *ro = mkmap(env, VM_MAP_ARRAY, 4, 8, 1, VM_F_RDONLY_PROG);
	bpfvm_map *wo = mkmap(env, VM_MAP_ARRAY, 4, 8, 1, VM_F_WRONLY_PROG);
	bpfvm_map *h = mkmap(env, VM_MAP_HASH, 4, 8, 2, 0);
	bpfvm_map *q = mkmap(env, VM_MAP_QUEUE, 0, 8, 2, 0);
	bpfvm_map *x = mkmap(other, VM_MAP_ARRAY, 4, 8, 2, 0);
	uint64_t pa = (uint64_t)(uintptr_t)a;
	assert_ptr_equal(vm_map_from_ptr(env, pa), a);
	assert_ptr_equal(vm_map_from_ptr(env, (uint64_t)(uintptr_t)q), q);
	assert_null(vm_map_from_ptr(env, (uint64_t)(uintptr_t)x)); /* another env's */
	assert_ptr_equal(vm_map_from_ptr(other, (uint64_t)(uintptr_t)x), x);
	const uint64_t junk[] = { 0, 1, pa + 1, pa - 1, pa + 8, (uint64_t)(uintptr_t)a->region, 0xdeadbeef,
				  ~0ull, (uint64_t)(uintptr_t)&junk };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_null(vm_map_from_ptr(env, junk[i]));
	assert_null(vm_map_from_ptr(NULL, pa));

	/* regions: values yes, keys and queue storage no */
	uint64_t r = (uint64_t)(uintptr_t)a->region;
	assert_true(vm_maps_region_ok(env, r, 16, 1));
	assert_true(vm_maps_region_ok(env, r + 8, 8, 0));
	assert_false(vm_maps_region_ok(env, r + 8, 9, 0));
	assert_false(vm_maps_region_ok(env, r - 1, 2, 0));
	assert_false(vm_maps_region_ok(other, r, 8, 0));
	assert_false(vm_maps_region_ok(env, ~0ull - 2, 8, 0));
	assert_false(vm_maps_region_ok(env, pa, 8, 0)); /* the map object itself */
	uint64_t rr = (uint64_t)(uintptr_t)ro->region, rw = (uint64_t)(uintptr_t)wo->region;
	assert_true(vm_maps_region_ok(env, rr, 8, 0));
	assert_false(vm_maps_region_ok(env, rr, 8, 1)); /* BPF_F_RDONLY_PROG */
	assert_true(vm_maps_region_ok(env, rw, 8, 1));
	assert_false(vm_maps_region_ok(env, rw, 8, 0)); /* BPF_F_WRONLY_PROG */
	assert_true(vm_maps_region_ok(env, (uint64_t)(uintptr_t)h->region, 16, 1));
	assert_null(q->region);

	/* lddw map value: single-entry plain arrays, offset inside the value */
	uint64_t addr = 0;
	assert_int_equal(vm_map_direct_value_addr(one, 0, &addr), 0);
	assert_int_equal(addr, (uint64_t)(uintptr_t)one->region);
	assert_int_equal(vm_map_direct_value_addr(one, 11, &addr), 0);
	assert_int_equal(addr, (uint64_t)(uintptr_t)one->region + 11);
	assert_int_equal(vm_map_direct_value_addr(one, 12, &addr), -EINVAL);
	assert_int_equal(vm_map_direct_value_addr(a, 0, &addr), -EINVAL); /* two entries */
	assert_int_equal(vm_map_direct_value_addr(h, 0, &addr), -EINVAL);

	/* host access flags */
	bpfvm_map *hro = mkmap(env, VM_MAP_HASH, 4, 8, 2, VM_F_RDONLY);
	bpfvm_map *hwo = mkmap(env, VM_MAP_HASH, 4, 8, 2, VM_F_WRONLY);
	uint32_t k = 1;
	uint64_t v = 5;
	assert_int_equal(bpfvm_map_update(hro, &k, &v, 0), -EPERM);
	assert_int_equal(bpfvm_map_delete(hro, &k), -EPERM);
	assert_int_equal(bpfvm_map_lookup(hro, &k, &v), -ENOENT);
	assert_int_equal(bpfvm_map_update(hwo, &k, &v, 0), 0);
	assert_int_equal(bpfvm_map_lookup(hwo, &k, &v), -EPERM);
	assert_int_equal(bpfvm_map_get_next_key(hwo, NULL, &k), -EPERM);
	assert_int_equal(bpfvm_map_lookup_and_delete(hwo, &k, &v), -EPERM);
	assert_int_equal(vm_map_update_elem(hro, &k, &v, 0, 0), 0); /* programs may (the verifier decides) */
	assert_int_equal(bpfvm_map_lookup(NULL, &k, &v), -EBADF);
	bpfvm_env_free(env);
	bpfvm_env_free(other);
}

/* ---- for_each ---- */

struct each_ctx {
	uint64_t sum;
	int calls, stop_at, delete_each;
};

static int each_cb(bpfvm_map *m, void *key, void *value, void *arg)
{
	struct each_ctx *c = arg;
	c->calls++;
	c->sum += u64_at(value);
	if (c->delete_each) /* callbacks may change the map they walk */
		assert_int_equal(vm_map_delete_elem(m, key), 0);
	return c->stop_at && c->calls >= c->stop_at;
}

static void test_for_each(void **state)
{
	bpfvm_env *env = env_with(2);
	bpfvm_map *a = mkmap(env, VM_MAP_ARRAY, 4, 8, 10, 0);
	bpfvm_map *h = mkmap(env, VM_MAP_HASH, 4, 8, 600, 0);
	bpfvm_map *pa = mkmap(env, VM_MAP_PERCPU_ARRAY, 4, 8, 3, 0);
	uint64_t expect = 0;
	for (uint32_t k = 0; k < 10; k++) {
		uint64_t v = k + 1;
		assert_int_equal(bpfvm_map_update(a, &k, &v, 0), 0);
	}
	for (uint32_t k = 0; k < 500; k++) {
		uint64_t v = k * 3;
		expect += v;
		assert_int_equal(bpfvm_map_update(h, &k, &v, 0), 0);
	}
	struct each_ctx c = { 0 };
	assert_int_equal(vm_map_for_each(a, 0, each_cb, &c), 10);
	assert_int_equal(c.sum, 55);
	c = (struct each_ctx){ .stop_at = 4 };
	assert_int_equal(vm_map_for_each(a, 0, each_cb, &c), 4);
	assert_int_equal(c.sum, 1 + 2 + 3 + 4);
	c = (struct each_ctx){ 0 };
	assert_int_equal(vm_map_for_each(h, 0, each_cb, &c), 500);
	assert_int_equal(c.sum, expect);
	c = (struct each_ctx){ .stop_at = 7 };
	assert_int_equal(vm_map_for_each(h, 0, each_cb, &c), 7);
	c = (struct each_ctx){ .delete_each = 1 };
	assert_int_equal(vm_map_for_each(h, 0, each_cb, &c), 500);
	assert_int_equal(c.sum, expect);
	assert_int_equal(walk_u32(h, NULL, 0), 0);
	/* per-CPU: this CPU's copies */
	uint64_t all[2] = { 10, 20 };
	for (uint32_t k = 0; k < 3; k++)
		assert_int_equal(bpfvm_map_update(pa, &k, all, 0), 0);
	c = (struct each_ctx){ 0 };
	assert_int_equal(vm_map_for_each(pa, 1, each_cb, &c), 3);
	assert_int_equal(c.sum, 60);
	assert_int_equal(vm_map_for_each(pa, 2, each_cb, &c), -EINVAL);
	bpfvm_env_free(env);
}

/* ---- concurrency ---- */

#define NTHREADS 4
#define NITER 20000

struct add_job {
	bpfvm_env *env;
	const bpfvm_prog *prog;
	int checked;
	int failures;
};

static void *add_worker(void *arg)
{
	struct add_job *j = arg;
	bpfvm_exec *ex = bpfvm_exec_new(j->env);
	struct bpfvm_run_opts o = { .sz = sizeof(o), .flags = j->checked ? BPFVM_RUN_CHECKED : 0 };
	for (int i = 0; i < NITER; i++) {
		uint64_t r0 = 1;
		struct bpfvm_error err;
		if (bpfvm_exec_run(ex, j->prog, &o, &r0, &err) || r0 != 0)
			j->failures++;
	}
	bpfvm_exec_free(ex);
	return NULL;
}

static void test_concurrent_atomic_add(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	int fd = mk(env, VM_MAP_ARRAY, 4, 16, 1, 0);
	assert_true(fd >= 3);
	/* r1 = &value + 8 (lddw map value); lock *(u64 *)(r1 + 0) += 1;
	 * also 32-bit adds on the first word */
	const struct bpf_insn prog[] = {
		BPF_LD_MAP_VALUE(BPF_REG_1, fd, 8),
		BPF_MOV64_IMM(BPF_REG_2, 1),
		BPF_ATOMIC_OP(BPF_DW, BPF_ADD, BPF_REG_1, BPF_REG_2, 0),
		BPF_MOV64_IMM(BPF_REG_3, 2),
		BPF_ATOMIC_OP(BPF_W, BPF_ADD | BPF_FETCH, BPF_REG_1, BPF_REG_3, -8),
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN(),
	};
	bpfvm_prog *p = load(env, prog, sizeof(prog) / sizeof(prog[0]), BPFVM_PROG_TYPE_RAW, BPFVM_PROG_F_TRUSTED);
	pthread_t t[NTHREADS];
	struct add_job jobs[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		jobs[i] = (struct add_job){ env, p, i % 2, 0 }; /* half on the checked engine */
		assert_int_equal(pthread_create(&t[i], NULL, add_worker, &jobs[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].failures, 0);
	}
	uint32_t k = 0;
	uint8_t out[16];
	assert_int_equal(bpfvm_map_lookup(bpfvm_map_from_fd(env, fd), &k, out), 0);
	uint32_t w;
	memcpy(&w, out, 4);
	printf("atomic adds: %" PRIu64 " (expected %d), 32-bit: %u\n", u64_at(out + 8), NTHREADS * NITER, w);
	assert_int_equal(u64_at(out + 8), (uint64_t)NTHREADS * NITER);
	assert_int_equal(w, 2u * NTHREADS * NITER);
	bpfvm_prog_free(p);
	bpfvm_env_free(env);
}

/* Hash: writers insert keys they own (kept) and temporary keys (deleted
 * again) while readers look the kept keys up from the program side; a kept
 * key once found must hold its own value. */
#define HKEEP 3000
#define HTEMP 3000

struct hash_job {
	bpfvm_map *m;
	int id;
	int errors;
	long found;
	volatile int *done;
};

static uint64_t val_of(uint32_t key)
{
	return (uint64_t)key * 0x9e3779b97f4a7c15ULL;
}

static void *hash_writer(void *arg)
{
	struct hash_job *j = arg;
	for (uint32_t i = 0; i < HKEEP; i++) {
		uint32_t keep = (uint32_t)j->id << 24 | i, temp = keep | 1u << 23;
		uint64_t v = val_of(keep), tv = val_of(temp);
		if (bpfvm_map_update(j->m, &keep, &v, VM_NOEXIST))
			j->errors++;
		if (i < HTEMP) {
			if (bpfvm_map_update(j->m, &temp, &tv, VM_NOEXIST))
				j->errors++;
			uint64_t out;
			if (bpfvm_map_lookup_and_delete(j->m, &temp, &out) || out != tv)
				j->errors++;
		}
	}
	return NULL;
}

static void *hash_reader(void *arg)
{
	struct hash_job *j = arg;
	uint64_t s = (uint64_t)j->id * 7919 + 1;
	while (!__atomic_load_n(j->done, __ATOMIC_ACQUIRE)) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t key = (uint32_t)(s >> 33) % NTHREADS << 24 | (uint32_t)(s >> 20) % HKEEP;
		const uint64_t *p = vm_map_lookup_elem(j->m, &key, 0);
		if (p) {
			j->found++;
			if (*p != val_of(key))
				j->errors++;
		}
	}
	return NULL;
}

static void test_concurrent_hash(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_map *m = mkmap(env, VM_MAP_HASH, 4, 8, NTHREADS * HKEEP + NTHREADS, 0);
	volatile int done = 0;
	pthread_t w[NTHREADS], r[2];
	struct hash_job wj[NTHREADS], rj[2];
	for (int i = 0; i < 2; i++) {
		rj[i] = (struct hash_job){ m, i, 0, 0, &done };
		assert_int_equal(pthread_create(&r[i], NULL, hash_reader, &rj[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		wj[i] = (struct hash_job){ m, i, 0, 0, &done };
		assert_int_equal(pthread_create(&w[i], NULL, hash_writer, &wj[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(w[i], NULL);
		assert_int_equal(wj[i].errors, 0);
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	long found = 0;
	for (int i = 0; i < 2; i++) {
		pthread_join(r[i], NULL);
		assert_int_equal(rj[i].errors, 0);
		found += rj[i].found;
	}
	/* exactly the kept keys remain, each with its value */
	uint32_t cur, next;
	const void *k = NULL;
	long n = 0;
	while (bpfvm_map_get_next_key(m, k, &next) == 0) {
		uint64_t v;
		assert_int_equal(bpfvm_map_lookup(m, &next, &v), 0);
		assert_int_equal(v, val_of(next));
		assert_int_equal(next & (1u << 23), 0);
		n++;
		cur = next;
		k = &cur;
	}
	printf("hash: %ld keys after %d threads x %d inserts (+ %d insert/delete pairs), %ld program lookups hit\n", n,
	       NTHREADS, HKEEP, HTEMP, found);
	assert_int_equal(n, NTHREADS * HKEEP);
	bpfvm_env_free(env);
}

struct queue_job {
	bpfvm_map *m;
	int id;
	int errors;
	uint64_t sum;
};

static void *queue_worker(void *arg)
{
	struct queue_job *j = arg;
	for (uint32_t i = 0; i < NITER; i++) {
		uint64_t v = (uint64_t)j->id * NITER + i + 1, out;
		if (vm_map_push_elem(j->m, &v, 0))
			j->errors++;
		if (i % 2 == 0) {
			if (vm_map_pop_elem(j->m, &out))
				j->errors++;
			j->sum += out;
		}
	}
	return NULL;
}

static void test_concurrent_queue(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_map *m = mkmap(env, VM_MAP_QUEUE, 0, 8, NTHREADS * NITER, 0);
	pthread_t t[NTHREADS];
	struct queue_job j[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		j[i] = (struct queue_job){ m, i, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, queue_worker, &j[i]), 0);
	}
	uint64_t sum = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(j[i].errors, 0);
		sum += j[i].sum;
	}
	uint64_t out;
	long left = 0;
	while (bpfvm_map_lookup_and_delete(m, NULL, &out) == 0) {
		sum += out;
		left++;
	}
	uint64_t total = (uint64_t)NTHREADS * NITER;
	assert_int_equal(left, total / 2);
	assert_int_equal(sum, total * (total + 1) / 2); /* every value came out exactly once */
	bpfvm_env_free(env);
}

struct rb_job {
	bpfvm_env *env;
	bpfvm_map *m;
	int id;
	long sent;
};

static void *rb_producer(void *arg)
{
	struct rb_job *j = arg;
	for (uint32_t i = 0; i < NITER;) {
		uint32_t *rec = vm_ringbuf_reserve(j->m, 8 + (i % 5) * 4, 0);
		if (!rec) {
			sched_yield();
			continue;
		}
		rec[0] = (uint32_t)j->id;
		rec[1] = i;
		if (i % 7 == 3) { /* discarded records never reach the consumer */
			vm_ringbuf_commit(j->env, rec, 1, 0);
		} else {
			vm_ringbuf_commit(j->env, rec, 0, 0);
			j->sent++;
		}
		i++;
	}
	return NULL;
}

struct rb_seen {
	uint32_t next[NTHREADS];
	long got, errors;
};

static int rb_check(void *cookie, const void *data, size_t size)
{
	struct rb_seen *s = cookie;
	uint32_t id, seq;
	memcpy(&id, data, 4);
	memcpy(&seq, (const uint8_t *)data + 4, 4);
	if (id >= NTHREADS || size != 8 + (seq % 5) * 4 || seq < s->next[id] || seq % 7 == 3)
		s->errors++;
	else
		s->next[id] = seq + 1; /* each producer's records arrive in its order */
	s->got++;
	return 0;
}

static void test_concurrent_ringbuf(void **state)
{
	bpfvm_env *env = bpfvm_env_new();
	bpfvm_map *m = mkmap(env, VM_MAP_RINGBUF, 0, 0, 16 * 4096, 0);
	pthread_t t[NTHREADS];
	struct rb_job j[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		j[i] = (struct rb_job){ env, m, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, rb_producer, &j[i]), 0);
	}
	struct rb_seen seen = { { 0 }, 0, 0 };
	long sent = -1;
	int joined[NTHREADS] = { 0 };
	for (;;) {
		int n = bpfvm_ringbuf_consume(m, rb_check, &seen);
		assert_true(n >= 0);
		if (sent >= 0 && n == 0 && seen.got >= sent)
			break;
		if (sent < 0) {
			int running = 0;
			for (int i = 0; i < NTHREADS; i++) {
				if (!joined[i])
					joined[i] = pthread_tryjoin_np(t[i], NULL) == 0;
				running += !joined[i];
			}
			if (!running) {
				sent = 0;
				for (int i = 0; i < NTHREADS; i++)
					sent += j[i].sent;
			}
		}
	}
	printf("ringbuf: %ld records consumed of %ld submitted\n", seen.got, sent);
	assert_int_equal(seen.errors, 0);
	assert_int_equal(seen.got, sent);
	bpfvm_env_free(env);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_percpu_array),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_percpu_hash),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_queue_stack),
		cmocka_unit_test(test_ringbuf),
		cmocka_unit_test(test_prog_array),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_for_each),
		cmocka_unit_test(test_concurrent_atomic_add),
		cmocka_unit_test(test_concurrent_hash),
		cmocka_unit_test(test_concurrent_queue),
		cmocka_unit_test(test_concurrent_ringbuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
