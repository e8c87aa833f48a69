/* maps.c - the map object: creation (the checks every type shares), the
 * registry that validates map pointers coming from programs, the host API
 * (bpfvm_map_*, with bpf(2)'s semantics and errno values) and the
 * program-side entry points, which dispatch to the per-type operations of
 * map_array.c, map_hash.c, map_queue.c and map_ringbuf.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "maps.h"

/* ---- storage ---- */

void *vm_map_area_alloc(size_t size)
{
	if (size == 0)
		size = 1;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void vm_map_area_free(void *p, size_t size)
{
	if (p)
		munmap(p, size ? size : 1);
}

/* ---- registry ----
 * Every map lives in a slot of a process-wide pool of chunks that are never
 * freed. A pointer a program hands to a helper is validated without reading
 * through it: find the chunk whose slot array contains it, check that it is
 * exactly a slot's map, then compare the slot's owner (set, with release
 * order, once the map is complete; cleared before it is torn down) with the
 * env. Readers take no lock; the pool's lock only orders writers. */

struct map_slot {
	const bpfvm_env *owner;       /* atomic; NULL when the slot is free */
	struct map_slot *next_free;
	bpfvm_map map;
};

struct map_chunk {
	struct map_chunk *next;       /* older chunk; set before publication */
	size_t n;                     /* slots */
	size_t used;                  /* atomic: slots ever handed out */
	struct map_slot slots[];
};

static struct map_chunk *pool_chunks; /* atomic head */
static struct map_slot *pool_free;
static size_t pool_total;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static struct map_slot *slot_alloc(void)
{
	pthread_mutex_lock(&pool_lock);
	struct map_slot *s = pool_free;
	if (s) {
		pool_free = s->next_free;
	} else {
		struct map_chunk *c = __atomic_load_n(&pool_chunks, __ATOMIC_ACQUIRE);
		if (!c || c->used == c->n) {
			size_t n = pool_total < 64 ? 64 : pool_total;
			struct map_chunk *nc = calloc(1, sizeof(*nc) + n * sizeof(struct map_slot));
			if (!nc) {
				pthread_mutex_unlock(&pool_lock);
				return NULL;
			}
			nc->n = n;
			nc->next = c;
			pool_total += n;
			__atomic_store_n(&pool_chunks, nc, __ATOMIC_RELEASE);
			c = nc;
		}
		s = &c->slots[c->used];
		__atomic_store_n(&c->used, c->used + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&pool_lock);
	return s;
}

static void slot_release(struct map_slot *s)
{
	pthread_mutex_lock(&pool_lock);
	s->next_free = pool_free;
	pool_free = s;
	pthread_mutex_unlock(&pool_lock);
}

static struct map_slot *slot_of(bpfvm_map *m)
{
	return (struct map_slot *)((char *)m - offsetof(struct map_slot, map));
}

bpfvm_map *vm_map_from_ptr(const bpfvm_env *env, uint64_t ptr)
{
	if (!env || !ptr)
		return NULL;
	for (struct map_chunk *c = __atomic_load_n(&pool_chunks, __ATOMIC_ACQUIRE); c; c = c->next) {
		uintptr_t base = (uintptr_t)&c->slots[0].map;
		if (ptr < base)
			continue;
		uint64_t off = ptr - base;
		if (off >= (uint64_t)c->n * sizeof(struct map_slot) || off % sizeof(struct map_slot))
			continue;
		struct map_slot *s = &c->slots[off / sizeof(struct map_slot)];
		return __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE) == env ? &s->map : NULL;
	}
	return NULL;
}

/* The map of env whose region holds [addr, addr + size), of the given type
 * (0: any), or NULL. Regions never overlap. */
static bpfvm_map *find_region(const bpfvm_env *env, uint64_t addr, uint64_t size, uint32_t type)
{
	if (!env || addr + size < addr)
		return NULL;
	for (struct map_chunk *c = __atomic_load_n(&pool_chunks, __ATOMIC_ACQUIRE); c; c = c->next) {
		size_t used = __atomic_load_n(&c->used, __ATOMIC_ACQUIRE);
		for (size_t i = 0; i < used; i++) {
			struct map_slot *s = &c->slots[i];
			if (__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE) != env)
				continue;
			bpfvm_map *m = &s->map;
			uint64_t start = (uint64_t)(uintptr_t)m->region;
			if (!m->region || addr < start || addr + size > start + m->region_len)
				continue;
			return !type || m->type == type ? m : NULL;
		}
	}
	return NULL;
}

