/* map_hash.c - BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH
 * with the kernel's semantics (kernel/bpf/hashtab.c): update flags, -E2BIG
 * when full (LRU maps evict instead), get_next_key in bucket order starting
 * over at the first key when the given key is missing.
 *
 * Layout: every element is preallocated (the kernel's default). Values are
 * one slab, the map's region (element i's value at (i - 1) * elem_vsize,
 * per-CPU copies side by side); keys, chain links and LRU links live in
 * separate arrays, so a program writing past a value cannot corrupt the
 * table. Element numbers are 1-based and 0 means "none", so that zeroed
 * (lazily mapped) memory is an empty table: a big map costs only what it
 * uses.
 *
 * Concurrency: a reader-writer lock per map. Updates and deletes take it
 * for writing; lookups, get_next_key and the host's copies take it for
 * reading. A value pointer a program got from a lookup stays valid memory
 * after the lock is dropped; if the element is deleted and its slot reused
 * meanwhile, the program sees the new element's value, as with the kernel's
 * preallocated maps. Updates of an existing key write its value in place.
 *
 * LRU: a recency list (most recently inserted first) and a reference bit
 * that program lookups set; eviction takes the least recently inserted
 * element whose bit is clear, giving referenced ones a second chance, and
 * happens only when an insert finds no free element. The kernel's LRU is
 * approximate in other ways (per-CPU free lists, active/inactive lists):
 * on 6.18 a 1000-entry LRU map held 976 keys after 1000 distinct inserts,
 * and replacing an existing key in a full 16-entry map evicted three
 * others (the kernel takes a free node before it looks for the key). Which
 * keys go, and when, differs; that updates never fail for want of room
 * does not. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"

#define HTAB_CREATE_FLAGS (VM_F_NO_PREALLOC | VM_F_NO_COMMON_LRU | VM_F_NUMA_NODE | VM_F_ACCESS_MASK | VM_F_ZERO_SEED)

struct helem {
	uint32_t next;              /* bucket chain or free list */
	uint32_t hash;
	uint32_t lru_prev, lru_next;
	uint8_t ref;                /* LRU reference bit (atomic) */
};

struct htab {
	pthread_rwlock_t lock;
	int percpu, lru;
	uint32_t n_buckets;         /* a power of 2 */
	uint32_t key_stride;
	uint64_t elem_vsize;        /* value bytes per element: all CPUs' copies */
	uint64_t seed;
	uint32_t *buckets;          /* first element of each chain */
	struct helem *elems;        /* elems[1..max_entries] */
	uint8_t *keys;              /* element i's key at (i - 1) * key_stride */
	uint32_t free_head;         /* freed elements */
	uint32_t unused;            /* elements never used: unused + 1 .. max_entries */
	uint32_t count;
	uint32_t lru_head, lru_tail;
	size_t buckets_len, elems_len, keys_len;
};

static uint32_t hash_bytes(const void *key, uint32_t len, uint64_t seed)
{
	const uint8_t *p = key;
	uint64_t h = seed ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL);
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t v = 0;
		memcpy(&v, p, len);
		h = (h ^ v) * 0x94d049bb133111ebULL;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* The kernel's htab_map_alloc_check. */
static int htab_check(const bpfvm_map *m)
{
	int percpu = vm_map_is_percpu(m->type);
	int lru = m->type == VM_MAP_LRU_HASH || m->type == VM_MAP_LRU_PERCPU_HASH;
	int percpu_lru = (m->map_flags & VM_F_NO_COMMON_LRU) != 0;
	int prealloc = !(m->map_flags & VM_F_NO_PREALLOC);
	if ((m->map_flags & ~HTAB_CREATE_FLAGS) || !vm_map_flags_access_ok(m->map_flags))
		return -EINVAL;
	if (!lru && percpu_lru)
		return -EINVAL;
	if (lru && !prealloc)
		return -VM_ENOTSUPP;
	/* BPF_F_NUMA_NODE names node 0 here (bpfvm has no numa_node option) */
	if ((m->map_flags & VM_F_NUMA_NODE) && (percpu || percpu_lru))
		return -EINVAL;
	if (m->max_entries == 0 || m->key_size == 0 || m->value_size == 0)
		return -EINVAL;
	if ((uint64_t)m->key_size + m->value_size >= VM_KMALLOC_MAX_SIZE - VM_HTAB_ELEM_SIZE)
		return -E2BIG;
	if (percpu && m->value_stride > VM_PCPU_MIN_UNIT_SIZE)
		return -E2BIG;
	return 0;
}

