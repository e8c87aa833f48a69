/* suite.h - included by every program of the benchmark suite (the .c files of bench/suite).
 * The same C builds twice:
 *   - for BPF (clang -O2 -g -target bpf): libbpf's helper declarations,
 *     BTF-defined maps, socket filter programs (SEC("socket")) that the
 *     kernel runs with BPF_PROG_TEST_RUN and bpfvm loads with its ELF loader;
 *   - natively (clang -O2, the "native" column of bench_suite): plain C
 *     functions called through a function pointer, with stand-ins for what
 *     the BPF side gets from the kernel: maps are bpfvm's own map objects
 *     (the ones the ELF loader created, bound by name before the run, so the
 *     native code and the JIT share one map implementation), load_byte reads
 *     the frame the runner set.
 * Every program takes a struct __sk_buff and returns an int (the kernel's
 * TEST_RUN reports 32 bits of r0). */
#ifndef BENCH_SUITE_H
#define BENCH_SUITE_H

#include <linux/bpf.h>
#include <linux/types.h>

/* Hides a value from the compiler's range analysis (no instruction is
 * emitted): keeps 64-bit division 64-bit, and loops from being folded. */
#define suite_opaque(var) __asm__ __volatile__("" : "+r"(var))

#ifdef __bpf__

#include <bpf/bpf_helpers.h>

/* LD_ABS through LLVM's intrinsic, as the kernel's samples/bpf do. */
unsigned long long load_byte(void *skb, unsigned long long off) __asm__("llvm.bpf.load.byte");

#define SUITE_MAP(name, mtype, ktype, vtype, entries)                                                     \
	struct {                                                                                           \
		__uint(type, mtype);                                                                       \
		__type(key, ktype);                                                                        \
		__type(value, vtype);                                                                      \
		__uint(max_entries, entries);                                                              \
	} name SEC(".maps")
#define SUITE_PROG(fn) SEC("socket") int fn(struct __sk_buff *skb)
#define SUITE_LICENSE char _license[] SEC("license") = "GPL"
#define suite_noinline static __attribute__((noinline))

#else /* native */

#include <stddef.h>

/* A map as the native code sees it: its name, and the bpfvm map the runner
 * binds to it (struct bpfvm_map *) before the first call. */
struct suite_native_map {
	const char *name;
	void *map;
	struct suite_native_map *next;
};
void suite_native_register(struct suite_native_map *m);
void *suite_native_lookup(void *map, const void *key);
long suite_native_update(void *map, const void *key, const void *value, __u64 flags);
/* The frame load_byte reads (set by the runner). */
extern const unsigned char *suite_native_pkt;
extern unsigned long suite_native_pkt_len;

static inline unsigned long long load_byte(void *skb, unsigned long long off)
{
	(void)skb;
	return off < suite_native_pkt_len ? suite_native_pkt[off] : 0;
}

#define SUITE_MAP(name, mtype, ktype, vtype, entries)                                                     \
	static struct suite_native_map name = { #name, NULL, NULL };                                       \
	__attribute__((constructor)) static void name##_register(void) { suite_native_register(&name); }
#define SUITE_PROG(fn) int fn(struct __sk_buff *skb)
#define SUITE_LICENSE
#define suite_noinline static __attribute__((noinline))
#ifndef SUITE_RUNNER /* the runner includes this header too, and calls libbpf's functions of these names */
#define bpf_map_lookup_elem(map, key) suite_native_lookup(map, key)
#define bpf_map_update_elem(map, key, value, flags) suite_native_update(map, key, value, flags)
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#endif /* __bpf__ */
#endif