bpfvm_map *vm_map_find_region(const bpfvm_env *env, uint64_t addr, uint32_t type)
{
	return find_region(env, addr, 1, type);
}

int vm_maps_region_ok(const bpfvm_env *env, uint64_t addr, uint64_t size, int write)
{
	bpfvm_map *m = find_region(env, addr, size, 0);
	if (!m)
		return 0;
	if (write ? (m->map_flags & VM_F_RDONLY_PROG) : (m->map_flags & VM_F_WRONLY_PROG))
		return 0;
	return m->ops->region_ok ? m->ops->region_ok(m, addr, size, write) : 1;
}

/* ---- creation ---- */

static const struct vm_map_ops *ops_for_type(uint32_t type)
{
	switch (type) {
	case VM_MAP_ARRAY:
		return &vm_array_ops;
	case VM_MAP_PERCPU_ARRAY:
		return &vm_percpu_array_ops;
	case VM_MAP_PROG_ARRAY:
		return &vm_prog_array_ops;
	case VM_MAP_HASH:
	case VM_MAP_PERCPU_HASH:
		return &vm_htab_ops;
	case VM_MAP_LRU_HASH:
	case VM_MAP_LRU_PERCPU_HASH:
		return &vm_lru_htab_ops;
	case VM_MAP_QUEUE:
		return &vm_queue_ops;
	case VM_MAP_STACK:
		return &vm_stack_ops;
	case VM_MAP_RINGBUF:
		return &vm_ringbuf_ops;
	default:
		return NULL;
	}
}

#define OPT(o, field) ((o)->sz >= offsetof(struct bpfvm_map_opts, field) + sizeof((o)->field))

int bpfvm_map_create(bpfvm_env *env, const struct bpfvm_map_opts *opts)
{
	if (!env || !opts || !OPT(opts, map_flags))
		return -EINVAL;
	uint32_t flags = opts->map_flags;
	/* bpf(2) checks the fd's access mode before the type */
	if ((flags & VM_F_RDONLY) && (flags & VM_F_WRONLY))
		return -EINVAL;
	const struct vm_map_ops *ops = ops_for_type(opts->type);
	if (!ops) /* a kernel type bpfvm lacks, or no type at all */
		return opts->type > 0 && opts->type <= VM_MAP_TYPE_KNOWN_MAX ? -EOPNOTSUPP : -EINVAL;

	struct map_slot *s = slot_alloc();
	if (!s)
		return -ENOMEM;
	bpfvm_map *m = &s->map;
	memset(m, 0, sizeof(*m));
	m->env = env;
	m->fd = -1;
	if (opts->name)
		strncpy(m->name, opts->name, sizeof(m->name) - 1);
	m->type = opts->type;
	m->key_size = opts->key_size;
	m->value_size = opts->value_size;
	m->max_entries = opts->max_entries;
	m->map_flags = flags;
	m->ncpus = OPT(opts, ncpus) && opts->ncpus ? opts->ncpus : bpfvm_env_ncpus(env);
	uint64_t stride = ((uint64_t)m->value_size + 7) & ~(uint64_t)7;
	m->value_stride = stride > UINT32_MAX ? 0 : (uint32_t)stride;
	m->ops = ops;
	pthread_mutex_init(&m->lock, NULL);
	int rc = ops->alloc(m);
	if (rc) {
		pthread_mutex_destroy(&m->lock);
		slot_release(s);
		return rc;
	}
	__atomic_store_n(&s->owner, env, __ATOMIC_RELEASE);
	int fd = vm_env_add_obj(env, VM_OBJ_MAP, m);
	if (fd < 0) {
		__atomic_store_n(&s->owner, NULL, __ATOMIC_RELEASE);
		ops->free(m);
		pthread_mutex_destroy(&m->lock);
		slot_release(s);
		return -ENOMEM;
	}
	__atomic_store_n(&m->fd, fd, __ATOMIC_RELEASE);
	return fd;
}

