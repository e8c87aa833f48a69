/* map_array.c - BPF_MAP_TYPE_ARRAY, PERCPU_ARRAY and PROG_ARRAY with the
 * kernel's semantics (kernel/bpf/arraymap.c): preallocated zeroed values,
 * 8-byte value stride, no delete, get_next_key by index. The values are one
 * slab, the map's region; per-CPU arrays keep element i's copy for cpu c at
 * (i * ncpus + c) * value_stride, so a host-side copy of all CPUs' values is
 * one contiguous block. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"

#define ARRAY_CREATE_FLAGS \
	(VM_F_NUMA_NODE | VM_F_MMAPABLE | VM_F_ACCESS_MASK | VM_F_PRESERVE_ELEMS | VM_F_INNER_MAP)

/* The kernel's array_map_alloc_check. */
static int array_check(const bpfvm_map *m)
{
	int percpu = m->type == VM_MAP_PERCPU_ARRAY;
	/* with BPF_F_NUMA_NODE the node is attr.numa_node, which bpfvm's options
	 * leave at 0: a node, where per-CPU arrays want none */
	if (m->max_entries == 0 || m->key_size != 4 || m->value_size == 0 || (m->map_flags & ~ARRAY_CREATE_FLAGS) ||
	    !vm_map_flags_access_ok(m->map_flags) || (percpu && (m->map_flags & VM_F_NUMA_NODE)))
		return -EINVAL;
	if (m->type != VM_MAP_ARRAY && (m->map_flags & (VM_F_MMAPABLE | VM_F_INNER_MAP)))
		return -EINVAL;
	if (m->map_flags & VM_F_PRESERVE_ELEMS) /* perf event arrays only */
		return -EINVAL;
	if (m->value_size > INT_MAX)
		return -E2BIG;
	if (percpu && m->value_stride > VM_PCPU_MIN_UNIT_SIZE)
		return -E2BIG;
	return 0;
}

static int array_alloc(bpfvm_map *m)
{
	int rc = array_check(m);
	if (rc)
		return rc;
	uint64_t copies = m->type == VM_MAP_PERCPU_ARRAY ? m->ncpus : 1;
	uint64_t len;
	if (__builtin_mul_overflow((uint64_t)m->max_entries, (uint64_t)m->value_stride, &len) ||
	    __builtin_mul_overflow(len, copies, &len) || len > SIZE_MAX)
		return -ENOMEM;
	m->region = vm_map_area_alloc((size_t)len);
	if (!m->region)
		return -ENOMEM;
	m->region_len = (size_t)len;
	return 0;
}

static void array_free(bpfvm_map *m)
{
	vm_map_area_free(m->region, m->region_len);
	m->region = NULL;
}

static uint8_t *elem(const bpfvm_map *m, uint32_t index, uint32_t cpu)
{
	if (m->type == VM_MAP_PERCPU_ARRAY)
		return m->region + ((uint64_t)index * m->ncpus + cpu) * m->value_stride;
	return m->region + (uint64_t)index * m->value_stride;
}

static void *array_lookup(bpfvm_map *m, const void *key, uint32_t cpu)
{
	uint32_t index = vm_map_key_u32(key);
	if (index >= m->max_entries)
		return NULL;
	if (m->type == VM_MAP_PERCPU_ARRAY && cpu >= m->ncpus)
		return NULL;
	return elem(m, index, m->type == VM_MAP_PERCPU_ARRAY ? cpu : 0);
}

/* The kernel's array_map_update_elem: a program's update, and the host's on
 * a plain array (value_size bytes into one copy). */
static int array_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	uint32_t index = vm_map_key_u32(key);
	if ((flags & ~(uint64_t)VM_F_LOCK) > VM_EXIST)
		return -EINVAL;
	if (index >= m->max_entries)
		return -E2BIG; /* every element exists; none can be added */
	if (flags & VM_NOEXIST)
		return -EEXIST;
	if (flags & VM_F_LOCK) /* no bpf_spin_lock in bpfvm's values */
		return -EINVAL;
	if (m->type == VM_MAP_PERCPU_ARRAY && cpu >= m->ncpus)
		return -EINVAL;
	memcpy(elem(m, index, m->type == VM_MAP_PERCPU_ARRAY ? cpu : 0), value, m->value_size);
	return 0;
}

