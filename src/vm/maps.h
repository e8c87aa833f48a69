/* maps.h - the internal map interface: the map object shared by every map
 * type, and the program-side operations the helpers call. The host API
 * (bpfvm_map_*) is in bpfvm.h. */
#ifndef BPFVM_MAPS_H
#define BPFVM_MAPS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

struct vm_map_ops; /* per-type operations (maps.c and map_*.c) */

struct bpfvm_map {
	bpfvm_env *env;
	int fd;
	char name[16];
	uint32_t type, key_size, value_size, max_entries, map_flags, ncpus;
	uint32_t value_stride;          /* value_size rounded up to 8 bytes */
	const struct vm_map_ops *ops;
	/* The memory programs may touch directly (value slab, ring buffer
	 * data): what checked runs accept as map memory. */
	uint8_t *region;
	size_t region_len;
	pthread_mutex_t lock;
	void *impl;                     /* type-specific state */
	int frozen;                     /* bpfvm_map_freeze: no more host writes */
};

void vm_map_destroy(bpfvm_map *m);
/* For lddw map value (pseudo source 2/6): address of byte off of the value
 * of a single-entry array map; 0 or -EINVAL. */
int vm_map_direct_value_addr(const bpfvm_map *m, uint32_t off, uint64_t *addr);

/* Program side. map pointers come from programs: validate them first. */
bpfvm_map *vm_map_from_ptr(const bpfvm_env *env, uint64_t ptr);
/* Pointer to the value (this cpu's copy for per-CPU maps) or NULL. */
void *vm_map_lookup_elem(bpfvm_map *m, const void *key, uint32_t cpu);
int vm_map_update_elem(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu);
int vm_map_delete_elem(bpfvm_map *m, const void *key);
int vm_map_push_elem(bpfvm_map *m, const void *value, uint64_t flags);
int vm_map_pop_elem(bpfvm_map *m, void *value);
int vm_map_peek_elem(bpfvm_map *m, void *value);
/* Calls cb for each element (this cpu's value for per-CPU maps) until it
 * returns non-zero; returns the number of elements visited. */
long vm_map_for_each(bpfvm_map *m, uint32_t cpu, int (*cb)(bpfvm_map *m, void *key, void *value, void *arg),
		     void *arg);
/* prog_array: the program at index, or NULL. */
const bpfvm_prog *vm_prog_array_get(bpfvm_map *m, uint32_t index);

/* Ring buffers. */
void *vm_ringbuf_reserve(bpfvm_map *m, uint64_t size, uint64_t flags);
/* Submits (discard = 0) or discards a record from vm_ringbuf_reserve; finds
 * its ring buffer among env's maps. 0, or -EINVAL for a pointer that is not
 * a reserved record. */
int vm_ringbuf_commit(const bpfvm_env *env, void *sample, int discard, uint64_t flags);
int vm_ringbuf_output(bpfvm_map *m, const void *data, uint64_t size, uint64_t flags);
uint64_t vm_ringbuf_query(bpfvm_map *m, uint64_t flags);

/* ---- details of the operations above ----
 *
 * Program-side semantics are the kernel's helpers': vm_map_update_elem on a
 * per-CPU map writes value_size bytes into cpu's copy (a new per-CPU hash
 * element gets zeroed copies on the other CPUs); cpu >= ncpus gives NULL /
 * -EINVAL. Queue and stack maps answer lookup with NULL and update/delete
 * with -EINVAL (use push/pop/peek, which zero *value when they fail, as the
 * kernel's helpers do). In vm_map_for_each the key pointer of an array map
 * points at a u32 that lives only during the call, that of a hash map at the
 * element's key, which lies outside m->region (programs cannot write keys):
 * a helper handing it to a BPF callback copies it somewhere the program may
 * read. vm_map_for_each returns -EINVAL for types without elements to visit.
 * Keys and values passed in are read with memcpy (no alignment needed). */

/* Map types and flags under bpfvm's names (they build without
 * <linux/bpf.h>); the values are the kernel's. */
enum vm_map_type {
	VM_MAP_HASH = 1,
	VM_MAP_ARRAY = 2,
	VM_MAP_PROG_ARRAY = 3,
	VM_MAP_PERCPU_HASH = 5,
	VM_MAP_PERCPU_ARRAY = 6,
	VM_MAP_LRU_HASH = 9,
	VM_MAP_LRU_PERCPU_HASH = 10,
	VM_MAP_QUEUE = 22,
	VM_MAP_STACK = 23,
	VM_MAP_RINGBUF = 27,
	VM_MAP_TYPE_KNOWN_MAX = 33, /* types above this are unknown to the kernel too */
};

enum vm_map_flags {
	VM_F_NO_PREALLOC = 1u << 0,
	VM_F_NO_COMMON_LRU = 1u << 1,
	VM_F_NUMA_NODE = 1u << 2,
	VM_F_RDONLY = 1u << 3,        /* host side may not write */
	VM_F_WRONLY = 1u << 4,        /* host side may not read */
	VM_F_ZERO_SEED = 1u << 6,
	VM_F_RDONLY_PROG = 1u << 7,   /* programs may not write */
	VM_F_WRONLY_PROG = 1u << 8,   /* programs may not read */
	VM_F_MMAPABLE = 1u << 10,
	VM_F_PRESERVE_ELEMS = 1u << 11,
	VM_F_INNER_MAP = 1u << 12,
	VM_F_ACCESS_MASK = VM_F_RDONLY | VM_F_RDONLY_PROG | VM_F_WRONLY | VM_F_WRONLY_PROG,
};

