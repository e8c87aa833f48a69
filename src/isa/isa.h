/* isa.h - the instruction set as data: the opcode table (expanded from
 * opcodes.def), instruction lookup, per-shape field rules and the bytecode
 * validator. Everything that needs to know what an instruction is asks here. */
#ifndef BPFVM_ISA_H
#define BPFVM_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"

/* One enum value per row of opcodes.def. */
enum isa_op {
#define INSN(id, code, dk, dv, shape, group, ver, ubpf, llvm, sem) BPFVM_OP_##id,
#include "opcodes.def"
#undef INSN
	BPFVM_OP__COUNT
};
#define ISA_OP_INVALID (-1)

/* What tells apart the rows that share an opcode byte. */
enum isa_disc { D_NONE, D_OFF, D_IMM, D_SRC };

/* Operand shapes: which fields are operands and which must be zero. */
enum isa_shape {
	S_ALU_IMM,    /* dst, imm                 (src = 0)                   */
	S_ALU_REG,    /* dst, src                 (imm = 0)                   */
	S_ALU_UN,     /* dst                      (src = off = imm = 0)       */
	S_END,        /* dst, width in imm        (src = off = 0)             */
	S_LDDW,       /* dst, imm, next imm; src is the pseudo source (off = 0) */
	S_LDABS,      /* imm                      (dst = src = off = 0)       */
	S_LDIND,      /* src, imm                 (dst = off = 0)             */
	S_LDX,        /* dst, src, off            (imm = 0)                   */
	S_ST,         /* dst, off, imm            (src = 0)                   */
	S_STX,        /* dst, src, off            (imm = 0)                   */
	S_ATOMIC,     /* dst, src, off, op in imm                              */
	S_LDACQ,      /* dst, src, off (dst = load_acquire(src + off))        */
	S_STREL,      /* dst, src, off (store_release(dst + off, src))        */
	S_JA,         /* off                      (dst = src = imm = 0)       */
	S_JA32,       /* imm                      (dst = src = off = 0)       */
	S_JIMM,       /* dst, imm, off            (src = 0)                   */
	S_JREG,       /* dst, src, off            (imm = 0)                   */
	S_CALL,       /* helper id in imm         (dst = off = 0)             */
	S_CALL_LOCAL, /* relative target in imm   (dst = off = 0)             */
	S_CALL_KFUNC, /* BTF id in imm, BTF fd index in off (dst = 0)         */
	S_CALLX,      /* register in dst          (src = off = imm = 0)       */
	S_EXIT,       /* nothing                                              */
	S_MAYGOTO,    /* off                      (dst = imm = 0)             */
};

enum isa_group { base32, base64, atomic32, atomic64, divmul32, divmul64, callx, packet, ext, ISA_GROUP__COUNT };
enum isa_version { V1 = 1, V2, V3, V4 };

struct isa_row {
	const char *name;   /* "ADD64_IMM" */
	uint8_t code;
	uint8_t disc_kind;  /* enum isa_disc */
	int32_t disc_value;
	uint8_t shape;      /* enum isa_shape */
	uint8_t group;      /* enum isa_group */
	uint8_t version;    /* enum isa_version */
	const char *ubpf;   /* conformance-suite assembly template */
	const char *llvm;   /* LLVM assembly template */
	const char *sem;    /* one-line semantics */
};

extern const struct isa_row isa_table[BPFVM_OP__COUNT];
extern const char *const isa_group_names[ISA_GROUP__COUNT];

/* The row an instruction is an instance of (code byte plus discriminator),
 * or ISA_OP_INVALID. Reserved fields are not checked here. */
int isa_lookup(const struct bpf_insn *insn);

/* Checks the fields the row's shape reserves (must be zero) and the register
 * numbers. Returns 0, or -1 with a reason written to why (one line). */
int isa_check_fields(int op, const struct bpf_insn *insn, char *why, size_t whylen);

/* 1 for lddw rows (two slots), else 0. */
static inline int isa_is_lddw(int op) { return op >= 0 && isa_table[op].shape == S_LDDW; }

/* Shape predicates used by the validator and the engines. */
int isa_is_jump(int op);           /* transfers control within the function via off or imm */
int isa_writes_dst(int op);        /* dst register is written */
int isa_jump_target(int op, const struct bpf_insn *insn, long pc, long *target);

/* Validates a whole program: every instruction known and well-formed,
 * registers in range, no write to r10, jumps and calls inside the program and
 * not into the second slot of an lddw or across subprograms, lddw complete,
 * no falling off the end, 1 <= n <= BPFVM_MAX_INSNS. On failure returns
 * BPFVM_EDECODE with err naming the instruction index. */
int isa_validate(const struct bpf_insn *insns, size_t n, struct bpfvm_error *err);

/* Helper names known to the tools (kernel ids); NULL when unknown. */
const char *isa_helper_name(uint32_t id);

#endif
