/* disasm.c - the disassembler: one instruction to text, in LLVM syntax (as
 * llvm-objdump prints it) or in the conformance suite's uBPF syntax. It knows
 * no mnemonics itself: it looks the instruction up in the opcode table and
 * expands the row's template (escapes documented at the top of opcodes.def).
 * Anything that is not a well-formed instruction prints as a ".quad" of its raw
 * little-endian word, which llvm-mc assembles back to the same bytes. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "isa.h"

/* A bounded output buffer: writes past the end are dropped, the text stays
 * NUL-terminated. */
struct outbuf {
	char *buf;
	size_t len;
	size_t pos;
};

__attribute__((format(printf, 2, 3))) static void put(struct outbuf *o, const char *fmt, ...)
{
	if (o->pos + 1 >= o->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	size_t room = o->len - o->pos - 1;
	o->pos += (size_t)w < room ? (size_t)w : room;
}

static void put_char(struct outbuf *o, char c)
{
	if (o->pos + 1 >= o->len)
		return;
	o->buf[o->pos++] = c;
	o->buf[o->pos] = '\0';
}

/* The slot as llvm-mc's ".quad" would write it: byte i is bits 8i..8i+7. */
static uint64_t raw_word(const struct bpf_insn *in)
{
	uint8_t b[8];
	memcpy(b, in, sizeof(b));
	uint64_t w = 0;
	for (int i = 7; i >= 0; i--)
		w = (w << 8) | b[i];
	return w;
}

static void put_reg(struct outbuf *o, int syntax, unsigned r, int sub32)
{
	if (syntax == BPFVM_SYNTAX_UBPF)
		put(o, "%%r%u", r);
	else
		put(o, "%c%u", sub32 ? 'w' : 'r', r);
}

/* A signed value with an explicit sign: "+3", "+0", "-1" (jump offsets). */
static void put_rel(struct outbuf *o, long v)
{
	put(o, "%+ld", v);
}

/* "+ 4" / "- 4": the LLVM memory offset, with a blank after the sign. */
static void put_spaced(struct outbuf *o, int64_t v)
{
	if (v < 0)
		put(o, "- %" PRId64, -v);
	else
		put(o, "+ %" PRId64, v);
}

/* Expands a row's template for one instance. next is the second lddw slot
 * (NULL for one-slot instructions). */
static void render(struct outbuf *o, const char *tpl, int syntax, uint32_t flags, const struct bpf_insn *in,
		   const struct bpf_insn *next)
{
	const int alu32 = (flags & BPFVM_DISASM_ALU32) != 0;
	const uint32_t hi = next ? (uint32_t)next->imm : 0;
	const uint64_t imm64 = ((uint64_t)hi << 32) | (uint32_t)in->imm;

	for (const char *p = tpl; *p; p++) {
		if (*p != '$' || !p[1]) {
			put_char(o, *p);
			continue;
		}
		switch (*++p) {
		case 'D': put_reg(o, syntax, in->dst_reg, 0); break;
		case 'S': put_reg(o, syntax, in->src_reg, 0); break;
		case 'd': put_reg(o, syntax, in->dst_reg, 1); break;
		case 's': put_reg(o, syntax, in->src_reg, 1); break;
		case 'a': put_reg(o, syntax, in->dst_reg, alu32); break;
		case 'b': put_reg(o, syntax, in->src_reg, alu32); break;
		case 'i': case 'c': put(o, "%" PRId32, in->imm); break;
		case 'u': put(o, "%" PRIu32, (uint32_t)in->imm); break;
		case 'X': put(o, "0x%" PRIx64, imm64); break;
		case 'I': put(o, "%" PRId64, (int64_t)imm64); break;
		case 'n': put(o, "%" PRId32, next ? next->imm : 0); break;
		case 'o': put_spaced(o, in->off); break;
		case 'O': put(o, "%+d", in->off); break;
		case 'k':
			if (in->imm) {
				put(o, " ");
				put_spaced(o, in->imm);
			}
			break;
		case 't': put_rel(o, in->off); break;
		case 'T': case 'L': put_rel(o, in->imm); break;
		default: put(o, "$%c", *p); break;
		}
	}
}

/* Trailing comments: helper names and call targets. */
static void annotate(struct outbuf *o, int op, int syntax, const struct bpf_insn *in, size_t n, size_t pc)
{
	switch (isa_table[op].shape) {
	case S_CALL: {
		const char *name = isa_helper_name((uint32_t)in->imm);
		if (name)
			put(o, " # %s", name);
		break;
	}
	case S_CALL_LOCAL: {
		/* LLVM spells a local call like a helper call; say what it is. */
		long target = (long)pc + 1 + (long)in->imm;
		if (syntax == BPFVM_SYNTAX_LLVM && target >= 0 && target < (long)n)
			put(o, " # local call to insn %ld", target);
		break;
	}
	case S_CALL_KFUNC:
		/* Neither syntax shows off (the module BTF's fd_array index). */
		if (syntax == BPFVM_SYNTAX_LLVM)
			put(o, " # kfunc, BTF id %" PRId32, in->imm);
		if (in->off)
			put(o, "%s BTF fd index %d", syntax == BPFVM_SYNTAX_LLVM ? "," : " #", in->off);
		break;
	default:
		break;
	}
}

/* Is insns[pc] (and its second slot) a well-formed instance of a row? */
static int decode(const struct bpf_insn *insns, size_t n, size_t pc, const struct bpf_insn **next)
{
	const struct bpf_insn *in = &insns[pc];
	char why[128];
	int op = isa_lookup(in);
	*next = NULL;
	if (op == ISA_OP_INVALID || isa_check_fields(op, in, why, sizeof(why)))
		return ISA_OP_INVALID;
	if (!isa_is_lddw(op))
		return op;
	if (pc + 1 >= n)
		return ISA_OP_INVALID;
	const struct bpf_insn *hi = &insns[pc + 1];
	if (hi->code || hi->dst_reg || hi->src_reg || hi->off)
		return ISA_OP_INVALID;
	/* These pseudo sources carry nothing in the second slot; a value
	 * there would be lost in the text, so it is not an instance. */
	int s = in->src_reg;
	if ((s == BPF_PSEUDO_MAP_FD || s == BPF_PSEUDO_MAP_IDX || s == BPF_PSEUDO_FUNC) && hi->imm)
		return ISA_OP_INVALID;
	*next = hi;
	return op;
}

int bpfvm_disasm_insn(const struct bpf_insn *insns, size_t n, size_t pc, int syntax, uint32_t flags, char *buf,
		      size_t buflen)
{
	struct outbuf o = { buf, buflen, 0 };
	if (buf && buflen)
		buf[0] = '\0';
	else
		o.len = 0;
	if (!insns || pc >= n)
		return BPFVM_EINVAL;
	if (syntax == BPFVM_SYNTAX_AUTO)
		syntax = BPFVM_SYNTAX_LLVM;
	if (syntax != BPFVM_SYNTAX_LLVM && syntax != BPFVM_SYNTAX_UBPF)
		return BPFVM_EINVAL;

	const struct bpf_insn *in = &insns[pc];
	const struct bpf_insn *next;
	int op = decode(insns, n, pc, &next);
	if (op == ISA_OP_INVALID) {
		put(&o, ".quad 0x%016" PRIx64, raw_word(in));
		return BPFVM_EDECODE;
	}
	const struct isa_row *r = &isa_table[op];
	render(&o, syntax == BPFVM_SYNTAX_UBPF ? r->ubpf : r->llvm, syntax, flags, in, next);
	if (!(flags & BPFVM_DISASM_NO_ANNOTATE))
		annotate(&o, op, syntax, in, n, pc);
	return next ? 2 : 1;
}