static void htab_free(bpfvm_map *m)
{
	struct htab *h = m->impl;
	if (!h)
		return;
	vm_map_area_free(h->buckets, h->buckets_len);
	vm_map_area_free(h->elems, h->elems_len);
	vm_map_area_free(h->keys, h->keys_len);
	vm_map_area_free(m->region, m->region_len);
	m->region = NULL;
	pthread_rwlock_destroy(&h->lock);
	free(h);
	m->impl = NULL;
}

static int htab_alloc(bpfvm_map *m)
{
	int rc = htab_check(m);
	if (rc)
		return rc;
	if (m->map_flags & VM_F_NO_COMMON_LRU) {
		/* a list per CPU, each with the same number of elements */
		uint64_t up = ((uint64_t)m->max_entries + m->ncpus - 1) / m->ncpus * m->ncpus;
		m->max_entries = up <= UINT32_MAX ? (uint32_t)up : m->max_entries / m->ncpus * m->ncpus;
	}
	if (m->max_entries > (1u << 31))
		return -E2BIG;
	struct htab *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	m->impl = h;
	h->percpu = vm_map_is_percpu(m->type);
	h->lru = m->type == VM_MAP_LRU_HASH || m->type == VM_MAP_LRU_PERCPU_HASH;
	h->n_buckets = 1;
	while (h->n_buckets < m->max_entries)
		h->n_buckets <<= 1;
	h->key_stride = (m->key_size + 7) & ~7u;
	h->elem_vsize = (uint64_t)m->value_stride * (h->percpu ? m->ncpus : 1);
	/* a fixed seed: iteration order is reproducible from run to run */
	h->seed = (m->map_flags & VM_F_ZERO_SEED) ? 0 : 0x6270666d61707321ULL;
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&h->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	uint64_t vlen;
	if (__builtin_mul_overflow(h->elem_vsize, (uint64_t)m->max_entries, &vlen) || vlen > SIZE_MAX) {
		htab_free(m);
		return -ENOMEM;
	}
	h->buckets_len = (size_t)h->n_buckets * sizeof(uint32_t);
	h->elems_len = ((size_t)m->max_entries + 1) * sizeof(struct helem);
	h->keys_len = (size_t)m->max_entries * h->key_stride;
	h->buckets = vm_map_area_alloc(h->buckets_len);
	h->elems = vm_map_area_alloc(h->elems_len);
	h->keys = vm_map_area_alloc(h->keys_len);
	m->region = vm_map_area_alloc((size_t)vlen);
	m->region_len = (size_t)vlen;
	if (!h->buckets || !h->elems || !h->keys || !m->region) {
		htab_free(m);
		return -ENOMEM;
	}
	return 0;
}

static uint8_t *key_at(const struct htab *h, uint32_t i)
{
	return h->keys + (size_t)(i - 1) * h->key_stride;
}

static uint8_t *val_at(const bpfvm_map *m, const struct htab *h, uint32_t i, uint32_t cpu)
{
	return m->region + (uint64_t)(i - 1) * h->elem_vsize + (uint64_t)cpu * m->value_stride;
}

static uint32_t *bucket_of(const struct htab *h, uint32_t hash)
{
	return &h->buckets[hash & (h->n_buckets - 1)];
}

/* Caller holds the lock (either way). */
static uint32_t find(const bpfvm_map *m, const struct htab *h, const void *key, uint32_t hash)
{
	for (uint32_t i = *bucket_of(h, hash); i; i = h->elems[i].next)
		if (h->elems[i].hash == hash && memcmp(key_at(h, i), key, m->key_size) == 0)
			return i;
	return 0;
}

/* ---- under the write lock ---- */

static void bucket_unlink(struct htab *h, uint32_t i)
{
	uint32_t *pp = bucket_of(h, h->elems[i].hash);
	while (*pp != i)
		pp = &h->elems[*pp].next;
	*pp = h->elems[i].next;
}

static void lru_unlink(struct htab *h, uint32_t i)
{
	struct helem *e = &h->elems[i];
	if (e->lru_prev)
		h->elems[e->lru_prev].lru_next = e->lru_next;
	else
		h->lru_head = e->lru_next;
	if (e->lru_next)
		h->elems[e->lru_next].lru_prev = e->lru_prev;
	else
		h->lru_tail = e->lru_prev;
}

static void lru_push_head(struct htab *h, uint32_t i)
{
	struct helem *e = &h->elems[i];
	e->lru_prev = 0;
	e->lru_next = h->lru_head;
	if (h->lru_head)
		h->elems[h->lru_head].lru_prev = i;
	else
		h->lru_tail = i;
	h->lru_head = i;
}

static uint32_t elem_get(const bpfvm_map *m, struct htab *h)
{
	uint32_t i = h->free_head;
	if (i) {
		h->free_head = h->elems[i].next;
		return i;
	}
	if (h->unused < m->max_entries)
		return ++h->unused;
	return 0;
}

