/* fuzz_jit_diff.c - differential libFuzzer target, interpreter against JIT:
 * the input drives a generator of structurally valid programs (rows of the
 * opcode table, src/isa/isa.h isa_table, with fields their shape allows),
 * which run on both engines; r0, the error code and instruction of a fault,
 * and the memory afterwards must agree, else abort() with the program.
 *
 * The programs (raw type: r1 = 64 bytes of memory from the input, r2 = 64):
 *   - a prologue initialises every register: r9 = r1 (the memory base, never
 *     written afterwards), r0 and r2..r8 from the input, and the 64 bytes
 *     below r10 (all the stack the body addresses);
 *   - a body of up to 64 instructions, each an instance of a table row:
 *     ALU (every operator, 32/64, imm/reg, byte swaps, sign extension), lddw,
 *     loads, stores, atomics, load-acquire/store-release mostly at r9 + [0,
 *     64) or r10 - [1, 64], sometimes off any register (faults: both engines
 *     must report the same one), LD_ABS/LD_IND (the memory is the packet),
 *     jumps (forward only, unless the input asks for backward jumps, which
 *     then meet the budget), may_goto, exit, calls of the conformance
 *     helpers (0 gather_bytes ... 4 strcmp; by call and by callx), of one
 *     bpf-to-bpf subprogram and, when the input asks, bpf_tail_call of the
 *     program itself (through a prog_array, at most 33 times a run);
 *     r1..r5 are initialised again after each call and packet load (they
 *     are scratch, as the kernel's verifier treats them);
 *   - a final exit.
 * The budget is 100000 instructions (10000 with backward jumps) or, when the
 * input says so, a small one (the checked JIT image must stop with
 * BPFVM_EBUDGET at the same instruction as the interpreter). Both engines
 * run the runtime-checked variant; a program that ends without a fault is
 * also loaded TRUSTED and run unchecked on both engines (same path, so the
 * same accesses). Loads that the JIT refuses with BPFVM_EUNSUPP are
 * skipped. Input: 64 bytes of memory, a budget byte (< 32: a small budget
 * from the next two), a flags byte (bit 0 backward jumps, bit 1 a
 * subprogram, bit 2 tail calls), then the generator's choices. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "isa.h"
#include "vm.h"

#define MEM 64
#define STACK_USED 64
#define MAX_BODY 64
#define MAX_ITEMS 512
#define MAX_SUB 8

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t g8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}
static uint16_t g16(struct rd *r) { return (uint16_t)(g8(r) | g8(r) << 8); }
static uint32_t g32(struct rd *r) { return (uint32_t)g16(r) | (uint32_t)g16(r) << 16; }

/* An immediate: small values and edge values more often than uniform ones. */
static int32_t gimm(struct rd *r)
{
	static const int32_t edges[] = { 0, 1, -1, 2, 7, 8, 31, 32, 63, 64, INT32_MIN, INT32_MAX, 0xff, 0xffff,
					 -2, 16 };
	uint8_t k = g8(r);
	if (k < 96)
		return edges[k % 16];
	if (k < 192)
		return (int8_t)g8(r);
	return (int32_t)g32(r);
}

/* An item: one instruction, before jump targets become offsets. */
struct item {
	struct bpf_insn in[2];
	int slots;
	int target;  /* item index a jump or local call goes to, or -1 */
	int field;   /* 'o' target in off, 'i' in imm */
	size_t pc;   /* slot index, after layout */
	int cont;    /* continues a sequence that must run whole (a helper call
		      * and the setup of its arguments): jumps go to its start */
};

struct prog {
	struct item it[MAX_ITEMS];
	int n;
	int uses_mem_helpers; /* memfrob/strcmp: skipped for the trusted runs */
	int tail_calls;       /* generate bpf_tail_call to itself (prog_array index 0) */
};

static struct item *add(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n >= MAX_ITEMS)
		return NULL;
	struct item *it = &p->it[p->n++];
	memset(it, 0, sizeof(*it));
	it->in[0] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	it->slots = 1;
	it->target = -1;
	return it;
}

static void add_lddw(struct prog *p, uint8_t dst, uint64_t v)
{
	struct item *it = add(p, BPF_LD | BPF_IMM | BPF_DW, dst, 0, 0, (int32_t)(uint32_t)v);
	if (it) {
		it->in[1].imm = (int32_t)(uint32_t)(v >> 32);
		it->slots = 2;
	}
}

