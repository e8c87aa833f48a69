/* interp.c - the interpreter: the semantic helpers shared by both variants
 * (RFC 9669 division, modulo and shift rules; packet loads), the checked
 * variant's memory-check slow path, the trusted variant's fused handlers
 * (which sequences, and vm_interp_predecode choosing them at load), and the
 * two instantiations of interp_body.h (trusted and runtime-checked). */
#include <inttypes.h>
#include <string.h>

#include "vm.h"
#include "maps.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bpfvm's interpreter assumes a little-endian host"
#endif

#define vm_unlikely(x) __builtin_expect(!!(x), 0)
#define vm_likely(x) __builtin_expect(!!(x), 1)

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

/* The rest of the 64-bit ALU as functions, for the fused handlers. */
static inline uint64_t vm_add64(uint64_t a, uint64_t b) { return a + b; }
static inline uint64_t vm_sub64(uint64_t a, uint64_t b) { return a - b; }
static inline uint64_t vm_mul64(uint64_t a, uint64_t b) { return a * b; }
static inline uint64_t vm_or64(uint64_t a, uint64_t b) { return a | b; }
static inline uint64_t vm_and64(uint64_t a, uint64_t b) { return a & b; }
static inline uint64_t vm_xor64(uint64_t a, uint64_t b) { return a ^ b; }

/* ---- checked runs: memory checks ----
 * The checked body tests the live stack inline, then the last region that
 * allowed a read (rd) or a write (wr), [lo, lo + len) (len 0: none), and only
 * then calls check_slow, which gives bpfvm_exec_check's verdict (every run
 * region, the caller's extra regions, map memory) and remembers the region
 * that holds the access when any later access inside it is certain to get
 * the same verdict: a run region other than the stack (whose end moves), an
 * extra region, or the value slab of a plain or per-CPU array map (memory
 * that lives as long as the map, with no per-element rule). Maps can only go
 * away through helpers, and the body forgets both regions at every helper
 * call. The verdicts are therefore exactly bpfvm_exec_check's. */
struct region_cache {
	uint64_t rd_lo, rd_len, wr_lo, wr_len;
};

static int check_slow(const bpfvm_exec *ex, uint64_t addr, uint64_t size, int write, struct region_cache *c)
{
	/* bpfvm_exec_check's rules in its order, remembering the region that
	 * answers (one pass instead of asking it and then searching again) */
	if (addr + size < addr)
		return 0;
	for (size_t i = 0; i < ex->nregions; i++) {
		const struct vm_region *r = &ex->regions[i];
		if (addr >= r->start && addr + size <= r->end && (!write || r->writable)) {
			if (i > 0) { /* never the stack, whose end moves */
				c->rd_lo = r->start;
				c->rd_len = r->end - r->start;
				if (r->writable) {
					c->wr_lo = c->rd_lo;
					c->wr_len = c->rd_len;
				}
			}
			return 1;
		}
	}
	for (size_t i = 0; i < ex->nextra; i++) {
		const struct bpfvm_region *r = &ex->extra[i];
		if (addr >= r->start && addr + size <= r->start + r->len && (!write || r->writable)) {
			if (r->start + r->len >= r->start) { /* a wrapping region answers no other way */
				c->rd_lo = r->start;
				c->rd_len = r->len;
				if (r->writable) {
					c->wr_lo = r->start;
					c->wr_len = r->len;
				}
			}
			return 1;
		}
	}
	if (!vm_maps_region_ok(ex->env, addr, size, write))
		return 0;
	bpfvm_map *m = vm_map_find_region(ex->env, addr, 0);
	if (!m || (m->type != VM_MAP_ARRAY && m->type != VM_MAP_PERCPU_ARRAY) || m->ops->region_ok)
		return 1;
	uint64_t start = (uint64_t)(uintptr_t)m->region;
	if (addr < start || addr + size > start + m->region_len)
		return 1;
	if (!(m->map_flags & VM_F_WRONLY_PROG)) {
		c->rd_lo = start;
		c->rd_len = m->region_len;
	}
	if (!(m->map_flags & VM_F_RDONLY_PROG)) {
		c->wr_lo = start;
		c->wr_len = m->region_len;
	}
	return 1;
}