static int array_sys_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags)
{
	if (m->type != VM_MAP_PERCPU_ARRAY)
		return array_update(m, key, value, flags, 0);
	/* bpf_percpu_array_update: every CPU's copy, value_stride bytes each */
	uint32_t index = vm_map_key_u32(key);
	if (flags > VM_EXIST)
		return -EINVAL;
	if (index >= m->max_entries)
		return -E2BIG;
	if (flags == VM_NOEXIST)
		return -EEXIST;
	memcpy(elem(m, index, 0), value, (size_t)m->ncpus * m->value_stride);
	return 0;
}

static int array_sys_lookup(bpfvm_map *m, const void *key, void *value)
{
	uint32_t index = vm_map_key_u32(key);
	if (index >= m->max_entries)
		return -ENOENT;
	if (m->type == VM_MAP_PERCPU_ARRAY)
		memcpy(value, elem(m, index, 0), (size_t)m->ncpus * m->value_stride);
	else
		memcpy(value, elem(m, index, 0), m->value_size);
	return 0;
}

static int array_delete(bpfvm_map *m, const void *key)
{
	return -EINVAL; /* array elements cannot be deleted */
}

/* The kernel's array_map_get_next_key: a missing or out-of-range key starts
 * over at 0; the last index has no successor. */
static int array_get_next_key(bpfvm_map *m, const void *key, void *next_key)
{
	uint32_t index = key ? vm_map_key_u32(key) : UINT32_MAX;
	uint32_t next;
	if (index >= m->max_entries)
		next = 0;
	else if (index == m->max_entries - 1)
		return -ENOENT;
	else
		next = index + 1;
	memcpy(next_key, &next, sizeof(next));
	return 0;
}

static long array_for_each(bpfvm_map *m, uint32_t cpu, vm_map_each_fn cb, void *arg)
{
	int percpu = m->type == VM_MAP_PERCPU_ARRAY;
	if (percpu && cpu >= m->ncpus)
		return -EINVAL;
	long n = 0;
	for (uint32_t i = 0; i < m->max_entries; i++) {
		uint32_t key = i;
		n++;
		if (cb(m, &key, elem(m, i, percpu ? cpu : 0), arg))
			break;
	}
	return n;
}

const struct vm_map_ops vm_array_ops = {
	.alloc = array_alloc,
	.free = array_free,
	.sys_lookup = array_sys_lookup,
	.sys_update = array_sys_update,
	.get_next_key = array_get_next_key,
	.delete_elem = array_delete,
	.lookup = array_lookup,
	.update = array_update,
	.for_each = array_for_each,
};

const struct vm_map_ops vm_percpu_array_ops = {
	.alloc = array_alloc,
	.free = array_free,
	.sys_lookup = array_sys_lookup,
	.sys_update = array_sys_update,
	.get_next_key = array_get_next_key,
	.delete_elem = array_delete,
	.lookup = array_lookup,
	.update = array_update,
	.for_each = array_for_each,
};

/* ---- prog_array: program fds of the same env ----
 * Each slot holds the program and the fd it was stored under; a program
 * freed since (its fd leaves the env's table, and fds are never reused) is
 * treated as absent. Like the kernel's bpf_prog_map_compatible, the first
 * program stored fixes the program type every later one must have. */

struct prog_slot {
	const bpfvm_prog *prog;
	int fd;
};

struct prog_array {
	struct prog_slot *slots;
	int have_owner;
	uint32_t owner_type;
};

static int prog_array_alloc(bpfvm_map *m)
{
	/* fd_array_map_alloc_check, then array_map_alloc_check */
	if (m->value_size != sizeof(uint32_t))
		return -EINVAL;
	if (m->map_flags & (VM_F_RDONLY_PROG | VM_F_WRONLY_PROG))
		return -EINVAL;
	int rc = array_check(m);
	if (rc)
		return rc;
	struct prog_array *pa = calloc(1, sizeof(*pa));
	if (!pa)
		return -ENOMEM;
	pa->slots = vm_map_area_alloc((size_t)m->max_entries * sizeof(struct prog_slot));
	if (!pa->slots) {
		free(pa);
		return -ENOMEM;
	}
	m->impl = pa;
	return 0; /* no region: programs never see the slots */
}