void vm_map_destroy(bpfvm_map *m)
{
	if (!m)
		return;
	struct map_slot *s = slot_of(m);
	__atomic_store_n(&s->owner, NULL, __ATOMIC_RELEASE);
	m->ops->free(m);
	pthread_mutex_destroy(&m->lock);
	slot_release(s);
}

/* ---- lookups by fd, name, order ---- */

bpfvm_map *bpfvm_map_from_fd(const bpfvm_env *env, int fd)
{
	return env ? vm_env_obj(env, fd, VM_OBJ_MAP) : NULL;
}

size_t bpfvm_env_maps(const bpfvm_env *env, bpfvm_map **out, size_t cap)
{
	if (!env)
		return 0;
	bpfvm_env *e = (bpfvm_env *)env; /* the lock is not part of the env's value */
	size_t n = 0;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nobjs; i++) {
		if (e->objs[i].kind != VM_OBJ_MAP)
			continue;
		if (n < cap && out)
			out[n] = e->objs[i].ptr;
		n++;
	}
	pthread_mutex_unlock(&e->lock);
	return n;
}

bpfvm_map *bpfvm_map_by_name(const bpfvm_env *env, const char *name)
{
	if (!env || !name)
		return NULL;
	bpfvm_env *e = (bpfvm_env *)env;
	bpfvm_map *found = NULL;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nobjs && !found; i++) {
		bpfvm_map *m = e->objs[i].ptr;
		/* names are kept to 15 characters: a longer name matches its cut */
		if (e->objs[i].kind == VM_OBJ_MAP && strncmp(m->name, name, sizeof(m->name) - 1) == 0 &&
		    (strlen(name) < sizeof(m->name) || strlen(m->name) == sizeof(m->name) - 1))
			found = m;
	}
	pthread_mutex_unlock(&e->lock);
	return found;
}

void bpfvm_map_get_info(const bpfvm_map *map, struct bpfvm_map_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!map)
		return;
	info->name = map->name;
	info->fd = __atomic_load_n(&map->fd, __ATOMIC_ACQUIRE);
	info->type = map->type;
	info->key_size = map->key_size;
	info->value_size = map->value_size;
	info->max_entries = map->max_entries;
	info->map_flags = map->map_flags;
	info->ncpus = map->ncpus;
}

size_t vm_map_host_value_size(const bpfvm_map *m)
{
	if (vm_map_is_percpu(m->type))
		return (size_t)m->ncpus * m->value_stride;
	if (m->type == VM_MAP_PROG_ARRAY)
		return sizeof(uint32_t);
	return m->value_size;
}

int vm_map_direct_value_addr(const bpfvm_map *m, uint32_t off, uint64_t *addr)
{
	/* the kernel's array_map_direct_value_addr: plain arrays of one entry */
	if (!m || m->type != VM_MAP_ARRAY || m->max_entries != 1 || off >= m->value_size)
		return -EINVAL;
	*addr = (uint64_t)(uintptr_t)m->region + off;
	return 0;
}

/* ---- host side: bpf(2)'s BPF_MAP_* commands ----
 * The order of the checks is the kernel's: the fd's access mode, BPF_F_LOCK
 * (bpfvm has no bpf_spin_lock in values), copying the key (a map without
 * keys takes none), then the type's operation. */

static int host_key(const bpfvm_map *m, const void *key)
{
	if (m->key_size == 0)
		return key ? -EINVAL : 0;
	return key ? 0 : -EFAULT;
}