/* ---- trusted runs: fused handlers ----
 * The trusted body's label table has one block of BPFVM_OP__COUNT slots per
 * kind of fusion; VM_FUSED(kind, op) is the slot of the fused handler of that
 * kind for the plain op (the ALU op, the load, the conditional jump) that
 * names it. vm_interp_predecode picks them (the rules are there). */
enum fused_kind { VM_K_PLAIN, VM_K_MOVR, VM_K_IDXLD, VM_K_JA, VM_K_ADDI, VM_K_ADDIJA, VM_K_MOVI, VM_K__COUNT };
#define VM_FUSED(kind, op) ((kind) * BPFVM_OP__COUNT + (op))
#define VM_FUSED_TABLE (VM_K__COUNT * BPFVM_OP__COUNT)
#define VM_FUSE_ALU64(X) \
	X(ADD, vm_add64) \
	X(SUB, vm_sub64) \
	X(MUL, vm_mul64) \
	X(OR, vm_or64) \
	X(AND, vm_and64) \
	X(XOR, vm_xor64) \
	X(LSH, vm_lsh64) \
	X(RSH, vm_rsh64) \
	X(ARSH, vm_arsh64) \
	X(DIV, vm_div64) \
	X(MOD, vm_mod64) \
	X(SDIV, vm_sdiv64) \
	X(SMOD, vm_smod64)
#define VM_FUSED_MOVR(X) \
	X(MOVR, ADD64_REG) X(MOVR, ADD64_IMM) \
	X(MOVR, SUB64_REG) X(MOVR, SUB64_IMM) \
	X(MOVR, MUL64_REG) X(MOVR, MUL64_IMM) \
	X(MOVR, OR64_REG) X(MOVR, OR64_IMM) \
	X(MOVR, AND64_REG) X(MOVR, AND64_IMM) \
	X(MOVR, XOR64_REG) X(MOVR, XOR64_IMM) \
	X(MOVR, LSH64_REG) X(MOVR, LSH64_IMM) \
	X(MOVR, RSH64_REG) X(MOVR, RSH64_IMM) \
	X(MOVR, ARSH64_REG) X(MOVR, ARSH64_IMM) \
	X(MOVR, DIV64_REG) X(MOVR, DIV64_IMM) \
	X(MOVR, MOD64_REG) X(MOVR, MOD64_IMM) \
	X(MOVR, SDIV64_REG) X(MOVR, SDIV64_IMM) \
	X(MOVR, SMOD64_REG) X(MOVR, SMOD64_IMM)
#define VM_FUSED_JUMPS(X, kind) \
	X(kind, JEQ_IMM) X(kind, JEQ_REG) X(kind, JEQ32_IMM) X(kind, JEQ32_REG) \
	X(kind, JNE_IMM) X(kind, JNE_REG) X(kind, JNE32_IMM) X(kind, JNE32_REG) \
	X(kind, JGT_IMM) X(kind, JGT_REG) X(kind, JGT32_IMM) X(kind, JGT32_REG) \
	X(kind, JGE_IMM) X(kind, JGE_REG) X(kind, JGE32_IMM) X(kind, JGE32_REG) \
	X(kind, JLT_IMM) X(kind, JLT_REG) X(kind, JLT32_IMM) X(kind, JLT32_REG) \
	X(kind, JLE_IMM) X(kind, JLE_REG) X(kind, JLE32_IMM) X(kind, JLE32_REG) \
	X(kind, JSET_IMM) X(kind, JSET_REG) X(kind, JSET32_IMM) X(kind, JSET32_REG) \
	X(kind, JSGT_IMM) X(kind, JSGT_REG) X(kind, JSGT32_IMM) X(kind, JSGT32_REG) \
	X(kind, JSGE_IMM) X(kind, JSGE_REG) X(kind, JSGE32_IMM) X(kind, JSGE32_REG) \
	X(kind, JSLT_IMM) X(kind, JSLT_REG) X(kind, JSLT32_IMM) X(kind, JSLT32_REG) \
	X(kind, JSLE_IMM) X(kind, JSLE_REG) X(kind, JSLE32_IMM) X(kind, JSLE32_REG)