static void prog_array_free(bpfvm_map *m)
{
	struct prog_array *pa = m->impl;
	if (!pa)
		return;
	vm_map_area_free(pa->slots, (size_t)m->max_entries * sizeof(struct prog_slot));
	free(pa);
	m->impl = NULL;
}

/* The stored program if it is still loaded (caller holds m->lock). */
static const bpfvm_prog *slot_prog(bpfvm_map *m, const struct prog_slot *s)
{
	if (!s->prog || vm_env_obj(m->env, s->fd, VM_OBJ_PROG) != s->prog)
		return NULL;
	return s->prog;
}

static int prog_array_sys_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags)
{
	struct prog_array *pa = m->impl;
	uint32_t index = vm_map_key_u32(key);
	if (flags != VM_ANY)
		return -EINVAL;
	if (index >= m->max_entries)
		return -E2BIG;
	int fd = (int)vm_map_key_u32(value);
	const bpfvm_prog *p = vm_env_obj(m->env, fd, VM_OBJ_PROG);
	if (!p) /* bpf_prog_get: no such fd, or an fd that is not a program */
		return vm_env_obj(m->env, fd, VM_OBJ_MAP) ? -EINVAL : -EBADF;
	pthread_mutex_lock(&m->lock);
	if (pa->have_owner && pa->owner_type != bpfvm_prog_type(p)) {
		pthread_mutex_unlock(&m->lock);
		return -EINVAL;
	}
	pa->have_owner = 1;
	pa->owner_type = bpfvm_prog_type(p);
	pa->slots[index] = (struct prog_slot){ p, fd };
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int prog_array_sys_lookup(bpfvm_map *m, const void *key, void *value)
{
	struct prog_array *pa = m->impl;
	uint32_t index = vm_map_key_u32(key);
	if (index >= m->max_entries)
		return -ENOENT;
	pthread_mutex_lock(&m->lock);
	const bpfvm_prog *p = slot_prog(m, &pa->slots[index]);
	uint32_t fd = (uint32_t)pa->slots[index].fd;
	pthread_mutex_unlock(&m->lock);
	if (!p)
		return -ENOENT;
	memcpy(value, &fd, sizeof(fd)); /* the kernel gives the program's id; bpfvm its fd */
	return 0;
}

static int prog_array_delete(bpfvm_map *m, const void *key)
{
	struct prog_array *pa = m->impl;
	uint32_t index = vm_map_key_u32(key);
	if (index >= m->max_entries)
		return -E2BIG;
	pthread_mutex_lock(&m->lock);
	const bpfvm_prog *p = slot_prog(m, &pa->slots[index]);
	pa->slots[index] = (struct prog_slot){ NULL, 0 };
	pthread_mutex_unlock(&m->lock);
	return p ? 0 : -ENOENT;
}

static void *prog_array_lookup(bpfvm_map *m, const void *key, uint32_t cpu)
{
	return NULL; /* programs reach the slots only through bpf_tail_call */
}

const bpfvm_prog *vm_prog_array_get(bpfvm_map *m, uint32_t index)
{
	if (!m || m->type != VM_MAP_PROG_ARRAY || index >= m->max_entries)
		return NULL;
	struct prog_array *pa = m->impl;
	pthread_mutex_lock(&m->lock);
	const bpfvm_prog *p = slot_prog(m, &pa->slots[index]);
	pthread_mutex_unlock(&m->lock);
	return p;
}

const struct vm_map_ops vm_prog_array_ops = {
	.alloc = prog_array_alloc,
	.free = prog_array_free,
	.sys_lookup = prog_array_sys_lookup,
	.sys_update = prog_array_sys_update,
	.get_next_key = array_get_next_key,
	.delete_elem = prog_array_delete,
	.lookup = prog_array_lookup,
};