static void add_reg_init(struct prog *p, struct rd *r, uint8_t reg)
{
	if (g8(r) & 1)
		add_lddw(p, reg, (uint64_t)g32(r) << 32 | g32(r));
	else
		add(p, BPF_ALU64 | BPF_MOV | BPF_K, reg, 0, 0, gimm(r));
}

/* r1..r5 after a call or packet load; r1/r2 often the memory and its size. */
static void add_scratch_init(struct prog *p, struct rd *r)
{
	uint8_t k = g8(r);
	for (uint8_t reg = 1; reg <= 5; reg++) {
		if (reg == 1 && (k & 1))
			add(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 9, 0, 0);
		else if (reg == 2 && (k & 2))
			add(p, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, g8(r) % (MEM + 1));
		else
			add(p, BPF_ALU64 | BPF_MOV | BPF_K, reg, 0, 0, gimm(r));
	}
}

static unsigned size_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

/* A base register and offset for an access of sz bytes. */
static void pick_addr(struct rd *r, unsigned sz, int aligned, uint8_t *reg, int16_t *off)
{
	uint8_t k = g8(r) % 16;
	if (k < 7) {
		unsigned slots = STACK_USED / sz, o = sz * (1 + g8(r) % slots);
		if (!aligned)
			o = sz + g8(r) % (STACK_USED - sz + 1);
		*reg = 10;
		*off = (int16_t)-(int)o;
	} else if (k < 14) {
		unsigned o = aligned ? sz * (g8(r) % (MEM / sz)) : g8(r) % (MEM - sz + 1);
		*reg = 9;
		*off = (int16_t)o;
	} else {
		*reg = g8(r) % 11;
		*off = (int16_t)g16(r);
	}
}

/* A register the body may write: r0..r8 (r9 is the memory base, r10 the
 * frame pointer). */
static uint8_t wreg(struct rd *r) { return g8(r) % 9; }
static uint8_t anyreg(struct rd *r) { return g8(r) % 11; }

/* One body instruction (or a few) for table row op. first is the index of
 * the first item jumps may go back to; jumps go to items in [first, end) where
 * end is not known yet: forward targets are stored as a distance and fixed
 * up once the body is complete (target = -2 - distance). */