/* Pairs of 64-bit ALU instructions on the same destination ("rA ^= rB;
 * rA *= rC"): the intermediate value stays in a host register instead of
 * going through the register array (a store and a reload on the
 * dependency chain). 16 forms (8 operations, imm or reg), so a 16 x 16 table
 * of their own (VM_PAIR_N); pair_index numbers the forms. */
#define VM_PAIR_N 16
#define VM_PAIR_FIRST(X) \
	X(ADD64_IMM, vm_add64, KIMM) \
	X(ADD64_REG, vm_add64, KREG) \
	X(SUB64_IMM, vm_sub64, KIMM) \
	X(SUB64_REG, vm_sub64, KREG) \
	X(MUL64_IMM, vm_mul64, KIMM) \
	X(MUL64_REG, vm_mul64, KREG) \
	X(XOR64_IMM, vm_xor64, KIMM) \
	X(XOR64_REG, vm_xor64, KREG) \
	X(OR64_IMM, vm_or64, KIMM) \
	X(OR64_REG, vm_or64, KREG) \
	X(AND64_IMM, vm_and64, KIMM) \
	X(AND64_REG, vm_and64, KREG) \
	X(LSH64_IMM, vm_lsh64, KIMM) \
	X(LSH64_REG, vm_lsh64, KREG) \
	X(RSH64_IMM, vm_rsh64, KIMM) \
	X(RSH64_REG, vm_rsh64, KREG)
#define VM_PAIR_SECOND(X, id1, f1, k1) \
	X(id1, f1, k1, ADD64_IMM, vm_add64, KIMM) \
	X(id1, f1, k1, ADD64_REG, vm_add64, KREG) \
	X(id1, f1, k1, SUB64_IMM, vm_sub64, KIMM) \
	X(id1, f1, k1, SUB64_REG, vm_sub64, KREG) \
	X(id1, f1, k1, MUL64_IMM, vm_mul64, KIMM) \
	X(id1, f1, k1, MUL64_REG, vm_mul64, KREG) \
	X(id1, f1, k1, XOR64_IMM, vm_xor64, KIMM) \
	X(id1, f1, k1, XOR64_REG, vm_xor64, KREG) \
	X(id1, f1, k1, OR64_IMM, vm_or64, KIMM) \
	X(id1, f1, k1, OR64_REG, vm_or64, KREG) \
	X(id1, f1, k1, AND64_IMM, vm_and64, KIMM) \
	X(id1, f1, k1, AND64_REG, vm_and64, KREG) \
	X(id1, f1, k1, LSH64_IMM, vm_lsh64, KIMM) \
	X(id1, f1, k1, LSH64_REG, vm_lsh64, KREG) \
	X(id1, f1, k1, RSH64_IMM, vm_rsh64, KIMM) \
	X(id1, f1, k1, RSH64_REG, vm_rsh64, KREG)
#define VM_PAIR_ENUM(id, f, k) VM_PAIR_I_##id,
enum pair_form { VM_PAIR_FIRST(VM_PAIR_ENUM) };
#undef VM_PAIR_ENUM
static inline int pair_index(int op)
{
	switch (op) {
	case BPFVM_OP_ADD64_IMM: return VM_PAIR_I_ADD64_IMM;
	case BPFVM_OP_ADD64_REG: return VM_PAIR_I_ADD64_REG;
	case BPFVM_OP_SUB64_IMM: return VM_PAIR_I_SUB64_IMM;
	case BPFVM_OP_SUB64_REG: return VM_PAIR_I_SUB64_REG;
	case BPFVM_OP_MUL64_IMM: return VM_PAIR_I_MUL64_IMM;
	case BPFVM_OP_MUL64_REG: return VM_PAIR_I_MUL64_REG;
	case BPFVM_OP_XOR64_IMM: return VM_PAIR_I_XOR64_IMM;
	case BPFVM_OP_XOR64_REG: return VM_PAIR_I_XOR64_REG;
	case BPFVM_OP_OR64_IMM: return VM_PAIR_I_OR64_IMM;
	case BPFVM_OP_OR64_REG: return VM_PAIR_I_OR64_REG;
	case BPFVM_OP_AND64_IMM: return VM_PAIR_I_AND64_IMM;
	case BPFVM_OP_AND64_REG: return VM_PAIR_I_AND64_REG;
	case BPFVM_OP_LSH64_IMM: return VM_PAIR_I_LSH64_IMM;
	case BPFVM_OP_LSH64_REG: return VM_PAIR_I_LSH64_REG;
	case BPFVM_OP_RSH64_IMM: return VM_PAIR_I_RSH64_IMM;
	case BPFVM_OP_RSH64_REG: return VM_PAIR_I_RSH64_REG;
	default: return -1;
	}
}

