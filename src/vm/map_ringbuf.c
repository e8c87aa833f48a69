/* map_ringbuf.c - BPF_MAP_TYPE_RINGBUF with the kernel's record format
 * (kernel/bpf/ringbuf.c): records of an 8-byte header (u32 length with the
 * busy and discard bits, u32 page offset) and the payload, rounded up to 8
 * bytes; producer and consumer positions that only grow; reserve fails when
 * the new record would put the producer more than size - 1 bytes ahead of
 * the consumer or of the oldest record not yet committed.
 *
 * The data area is mapped twice back to back (a memfd), as the kernel maps
 * its pages, so a record that wraps around the end is contiguous in memory.
 * Producers serialise on the map's lock; commit flips the busy bit with an
 * atomic store; bpfvm_ringbuf_consume is the consumer (one at a time). The
 * map's region is the double mapping, but checked runs may touch only the
 * payload of records that are reserved and not yet committed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "maps.h"

#define RINGBUF_CREATE_FLAGS VM_F_NUMA_NODE
#define RINGBUF_MAX_RECORD_SZ (UINT32_MAX / 4)

struct rb_hdr {
	uint32_t len;    /* atomic: payload size | busy | discard */
	uint32_t pg_off; /* pages from the start of the data area */
};

struct ringbuf {
	uint64_t mask;          /* size - 1 */
	size_t size;
	uint8_t *data;          /* size bytes, mapped twice */
	uint64_t consumer_pos;  /* atomic */
	uint64_t producer_pos;  /* atomic */
	uint64_t pending_pos;   /* oldest record that may be busy (under m->lock) */
	uint32_t page;
	pthread_mutex_t cons_lock;
};

