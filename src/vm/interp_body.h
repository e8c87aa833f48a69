/* interp_body.h - the interpreter's one body. interp.c includes it twice:
 * with VM_CHECKED 0 (trusted code: no bounds checks, no budget) and with
 * VM_CHECKED 1 (every memory access checked against the run's regions, an
 * instruction budget, tracing). Dispatch is computed goto on GCC/Clang and a
 * switch elsewhere; the handler labels come from opcodes.def, so a row without
 * semantics here is a compile error. */

int VM_FN(bpfvm_exec *ex, uint64_t regs[11], size_t start_pc, int base_depth, uint64_t *r0_out)
{
#if VM_COMPUTED_GOTO
	static const void *const labels[BPFVM_OP__COUNT] = {
#define INSN(id, ...) [BPFVM_OP_##id] = &&L_##id,
#include "opcodes.def"
#undef INSN
	};
#define OP(id) L_##id
#define DISPATCH_TO() goto *labels[o->op]
#else
#define OP(id) case BPFVM_OP_##id
#define DISPATCH_TO() goto dispatch
#endif

#if VM_CHECKED
#define DISPATCH() do { \
		if (vm_unlikely(ex->budget == 0)) goto out_of_budget; \
		ex->budget--; \
		o = &ops[pc]; \
		if (vm_unlikely(ex->trace != NULL)) ex->trace(ex->trace_cookie, pc, &ex->prog->insns[pc], r); \
		DISPATCH_TO(); \
	} while (0)
#define CHECK(addr, size, write) do { \
		if (vm_unlikely(!vm_region_ok(ex, (addr), (size), (write)))) \
			return vm_fault(ex, BPFVM_EFAULT, pc, "invalid memory access: %s of %d bytes at 0x%" PRIx64 \
					" is outside the program's memory", (write) ? "write" : "read", (int)(size), \
					(uint64_t)(addr)); \
	} while (0)
/* Frames grow upwards in ex->stack: a frame may reach its own and its
 * callers' stacks (through pointers), never the free frames above r10. The
 * stack is region 0. */
#define STACK_TOP(top) (ex->regions[0].end = (top))
#else
#define DISPATCH() do { o = &ops[pc]; DISPATCH_TO(); } while (0)
#define CHECK(addr, size, write) do { } while (0)
#define STACK_TOP(top) do { } while (0)
#endif

#define NEXT() do { pc++; DISPATCH(); } while (0)
#define JUMP() do { pc = (size_t)o->off; DISPATCH(); } while (0)
#define DST r[o->dst]
#define SRC r[o->src]
#define IMM o->imm
#define ADDR(base) ((base) + (uint64_t)(int64_t)o->off)
#define PTR(a) ((void *)(uintptr_t)(a))

	const struct vm_op *ops = ex->prog->ops; /* changes on tail calls */
	const struct vm_op *o;
	uint64_t r[11];
	size_t pc = start_pc;
	int depth = base_depth;
	memcpy(r, regs, sizeof(r));
	STACK_TOP(r[10]);

	DISPATCH();