/* What the trusted body hands out at load time: its label tables. */
struct interp_tables {
	const void *const *labels;                  /* VM_FUSED_TABLE slots */
	const void *const (*pairs)[VM_PAIR_N];      /* [first form][second form] */
};

#define VM_FUSED_LIST(X) \
	VM_FUSED_MOVR(X) \
	X(IDXLD, LDX_B) X(IDXLD, LDX_H) X(IDXLD, LDX_W) X(IDXLD, LDX_DW) \
	VM_FUSED_JUMPS(X, JA) VM_FUSED_JUMPS(X, ADDI) VM_FUSED_JUMPS(X, ADDIJA) VM_FUSED_JUMPS(X, MOVI)

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

void vm_interp_predecode(bpfvm_prog *p)
{
#if VM_COMPUTED_GOTO
	uint64_t t = 0;
	vm_interp_run(NULL, NULL, 0, 0, &t); /* the trusted body's label tables */
	const struct interp_tables *tables = (const struct interp_tables *)(uintptr_t)t;
	const void *const *labels = tables->labels;
	struct vm_op *ops = p->ops;
	size_t n = p->n;
	for (size_t pc = 0; pc < n; pc++) {
		struct vm_op *o = &ops[pc];
		const void *f = NULL;
		o->fast = labels[o->op];
		if (pc + 1 >= n)
			continue;
		/* Rules, longest first. Operand conditions are those the fused
		 * handlers rely on (interp_body.h); the later slots are plain
		 * instructions (never the second slot of an lddw: none of the
		 * ops below is an lddw). */
		const struct vm_op *o1 = o + 1, *o2 = pc + 2 < n ? o + 2 : NULL;
		int is_ja2 = o2 && (o2->op == BPFVM_OP_JA || o2->op == BPFVM_OP_JA32);
		switch (o->op) {
		case BPFVM_OP_MOV64_REG:
			if (o1->op == BPFVM_OP_ADD64_REG && o1->dst == o->dst && o2 && o2->src == o->dst)
				f = labels[VM_FUSED(VM_K_IDXLD, o2->op)];
			if (!f && o1->dst == o->dst)
				f = labels[VM_FUSED(VM_K_MOVR, o1->op)];
			break;
		case BPFVM_OP_ADD64_IMM:
			if (o1->dst == o->dst && is_ja2)
				f = labels[VM_FUSED(VM_K_ADDIJA, o1->op)];
			if (!f && o1->dst == o->dst)
				f = labels[VM_FUSED(VM_K_ADDI, o1->op)];
			break;
		case BPFVM_OP_MOV64_IMM:
			f = labels[VM_FUSED(VM_K_MOVI, o1->op)];
			break;
		default:
			if (o1->op == BPFVM_OP_JA || o1->op == BPFVM_OP_JA32)
				f = labels[VM_FUSED(VM_K_JA, o->op)];
			break;
		}
		int p0 = pair_index(o->op), p1 = pair_index(o1->op);
		if (!f && p0 >= 0 && p1 >= 0 && o1->dst == o->dst)
			f = tables->pairs[p0][p1];
		if (f)
			o->fast = f;
	}
#else
	(void)p;
#endif
}
