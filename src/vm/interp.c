/* interp.c - the interpreter: the semantic helpers shared by both variants
 * (RFC 9669 division, modulo and shift rules; packet loads), and the two
 * instantiations of interp_body.h (trusted and runtime-checked). */
#include <inttypes.h>
#include <string.h>

#include "vm.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bpfvm's interpreter assumes a little-endian host"
#endif

#define vm_unlikely(x) __builtin_expect(!!(x), 0)

#if defined(__GNUC__) || defined(__clang__)
#define VM_COMPUTED_GOTO 1
#else
#define VM_COMPUTED_GOTO 0
#endif

/* Shifts: counts masked to the operand width. */
static inline uint64_t vm_lsh64(uint64_t a, uint64_t b) { return a << (b & 63); }
static inline uint64_t vm_rsh64(uint64_t a, uint64_t b) { return a >> (b & 63); }
static inline uint64_t vm_arsh64(uint64_t a, uint64_t b) { return (uint64_t)((int64_t)a >> (b & 63)); }
static inline uint32_t vm_lsh32(uint32_t a, uint32_t b) { return a << (b & 31); }
static inline uint32_t vm_rsh32(uint32_t a, uint32_t b) { return a >> (b & 31); }
static inline uint32_t vm_arsh32(uint32_t a, uint32_t b) { return (uint32_t)((int32_t)a >> (b & 31)); }

/* Division by zero gives 0; modulo by zero leaves the dividend (zero-extended
 * for 32-bit, which the uint32_t return does). Signed: INT_MIN / -1 = INT_MIN,
 * INT_MIN % -1 = 0, computed without the C overflow. */
static inline uint64_t vm_div64(uint64_t a, uint64_t b) { return b ? a / b : 0; }
static inline uint32_t vm_div32(uint32_t a, uint32_t b) { return b ? a / b : 0; }
static inline uint64_t vm_mod64(uint64_t a, uint64_t b) { return b ? a % b : a; }
static inline uint32_t vm_mod32(uint32_t a, uint32_t b) { return b ? a % b : a; }
static inline uint64_t vm_sdiv64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return 0;
	if ((int64_t)b == -1)
		return -a;
	return (uint64_t)((int64_t)a / (int64_t)b);
}
static inline uint32_t vm_sdiv32(uint32_t a, uint32_t b)
{
	if (b == 0)
		return 0;
	if ((int32_t)b == -1)
		return -a;
	return (uint32_t)((int32_t)a / (int32_t)b);
}
static inline uint64_t vm_smod64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return a;
	if ((int64_t)b == -1)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}
static inline uint32_t vm_smod32(uint32_t a, uint32_t b)
{
	if (b == 0)
		return a;
	if ((int32_t)b == -1)
		return 0;
	return (uint32_t)((int32_t)a % (int32_t)b);
}

static inline int vm_region_ok(const bpfvm_exec *ex, uint64_t addr, uint64_t size, int write)
{
	for (size_t i = 0; i < ex->nregions; i++) {
		const struct vm_region *r = &ex->regions[i];
		if (addr >= r->start && addr + size <= r->end && addr + size > addr && (!write || r->writable))
			return 1;
	}
	return bpfvm_exec_check(ex, addr, size, write); /* caller's extra regions, map memory */
}

#define VM_CHECKED 0
#define VM_FN vm_interp_run
#include "interp_body.h"
#undef VM_FN
#undef VM_CHECKED

#define VM_CHECKED 1
#define VM_FN vm_interp_run_checked
#include "interp_body.h"
#undef VM_FN
#undef VM_CHECKED