static void elem_put(struct htab *h, uint32_t i)
{
	h->elems[i].next = h->free_head;
	h->free_head = i;
}

static void elem_remove(struct htab *h, uint32_t i)
{
	bucket_unlink(h, i);
	if (h->lru)
		lru_unlink(h, i);
	elem_put(h, i);
	h->count--;
}

/* LRU: frees the least recently inserted unreferenced element; 0 if the
 * table is empty. */
static uint32_t lru_evict(struct htab *h)
{
	for (;;) {
		uint32_t i = h->lru_tail;
		if (!i)
			return 0;
		if (__atomic_load_n(&h->elems[i].ref, __ATOMIC_RELAXED)) {
			__atomic_store_n(&h->elems[i].ref, 0, __ATOMIC_RELAXED);
			lru_unlink(h, i);
			lru_push_head(h, i);
			continue;
		}
		bucket_unlink(h, i);
		lru_unlink(h, i);
		h->count--;
		return i;
	}
}

/* Update for both sides: all_cpus (host) writes every CPU's copy from
 * ncpus * value_stride bytes; otherwise value_size bytes go to cpu's copy,
 * and a new per-CPU element's other copies are zeroed (pcpu_init_value). */
static int htab_update_common(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu,
			      int all_cpus)
{
	struct htab *h = m->impl;
	/* unknown flags; BPF_F_LOCK needs a bpf_spin_lock in the value, which
	 * bpfvm's maps never have */
	if (flags > VM_EXIST)
		return -EINVAL;
	if (h->percpu && !all_cpus && cpu >= m->ncpus)
		return -EINVAL;
	uint32_t hash = hash_bytes(key, m->key_size, h->seed);
	pthread_rwlock_wrlock(&h->lock);
	uint32_t i = find(m, h, key, hash);
	int rc = 0;
	if (i && flags == VM_NOEXIST) {
		rc = -EEXIST;
		goto out;
	}
	if (!i && flags == VM_EXIST) {
		rc = -ENOENT;
		goto out;
	}
	int fresh = !i;
	if (fresh) {
		i = elem_get(m, h);
		if (!i && h->lru)
			i = lru_evict(h);
		if (!i) {
			rc = h->lru ? -ENOMEM : -E2BIG;
			goto out;
		}
		memcpy(key_at(h, i), key, m->key_size);
		h->elems[i].hash = hash;
		h->elems[i].ref = 0;
		uint32_t *b = bucket_of(h, hash);
		h->elems[i].next = *b;
		*b = i;
		if (h->lru)
			lru_push_head(h, i);
		h->count++;
	} else if (h->lru) {
		__atomic_store_n(&h->elems[i].ref, 1, __ATOMIC_RELAXED);
	}
	if (!h->percpu) {
		memcpy(val_at(m, h, i, 0), value, m->value_size);
	} else if (all_cpus) {
		memcpy(val_at(m, h, i, 0), value, h->elem_vsize);
	} else {
		if (fresh)
			memset(val_at(m, h, i, 0), 0, h->elem_vsize);
		memcpy(val_at(m, h, i, cpu), value, m->value_size);
	}
out:
	pthread_rwlock_unlock(&h->lock);
	return rc;
}

static int htab_sys_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags)
{
	return htab_update_common(m, key, value, flags, 0, 1);
}

static int htab_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	return htab_update_common(m, key, value, flags, cpu, 0);
}

static int htab_delete(bpfvm_map *m, const void *key)
{
	struct htab *h = m->impl;
	uint32_t hash = hash_bytes(key, m->key_size, h->seed);
	pthread_rwlock_wrlock(&h->lock);
	uint32_t i = find(m, h, key, hash);
	if (i)
		elem_remove(h, i);
	pthread_rwlock_unlock(&h->lock);
	return i ? 0 : -ENOENT;
}

/* Host copy: value_size bytes, or every CPU's value_stride bytes. */
static void copy_out(const bpfvm_map *m, const struct htab *h, uint32_t i, void *value)
{
	memcpy(value, val_at(m, h, i, 0), h->percpu ? h->elem_vsize : m->value_size);
}

static int htab_sys_lookup(bpfvm_map *m, const void *key, void *value)
{
	struct htab *h = m->impl;
	uint32_t hash = hash_bytes(key, m->key_size, h->seed);
	pthread_rwlock_rdlock(&h->lock);
	uint32_t i = find(m, h, key, hash);
	if (i) /* no LRU reference: a host walk must not disturb eviction */
		copy_out(m, h, i, value);
	pthread_rwlock_unlock(&h->lock);
	return i ? 0 : -ENOENT;
}