static void gen_row(struct prog *p, struct rd *r, int op, int backward, int first, int has_sub)
{
	const struct isa_row *row = &isa_table[op];
	struct bpf_insn in = { .code = row->code };
	switch (row->disc_kind) {
	case D_OFF: in.off = (int16_t)row->disc_value; break;
	case D_IMM: in.imm = row->disc_value; break;
	case D_SRC: in.src_reg = (uint8_t)row->disc_value; break;
	}
	struct item *it;
	unsigned sz;
	switch (row->shape) {
	case S_ALU_IMM:
		add(p, in.code, wreg(r), 0, in.off, gimm(r));
		break;
	case S_ALU_REG:
		add(p, in.code, wreg(r), anyreg(r), in.off, 0);
		break;
	case S_ALU_UN:
		add(p, in.code, wreg(r), 0, 0, 0);
		break;
	case S_END:
		add(p, in.code, wreg(r), 0, 0, in.imm);
		break;
	case S_LDDW:
		add_lddw(p, wreg(r), (uint64_t)g32(r) << 32 | g32(r));
		break;
	case S_LDABS:
		add(p, in.code, 0, 0, 0, g8(r) < 200 ? g8(r) % (MEM + 4) : gimm(r));
		add_scratch_init(p, r);
		break;
	case S_LDIND:
		add(p, in.code, 0, anyreg(r), 0, g8(r) < 200 ? g8(r) % (MEM + 4) : gimm(r));
		add_scratch_init(p, r);
		break;
	case S_LDX:
	case S_LDACQ: {
		uint8_t base;
		int16_t off;
		pick_addr(r, size_bytes(in.code), row->shape == S_LDACQ, &base, &off);
		add(p, in.code, wreg(r), base, off, in.imm);
		break;
	}
	case S_ST: {
		uint8_t base;
		int16_t off;
		pick_addr(r, size_bytes(in.code), 0, &base, &off);
		add(p, in.code, base, 0, off, gimm(r));
		break;
	}
	case S_STX:
	case S_STREL:
	case S_ATOMIC: {
		uint8_t base, src;
		int16_t off;
		sz = size_bytes(in.code);
		pick_addr(r, sz, row->shape != S_STX, &base, &off);
		/* fetch forms and xchg write src: not r9 or r10 */
		src = (row->shape == S_ATOMIC && (in.imm & BPF_FETCH)) ? wreg(r) : anyreg(r);
		add(p, in.code, base, src, off, in.imm);
		break;
	}
	case S_JA:
	case S_JA32:
	case S_JIMM:
	case S_JREG:
	case S_MAYGOTO: {
		int16_t cmp_off = 0;
		it = add(p, in.code, 0, in.src_reg, 0, 0);
		if (!it)
			break;
		(void)cmp_off;
		if (row->shape == S_JIMM) {
			it->in[0].dst_reg = anyreg(r);
			it->in[0].imm = gimm(r);
		} else if (row->shape == S_JREG) {
			it->in[0].dst_reg = anyreg(r);
			it->in[0].src_reg = anyreg(r);
		}
		it->field = row->shape == S_JA32 ? 'i' : 'o';
		uint8_t k = g8(r);
		int here = p->n - 1;
		if (backward && (k & 0x80) && here > first)
			it->target = first + (int)(g8(r) % (unsigned)(here - first + 1));
		else
			it->target = -2 - (int)(k % 16); /* forward, fixed up later */
		break;
	}
	case S_CALL: {
		static const int32_t ids[] = { 0, 2, 3, 1, 4, 12 };
		int32_t id = ids[g8(r) % (p->tail_calls ? 6 : 5)];
		p->uses_mem_helpers |= id == 1 || id == 4;
		int start = p->n;
		if (id == 12) { /* bpf_tail_call(ctx, progs, 0): the program itself */
			add(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 9, 0, 0);
			struct item *ld = add(p, BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_IDX, 0, 0);
			if (ld)
				ld->slots = 2;
			add(p, BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, g8(r) & 1);
		}
		add(p, in.code, 0, 0, 0, id);
		for (int k = start + 1; k < p->n; k++)
			p->it[k].cont = 1;
		add_scratch_init(p, r);
		break;
	}
	case S_CALLX: { /* bpfvm's callx: the helper whose id is in dst */
		static const int32_t ids[] = { 0, 2, 3, 1, 4, 77 };
		uint8_t reg = 6 + g8(r) % 3;
		int32_t id = ids[g8(r) % 6];
		p->uses_mem_helpers |= id == 1 || id == 4;
		add(p, BPF_ALU64 | BPF_MOV | BPF_K, reg, 0, 0, id);
		struct item *cx = add(p, in.code, reg, 0, 0, 0);
		if (cx)
			cx->cont = 1;
		add_scratch_init(p, r);
		break;
	}
	case S_CALL_LOCAL:
		if (!has_sub)
			break;
		it = add(p, in.code, 0, BPF_PSEUDO_CALL, 0, 0);
		if (it) {
			it->field = 'i';
			it->target = -1000; /* the subprogram, fixed up later */
		}
		add_scratch_init(p, r);
		break;
	case S_EXIT:
		if (g8(r) < 32) /* an early exit, not too often */
			add(p, in.code, 0, 0, 0, 0);
		break;
	default: /* kfunc calls: not generated */
		break;
	}
}

/* The body rows to pick from: every row whose shape gen_row generates. */
static int body_ops[BPFVM_OP__COUNT];
static int nbody_ops;

static void init_ops(void)
{
	for (int op = 0; op < BPFVM_OP__COUNT; op++) {
		int s = isa_table[op].shape;
		if (s == S_CALL_KFUNC)
			continue;
		if (s == S_LDDW && isa_table[op].disc_value != 0)
			continue;
		body_ops[nbody_ops++] = op;
	}
}

