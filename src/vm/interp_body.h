/* interp_body.h - the interpreter's one body. interp.c includes it twice:
 * with VM_CHECKED 0 (trusted code: no bounds checks, no budget) and with
 * VM_CHECKED 1 (every memory access checked against the run's regions, an
 * instruction budget, tracing). Dispatch is computed goto on GCC/Clang and a
 * switch elsewhere; the handler labels come from opcodes.def, so a row without
 * semantics here is a compile error.
 *
 * Speed tricks (each explained where it is done):
 * - the program counter is a pointer into the pre-decoded ops, not an index;
 * - trusted: direct threading (each op holds its handler's address, set at
 *   load by vm_interp_predecode from the label table this function hands
 *   out) and fused handlers for common sequences (VM_FUSED kinds, interp.c);
 * - checked: the budget and the trace hook in locals, and memory checks that
 *   try the live stack and the last region that allowed an access inline
 *   before walking every region. */

int VM_FN(bpfvm_exec *ex, uint64_t regs[11], size_t start_pc, int base_depth, uint64_t *r0_out)
{
#if VM_COMPUTED_GOTO
#if VM_CHECKED
	static const void *const labels[BPFVM_OP__COUNT] = {
#define INSN(id, ...) [BPFVM_OP_##id] = &&L_##id,
#include "opcodes.def"
#undef INSN
	};
	/* the checked body dispatches through the table on the plain op */
#define DISPATCH_TO() goto *labels[o->op]
#else
	/* Slots VM_FUSED(kind, op) hold the fused handlers (interp.c); a NULL
	 * slot means that fusion does not exist for that op. */
	static const void *const labels[VM_FUSED_TABLE] = {
#define INSN(id, ...) [BPFVM_OP_##id] = &&L_##id,
#include "opcodes.def"
#undef INSN
#define FUSED_LABEL(kind, id) [VM_FUSED(VM_K_##kind, BPFVM_OP_##id)] = &&F_##kind##_##id,
		VM_FUSED_LIST(FUSED_LABEL)
#undef FUSED_LABEL
	};
#define PAIR_LABEL2(id1, f1, k1, id2, f2, k2) [VM_PAIR_I_##id2] = &&F_PAIR_##id1##_##id2,
#define PAIR_LABEL(id1, f1, k1) [VM_PAIR_I_##id1] = { VM_PAIR_SECOND(PAIR_LABEL2, id1, f1, k1) },
	static const void *const pairs[VM_PAIR_N][VM_PAIR_N] = { VM_PAIR_FIRST(PAIR_LABEL) };
#undef PAIR_LABEL
#undef PAIR_LABEL2
	static const struct interp_tables tables = { labels, pairs };
	/* Load-time query (vm_interp_predecode): hand out the label tables.
	 * The label addresses exist only inside this function. */
	if (vm_unlikely(ex == NULL)) {
		*r0_out = (uint64_t)(uintptr_t)&tables;
		return 0;
	}
	/* direct threading: the handler address is in the op itself */
#define DISPATCH_TO() goto *o->fast
#endif
#define OP(id) L_##id
#else
#define OP(id) case BPFVM_OP_##id
#define DISPATCH_TO() goto dispatch
#endif

	const struct vm_op *ops = ex->prog->ops; /* changes on tail calls */
	const struct vm_op *o = ops + start_pc;   /* the program counter */
	uint64_t r[11];
	int depth = base_depth;
	memcpy(r, regs, sizeof(r));
#define PC ((size_t)(o - ops))

#if VM_CHECKED
	/* Budget and trace hook in locals: no load and store of ex->budget per
	 * instruction. ex->budget is brought up to date before anything that
	 * may run BPF code of its own (helpers: callbacks, the JIT's fallback)
	 * and on every return; the nested run leaves it there for us. */
	uint64_t budget = ex->budget;
	const bpfvm_trace_fn trace = ex->trace;
	/* The live stack [stack_lo, stack_top) is region 0; checked inline. */
	const uint64_t stack_lo = (uint64_t)(uintptr_t)ex->stack;
	uint64_t stack_top;
	/* The last region (never the stack) that allowed a read / a write;
	 * forgotten at every helper call (the only way memory goes away). */
	struct region_cache rc = { 0, 0, 0, 0 };
#define RETURN(x) do { ex->budget = budget; return (x); } while (0)
#define DISPATCH() do { \
		if (vm_unlikely(budget == 0)) goto out_of_budget; \
		budget--; \
		if (vm_unlikely(trace != NULL)) trace(ex->trace_cookie, PC, &ex->prog->insns[PC], r); \
		DISPATCH_TO(); \
	} while (0)
	/* inline: the live stack, then the remembered region; else the full
	 * walk (check_slow), which also remembers what it found */
