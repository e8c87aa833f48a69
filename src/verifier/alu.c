/* alu.c - ALU instructions: moves (with scalar identity, so that a bound
 * learned on one copy applies to the others), negation and byte swaps,
 * scalar arithmetic (ranges from bounds.c), and pointer arithmetic: only
 * adding or subtracting a bounded scalar to a pointer that may be moved,
 * never 32-bit arithmetic on a pointer, never two pointers but their
 * difference. Division by a zero register is fine (the result is 0, as at
 * run time); a zero immediate divisor and immediate shifts outside the
 * operand width are rejected, as the kernel does. */
#include <string.h>

#include "verifier.h"

static const char *const alu_names[16] = {
	"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian", "?", "?",
};

static const char *op_name(uint8_t op)
{
	return alu_names[(op >> 4) & 15];
}

/* rX = rY: the copy shares rY's identity (a fresh one if it had none). */
static void assign_id_before_mov(struct vf_env *e, struct vf_reg *src)
{
	if (src->type != VF_SCALAR)
		return;
	if (src->id & VF_ADD_CONST) {
		src->id = 0;
		src->off = 0;
	}
	if (!src->id && !tnum_is_const(src->var_off))
		src->id = ++e->id_gen;
}

static bool ptr_sane(struct vf_env *e, const struct vf_reg *r, uint16_t type)
{
	char t[48];
	bool known = tnum_is_const(r->var_off);
	int64_t val = (int64_t)r->var_off.value;
	if (known && (val >= VF_MAX_VAR_OFF || val <= -VF_MAX_VAR_OFF)) {
		vf_fail(e, "math between %s pointer and %lld is not allowed", vf_type_str(type, t, sizeof(t)),
			(long long)val);
		return false;
	}
	if (r->off >= VF_MAX_VAR_OFF || r->off <= -VF_MAX_VAR_OFF) {
		vf_fail(e, "%s pointer offset %d is not allowed", vf_type_str(type, t, sizeof(t)), r->off);
		return false;
	}
	if (r->smin == INT64_MIN) {
		vf_fail(e, "math between %s pointer and register with unbounded min value is not allowed",
			vf_type_str(type, t, sizeof(t)));
		return false;
	}
	if (r->smin >= VF_MAX_VAR_OFF || r->smin <= -VF_MAX_VAR_OFF) {
		vf_fail(e, "value %lld makes %s pointer be out of bounds", (long long)r->smin,
			vf_type_str(type, t, sizeof(t)));
		return false;
	}
	return true;
}

/* dst = ptr op off (ptr and off are copies; dst held the pointer, or the
 * scalar when scalar_dst). */