/* Builds the program into insns (at most cap slots); returns the slot count. */
static size_t generate(struct rd *r, struct prog *p, struct bpf_insn *insns, size_t cap, int *backward)
{
	uint8_t flags = g8(r);
	*backward = flags & 1;
	const int has_sub = (flags & 2) != 0;
	p->n = 0;
	p->uses_mem_helpers = 0;
	p->tail_calls = (flags & 4) != 0;

	/* prologue */
	add(p, BPF_ALU64 | BPF_MOV | BPF_X, 9, 1, 0, 0);
	add_reg_init(p, r, 0);
	for (uint8_t reg = 2; reg <= 8; reg++)
		add_reg_init(p, r, reg);
	for (int k = 1; k <= STACK_USED / 8; k++)
		add(p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, (int16_t)(-8 * k), gimm(r));

	/* body */
	const int first = p->n;
	int nbody = 1 + g8(r) % MAX_BODY;
	for (int i = 0; i < nbody && p->n < MAX_ITEMS - 16; i++)
		gen_row(p, r, body_ops[g16(r) % nbody_ops], *backward, first, has_sub);
	const int last = p->n;
	add(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	/* subprogram: r0..r5 ALU and forward jumps, then exit */
	int sub = -1;
	if (has_sub) {
		sub = p->n;
		add(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, gimm(r));
		int nsub = g8(r) % MAX_SUB;
		for (int i = 0; i < nsub; i++) {
			int op = body_ops[g16(r) % nbody_ops];
			int s = isa_table[op].shape;
			struct item *it;
			if (s == S_ALU_IMM) {
				it = add(p, isa_table[op].code, g8(r) % 6, 0, 0, gimm(r));
				if (it && isa_table[op].disc_kind == D_OFF)
					it->in[0].off = (int16_t)isa_table[op].disc_value;
			} else if (s == S_ALU_REG) {
				it = add(p, isa_table[op].code, g8(r) % 6, g8(r) % 6, 0, 0);
				if (it && isa_table[op].disc_kind == D_OFF)
					it->in[0].off = (int16_t)isa_table[op].disc_value;
			} else if (s == S_JIMM) {
				it = add(p, isa_table[op].code, g8(r) % 6, 0, 0, gimm(r));
				if (it) {
					it->field = 'o';
					it->target = -2 - (int)(g8(r) % 4);
				}
			}
		}
		add(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}

	/* forward targets: a distance, clamped to the end of the function */
	for (int i = 0; i < p->n; i++) {
		struct item *it = &p->it[i];
		if (it->target == -1000) {
			it->target = sub;
		} else if (it->target <= -2) {
			int end = i < last + 1 ? last : p->n - 1; /* main's exit, or the subprogram's */
			int t = i + 1 + (-2 - it->target);
			it->target = t > end ? end : t;
		}
		while (it->target >= 0 && p->it[it->target].cont)
			it->target--;
	}
	/* layout */
	size_t pc = 0;
	for (int i = 0; i < p->n; i++) {
		p->it[i].pc = pc;
		pc += (size_t)p->it[i].slots;
	}
	if (pc > cap)
		return 0;
	for (int i = 0; i < p->n; i++) {
		struct item *it = &p->it[i];
		if (it->target >= 0) {
			long rel = (long)p->it[it->target].pc - (long)it->pc - 1;
			if (it->field == 'o')
				it->in[0].off = (int16_t)rel;
			else
				it->in[0].imm = (int32_t)rel;
		}
		memcpy(&insns[it->pc], it->in, (size_t)it->slots * sizeof(struct bpf_insn));
	}
	return pc;
}

struct outcome {
	int rc;
	uint64_t r0;
	long insn;
	uint8_t mem[MEM];
	char msg[256];
};

/* Runs on exec ex (the same one for every run, so r10 is the same address)
 * with the memory at buf (the same buffer, reset first, so r1 is too):
 * values derived from pointers then agree between engines. */
static void run(bpfvm_exec *ex, const bpfvm_prog *prog, int engine, uint8_t *buf, const uint8_t *mem0,
		uint64_t budget, struct outcome *o)
{
	memcpy(buf, mem0, MEM);
	struct bpfvm_run_opts ro = { .sz = sizeof(ro), .engine = engine, .mem = buf, .mem_len = MEM,
				     .budget = budget };
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	o->r0 = 0;
	o->rc = bpfvm_exec_run(ex, prog, &ro, &o->r0, &err);
	o->insn = o->rc ? err.insn : -1;
	snprintf(o->msg, sizeof(o->msg), "%s", o->rc ? err.msg : "");
	if (o->rc)
		o->r0 = 0; /* r0 is not defined after a fault */
	memcpy(o->mem, buf, MEM);
}

static void print(const char *what, const struct bpf_insn *insns, size_t n, const struct outcome *a,
		  const struct outcome *b)
{
	fprintf(stderr, "fuzz_jit_diff: %s\n", what);
	fprintf(stderr, "  interp: rc %d r0 0x%016" PRIx64 " insn %ld %s\n", a->rc, a->r0, a->insn, a->msg);
	fprintf(stderr, "  jit:    rc %d r0 0x%016" PRIx64 " insn %ld %s\n", b->rc, b->r0, b->insn, b->msg);
	for (int i = 0; i < MEM; i++)
		if (a->mem[i] != b->mem[i])
			fprintf(stderr, "  mem[%d]: interp 0x%02x jit 0x%02x\n", i, a->mem[i], b->mem[i]);
	for (size_t pc = 0; pc < n;) {
		char buf[160];
		int k = bpfvm_disasm_insn(insns, n, pc, BPFVM_SYNTAX_UBPF, 0, buf, sizeof(buf));
		fprintf(stderr, "  %4zu: %s\n", pc, buf);
		pc += k > 0 ? (size_t)k : 1;
	}
}

static void report(const char *what, const struct bpf_insn *insns, size_t n, const struct outcome *a,
		   const struct outcome *b)
{
	print(what, insns, n, a, b);
	abort();
}

static void compare(const char *what, const struct bpf_insn *insns, size_t n, const struct outcome *a,
		    const struct outcome *b)
{
	if (a->rc != b->rc || a->r0 != b->r0 || a->insn != b->insn || memcmp(a->mem, b->mem, MEM) != 0)
		report(what, insns, n, a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct prog p;
	static struct bpf_insn insns[MAX_ITEMS * 2];
	if (!nbody_ops)
		init_ops();
	if (!bpfvm_jit_available())
		return 0;
	if (size < MEM + 2)
		return 0;
	uint8_t mem[MEM];
	memcpy(mem, data, MEM);
	struct rd r = { data + MEM, size - MEM };
	uint8_t b = g8(&r);
	uint64_t budget = b < 32 ? 1 + g16(&r) % 512 : 0;
	int backward;
	size_t n = generate(&r, &p, insns, sizeof(insns) / sizeof(insns[0]), &backward);
	if (n == 0)
		return 0;
	if (!budget) /* loops meet the budget: keep them short */
		budget = backward ? 10000 : 100000;

	bpfvm_env *env = bpfvm_env_new();
	bpfvm_exec *ex = env ? bpfvm_exec_new(env) : NULL;
	uint8_t *buf = malloc(MEM);
	if (!env || !ex || !buf)
		goto out;
	vm_register_conformance_helpers(env);
	struct bpfvm_map_opts mo = { .sz = sizeof(mo), .name = "progs", .type = BPF_MAP_TYPE_PROG_ARRAY,
				     .key_size = 4, .value_size = 4, .max_entries = 1 };
	int progs_fd = bpfvm_map_create(env, &mo);
	if (progs_fd < 0)
		goto out;
	bpfvm_map *progs = bpfvm_map_from_fd(env, progs_fd);
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .name = "diff", .flags = BPFVM_PROG_F_JIT | BPFVM_PROG_F_NO_VERIFY,
				      .fd_array = &progs_fd, .fd_array_len = 1 };
	const uint32_t key0 = 0;
	struct bpfvm_error err;
	bpfvm_prog *prog = NULL;
	int rc = bpfvm_prog_load(env, insns, n, &po, &prog, &err);
	if (rc == BPFVM_EUNSUPP)
		goto out;
	if (rc != 0) {
		struct outcome none = { .rc = rc, .insn = err.insn };
		snprintf(none.msg, sizeof(none.msg), "load: %s", err.msg);
		report("a generated program does not load", insns, n, &none, &none);
	}
	int pfd = bpfvm_prog_fd(prog);
	bpfvm_map_update(progs, &key0, &pfd, BPF_ANY);
	struct outcome oi, oj;
	run(ex, prog, BPFVM_ENGINE_INTERP, buf, mem, budget, &oi);
	run(ex, prog, BPFVM_ENGINE_JIT, buf, mem, budget, &oj);
	if (getenv("FUZZ_JIT_DIFF_SHOW")) /* to look at what the generator makes */
		print("checked runs", insns, n, &oi, &oj);
	compare("checked runs differ", insns, n, &oi, &oj);
	bpfvm_prog_free(prog);
	prog = NULL;

	if (oi.rc == 0 && !p.uses_mem_helpers) {
		po.flags = BPFVM_PROG_F_JIT | BPFVM_PROG_F_TRUSTED;
		if (bpfvm_prog_load(env, insns, n, &po, &prog, &err) == 0) {
			struct outcome ti, tj;
			pfd = bpfvm_prog_fd(prog);
			bpfvm_map_update(progs, &key0, &pfd, BPF_ANY);
			run(ex, prog, BPFVM_ENGINE_INTERP, buf, mem, budget, &ti);
			run(ex, prog, BPFVM_ENGINE_JIT, buf, mem, budget, &tj);
			compare("trusted interpreter differs from the checked one", insns, n, &oi, &ti);
			compare("trusted runs differ", insns, n, &ti, &tj);
			bpfvm_prog_free(prog);
		}
	}
out:
	bpfvm_exec_free(ex);
	bpfvm_env_free(env);
	free(buf);
	return 0;
}