int bpfvm_map_lookup(bpfvm_map *map, const void *key, void *value)
{
	if (!map)
		return -EBADF;
	if (map->map_flags & VM_F_WRONLY)
		return -EPERM;
	int rc = host_key(map, key);
	if (rc)
		return rc;
	if (!value)
		return -EFAULT;
	if (map->ops->pop)
		return map->ops->pop(map, value, 0, 0);
	return map->ops->sys_lookup ? map->ops->sys_lookup(map, key, value) : -VM_ENOTSUPP;
}

int bpfvm_map_freeze(bpfvm_map *map)
{
	if (!map)
		return -EBADF;
	if (map->frozen)
		return -EBUSY;
	map->frozen = 1;
	return 0;
}

int bpfvm_map_update(bpfvm_map *map, const void *key, const void *value, uint64_t flags)
{
	if (!map)
		return -EBADF;
	if (map->frozen)
		return -EPERM;
	if (map->map_flags & VM_F_RDONLY)
		return -EPERM;
	if (flags & VM_F_LOCK)
		return -EINVAL;
	int rc = host_key(map, key);
	if (rc)
		return rc;
	if (!value)
		return -EFAULT;
	if (map->ops->push)
		return map->ops->push(map, value, flags);
	return map->ops->sys_update ? map->ops->sys_update(map, key, value, flags) : -VM_ENOTSUPP;
}

int bpfvm_map_delete(bpfvm_map *map, const void *key)
{
	if (!map)
		return -EBADF;
	if (map->frozen)
		return -EPERM;
	if (map->map_flags & VM_F_RDONLY)
		return -EPERM;
	int rc = host_key(map, key);
	if (rc)
		return rc;
	return map->ops->delete_elem ? map->ops->delete_elem(map, key) : -EINVAL;
}

int bpfvm_map_lookup_and_delete(bpfvm_map *map, const void *key, void *value)
{
	if (!map)
		return -EBADF;
	if (map->frozen)
		return -EPERM;
	if (map->map_flags & (VM_F_RDONLY | VM_F_WRONLY))
		return -EPERM;
	int rc = host_key(map, key);
	if (rc)
		return rc;
	if (!value)
		return -EFAULT;
	if (map->ops->pop)
		return map->ops->pop(map, value, 1, 0);
	return map->ops->sys_lookup_and_delete ? map->ops->sys_lookup_and_delete(map, key, value) : -VM_ENOTSUPP;
}

int bpfvm_map_get_next_key(bpfvm_map *map, const void *key, void *next_key)
{
	if (!map)
		return -EBADF;
	if (map->map_flags & VM_F_WRONLY)
		return -EPERM;
	if (key && map->key_size == 0)
		return -EINVAL;
	if (!next_key && map->key_size)
		return -EFAULT;
	return map->ops->get_next_key ? map->ops->get_next_key(map, key, next_key) : -EINVAL;
}

/* ---- program side ---- */

void *vm_map_lookup_elem(bpfvm_map *m, const void *key, uint32_t cpu)
{
	return m->ops->lookup ? m->ops->lookup(m, key, cpu) : NULL;
}

int vm_map_update_elem(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	return m->ops->update ? m->ops->update(m, key, value, flags, cpu) : -EINVAL;
}

int vm_map_delete_elem(bpfvm_map *m, const void *key)
{
	if (m->ops->pop) /* queue and stack */
		return -EINVAL;
	return m->ops->delete_elem ? m->ops->delete_elem(m, key) : -EINVAL;
}

int vm_map_push_elem(bpfvm_map *m, const void *value, uint64_t flags)
{
	return m->ops->push ? m->ops->push(m, value, flags) : -EINVAL;
}

int vm_map_pop_elem(bpfvm_map *m, void *value)
{
	return m->ops->pop ? m->ops->pop(m, value, 1, 1) : -EINVAL;
}

int vm_map_peek_elem(bpfvm_map *m, void *value)
{
	return m->ops->pop ? m->ops->pop(m, value, 0, 1) : -EINVAL;
}

long vm_map_for_each(bpfvm_map *m, uint32_t cpu, int (*cb)(bpfvm_map *m, void *key, void *value, void *arg),
		     void *arg)
{
	return m->ops->for_each ? m->ops->for_each(m, cpu, cb, arg) : -EINVAL;
}