static int ptr_arith(struct vf_env *e, const struct bpf_insn *insn, struct vf_reg ptr, struct vf_reg off, bool scalar_dst)
{
	struct vf_reg *dst = &vf_regs(e)[insn->dst_reg];
	uint8_t op = BPF_OP(insn->code);
	int dreg = insn->dst_reg;
	char t[48];
	bool known = tnum_is_const(off.var_off);

	if ((known && (off.smin != off.smax || off.umin != off.umax)) || off.smin > off.smax || off.umin > off.umax) {
		/* bounds from a dead branch */
		vf_mark_unknown(dst);
		return 0;
	}
	if (BPF_CLASS(insn->code) != BPF_ALU64) {
		if (op == BPF_SUB) {
			vf_mark_unknown(dst);
			return 0;
		}
		return vf_fail(e, "R%d 32-bit pointer arithmetic prohibited", dreg);
	}
	if (ptr.type & VF_MAYBE_NULL)
		return vf_fail(e, "R%d pointer arithmetic on %s prohibited, null-check it first", dreg,
			       vf_type_str(ptr.type, t, sizeof(t)));
	switch (VF_BASE(ptr.type)) {
	case VF_PTR_TO_CTX:
	case VF_PTR_TO_MAP_VALUE:
	case VF_PTR_TO_MAP_KEY:
	case VF_PTR_TO_STACK:
	case VF_PTR_TO_PACKET_META:
	case VF_PTR_TO_PACKET:
	case VF_PTR_TO_MEM:
	case VF_PTR_TO_FUNC:
		break;
	case VF_CONST_PTR_TO_MAP:
		if (known && off.smin == 0 && op == BPF_ADD)
			break;
		/* fall through */
	default:
		return vf_fail(e, "R%d pointer arithmetic on %s prohibited", dreg, vf_type_str(ptr.type, t, sizeof(t)));
	}
	if (op != BPF_ADD && op != BPF_SUB) {
		if (op == BPF_AND || op == BPF_OR || op == BPF_XOR)
			return vf_fail(e, "R%d bitwise operator %s on pointer prohibited", dreg, op_name(op));
		return vf_fail(e, "R%d pointer arithmetic with %s operator prohibited", dreg, op_name(op));
	}
	struct vf_reg *parent = dst->parent;
	uint8_t live = dst->live;
	uint16_t type = ptr.type;
	if (!ptr_sane(e, &off, type) || !ptr_sane(e, &ptr, type))
		return VF_EREJECT;

	struct vf_reg res = ptr;
	vf_mark_reg32_unbounded(&res);
	if (op == BPF_ADD) {
		int64_t fixed = (int64_t)ptr.off + off.smin;
		if (known && fixed == (int64_t)(int32_t)fixed) {
			res.off = (int32_t)fixed;
		} else {
			if (__builtin_add_overflow(ptr.smin, off.smin, &res.smin) ||
			    __builtin_add_overflow(ptr.smax, off.smax, &res.smax)) {
				res.smin = INT64_MIN;
				res.smax = INT64_MAX;
			}
			if (__builtin_add_overflow(ptr.umin, off.umin, &res.umin) ||
			    __builtin_add_overflow(ptr.umax, off.umax, &res.umax)) {
				res.umin = 0;
				res.umax = UINT64_MAX;
			}
			res.var_off = vf_tnum_add(ptr.var_off, off.var_off);
			if (vf_is_pkt_pointer(&ptr)) {
				res.id = ++e->id_gen;
				res.range = 0;
			}
		}
	} else {
		if (scalar_dst)
			return vf_fail(e, "R%d tried to subtract pointer from scalar", dreg);
		if (VF_BASE(ptr.type) == VF_PTR_TO_STACK)
			return vf_fail(e, "R%d subtraction from stack pointer prohibited", dreg);
		int64_t fixed = (int64_t)ptr.off - off.smin;
		if (known && fixed == (int64_t)(int32_t)fixed) {
			res.off = (int32_t)fixed;
		} else {
			if (__builtin_sub_overflow(ptr.smin, off.smax, &res.smin) ||
			    __builtin_sub_overflow(ptr.smax, off.smin, &res.smax)) {
				res.smin = INT64_MIN;
				res.smax = INT64_MAX;
			}
			if (ptr.umin < off.umax) {
				res.umin = 0;
				res.umax = UINT64_MAX;
			} else {
				res.umin = ptr.umin - off.umax;
				res.umax = ptr.umax - off.umin;
			}
			res.var_off = vf_tnum_sub(ptr.var_off, off.var_off);
			if (vf_is_pkt_pointer(&ptr)) {
				res.id = ++e->id_gen;
				if (off.smin < 0)
					res.range = 0;
			}
		}
	}
	if (!ptr_sane(e, &res, type))
		return VF_EREJECT;
	vf_bounds_sync(&res);
	*dst = res;
	dst->parent = parent;
	dst->live = live;
	return 0;
}

static int check_mov(struct vf_env *e, const struct bpf_insn *insn)
{
	struct vf_reg *regs = vf_regs(e);
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	int rc;
	if (BPF_SRC(insn->code) == BPF_X) {
		rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
		if (rc)
			return rc;
	}
	rc = vf_check_reg_arg(e, insn->dst_reg, VF_DST_OP_NO_MARK);
	if (rc)
		return rc;
	struct vf_reg *dst = &regs[insn->dst_reg];
	if (BPF_SRC(insn->code) == BPF_K) {
		vf_mark_unknown(dst);
		vf_mark_known(dst, alu64 ? (uint64_t)(int64_t)insn->imm : (uint32_t)insn->imm);
		return 0;
	}
	struct vf_reg *src = &regs[insn->src_reg];
	if (alu64) {
		if (insn->off == 0) {
			assign_id_before_mov(e, src);
			vf_copy_reg(dst, src);
			return 0;
		}
		/* r1 = (s8, s16, s32) r2 */
		if (src->type != VF_SCALAR) {
			vf_mark_unknown(dst);
			return 0;
		}
		bool no_sext = src->umax < (1ULL << (insn->off - 1));
		if (no_sext)
			assign_id_before_mov(e, src);
		vf_copy_reg(dst, src);
		if (!no_sext)
			dst->id = 0;
		vf_coerce_to_size_sx(dst, insn->off >> 3);
		return 0;
	}
	/* w1 = w2, w1 = (s8, s16) w2 */
	if (src->type == VF_SCALAR) {
		if (insn->off == 0) {
			bool u32 = vf_reg_width(src) <= 32;
			if (u32)
				assign_id_before_mov(e, src);
			vf_copy_reg(dst, src);
			if (!u32)
				dst->id = 0;
		} else {
			bool no_sext = src->umax < (1ULL << (insn->off - 1));
			if (no_sext)
				assign_id_before_mov(e, src);
			vf_copy_reg(dst, src);
			if (!no_sext)
				dst->id = 0;
			vf_coerce_subreg_to_size_sx(dst, insn->off >> 3);
		}
	} else {
		/* a 32-bit copy of a pointer is just a number */
		vf_mark_unknown(dst);
	}
	vf_zext_32_to_64(dst);
	vf_bounds_sync(dst);
	return 0;
}