/* Update flags (BPF_ANY, ...) and ring buffer constants. */
#define VM_ANY 0
#define VM_NOEXIST 1
#define VM_EXIST 2
#define VM_F_LOCK 4
#define VM_RB_NO_WAKEUP 1u
#define VM_RB_FORCE_WAKEUP 2u
#define VM_RB_AVAIL_DATA 0
#define VM_RB_RING_SIZE 1
#define VM_RB_CONS_POS 2
#define VM_RB_PROD_POS 3
#define VM_RINGBUF_BUSY_BIT (1u << 31)
#define VM_RINGBUF_DISCARD_BIT (1u << 30)
#define VM_RINGBUF_HDR_SZ 8

/* The kernel's internal "operation not supported" (not in <errno.h>): what
 * bpf(2) returns, for example, for a lookup in a ring buffer. */
#define VM_ENOTSUPP 524

/* Kernel limits the checks at creation use (x86-64, 4 KiB pages). */
#define VM_KMALLOC_MAX_SIZE (1u << 22)    /* largest kmalloc: 4 MiB */
#define VM_PCPU_MIN_UNIT_SIZE (32u << 10) /* largest per-CPU value */
#define VM_HTAB_ELEM_SIZE 48u             /* sizeof(struct htab_elem) */

static inline int vm_map_is_percpu(uint32_t type)
{
	return type == VM_MAP_PERCPU_ARRAY || type == VM_MAP_PERCPU_HASH || type == VM_MAP_LRU_PERCPU_HASH;
}

/* Bytes a host-side lookup/update moves for one value: ncpus *
 * value_stride for per-CPU maps, 4 for prog_array (a program fd), value_size
 * otherwise (0 for ring buffers). */
size_t vm_map_host_value_size(const bpfvm_map *m);

/* Per-type operations. Creation fills in the map's attributes, then calls
 * alloc, which checks them as the kernel's map_alloc_check/map_alloc do
 * (returning the kernel's -errno) and builds impl and region. A NULL entry
 * means the kernel's answer for an operation the type lacks. Host-side
 * entries (sys_*) get keys and values already checked for presence. */
typedef int (*vm_map_each_fn)(bpfvm_map *m, void *key, void *value, void *arg);
struct vm_map_ops {
	int (*alloc)(bpfvm_map *m);
	void (*free)(bpfvm_map *m);
	/* host side, as bpf(2) */
	int (*sys_lookup)(bpfvm_map *m, const void *key, void *value);
	int (*sys_update)(bpfvm_map *m, const void *key, const void *value, uint64_t flags);
	int (*sys_lookup_and_delete)(bpfvm_map *m, const void *key, void *value);
	int (*get_next_key)(bpfvm_map *m, const void *key, void *next_key);
	/* both sides */
	int (*delete_elem)(bpfvm_map *m, const void *key);
	/* program side */
	void *(*lookup)(bpfvm_map *m, const void *key, uint32_t cpu);
	int (*update)(bpfvm_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu);
	int (*push)(bpfvm_map *m, const void *value, uint64_t flags);
	/* pop (remove) or peek; *value is zeroed on failure when zero_on_fail */
	int (*pop)(bpfvm_map *m, void *value, int remove, int zero_on_fail);
	long (*for_each)(bpfvm_map *m, uint32_t cpu, vm_map_each_fn cb, void *arg);
	/* checked runs: may [addr, addr + size), inside m->region, be accessed?
	 * NULL: all of the region may. */
	int (*region_ok)(bpfvm_map *m, uint64_t addr, uint64_t size, int write);
};

extern const struct vm_map_ops vm_array_ops, vm_percpu_array_ops, vm_prog_array_ops;
extern const struct vm_map_ops vm_htab_ops, vm_lru_htab_ops;
extern const struct vm_map_ops vm_queue_ops, vm_stack_ops;
extern const struct vm_map_ops vm_ringbuf_ops;

/* The map of env of the given type whose region holds addr, or NULL
 * (lock-free, like vm_map_from_ptr). */
bpfvm_map *vm_map_find_region(const bpfvm_env *env, uint64_t addr, uint32_t type);

/* Zeroed, page-aligned memory for map storage (mmap: failure is -ENOMEM,
 * never an abort, and untouched pages cost nothing); NULL on failure. */
void *vm_map_area_alloc(size_t size);
void vm_map_area_free(void *p, size_t size);
/* The kernel's bpf_map_flags_access_ok. */
static inline int vm_map_flags_access_ok(uint32_t flags)
{
	return (flags & (VM_F_RDONLY_PROG | VM_F_WRONLY_PROG)) != (VM_F_RDONLY_PROG | VM_F_WRONLY_PROG);
}
/* Reads a u32 key (array-like maps). */
static inline uint32_t vm_map_key_u32(const void *key)
{
	uint32_t k;
	__builtin_memcpy(&k, key, sizeof(k));
	return k;
}

#endif