static int rb_alloc(bpfvm_map *m)
{
	long page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		page = 4096;
	if (m->map_flags & ~RINGBUF_CREATE_FLAGS)
		return -EINVAL;
	uint32_t n = m->max_entries;
	if (m->key_size || m->value_size || n == 0 || (n & (n - 1)) || (n & ((uint32_t)page - 1)))
		return -EINVAL;
	/* (the kernel's 64 GiB limit cannot be reached with a u32 size) */
	struct ringbuf *rb = calloc(1, sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->size = n;
	rb->mask = (uint64_t)n - 1;
	int fd = memfd_create("bpfvm-ringbuf", MFD_CLOEXEC);
	uint8_t *base = MAP_FAILED;
	if (fd >= 0 && ftruncate(fd, (off_t)n) == 0)
		base = mmap(NULL, 2 * (size_t)n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base != MAP_FAILED &&
	    (mmap(base, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
	     mmap(base + n, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)) {
		munmap(base, 2 * (size_t)n);
		base = MAP_FAILED;
	}
	if (fd >= 0)
		close(fd);
	if (base == MAP_FAILED) {
		free(rb);
		return -ENOMEM;
	}
	rb->data = base;
	rb->page = (uint32_t)page;
	pthread_mutex_init(&rb->cons_lock, NULL);
	m->impl = rb;
	m->region = base;
	m->region_len = 2 * (size_t)n;
	return 0;
}

static void rb_free(bpfvm_map *m)
{
	struct ringbuf *rb = m->impl;
	if (!rb)
		return;
	munmap(rb->data, 2 * rb->size);
	pthread_mutex_destroy(&rb->cons_lock);
	free(rb);
	m->impl = NULL;
	m->region = NULL;
}

static struct rb_hdr *hdr_at(const struct ringbuf *rb, uint64_t pos)
{
	return (struct rb_hdr *)(rb->data + (pos & rb->mask));
}

static uint64_t rec_len(uint32_t len)
{
	return ((uint64_t)(len & ~(VM_RINGBUF_BUSY_BIT | VM_RINGBUF_DISCARD_BIT)) + VM_RINGBUF_HDR_SZ + 7) & ~7ull;
}

void *vm_ringbuf_reserve(bpfvm_map *m, uint64_t size, uint64_t flags)
{
	if (!m || m->type != VM_MAP_RINGBUF || flags)
		return NULL;
	struct ringbuf *rb = m->impl;
	if (size > RINGBUF_MAX_RECORD_SZ)
		return NULL;
	uint64_t len = (size + VM_RINGBUF_HDR_SZ + 7) & ~7ull;
	if (len > rb->size)
		return NULL;
	uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&m->lock);
	uint64_t pend = rb->pending_pos, prod = rb->producer_pos;
	while (pend != prod) { /* skip the committed records at the front */
		uint32_t l = __atomic_load_n(&hdr_at(rb, pend)->len, __ATOMIC_ACQUIRE);
		if (l & VM_RINGBUF_BUSY_BIT)
			break;
		pend += rec_len(l);
	}
	rb->pending_pos = pend;
	uint64_t new_prod = prod + len;
	if (new_prod - cons > rb->mask || new_prod - pend > rb->mask) {
		pthread_mutex_unlock(&m->lock);
		return NULL;
	}
	struct rb_hdr *h = hdr_at(rb, prod);
	h->pg_off = (uint32_t)(((uint8_t *)h - rb->data) / rb->page);
	__atomic_store_n(&h->len, (uint32_t)size | VM_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
	__atomic_store_n(&rb->producer_pos, new_prod, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->lock);
	return (uint8_t *)h + VM_RINGBUF_HDR_SZ;
}

/* The busy record whose payload holds [addr, addr + size), or NULL (caller
 * holds m->lock). whole: addr must be the payload's start. */
static struct rb_hdr *busy_record(struct ringbuf *rb, uint64_t addr, uint64_t size, int whole)
{
	uint64_t prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
	for (uint64_t pos = rb->pending_pos; pos != prod;) {
		struct rb_hdr *h = hdr_at(rb, pos);
		uint32_t l = __atomic_load_n(&h->len, __ATOMIC_ACQUIRE);
		uint64_t payload = (uint64_t)(uintptr_t)h + VM_RINGBUF_HDR_SZ;
		uint64_t psize = l & ~(VM_RINGBUF_BUSY_BIT | VM_RINGBUF_DISCARD_BIT);
		if ((l & VM_RINGBUF_BUSY_BIT) &&
		    (whole ? addr == payload : addr >= payload && addr + size <= payload + psize))
			return h;
		pos += rec_len(l);
	}
	return NULL;
}

static void commit(struct rb_hdr *h, int discard)
{
	uint32_t l = __atomic_load_n(&h->len, __ATOMIC_RELAXED) & ~VM_RINGBUF_BUSY_BIT;
	if (discard)
		l |= VM_RINGBUF_DISCARD_BIT;
	__atomic_store_n(&h->len, l, __ATOMIC_RELEASE);
}

int vm_ringbuf_commit(const bpfvm_env *env, void *sample, int discard, uint64_t flags)
{
	/* flags only choose how consumers are woken; bpfvm's consumer polls */
	uint64_t addr = (uint64_t)(uintptr_t)sample;
	bpfvm_map *m = vm_map_find_region(env, addr, VM_MAP_RINGBUF);
	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	struct rb_hdr *h = busy_record(m->impl, addr, 0, 1);
	if (h)
		commit(h, discard);
	pthread_mutex_unlock(&m->lock);
	return h ? 0 : -EINVAL;
}

int vm_ringbuf_output(bpfvm_map *m, const void *data, uint64_t size, uint64_t flags)
{
	if (!m || m->type != VM_MAP_RINGBUF)
		return -EINVAL;
	if (flags & ~(uint64_t)(VM_RB_NO_WAKEUP | VM_RB_FORCE_WAKEUP))
		return -EINVAL;
	uint8_t *rec = vm_ringbuf_reserve(m, size, 0);
	if (!rec)
		return -EAGAIN;
	if (size) /* data may be NULL for an empty record */
		memcpy(rec, data, size);
	commit((struct rb_hdr *)(rec - VM_RINGBUF_HDR_SZ), 0);
	return 0;
}

uint64_t vm_ringbuf_query(bpfvm_map *m, uint64_t flags)
{
	if (!m || m->type != VM_MAP_RINGBUF)
		return 0;
	struct ringbuf *rb = m->impl;
	switch (flags) {
	case VM_RB_AVAIL_DATA:
		return __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE) -
		       __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
	case VM_RB_RING_SIZE:
		return rb->size;
	case VM_RB_CONS_POS:
		return __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
	case VM_RB_PROD_POS:
		return __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
	default:
		return 0;
	}
}

int bpfvm_ringbuf_consume(bpfvm_map *map, bpfvm_ringbuf_fn fn, void *cookie)
{
	if (!map)
		return -EBADF;
	if (map->type != VM_MAP_RINGBUF)
		return -EINVAL;
	struct ringbuf *rb = map->impl;
	int n = 0;
	pthread_mutex_lock(&rb->cons_lock);
	uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_RELAXED);
	for (;;) {
		uint64_t prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
		if (cons == prod)
			break;
		struct rb_hdr *h = hdr_at(rb, cons);
		uint32_t l = __atomic_load_n(&h->len, __ATOMIC_ACQUIRE);
		if (l & VM_RINGBUF_BUSY_BIT)
			break; /* records are delivered in order: wait for this one */
		int stop = 0;
		if (!(l & VM_RINGBUF_DISCARD_BIT)) {
			n++;
			if (fn)
				stop = fn(cookie, (uint8_t *)h + VM_RINGBUF_HDR_SZ, l & ~VM_RINGBUF_DISCARD_BIT) != 0;
		}
		cons += rec_len(l);
		__atomic_store_n(&rb->consumer_pos, cons, __ATOMIC_RELEASE);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&rb->cons_lock);
	return n;
}

static int rb_region_ok(bpfvm_map *m, uint64_t addr, uint64_t size, int write)
{
	pthread_mutex_lock(&m->lock);
	int ok = busy_record(m->impl, addr, size, 0) != NULL;
	pthread_mutex_unlock(&m->lock);
	return ok;
}

static int rb_notsupp(bpfvm_map *m, const void *key, void *value)
{
	return -VM_ENOTSUPP;
}

static int rb_sys_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags)
{
	return -VM_ENOTSUPP;
}

static int rb_get_next_key(bpfvm_map *m, const void *key, void *next_key)
{
	return -VM_ENOTSUPP;
}

static int rb_delete(bpfvm_map *m, const void *key)
{
	return -VM_ENOTSUPP;
}

static void *rb_lookup(bpfvm_map *m, const void *key, uint32_t cpu)
{
	return NULL;
}

static int rb_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	return -VM_ENOTSUPP;
}

const struct vm_map_ops vm_ringbuf_ops = {
	.alloc = rb_alloc,
	.free = rb_free,
	.sys_lookup = rb_notsupp,
	.sys_update = rb_sys_update,
	.get_next_key = rb_get_next_key,
	.delete_elem = rb_delete,
	.lookup = rb_lookup,
	.update = rb_update,
	.region_ok = rb_region_ok,
};