#if !VM_COMPUTED_GOTO
dispatch:
	switch (o->op) {
#endif

	/* ---- ALU: dst op= src/imm, 64-bit and 32-bit (zero-extended) ---- */
#define ALU_BINARY(NAME, op) \
	OP(NAME##64_IMM): DST = DST op IMM; NEXT(); \
	OP(NAME##64_REG): DST = DST op SRC; NEXT(); \
	OP(NAME##32_IMM): DST = (uint32_t)((uint32_t)DST op (uint32_t)IMM); NEXT(); \
	OP(NAME##32_REG): DST = (uint32_t)((uint32_t)DST op (uint32_t)SRC); NEXT();
	ALU_BINARY(ADD, +)
	ALU_BINARY(SUB, -)
	ALU_BINARY(MUL, *)
	ALU_BINARY(OR, |)
	ALU_BINARY(AND, &)
	ALU_BINARY(XOR, ^)
#undef ALU_BINARY

#define ALU_CALL(NAME, f64, f32) \
	OP(NAME##64_IMM): DST = f64(DST, IMM); NEXT(); \
	OP(NAME##64_REG): DST = f64(DST, SRC); NEXT(); \
	OP(NAME##32_IMM): DST = f32((uint32_t)DST, (uint32_t)IMM); NEXT(); \
	OP(NAME##32_REG): DST = f32((uint32_t)DST, (uint32_t)SRC); NEXT();
	ALU_CALL(LSH, vm_lsh64, vm_lsh32)
	ALU_CALL(RSH, vm_rsh64, vm_rsh32)
	ALU_CALL(ARSH, vm_arsh64, vm_arsh32)
	ALU_CALL(DIV, vm_div64, vm_div32)
	ALU_CALL(MOD, vm_mod64, vm_mod32)
	ALU_CALL(SDIV, vm_sdiv64, vm_sdiv32)
	ALU_CALL(SMOD, vm_smod64, vm_smod32)
#undef ALU_CALL

	OP(MOV64_IMM): DST = IMM; NEXT();
	OP(MOV64_REG): DST = SRC; NEXT();
	OP(MOV32_IMM): DST = (uint32_t)IMM; NEXT();
	OP(MOV32_REG): DST = (uint32_t)SRC; NEXT();
	OP(MOVSX64_8): DST = (uint64_t)(int64_t)(int8_t)SRC; NEXT();
	OP(MOVSX64_16): DST = (uint64_t)(int64_t)(int16_t)SRC; NEXT();
	OP(MOVSX64_32): DST = (uint64_t)(int64_t)(int32_t)SRC; NEXT();
	OP(MOVSX32_8): DST = (uint32_t)(int32_t)(int8_t)SRC; NEXT();
	OP(MOVSX32_16): DST = (uint32_t)(int32_t)(int16_t)SRC; NEXT();
	OP(NEG64): DST = -DST; NEXT();
	OP(NEG32): DST = (uint32_t)-(uint32_t)DST; NEXT();

	/* byte order: the host is little-endian (checked in interp.c) */
	OP(LE16): DST = (uint16_t)DST; NEXT();
	OP(LE32): DST = (uint32_t)DST; NEXT();
	OP(LE64): NEXT();
	OP(BE16): OP(BSWAP16): DST = __builtin_bswap16((uint16_t)DST); NEXT();
	OP(BE32): OP(BSWAP32): DST = __builtin_bswap32((uint32_t)DST); NEXT();
	OP(BE64): OP(BSWAP64): DST = __builtin_bswap64(DST); NEXT();

	/* ---- 64-bit immediates; pseudo sources were resolved at load ---- */
	OP(LDDW): OP(LDDW_MAP_FD): OP(LDDW_MAP_VALUE): OP(LDDW_BTF_ID): OP(LDDW_FUNC): OP(LDDW_MAP_IDX):
	OP(LDDW_MAP_IDX_VALUE):
		DST = IMM;
		pc += 2;
		DISPATCH();

	/* ---- legacy packet loads: network byte order; out of bounds ends the program with r0 = 0 ---- */
#define PKT_LOAD(id, size, offexpr) \
	OP(id): { \
		uint32_t v; \
		if (vm_unlikely(vm_pkt_load(ex, (int32_t)(offexpr), size, &v))) { \
			*r0_out = 0; \
			return 0; \
		} \
		r[0] = v; \
	} NEXT();
	PKT_LOAD(LDABS_B, 1, IMM)
	PKT_LOAD(LDABS_H, 2, IMM)
	PKT_LOAD(LDABS_W, 4, IMM)
	PKT_LOAD(LDIND_B, 1, (uint32_t)(SRC + IMM))
	PKT_LOAD(LDIND_H, 2, (uint32_t)(SRC + IMM))
	PKT_LOAD(LDIND_W, 4, (uint32_t)(SRC + IMM))
#undef PKT_LOAD

	/* ---- loads and stores ---- */
#define LOAD(id, type, ext) \
	OP(id): { \
		uint64_t a = ADDR(SRC); \
		type v; \
		CHECK(a, sizeof(type), 0); \
		memcpy(&v, PTR(a), sizeof(v)); \
		DST = (uint64_t)(ext)v; \
	} NEXT();
	LOAD(LDX_B, uint8_t, uint64_t)
	LOAD(LDX_H, uint16_t, uint64_t)
	LOAD(LDX_W, uint32_t, uint64_t)
	LOAD(LDX_DW, uint64_t, uint64_t)
	LOAD(LDXS_B, int8_t, int64_t)
	LOAD(LDXS_H, int16_t, int64_t)
	LOAD(LDXS_W, int32_t, int64_t)
#undef LOAD

#define STORE(id, type, value) \
	OP(id): { \
		uint64_t a = ADDR(DST); \
		type v = (type)(value); \
		CHECK(a, sizeof(type), 1); \
		memcpy(PTR(a), &v, sizeof(v)); \
	} NEXT();
	STORE(ST_B, uint8_t, IMM)
	STORE(ST_H, uint16_t, IMM)
	STORE(ST_W, uint32_t, IMM)
	STORE(ST_DW, uint64_t, IMM)
	STORE(STX_B, uint8_t, SRC)
	STORE(STX_H, uint16_t, SRC)
	STORE(STX_W, uint32_t, SRC)
	STORE(STX_DW, uint64_t, SRC)
#undef STORE

	/* ---- atomics (sequentially consistent, as the kernel's) ---- */
#define ATOMIC_RMW(NAME, SZ, type, builtin) \
	OP(ATOMIC_##NAME##_##SZ): { \
		uint64_t a = ADDR(DST); \
		CHECK(a, sizeof(type), 1); \
		builtin((type *)PTR(a), (type)SRC, __ATOMIC_SEQ_CST); \
	} NEXT(); \
	OP(ATOMIC_FETCH_##NAME##_##SZ): { \
		uint64_t a = ADDR(DST); \
		CHECK(a, sizeof(type), 1); \
		SRC = (uint64_t)builtin((type *)PTR(a), (type)SRC, __ATOMIC_SEQ_CST); \
	} NEXT();
#define ATOMIC_SIZE(SZ, type) \
	ATOMIC_RMW(ADD, SZ, type, __atomic_fetch_add) \
	ATOMIC_RMW(OR, SZ, type, __atomic_fetch_or) \
	ATOMIC_RMW(AND, SZ, type, __atomic_fetch_and) \
	ATOMIC_RMW(XOR, SZ, type, __atomic_fetch_xor) \
	OP(ATOMIC_XCHG_##SZ): { \
		uint64_t a = ADDR(DST); \
		CHECK(a, sizeof(type), 1); \
		SRC = (uint64_t)__atomic_exchange_n((type *)PTR(a), (type)SRC, __ATOMIC_SEQ_CST); \
	} NEXT(); \
	OP(ATOMIC_CMPXCHG_##SZ): { \
		uint64_t a = ADDR(DST); \
		type expected = (type)r[0]; \
		CHECK(a, sizeof(type), 1); \
		__atomic_compare_exchange_n((type *)PTR(a), &expected, (type)SRC, 0, __ATOMIC_SEQ_CST, \
					    __ATOMIC_SEQ_CST); \
		r[0] = (uint64_t)expected; \
	} NEXT();
	ATOMIC_SIZE(W, uint32_t)
	ATOMIC_SIZE(DW, uint64_t)
#undef ATOMIC_SIZE
#undef ATOMIC_RMW

#define ACQ_REL(SZ, type) \
	OP(LOAD_ACQ_##SZ): { \
		uint64_t a = ADDR(SRC); \
		CHECK(a, sizeof(type), 0); \
		DST = (uint64_t)__atomic_load_n((type *)PTR(a), __ATOMIC_ACQUIRE); \
	} NEXT(); \
	OP(STORE_REL_##SZ): { \
		uint64_t a = ADDR(DST); \
		CHECK(a, sizeof(type), 1); \
		__atomic_store_n((type *)PTR(a), (type)SRC, __ATOMIC_RELEASE); \
	} NEXT();
	ACQ_REL(B, uint8_t)
	ACQ_REL(H, uint16_t)
	ACQ_REL(W, uint32_t)
	ACQ_REL(DW, uint64_t)
#undef ACQ_REL

	/* ---- jumps: 64-bit and 32-bit comparisons, unsigned and signed ---- */
#define JMP_FAMILY(NAME, T64, T32, cmp) \
	OP(NAME##_IMM): if ((T64)DST cmp (T64)IMM) JUMP(); NEXT(); \
	OP(NAME##_REG): if ((T64)DST cmp (T64)SRC) JUMP(); NEXT(); \
	OP(NAME##32_IMM): if ((T32)DST cmp (T32)IMM) JUMP(); NEXT(); \
	OP(NAME##32_REG): if ((T32)DST cmp (T32)SRC) JUMP(); NEXT();
	JMP_FAMILY(JEQ, uint64_t, uint32_t, ==)
	JMP_FAMILY(JNE, uint64_t, uint32_t, !=)
	JMP_FAMILY(JGT, uint64_t, uint32_t, >)
	JMP_FAMILY(JGE, uint64_t, uint32_t, >=)
	JMP_FAMILY(JLT, uint64_t, uint32_t, <)
	JMP_FAMILY(JLE, uint64_t, uint32_t, <=)
	JMP_FAMILY(JSET, uint64_t, uint32_t, &)
	JMP_FAMILY(JSGT, int64_t, int32_t, >)
	JMP_FAMILY(JSGE, int64_t, int32_t, >=)
	JMP_FAMILY(JSLT, int64_t, int32_t, <)
	JMP_FAMILY(JSLE, int64_t, int32_t, <=)
#undef JMP_FAMILY
	OP(JA): OP(JA32): JUMP();
	OP(MAY_GOTO):
		if (ex->may_goto == 0)
			JUMP();
		ex->may_goto--;
		NEXT();

	/* ---- calls ---- */
	OP(CALL): {
		const struct vm_helper *h = (const struct vm_helper *)(uintptr_t)IMM;
		ex->helper = h;
		ex->depth = depth;
		r[0] = h->fn(r[1], r[2], r[3], r[4], r[5], ex);
		if (vm_unlikely(ex->stopped)) {
			*r0_out = ex->stop_r0;
			return ex->stopped > 1 ? ex->err->code : 0; /* 2: vm_exec_abort after a fault */
		}
		if (vm_unlikely(ex->tail_prog != NULL)) {
			/* bpf_tail_call succeeded: continue in the target program
			 * with the same frame and r1 = ctx; nothing returns here. */
			ex->prog = ex->tail_prog;
			ex->tail_prog = NULL;
			ops = ex->prog->ops;
			r[1] = ex->tail_ctx;
			pc = 0;
			DISPATCH();
		}
	} NEXT();
	OP(CALLX): {
		const struct vm_helper *h = DST <= UINT32_MAX ? vm_env_helper(ex->prog->env, (uint32_t)DST) : NULL;
		if (!h)
			return vm_fault(ex, BPFVM_EHELPER, pc, "callx to unknown helper %" PRIu64 " (r%d)", DST, o->dst);
		ex->helper = h;
		ex->depth = depth;
		r[0] = h->fn(r[1], r[2], r[3], r[4], r[5], ex);
		if (vm_unlikely(ex->stopped)) {
			*r0_out = ex->stop_r0;
			return ex->stopped > 1 ? ex->err->code : 0; /* 2: vm_exec_abort after a fault */
		}
	} NEXT();
	OP(CALL_KFUNC):
		return vm_fault(ex, BPFVM_EUNSUPP, pc, "kernel function calls are not available");
	OP(CALL_LOCAL): {
		if (vm_unlikely(depth >= BPFVM_MAX_CALL_DEPTH))
			return vm_fault(ex, BPFVM_ESTACK, pc, "call depth exceeds %d frames", BPFVM_MAX_CALL_DEPTH);
		struct vm_frame *f = &ex->frames[depth++];
		memcpy(f->saved, &r[6], sizeof(f->saved));
		f->saved_r10 = r[10];
		f->ret_pc = pc + 1;
		r[10] = (uint64_t)(uintptr_t)(ex->stack + (size_t)(depth + 1) * BPFVM_STACK_SIZE);
		STACK_TOP(r[10]);
		JUMP();
	}
	OP(EXIT):
		if (depth == base_depth) {
			*r0_out = r[0];
			return 0;
		} else {
			struct vm_frame *f = &ex->frames[--depth];
			memcpy(&r[6], f->saved, sizeof(f->saved));
			r[10] = f->saved_r10;
			STACK_TOP(r[10]);
			pc = f->ret_pc;
			DISPATCH();
		}

#if !VM_COMPUTED_GOTO
	default:
		return vm_fault(ex, BPFVM_EDECODE, pc, "internal error: no handler for op %u", o->op);
	}
#endif

#if VM_CHECKED
out_of_budget:
	return vm_fault(ex, BPFVM_EBUDGET, pc, "instruction budget exhausted (possible infinite loop)");
#endif

#undef OP
#undef DISPATCH_TO
#undef DISPATCH
#undef CHECK
#undef STACK_TOP
#undef NEXT
#undef JUMP
#undef DST
#undef SRC
#undef IMM
#undef ADDR
#undef PTR
}