#define CHECK(addr, size, write) do { \
		uint64_t a_ = (addr); \
		if (vm_likely(a_ - stack_lo <= stack_top - stack_lo - (size))) \
			break; \
		if (!(write) && a_ - rc.rd_lo < rc.rd_len && a_ - rc.rd_lo + (size) <= rc.rd_len) \
			break; \
		if ((write) && a_ - rc.wr_lo < rc.wr_len && a_ - rc.wr_lo + (size) <= rc.wr_len) \
			break; \
		if (vm_unlikely(!check_slow(ex, a_, (size), (write), &rc))) \
			RETURN(vm_fault(ex, BPFVM_EFAULT, PC, "invalid memory access: %s of %d bytes at 0x%" PRIx64 \
					" is outside the program's memory", (write) ? "write" : "read", (int)(size), a_)); \
	} while (0)
/* Frames grow upwards in ex->stack: a frame may reach its own and its
 * callers' stacks (through pointers), never the free frames above r10. The
 * stack is region 0 (helpers check their pointers against it). */
#define STACK_TOP(top) (stack_top = ex->regions[0].end = (top))
#define HELPER_BEGIN() (ex->budget = budget)
#define HELPER_END() (budget = ex->budget, rc = (struct region_cache){ 0, 0, 0, 0 })
#else
#define RETURN(x) return (x)
#define DISPATCH() DISPATCH_TO()
#define CHECK(addr, size, write) do { } while (0)
#define STACK_TOP(top) do { } while (0)
#define HELPER_BEGIN() do { } while (0)
#define HELPER_END() do { } while (0)
#endif

#define NEXT() do { o++; DISPATCH(); } while (0)
#define JUMP() do { o = ops + o->off; DISPATCH(); } while (0)
#define DST r[o->dst]
#define SRC r[o->src]
#define IMM o->imm
#define ADDR(base) ((base) + (uint64_t)(int64_t)o->off)
#define PTR(a) ((void *)(uintptr_t)(a))

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
		o += 2;
		DISPATCH();

	/* ---- legacy packet loads: network byte order; out of bounds ends the program with r0 = 0 ---- */