static int htab_sys_lookup_and_delete(bpfvm_map *m, const void *key, void *value)
{
	struct htab *h = m->impl;
	uint32_t hash = hash_bytes(key, m->key_size, h->seed);
	pthread_rwlock_wrlock(&h->lock);
	uint32_t i = find(m, h, key, hash);
	if (i) {
		copy_out(m, h, i, value);
		elem_remove(h, i);
	}
	pthread_rwlock_unlock(&h->lock);
	return i ? 0 : -ENOENT;
}

static void *htab_lookup(bpfvm_map *m, const void *key, uint32_t cpu)
{
	struct htab *h = m->impl;
	if (h->percpu && cpu >= m->ncpus)
		return NULL;
	uint32_t hash = hash_bytes(key, m->key_size, h->seed);
	pthread_rwlock_rdlock(&h->lock);
	uint32_t i = find(m, h, key, hash);
	void *v = NULL;
	if (i) {
		if (h->lru)
			__atomic_store_n(&h->elems[i].ref, 1, __ATOMIC_RELAXED);
		v = val_at(m, h, i, h->percpu ? cpu : 0);
	}
	pthread_rwlock_unlock(&h->lock);
	return v;
}

/* The kernel's htab_map_get_next_key: the next element of the key's chain,
 * else the first element of the following buckets; a missing key starts
 * over at the first bucket. */
static int htab_get_next_key(bpfvm_map *m, const void *key, void *next_key)
{
	struct htab *h = m->impl;
	uint32_t b = 0, found = 0;
	uint32_t hash = key ? hash_bytes(key, m->key_size, h->seed) : 0;
	pthread_rwlock_rdlock(&h->lock);
	if (key) {
		uint32_t i = find(m, h, key, hash);
		if (i) {
			found = h->elems[i].next;
			b = (hash & (h->n_buckets - 1)) + 1;
		}
	}
	for (; !found && b < h->n_buckets; b++)
		found = h->buckets[b];
	if (found)
		memcpy(next_key, key_at(h, found), m->key_size);
	pthread_rwlock_unlock(&h->lock);
	return found ? 0 : -ENOENT;
}

/* Visits the buckets in batches: the elements of a batch are collected
 * under the read lock, and the callbacks run without it (they may update or
 * delete elements of this very map, as BPF callbacks may). A batch holds
 * whole buckets. */
static long htab_for_each(bpfvm_map *m, uint32_t cpu, vm_map_each_fn cb, void *arg)
{
	struct htab *h = m->impl;
	if (h->percpu && cpu >= m->ncpus)
		return -EINVAL;
	uint32_t stack_batch[256];
	uint32_t *batch = stack_batch;
	size_t cap = sizeof(stack_batch) / sizeof(stack_batch[0]);
	long n = 0;
	uint32_t b = 0;
	while (b < h->n_buckets) {
		size_t nb = 0;
		pthread_rwlock_rdlock(&h->lock);
		for (; b < h->n_buckets; b++) {
			size_t len = 0;
			for (uint32_t i = h->buckets[b]; i; i = h->elems[i].next)
				len++;
			if (nb + len > cap) {
				if (nb)
					break; /* the bucket starts the next batch */
				uint32_t *big = malloc(len * sizeof(*big)); /* one very long chain */
				if (!big) {
					pthread_rwlock_unlock(&h->lock);
					return -ENOMEM;
				}
				if (batch != stack_batch)
					free(batch);
				batch = big;
				cap = len;
			}
			for (uint32_t i = h->buckets[b]; i; i = h->elems[i].next)
				batch[nb++] = i;
		}
		pthread_rwlock_unlock(&h->lock);
		for (size_t k = 0; k < nb; k++) {
			n++;
			if (cb(m, key_at(h, batch[k]), val_at(m, h, batch[k], h->percpu ? cpu : 0), arg)) {
				b = h->n_buckets;
				break;
			}
		}
	}
	if (batch != stack_batch)
		free(batch);
	return n;
}

const struct vm_map_ops vm_htab_ops = {
	.alloc = htab_alloc,
	.free = htab_free,
	.sys_lookup = htab_sys_lookup,
	.sys_update = htab_sys_update,
	.sys_lookup_and_delete = htab_sys_lookup_and_delete,
	.get_next_key = htab_get_next_key,
	.delete_elem = htab_delete,
	.lookup = htab_lookup,
	.update = htab_update,
	.for_each = htab_for_each,
};

const struct vm_map_ops vm_lru_htab_ops = {
	.alloc = htab_alloc,
	.free = htab_free,
	.sys_lookup = htab_sys_lookup,
	.sys_update = htab_sys_update,
	.sys_lookup_and_delete = htab_sys_lookup_and_delete,
	.get_next_key = htab_get_next_key,
	.delete_elem = htab_delete,
	.lookup = htab_lookup,
	.update = htab_update,
	.for_each = htab_for_each,
};
