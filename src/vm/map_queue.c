/* map_queue.c - BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO)
 * with the kernel's semantics (kernel/bpf/queue_stack_maps.c): no keys;
 * push fails with -E2BIG when full unless BPF_EXIST, which drops the oldest
 * element (for a stack too: the bottom one); pop and peek fail with -ENOENT
 * when empty. A ring of max_entries + 1 slots of value_size bytes, under the
 * map's lock. Programs never address the slots, so the map has no region. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"

#define QUEUE_STACK_CREATE_FLAGS (VM_F_NUMA_NODE | VM_F_ACCESS_MASK)

struct qstack {
	uint32_t head, tail;  /* next slot to fill; oldest element */
	uint32_t size;        /* max_entries + 1 */
	size_t len;
	uint8_t *elems;
};

static int qs_alloc(bpfvm_map *m)
{
	if (m->max_entries == 0 || m->key_size != 0 || m->value_size == 0 ||
	    (m->map_flags & ~QUEUE_STACK_CREATE_FLAGS) || !vm_map_flags_access_ok(m->map_flags))
		return -EINVAL;
	if (m->value_size > VM_KMALLOC_MAX_SIZE)
		return -E2BIG;
	struct qstack *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	uint64_t len;
	if (m->max_entries == UINT32_MAX || /* the ring's u32 size would wrap */
	    __builtin_mul_overflow((uint64_t)m->max_entries + 1, (uint64_t)m->value_size, &len) || len > SIZE_MAX ||
	    !(q->elems = vm_map_area_alloc((size_t)len))) {
		free(q);
		return -ENOMEM;
	}
	q->len = (size_t)len;
	q->size = m->max_entries + 1;
	m->impl = q;
	return 0;
}

static void qs_free(bpfvm_map *m)
{
	struct qstack *q = m->impl;
	if (!q)
		return;
	vm_map_area_free(q->elems, q->len);
	free(q);
	m->impl = NULL;
}

static uint8_t *slot(const bpfvm_map *m, const struct qstack *q, uint32_t i)
{
	return q->elems + (size_t)i * m->value_size;
}

static int qs_push(bpfvm_map *m, const void *value, uint64_t flags)
{
	struct qstack *q = m->impl;
	if ((flags & VM_NOEXIST) || flags > VM_EXIST)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	uint32_t next = q->head + 1 >= q->size ? 0 : q->head + 1;
	if (next == q->tail) { /* full */
		if (!(flags & VM_EXIST)) {
			pthread_mutex_unlock(&m->lock);
			return -E2BIG;
		}
		q->tail = q->tail + 1 >= q->size ? 0 : q->tail + 1; /* drop the oldest */
	}
	memcpy(slot(m, q, q->head), value, m->value_size);
	q->head = next;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int qs_pop(bpfvm_map *m, void *value, int remove, int zero_on_fail)
{
	struct qstack *q = m->impl;
	pthread_mutex_lock(&m->lock);
	if (q->head == q->tail) {
		pthread_mutex_unlock(&m->lock);
		if (zero_on_fail)
			memset(value, 0, m->value_size);
		return -ENOENT;
	}
	if (m->type == VM_MAP_QUEUE) { /* the oldest */
		memcpy(value, slot(m, q, q->tail), m->value_size);
		if (remove)
			q->tail = q->tail + 1 >= q->size ? 0 : q->tail + 1;
	} else { /* the newest */
		uint32_t top = q->head == 0 ? q->size - 1 : q->head - 1;
		memcpy(value, slot(m, q, top), m->value_size);
		if (remove)
			q->head = top;
	}
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int qs_delete(bpfvm_map *m, const void *key)
{
	return -EINVAL;
}

static int qs_get_next_key(bpfvm_map *m, const void *key, void *next_key)
{
	return -EINVAL;
}

static void *qs_lookup(bpfvm_map *m, const void *key, uint32_t cpu)
{
	return NULL;
}

static int qs_update(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	return -EINVAL;
}

const struct vm_map_ops vm_queue_ops = {
	.alloc = qs_alloc,
	.free = qs_free,
	.get_next_key = qs_get_next_key,
	.delete_elem = qs_delete,
	.lookup = qs_lookup,
	.update = qs_update,
	.push = qs_push,
	.pop = qs_pop,
};

const struct vm_map_ops vm_stack_ops = {
	.alloc = qs_alloc,
	.free = qs_free,
	.get_next_key = qs_get_next_key,
	.delete_elem = qs_delete,
	.lookup = qs_lookup,
	.update = qs_update,
	.push = qs_push,
	.pop = qs_pop,
};