#define PKT_LOAD(id, size, offexpr) \
	OP(id): { \
		uint32_t v; \
		if (vm_unlikely(vm_pkt_load(ex, (int32_t)(offexpr), size, &v))) { \
			*r0_out = 0; \
			RETURN(0); \
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
		HELPER_BEGIN();
		r[0] = h->fn(r[1], r[2], r[3], r[4], r[5], ex);
		HELPER_END();
		if (vm_unlikely(ex->stopped)) {
			*r0_out = ex->stop_r0;
			RETURN(ex->stopped > 1 ? ex->err->code : 0); /* 2: vm_exec_abort after a fault */
		}
		if (vm_unlikely(ex->tail_prog != NULL)) {
			/* bpf_tail_call succeeded: continue in the target program
			 * with the same frame and r1 = ctx; nothing returns here. */
			ex->prog = ex->tail_prog;
			ex->tail_prog = NULL;
			ops = ex->prog->ops;
			r[1] = ex->tail_ctx;
			o = ops;
			DISPATCH();
		}
	} NEXT();
	OP(CALLX): {
		const struct vm_helper *h = DST <= UINT32_MAX ? vm_env_helper(ex->prog->env, (uint32_t)DST) : NULL;
		if (!h)
			RETURN(vm_fault(ex, BPFVM_EHELPER, PC, "callx to unknown helper %" PRIu64 " (r%d)", DST, o->dst));
		ex->helper = h;
		ex->depth = depth;
		HELPER_BEGIN();
		r[0] = h->fn(r[1], r[2], r[3], r[4], r[5], ex);
		HELPER_END();
		if (vm_unlikely(ex->stopped)) {
			*r0_out = ex->stop_r0;
			RETURN(ex->stopped > 1 ? ex->err->code : 0); /* 2: vm_exec_abort after a fault */
		}
	} NEXT();
	OP(CALL_KFUNC):
		RETURN(vm_fault(ex, BPFVM_EUNSUPP, PC, "kernel function calls are not available"));
	OP(CALL_LOCAL): {
		if (vm_unlikely(depth >= BPFVM_MAX_CALL_DEPTH))
			RETURN(vm_fault(ex, BPFVM_ESTACK, PC, "call depth exceeds %d frames", BPFVM_MAX_CALL_DEPTH));
		struct vm_frame *f = &ex->frames[depth++];
		memcpy(f->saved, &r[6], sizeof(f->saved));
		f->saved_r10 = r[10];
		f->ret = o + 1;
		r[10] = (uint64_t)(uintptr_t)(ex->stack + (size_t)(depth + 1) * BPFVM_STACK_SIZE);
		STACK_TOP(r[10]);
		JUMP();
	}
	OP(EXIT):
		if (depth == base_depth) {
			*r0_out = r[0];
			RETURN(0);
		} else {
			struct vm_frame *f = &ex->frames[--depth];
			memcpy(&r[6], f->saved, sizeof(f->saved));
			r[10] = f->saved_r10;
			STACK_TOP(r[10]);
			o = f->ret;
			DISPATCH();
		}

#if VM_COMPUTED_GOTO && !VM_CHECKED
	/* ---- fused handlers (trusted only; chosen by vm_interp_predecode) ----
	 * Each runs two or three consecutive instructions o[0], o[1], o[2] with
	 * their own decoded fields, in order, exactly as the plain handlers
	 * would, with one dispatch instead of two or three. Only instructions
	 * that cannot fault or stop the run are fused. */
#define D(i) r[o[i].dst]
#define S(i) r[o[i].src]
#define I(i) o[i].imm

	/* "rA = rB; rA op= rC/imm": clang's three-operand idiom (the ALU's
	 * destination is rA, checked at load). rB is read once and kept in a
	 * host register; rC is rB's value when it names rA itself. */
#define FUSE_MOV_ALU(NAME, f) \
	F_MOVR_##NAME##64_REG: { \
		uint64_t x = S(0); \
		uint64_t y = o[1].src == o[0].dst ? x : S(1); \
		D(0) = f(x, y); \
	} o += 2; DISPATCH(); \
	F_MOVR_##NAME##64_IMM: D(0) = f(S(0), I(1)); o += 2; DISPATCH();
	VM_FUSE_ALU64(FUSE_MOV_ALU)
#undef FUSE_MOV_ALU

	/* "rA = rB; rA += rC; rD = *(size *)(rA + off)": an indexed load (BPF
	 * has no indexed addressing). The add's destination and the load's
	 * source are rA (checked at load); rA keeps the sum. */
#define FUSE_IDX_LOAD(id, type) \
	F_IDXLD_##id: { \
		uint64_t x = S(0); \
		uint64_t a = x + (o[1].src == o[0].dst ? x : S(1)); \
		type v; \
		D(0) = a; \
		memcpy(&v, PTR(a + (uint64_t)(int64_t)o[2].off), sizeof(v)); \
		D(2) = v; \
	} o += 3; DISPATCH();
	FUSE_IDX_LOAD(LDX_B, uint8_t)
	FUSE_IDX_LOAD(LDX_H, uint16_t)
	FUSE_IDX_LOAD(LDX_W, uint32_t)
	FUSE_IDX_LOAD(LDX_DW, uint64_t)
#undef FUSE_IDX_LOAD

	/* "rA op1= x; rA op2= y" (interp.c, VM_PAIR_FIRST): y is the
	 * intermediate value when it names rA itself. */