static void byte_swap(struct vf_reg *d, const struct bpf_insn *insn)
{
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	bool to_le = BPF_SRC(insn->code) == BPF_TO_LE;
	bool swap = alu64 || !to_le; /* the host (and bpfvm) is little-endian */
	if (swap) {
		if (insn->imm == 16)
			d->var_off = vf_tnum_bswap16(d->var_off);
		else if (insn->imm == 32)
			d->var_off = vf_tnum_bswap32(d->var_off);
		else
			d->var_off = vf_tnum_bswap64(d->var_off);
		vf_mark_unbounded(d);
	}
	if (insn->imm == 16 || insn->imm == 32)
		vf_coerce_to_size(d, insn->imm / 8);
	vf_bounds_sync(d);
}

int vf_check_alu(struct vf_env *e, const struct bpf_insn *insn)
{
	struct vf_reg *regs = vf_regs(e);
	uint8_t op = BPF_OP(insn->code);
	bool alu32 = BPF_CLASS(insn->code) != BPF_ALU64;
	int rc;

	if (op == BPF_MOV)
		return check_mov(e, insn);

	if (op == BPF_NEG || op == BPF_END) {
		rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
		if (rc)
			return rc;
		struct vf_reg *d = &regs[insn->dst_reg];
		if (d->type != VF_SCALAR)
			return vf_check_reg_arg(e, insn->dst_reg, VF_DST_OP);
		rc = vf_check_reg_arg(e, insn->dst_reg, VF_DST_OP_NO_MARK);
		if (rc)
			return rc;
		d->id = 0;
		if (op == BPF_NEG)
			return vf_scalar_alu(e, BPF_NEG, alu32, d, *d);
		byte_swap(d, insn);
		return 0;
	}

	if (BPF_SRC(insn->code) == BPF_X) {
		rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
		if (rc)
			return rc;
	}
	rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
	if (rc)
		return rc;
	if ((op == BPF_MOD || op == BPF_DIV) && BPF_SRC(insn->code) == BPF_K && insn->imm == 0)
		return vf_fail(e, "div by zero");
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && BPF_SRC(insn->code) == BPF_K) {
		int bits = alu32 ? 32 : 64;
		if (insn->imm < 0 || insn->imm >= bits)
			return vf_fail(e, "invalid shift %d", insn->imm);
	}
	rc = vf_check_reg_arg(e, insn->dst_reg, VF_DST_OP_NO_MARK);
	if (rc)
		return rc;

	struct vf_reg *dst = &regs[insn->dst_reg];
	struct vf_reg imm_reg;
	struct vf_reg *src;
	if (BPF_SRC(insn->code) == BPF_X) {
		src = &regs[insn->src_reg];
	} else {
		memset(&imm_reg, 0, sizeof(imm_reg));
		vf_mark_unknown(&imm_reg);
		vf_mark_known(&imm_reg, (uint64_t)(int64_t)insn->imm);
		src = &imm_reg;
	}
	if (dst->type != VF_SCALAR || src->type != VF_SCALAR) {
		if (dst->type != VF_SCALAR && src->type != VF_SCALAR) {
			if (op == BPF_SUB) {
				vf_mark_unknown(dst);
				return 0;
			}
			return vf_fail(e, "R%d pointer %s pointer prohibited", insn->dst_reg, op_name(op));
		}
		if (dst->type == VF_SCALAR) {
			/* scalar += pointer */
			rc = vf_mark_precise(e, insn->dst_reg);
			if (rc)
				return rc;
			return ptr_arith(e, insn, *src, *dst, true);
		}
		if (BPF_SRC(insn->code) == BPF_X) {
			rc = vf_mark_precise(e, insn->src_reg);
			if (rc)
				return rc;
		}
		return ptr_arith(e, insn, *dst, *src, false);
	}

	/* two scalars */
	struct vf_reg s = *src;
	rc = vf_scalar_alu(e, op, alu32, dst, s);
	if (rc)
		return rc;
	if (op == BPF_ADD && !alu32 && dst->id && vf_reg_is_const(&s, false)) {
		uint64_t val = vf_reg_const(&s, false);
		if ((dst->id & VF_ADD_CONST) || val > (uint32_t)INT32_MAX) {
			dst->off = 0;
			dst->id = 0;
		} else {
			dst->id |= VF_ADD_CONST;
			dst->off = (int32_t)val;
		}
	} else {
		dst->id = 0;
		dst->off = 0;
	}
	return 0;
}