#define OPND_KIMM(i) I(i)
#define OPND_KREG(i) S(i)
#define OPND2_KIMM(v) I(1)
#define OPND2_KREG(v) (o[1].src == o[0].dst ? (v) : S(1))
#define FUSE_PAIR2(id1, f1, k1, id2, f2, k2) \
	F_PAIR_##id1##_##id2: { \
		uint64_t v = f1(D(0), OPND_##k1(0)); \
		D(0) = f2(v, OPND2_##k2(v)); \
	} o += 2; DISPATCH();
#define FUSE_PAIR(id1, f1, k1) VM_PAIR_SECOND(FUSE_PAIR2, id1, f1, k1)
	VM_PAIR_FIRST(FUSE_PAIR)
#undef FUSE_PAIR
#undef FUSE_PAIR2
#undef OPND_KIMM
#undef OPND_KREG
#undef OPND2_KIMM
#undef OPND2_KREG

	/* Conditional jumps with what precedes or follows them:
	 * JA:     "if cond goto T; goto U" (a loop's back edge): one two-way jump
	 * ADDI:   "rA += imm; if rA cond goto T" (a loop counter; the jump tests
	 *         rA, checked at load, so the sum is compared from a host register)
	 * ADDIJA: both
	 * MOVI:   "rA = imm; if cond goto T" (a return value set before a test;
	 *         plain sequential semantics, any registers) */
#define COND(lhs, T, cmp, rhs) ((T)(lhs) cmp (T)(rhs))
#define FUSE_JMP(id, T, cmp, rhs0, rhs1) \
	F_JA_##id: \
		o = ops + (COND(D(0), T, cmp, rhs0) ? o[0].off : o[1].off); \
		DISPATCH(); \
	F_ADDI_##id: { \
		uint64_t v = D(0) + I(0); \
		D(0) = v; \
		if (COND(v, T, cmp, rhs1)) { o = ops + o[1].off; DISPATCH(); } \
	} o += 2; DISPATCH(); \
	F_ADDIJA_##id: { \
		uint64_t v = D(0) + I(0); \
		D(0) = v; \
		o = ops + (COND(v, T, cmp, rhs1) ? o[1].off : o[2].off); \
	} DISPATCH(); \
	F_MOVI_##id: \
		D(0) = I(0); \
		if (COND(D(1), T, cmp, rhs1)) { o = ops + o[1].off; DISPATCH(); } \
		o += 2; DISPATCH();
#define FUSE_JMP_FAMILY(NAME, T64, T32, cmp) \
	FUSE_JMP(NAME##_IMM, T64, cmp, I(0), I(1)) \
	FUSE_JMP(NAME##_REG, T64, cmp, S(0), S(1)) \
	FUSE_JMP(NAME##32_IMM, T32, cmp, I(0), I(1)) \
	FUSE_JMP(NAME##32_REG, T32, cmp, S(0), S(1))
	FUSE_JMP_FAMILY(JEQ, uint64_t, uint32_t, ==)
	FUSE_JMP_FAMILY(JNE, uint64_t, uint32_t, !=)
	FUSE_JMP_FAMILY(JGT, uint64_t, uint32_t, >)
	FUSE_JMP_FAMILY(JGE, uint64_t, uint32_t, >=)
	FUSE_JMP_FAMILY(JLT, uint64_t, uint32_t, <)
	FUSE_JMP_FAMILY(JLE, uint64_t, uint32_t, <=)
	FUSE_JMP_FAMILY(JSET, uint64_t, uint32_t, &)
	FUSE_JMP_FAMILY(JSGT, int64_t, int32_t, >)
	FUSE_JMP_FAMILY(JSGE, int64_t, int32_t, >=)
	FUSE_JMP_FAMILY(JSLT, int64_t, int32_t, <)
	FUSE_JMP_FAMILY(JSLE, int64_t, int32_t, <=)
#undef FUSE_JMP_FAMILY
#undef FUSE_JMP
#undef COND
#undef D
#undef S
#undef I
#endif

#if !VM_COMPUTED_GOTO
	default:
		RETURN(vm_fault(ex, BPFVM_EDECODE, PC, "internal error: no handler for op %u", o->op));
	}
#endif

#if VM_CHECKED
out_of_budget:
	budget = 0;
	RETURN(vm_fault(ex, BPFVM_EBUDGET, PC, "instruction budget exhausted (possible infinite loop)"));
#endif

#undef OP
#undef DISPATCH_TO
#undef DISPATCH
#undef CHECK
#undef STACK_TOP
#undef HELPER_BEGIN
#undef HELPER_END
#undef RETURN
#undef NEXT
#undef JUMP
#undef DST
#undef SRC
#undef IMM
#undef ADDR
#undef PTR
#undef PC
}
