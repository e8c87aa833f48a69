/* mem.c - memory accesses: loads, stores, atomics, LD_ABS/LD_IND, lddw,
 * and the memory helpers read or write. What each pointer type allows:
 *   stack      inside the frame's 512 bytes, aligned; spills and fills keep
 *              register types; reading uninitialised bytes gives an unknown
 *              value (the kernel's allow_uninit_stack for root)
 *   ctx        the fields the program type's is_valid_access allows (struct
 *              __sk_buff for socket filters, struct xdp_md for XDP)
 *   packet     only below the range a comparison with pkt_end proved
 *   map value  inside value_size, honouring BPF_F_RDONLY_PROG/WRONLY_PROG
 *   mem        ring buffer records (their size), raw programs' input (the
 *              bytes proven present)
 * Messages are the kernel's. */
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>

#include "maps.h"
#include "vm.h"
#include "verifier.h"

#define END_OF(s, f) (offsetof(struct s, f) + sizeof(((struct s *)0)->f))

int vf_check_reg_arg(struct vf_env *e, int regno, int how)
{
	if (regno < 0 || regno > 10)
		return vf_fail(e, "R%d is invalid", regno);
	struct vf_reg *r = &vf_regs(e)[regno];
	vf_scratch_reg(e, regno);
	if (how == VF_SRC_OP) {
		if (r->type == VF_NOT_INIT)
			return vf_fail(e, "R%d !read_ok", regno);
		if (regno != 10)
			vf_mark_read(e, r);
		return 0;
	}
	if (regno == 10)
		return vf_fail(e, "frame pointer is read only");
	r->live |= VF_LIVE_WRITTEN;
	if (how == VF_DST_OP)
		vf_mark_unknown(r);
	return 0;
}

static const char *tstr(const struct vf_reg *r, char *buf, size_t len)
{
	return vf_type_str(r->type, buf, len);
}

/* ---- generic checks ---- */

int vf_check_ptr_off_reg(struct vf_env *e, const struct vf_reg *r, int regno)
{
	char t[48], tn[48];
	if (r->off < 0)
		return vf_fail(e, "negative offset %s ptr R%d off=%d disallowed", tstr(r, t, sizeof(t)), regno, r->off);
	if (r->off)
		return vf_fail(e, "dereference of modified %s ptr R%d off=%d disallowed", tstr(r, t, sizeof(t)), regno,
			       r->off);
	if (!tnum_is_const(r->var_off) || r->var_off.value)
		return vf_fail(e, "variable %s access var_off=%s disallowed", tstr(r, t, sizeof(t)),
			       vf_tnum_str(r->var_off, tn, sizeof(tn)));
	return 0;
}

static int mem_access_err(struct vf_env *e, int regno, const struct vf_reg *r, int64_t off, int size, uint32_t mem_size)
{
	switch (VF_BASE(r->type)) {
	case VF_PTR_TO_MAP_KEY:
		return vf_fail(e, "invalid access to map key, key_size=%u off=%d size=%d", mem_size, (int)off, size);
	case VF_PTR_TO_MAP_VALUE:
		return vf_fail(e, "invalid access to map value, value_size=%u off=%d size=%d", mem_size, (int)off, size);
	case VF_PTR_TO_PACKET:
	case VF_PTR_TO_PACKET_META:
	case VF_PTR_TO_PACKET_END:
		return vf_fail(e, "invalid access to packet, off=%d size=%d, R%d(id=%u,off=%d,r=%d)", (int)off, size, regno,
			       r->id, (int)off, (int)mem_size);
	default:
		return vf_fail(e, "invalid access to memory, mem_size=%u off=%d size=%d", mem_size, (int)off, size);
	}
}

static bool mem_ok(int64_t off, int size, uint64_t mem_size, bool zero_ok)
{
	bool size_ok = size > 0 || (size == 0 && zero_ok);
	return off >= 0 && size_ok && (uint64_t)off + (uint64_t)size <= mem_size;
}

/* [off, off + size) from the pointer in regno, for every value of its
 * variable part, inside [0, mem_size). */
static int check_mem_region(struct vf_env *e, int regno, int off, int size, uint64_t mem_size, bool zero_ok)
{
	const struct vf_reg *r = &vf_regs(e)[regno];
	if (r->smin < 0 && (r->smin == INT64_MIN || (int64_t)off + r->smin != (int64_t)(int32_t)((int64_t)off + r->smin) ||
			    r->smin + off < 0))
		return vf_fail(e, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
			       regno);
	int64_t lo = (int32_t)(r->smin + off);
	if (!mem_ok(lo, size, mem_size, zero_ok)) {
		mem_access_err(e, regno, r, lo, size, (uint32_t)mem_size);
		return vf_fail(e, "R%d min value is outside of the allowed memory range", regno);
	}
	if (r->umax >= (uint64_t)VF_MAX_VAR_OFF)
		return vf_fail(e, "R%d unbounded memory access, make sure to bounds check any such access", regno);
	int64_t hi = (int32_t)(r->umax + (uint64_t)(int64_t)off);
	if (!mem_ok(hi, size, mem_size, zero_ok)) {
		mem_access_err(e, regno, r, hi, size, (uint32_t)mem_size);
		return vf_fail(e, "R%d max value is outside of the allowed memory range", regno);
	}
	return 0;
}

/* ---- stack ---- */

int vf_grow_stack(struct vf_env *e, struct vf_frame *f, int bytes)
{
	int nslots = (bytes + 7) / 8;
	if (nslots > f->nslots) {
		if (vf_frame_grow(f, nslots))
			return VF_ENOMEM;
	}
	if (nslots * 8 > e->sub[f->subprog].stack_depth)
		e->sub[f->subprog].stack_depth = nslots * 8;
	return 0;
}

static int check_stack_bounds(struct vf_env *e, int regno, int off, int size, bool write)
{
	const struct vf_reg *r = &vf_regs(e)[regno];
	struct vf_frame *f = vf_ptr_frame(e, r);
	const char *what = write ? " write to" : " read from";
	int64_t min_off, max_off;
	char tn[48];
	if (tnum_is_const(r->var_off)) {
		min_off = (int64_t)r->var_off.value + off;
		max_off = min_off + size;
	} else {
		if (r->smax >= VF_MAX_VAR_OFF || r->smin <= -VF_MAX_VAR_OFF)
			return vf_fail(e, "invalid unbounded variable-offset%s stack R%d", what, regno);
		min_off = r->smin + off;
		max_off = r->smax + off + size;
	}
	if (min_off < -VF_MAX_STACK || min_off > -1 || max_off > 0 || size < 0) {
		if (tnum_is_const(r->var_off))
			return vf_fail(e, "invalid%s stack R%d off=%d size=%d", what, regno, off, size);
		return vf_fail(e, "invalid variable-offset%s stack R%d var_off=%s off=%d size=%d", what, regno,
			       vf_tnum_str(r->var_off, tn, sizeof(tn)), off, size);
	}
	return vf_grow_stack(e, f, (int)-min_off);
}

static void save_register_state(struct vf_frame *f, int spi, const struct vf_reg *r, int size)
{
	struct vf_slot *s = &f->stack[spi];
	vf_copy_reg(&s->spilled, r);
	if (size == 8)
		s->spilled.live |= VF_LIVE_WRITTEN;
	int i;
	for (i = 8; i > 8 - size; i--)
		s->type[i - 1] = VF_STACK_SPILL;
	for (; i; i--)
		if (s->type[i - 1] == VF_STACK_SPILL)
			s->type[i - 1] = VF_STACK_MISC;
}

/* The slot no longer holds a register: its initialised bytes become misc. */
static void scrub_slot(struct vf_slot *s)
{
	for (int i = 0; i < 8; i++)
		if (s->type[i] != VF_STACK_INVALID)
			s->type[i] = VF_STACK_MISC;
	s->spilled.type = VF_NOT_INIT;
}

static int check_stack_write_fixed(struct vf_env *e, struct vf_frame *f, int off, int size, int value_regno,
				   const struct bpf_insn *insn)
{
	int slot = -off - 1, spi = slot / 8;
	struct vf_frame *cur = vf_cur_frame(e->cur);
	struct vf_reg *r = value_regno >= 0 ? &cur->regs[value_regno] : NULL;
	bool is_st = BPF_CLASS(insn->code) == BPF_ST;
	bool spill_flags = false;
	vf_scratch_slot(e, spi);
	if (r && !(off % 8) && r->type == VF_SCALAR) {
		bool fits = vf_reg_width(r) <= 8 * size;
		if (fits && r->type == VF_SCALAR) {
			if (r->id & VF_ADD_CONST) {
				r->id = 0;
				r->off = 0;
			}
			if (!r->id && !tnum_is_const(r->var_off))
				r->id = ++e->id_gen;
		}
		save_register_state(f, spi, r, size);
		if (!fits)
			f->stack[spi].spilled.id = 0;
		spill_flags = true;
	} else if (!r && !(off % 8) && is_st) {
		struct vf_reg k;
		memset(&k, 0, sizeof(k));
		vf_mark_unknown(&k);
		vf_mark_known(&k, (uint64_t)(int64_t)insn->imm);
		save_register_state(f, spi, &k, size);
		spill_flags = true;
	} else if (r && vf_is_pointer(r)) {
		if (size != 8)
			return vf_fail(e, "invalid size of register spill");
		if (f != cur && VF_BASE(r->type) == VF_PTR_TO_STACK)
			return vf_fail(e, "cannot spill pointers to stack into stack frame of the caller");
		save_register_state(f, spi, r, size);
		spill_flags = true;
	} else {
		uint8_t type = VF_STACK_MISC;
		struct vf_slot *s = &f->stack[spi];
		if (vf_is_spilled(s))
			scrub_slot(s);
		s->spilled.type = VF_NOT_INIT;
		if (size == 8)
			s->spilled.live |= VF_LIVE_WRITTEN;
		if ((r && vf_reg_is_null(r)) || (!r && is_st && insn->imm == 0)) {
			if (r) {
				int rc = vf_mark_precise(e, value_regno);
				if (rc)
					return rc;
			}
			type = VF_STACK_ZERO;
		}
		for (int i = 0; i < size; i++)
			s->type[(slot - i) % 8] = type;
	}
	if (spill_flags)
		return vf_push_hist(e, e->cur, VF_HIST_STACK, (uint8_t)f->frameno, (uint8_t)spi, 0);
	return 0;
}

static int check_stack_write_var(struct vf_env *e, struct vf_frame *f, int ptr_regno, int off, int size,
				 int value_regno, const struct bpf_insn *insn)
{
	struct vf_frame *cur = vf_cur_frame(e->cur);
	const struct vf_reg *ptr = &cur->regs[ptr_regno];
	const struct vf_reg *val = value_regno >= 0 ? &cur->regs[value_regno] : NULL;
	int64_t min_off = ptr->smin + off, max_off = ptr->smax + off + size;
	bool writing_zero = (val && vf_reg_is_null(val)) || (!val && BPF_CLASS(insn->code) == BPF_ST && insn->imm == 0);
	bool zero_used = false;
	for (int64_t i = min_off; i < max_off; i++) {
		int slot = (int)(-i - 1), spi = slot / 8;
		struct vf_slot *s = &f->stack[spi];
		uint8_t *t = &s->type[slot % 8];
		vf_scratch_slot(e, spi);
		if (writing_zero && *t == VF_STACK_SPILL && vf_is_spilled_scalar(s) &&
		    tnum_equals_const(s->spilled.var_off, 0)) {
			zero_used = true;
			continue;
		}
		if (vf_is_spilled(s))
			scrub_slot(s);
		uint8_t nt = VF_STACK_MISC;
		if (writing_zero && *t == VF_STACK_ZERO) {
			nt = VF_STACK_ZERO;
			zero_used = true;
		}
		*t = nt;
	}
	if (zero_used && value_regno >= 0)
		return vf_mark_precise(e, value_regno);
	return 0;
}

/* A read of size bytes at the fixed offset off: a fill restores the spilled
 * register, other bytes read as unknown (or zero). */
static int check_stack_read_fixed(struct vf_env *e, struct vf_frame *f, int off, int size, int dst_regno)
{
	int slot = -off - 1, spi = slot / 8;
	struct vf_slot *s = &f->stack[spi];
	struct vf_frame *cur = vf_cur_frame(e->cur);
	struct vf_reg *spilled = &s->spilled;
	bool fill = false;
	vf_scratch_slot(e, spi);
	if (vf_is_spilled(s)) {
		int spill_size = 1;
		for (int i = 7; i > 0 && s->type[i - 1] == VF_STACK_SPILL; i--)
			spill_size++;
		if (size != 8 || spill_size != 8) {
			if (spilled->type != VF_SCALAR)
				return vf_fail(e, "invalid size of register fill");
			vf_mark_read(e, spilled);
			if (dst_regno < 0)
				return 0;
			struct vf_reg *d = &cur->regs[dst_regno];
			/* the spill occupies the slot's lowest spill_size bytes */
			if (size <= spill_size && (off % 8) == 0) {
				if (size == 4 && spill_size == 4 && vf_reg_width(spilled) <= 32) {
					if (spilled->id & VF_ADD_CONST) {
						spilled->id = 0;
						spilled->off = 0;
					}
					if (!spilled->id && !tnum_is_const(spilled->var_off))
						spilled->id = ++e->id_gen;
				}
				vf_copy_reg(d, spilled);
				if (vf_reg_width(spilled) > size * 8)
					d->id = 0;
				fill = true;
			} else {
				int spill_cnt = 0, zero_cnt = 0;
				for (int i = 0; i < size; i++) {
					uint8_t t = s->type[(slot - i) % 8];
					if (t == VF_STACK_SPILL)
						spill_cnt++;
					else if (t == VF_STACK_ZERO)
						zero_cnt++;
				}
				if (spill_cnt == size && tnum_equals_const(spilled->var_off, 0)) {
					vf_mark_unknown(d);
					vf_mark_known(d, 0);
					fill = true;
				} else if (zero_cnt == size) {
					vf_mark_unknown(d);
					vf_mark_known(d, 0);
				} else {
					vf_mark_unknown(d);
				}
			}
			d->live |= VF_LIVE_WRITTEN;
		} else if (dst_regno >= 0) {
			vf_copy_reg(&cur->regs[dst_regno], spilled);
			cur->regs[dst_regno].live |= VF_LIVE_WRITTEN;
			fill = true;
		}
		vf_mark_read(e, spilled);
	} else {
		vf_mark_read(e, spilled);
		if (dst_regno >= 0) {
			bool zeros = true;
			for (int i = 0; i < size; i++)
				if (s->type[(slot - i) % 8] != VF_STACK_ZERO)
					zeros = false;
			struct vf_reg *d = &cur->regs[dst_regno];
			vf_mark_unknown(d);
			if (zeros)
				vf_mark_known(d, 0);
			d->live |= VF_LIVE_WRITTEN;
		}
	}
	if (fill)
		return vf_push_hist(e, e->cur, VF_HIST_STACK, (uint8_t)f->frameno, (uint8_t)spi, 0);
	return 0;
}

/* Reads with a variable offset: every byte the range may touch. */
static int check_stack_read_var(struct vf_env *e, struct vf_frame *f, int ptr_regno, int off, int size, int dst_regno)
{
	const struct vf_reg *ptr = &vf_regs(e)[ptr_regno];
	int64_t min_off = ptr->smin + off, max_off = ptr->smax + off + size;
	bool zeros = true;
	for (int64_t i = min_off; i < max_off; i++) {
		int slot = (int)(-i - 1), spi = slot / 8;
		vf_scratch_slot(e, spi);
		if (f->stack[spi].type[slot % 8] != VF_STACK_ZERO)
			zeros = false;
		vf_mark_read(e, &f->stack[spi].spilled);
	}
	if (dst_regno >= 0) {
		struct vf_reg *d = &vf_regs(e)[dst_regno];
		vf_mark_unknown(d);
		if (zeros)
			vf_mark_known(d, 0);
		d->live |= VF_LIVE_WRITTEN;
	}
	return 0;
}

static int check_stack_access(struct vf_env *e, int regno, int off, int size, bool write, int value_regno,
			      const struct bpf_insn *insn)
{
	int rc = check_stack_bounds(e, regno, off, size, write);
	if (rc)
		return rc;
	const struct vf_reg *r = &vf_regs(e)[regno];
	struct vf_frame *f = vf_ptr_frame(e, r);
	bool fixed = tnum_is_const(r->var_off);
	int foff = fixed ? off + (int)(int64_t)r->var_off.value : off;
	if (write)
		return fixed ? check_stack_write_fixed(e, f, foff, size, value_regno, insn)
			     : check_stack_write_var(e, f, regno, off, size, value_regno, insn);
	return fixed ? check_stack_read_fixed(e, f, foff, size, value_regno)
		     : check_stack_read_var(e, f, regno, off, size, value_regno);
}

/* ---- context ---- */

static bool narrow_ok(int size, int size_default)
{
	return size <= size_default && (size & (size - 1)) == 0;
}

static bool in_field(int off, size_t start, size_t end) /* [start, end) */
{
	return off >= (int)start && off < (int)end;
}

#define FIELD(f) offsetof(struct __sk_buff, f), END_OF(__sk_buff, f)

/* sk_filter_is_valid_access + bpf_skb_is_valid_access */
static bool skb_access_ok(int off, int size, bool write, uint16_t *type)
{
	*type = VF_SCALAR;
	if (off < 0 || off >= (int)sizeof(struct __sk_buff))
		return false;
	if (in_field(off, FIELD(tc_classid)) || in_field(off, FIELD(data)) || in_field(off, FIELD(data_meta)) ||
	    in_field(off, FIELD(data_end)) || in_field(off, offsetof(struct __sk_buff, family), END_OF(__sk_buff, local_port)) ||
	    in_field(off, FIELD(tstamp)) || in_field(off, FIELD(wire_len)) || in_field(off, FIELD(hwtstamp)))
		return false;
	bool in_cb = in_field(off, offsetof(struct __sk_buff, cb), END_OF(__sk_buff, cb));
	if (write && !in_cb)
		return false;
	if (off % size)
		return false;
	if (in_cb)
		return off + size <= (int)END_OF(__sk_buff, cb);
	if (in_field(off, offsetof(struct __sk_buff, flow_keys), offsetof(struct __sk_buff, flow_keys) + 8))
		return false;
	if (in_field(off, offsetof(struct __sk_buff, sk), offsetof(struct __sk_buff, sk) + 8)) {
		if (write || size != 8)
			return false;
		*type = VF_PTR_TO_SOCK_COMMON | VF_MAYBE_NULL;
		return true;
	}
	if (off == (int)offsetof(struct __sk_buff, tstamp_type))
		return false;
	if (off >= (int)END_OF(__sk_buff, tstamp_type) && off < (int)offsetof(struct __sk_buff, hwtstamp))
		return false;
	return narrow_ok(size, 4);
}

static bool xdp_access_ok(int off, int size, bool write, bool is_ldsx, uint16_t *type)
{
	*type = VF_SCALAR;
	if (off == (int)offsetof(struct xdp_md, egress_ifindex))
		return false;
	if (write)
		return false;
	if (off == (int)offsetof(struct xdp_md, data)) {
		*type = VF_PTR_TO_PACKET;
	} else if (off == (int)offsetof(struct xdp_md, data_meta)) {
		*type = VF_PTR_TO_PACKET_META;
	} else if (off == (int)offsetof(struct xdp_md, data_end)) {
		*type = VF_PTR_TO_PACKET_END;
	}
	if (*type != VF_SCALAR && is_ldsx)
		return false;
	return off >= 0 && off < (int)sizeof(struct xdp_md) && off % size == 0 && size == 4;
}

static int check_ctx_access(struct vf_env *e, int off, int size, bool write, bool is_ldsx, uint16_t *type)
{
	bool ok = false;
	switch (e->prog_type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
		ok = size > 0 && skb_access_ok(off, size, write, type);
		break;
	case BPF_PROG_TYPE_XDP:
		ok = size > 0 && xdp_access_ok(off, size, write, is_ldsx, type);
		break;
	default:
		break;
	}
	if (!ok)
		return vf_fail(e, "invalid bpf_context access off=%d size=%d", off, size);
	return 0;
}

/* struct bpf_sock fields through __sk_buff->sk (bpf_sock_common_is_valid_access) */
static int check_sock_access(struct vf_env *e, int regno, int off, int size, bool write)
{
	const struct vf_reg *r = &vf_regs(e)[regno];
	char t[48];
	if (r->smin < 0)
		return vf_fail(e, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
			       regno);
	if (write || !tnum_is_const(r->var_off) || r->var_off.value)
		return vf_fail(e, "R%d invalid %s access off=%d size=%d", regno, tstr(r, t, sizeof(t)), off, size);
	bool ok = off >= 0 && off < (int)sizeof(struct bpf_sock) && off % size == 0;
	if (ok && off >= (int)offsetof(struct bpf_sock, type) && off < (int)END_OF(bpf_sock, priority))
		ok = false;
	if (ok) {
		if (off == (int)offsetof(struct bpf_sock, dst_port))
			ok = narrow_ok(size, size == 4 ? 4 : 2);
		else if (off >= (int)END_OF(bpf_sock, dst_port) && off < (int)offsetof(struct bpf_sock, dst_ip4))
			ok = false;
		else
			ok = narrow_ok(size, 4);
	}
	if (!ok)
		return vf_fail(e, "R%d invalid %s access off=%d size=%d", regno, tstr(r, t, sizeof(t)), off, size);
	return 0;
}

/* ---- packets ---- */

static int check_packet_access(struct vf_env *e, int regno, int off, int size, bool zero_ok)
{
	const struct vf_reg *r = &vf_regs(e)[regno];
	if (r->smin < 0)
		return vf_fail(e, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
			       regno);
	if (r->range < 0 || !mem_ok(off, size, (uint64_t)r->range, zero_ok)) {
		if (r->range >= 0)
			mem_access_err(e, regno, r, off, size, (uint32_t)r->range);
		return vf_fail(e, "R%d offset is outside of the packet", regno);
	}
	return 0;
}

static bool may_write_packet(const struct vf_env *e)
{
	return e->prog_type == BPF_PROG_TYPE_XDP;
}

/* ---- maps ---- */

static int check_map_access_type(struct vf_env *e, const struct vf_reg *r, int off, int size, bool write)
{
	const struct bpfvm_map *m = r->map;
	if (write && (m->map_flags & VM_F_RDONLY_PROG))
		return vf_fail(e, "write into map forbidden, value_size=%u off=%d size=%d", m->value_size, off, size);
	if (!write && (m->map_flags & VM_F_WRONLY_PROG))
		return vf_fail(e, "read from map forbidden, value_size=%u off=%d size=%d", m->value_size, off, size);
	return 0;
}

/* ---- the dispatcher ---- */

static int check_mem_access(struct vf_env *e, int regno, int off, int size, bool write, int value_regno, bool is_ldsx,
			    const struct bpf_insn *insn)
{
	struct vf_reg *regs = vf_regs(e);
	struct vf_reg *r = &regs[regno];
	char t[48], tn[48];
	int rc = 0;

	if (VF_BASE(r->type) == VF_PTR_TO_STACK) {
		struct tnum a = vf_tnum_add(r->var_off, tnum_const((uint64_t)(int64_t)(r->off + off)));
		if (!vf_tnum_is_aligned(a, (uint64_t)size))
			return vf_fail(e, "misaligned stack access off %s+%d+%d size %d",
				       vf_tnum_str(r->var_off, tn, sizeof(tn)), r->off, off, size);
	}
	off += r->off;

	switch (VF_BASE(r->type)) {
	case VF_PTR_TO_MAP_KEY:
		if (write)
			return vf_fail(e, "write to change key R%d not allowed", regno);
		rc = check_mem_region(e, regno, off, size, r->map->key_size, false);
		if (!rc && value_regno >= 0)
			vf_mark_unknown(&regs[value_regno]);
		break;
	case VF_PTR_TO_MAP_VALUE:
		if (r->type & VF_MAYBE_NULL)
			return vf_fail(e, "R%d invalid mem access '%s'", regno, tstr(r, t, sizeof(t)));
		rc = check_map_access_type(e, r, off, size, write);
		if (!rc)
			rc = check_mem_region(e, regno, off, size, r->map->value_size, false);
		if (!rc && !write && value_regno >= 0) {
			/* a frozen map programs cannot write holds constants: the
			 * kernel reads them (bpf_map_direct_read), and so the
			 * branches that depend on them are decided */
			uint64_t addr;
			if (tnum_is_const(r->var_off) && (r->map->map_flags & VM_F_RDONLY_PROG) && r->map->frozen &&
			    vm_map_direct_value_addr(r->map, (uint32_t)(off + (int64_t)r->var_off.value), &addr) == 0) {
				uint64_t v = 0;
				memcpy(&v, (const void *)(uintptr_t)addr, (size_t)size); /* little-endian host */
				vf_mark_unknown(&regs[value_regno]);
				vf_mark_known(&regs[value_regno], v);
			} else {
				vf_mark_unknown(&regs[value_regno]);
			}
		}
		break;
	case VF_PTR_TO_MEM: {
		if (r->type & VF_MAYBE_NULL)
			return vf_fail(e, "R%d invalid mem access '%s'", regno, tstr(r, t, sizeof(t)));
		if (write && (r->type & VF_RDONLY))
			return vf_fail(e, "R%d cannot write into %s", regno, tstr(r, t, sizeof(t)));
		uint64_t sz = (r->type & VF_RAWMEM) ? e->cur->raw_len : (uint32_t)r->range;
		rc = check_mem_region(e, regno, off, size, sz, false);
		if (!rc && value_regno >= 0 && (!write || (r->type & VF_RDONLY)))
			vf_mark_unknown(&regs[value_regno]);
		break;
	}
	case VF_PTR_TO_CTX: {
		if (r->type & VF_MAYBE_NULL)
			return vf_fail(e, "R%d invalid mem access '%s'", regno, tstr(r, t, sizeof(t)));
		rc = vf_check_ptr_off_reg(e, r, regno);
		if (rc)
			return rc;
		uint16_t type = VF_SCALAR;
		rc = check_ctx_access(e, off, size, write, is_ldsx, &type);
		if (!rc && !write && value_regno >= 0) {
			struct vf_reg *d = &regs[value_regno];
			if (type == VF_SCALAR) {
				vf_mark_unknown(d);
			} else {
				vf_mark_known_zero_ptr(d, type);
				if (type & VF_MAYBE_NULL)
					d->id = ++e->id_gen;
			}
		}
		break;
	}
	case VF_PTR_TO_STACK:
		rc = check_stack_access(e, regno, off, size, write, value_regno, insn);
		break;
	case VF_PTR_TO_PACKET:
	case VF_PTR_TO_PACKET_META:
		if (write && !may_write_packet(e))
			return vf_fail(e, "cannot write into packet");
		rc = check_packet_access(e, regno, off, size, false);
		if (!rc && !write && value_regno >= 0)
			vf_mark_unknown(&regs[value_regno]);
		break;
	case VF_PTR_TO_SOCK_COMMON:
		if (r->type & VF_MAYBE_NULL)
			return vf_fail(e, "R%d invalid mem access '%s'", regno, tstr(r, t, sizeof(t)));
		rc = check_sock_access(e, regno, off, size, write);
		if (!rc && value_regno >= 0)
			vf_mark_unknown(&regs[value_regno]);
		break;
	default:
		return vf_fail(e, "R%d invalid mem access '%s'", regno, tstr(r, t, sizeof(t)));
	}
	if (!rc && size < 8 && value_regno >= 0 && !write && regs[value_regno].type == VF_SCALAR) {
		if (is_ldsx)
			vf_coerce_to_size_sx(&regs[value_regno], size);
		else
			vf_coerce_to_size(&regs[value_regno], size);
	}
	return rc;
}

static int size_bytes(const struct bpf_insn *insn)
{
	switch (BPF_SIZE(insn->code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

static bool type_mismatch_ok(uint16_t t)
{
	switch (VF_BASE(t)) {
	case VF_PTR_TO_CTX:
	case VF_PTR_TO_SOCK_COMMON:
		return false;
	default:
		return true;
	}
}

/* The same load or store may not be reached with a ctx pointer on one path
 * and another pointer on another (the kernel rewrites ctx accesses). */
static int save_ptr_type(struct vf_env *e, uint16_t type)
{
	uint16_t *prev = &e->aux[e->insn_idx].ptr_type;
	if (*prev == VF_NOT_INIT)
		*prev = type;
	else if (type != *prev && (!type_mismatch_ok(type) || !type_mismatch_ok(*prev)))
		return vf_fail(e, "same insn cannot be used with different pointers");
	return 0;
}

int vf_check_ldx(struct vf_env *e, const struct bpf_insn *insn)
{
	int rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
	if (!rc)
		rc = vf_check_reg_arg(e, insn->dst_reg, VF_DST_OP_NO_MARK);
	if (rc)
		return rc;
	uint16_t type = vf_regs(e)[insn->src_reg].type;
	bool ldsx = BPF_MODE(insn->code) == BPF_MEMSX;
	rc = check_mem_access(e, insn->src_reg, insn->off, size_bytes(insn), false, insn->dst_reg, ldsx, insn);
	if (!rc)
		rc = save_ptr_type(e, type);
	return rc;
}

int vf_check_stx(struct vf_env *e, const struct bpf_insn *insn)
{
	int rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
	if (!rc)
		rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
	if (rc)
		return rc;
	uint16_t type = vf_regs(e)[insn->dst_reg].type;
	rc = check_mem_access(e, insn->dst_reg, insn->off, size_bytes(insn), true, insn->src_reg, false, insn);
	if (!rc)
		rc = save_ptr_type(e, type);
	return rc;
}

int vf_check_st(struct vf_env *e, const struct bpf_insn *insn)
{
	int rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
	if (rc)
		return rc;
	uint16_t type = vf_regs(e)[insn->dst_reg].type;
	rc = check_mem_access(e, insn->dst_reg, insn->off, size_bytes(insn), true, -1, false, insn);
	if (!rc)
		rc = save_ptr_type(e, type);
	return rc;
}

static bool atomic_ptr_ok(const struct vf_reg *r)
{
	switch (VF_BASE(r->type)) {
	case VF_PTR_TO_CTX:
	case VF_PTR_TO_PACKET:
	case VF_PTR_TO_PACKET_META:
	case VF_PTR_TO_PACKET_END:
	case VF_PTR_TO_SOCK_COMMON:
		return false;
	default:
		return true;
	}
}

int vf_check_atomic(struct vf_env *e, const struct bpf_insn *insn)
{
	char t[48];
	int size = size_bytes(insn);
	int rc;
	if (insn->imm == BPF_LOAD_ACQ) {
		rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
		if (!rc)
			rc = vf_check_reg_arg(e, insn->dst_reg, VF_DST_OP_NO_MARK);
		if (rc)
			return rc;
		const struct vf_reg *p = &vf_regs(e)[insn->src_reg];
		if (!atomic_ptr_ok(p))
			return vf_fail(e, "BPF_ATOMIC loads from R%d %s is not allowed", insn->src_reg, tstr(p, t, sizeof(t)));
		uint16_t type = p->type;
		rc = check_mem_access(e, insn->src_reg, insn->off, size, false, insn->dst_reg, false, insn);
		return rc ? rc : save_ptr_type(e, type);
	}
	if (insn->imm == BPF_STORE_REL) {
		rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
		if (!rc)
			rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
		if (rc)
			return rc;
		const struct vf_reg *p = &vf_regs(e)[insn->dst_reg];
		if (!atomic_ptr_ok(p))
			return vf_fail(e, "BPF_ATOMIC stores into R%d %s is not allowed", insn->dst_reg, tstr(p, t, sizeof(t)));
		uint16_t type = p->type;
		rc = check_mem_access(e, insn->dst_reg, insn->off, size, true, insn->src_reg, false, insn);
		return rc ? rc : save_ptr_type(e, type);
	}
	if (size != 4 && size != 8)
		return vf_fail(e, "invalid atomic operand size");
	rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
	if (!rc)
		rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
	if (!rc && insn->imm == BPF_CMPXCHG)
		rc = vf_check_reg_arg(e, 0, VF_SRC_OP);
	if (rc)
		return rc;
	const struct vf_reg *p = &vf_regs(e)[insn->dst_reg];
	if (!atomic_ptr_ok(p))
		return vf_fail(e, "BPF_ATOMIC stores into R%d %s is not allowed", insn->dst_reg, tstr(p, t, sizeof(t)));
	int load_reg = -1;
	if (insn->imm & BPF_FETCH) {
		load_reg = insn->imm == BPF_CMPXCHG ? 0 : insn->src_reg;
		rc = vf_check_reg_arg(e, load_reg, VF_DST_OP);
		if (rc)
			return rc;
	}
	rc = check_mem_access(e, insn->dst_reg, insn->off, size, false, -1, false, insn);
	if (!rc && load_reg >= 0)
		rc = check_mem_access(e, insn->dst_reg, insn->off, size, false, load_reg, false, insn);
	if (!rc)
		rc = check_mem_access(e, insn->dst_reg, insn->off, size, true, -1, false, insn);
	return rc;
}

int vf_check_ld_abs(struct vf_env *e, const struct bpf_insn *insn)
{
	int rc;
	if (e->prog_type != BPF_PROG_TYPE_SOCKET_FILTER && e->prog_type != BPFVM_PROG_TYPE_RAW)
		return vf_fail(e, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
	if (e->prog_type == BPF_PROG_TYPE_SOCKET_FILTER) {
		rc = vf_check_reg_arg(e, 6, VF_SRC_OP);
		if (rc)
			return rc;
		if (e->cur->nrefs)
			return vf_fail(e, "BPF_LD_[ABS|IND] would lead to reference leak");
		const struct vf_reg *r6 = &vf_regs(e)[6];
		if (r6->type != VF_PTR_TO_CTX)
			return vf_fail(e, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
	}
	if (BPF_MODE(insn->code) == BPF_IND) {
		rc = vf_check_reg_arg(e, insn->src_reg, VF_SRC_OP);
		if (rc)
			return rc;
	}
	if (e->prog_type == BPF_PROG_TYPE_SOCKET_FILTER) {
		rc = vf_check_ptr_off_reg(e, &vf_regs(e)[6], 6);
		if (rc)
			return rc;
	}
	struct vf_reg *regs = vf_regs(e);
	for (int i = 1; i <= 5; i++) {
		vf_mark_not_init(&regs[i]);
		regs[i].live |= VF_LIVE_WRITTEN;
	}
	vf_mark_unknown(&regs[0]);
	regs[0].live |= VF_LIVE_WRITTEN;
	/* up to 32 bits of packet data */
	vf_coerce_to_size(&regs[0], BPF_SIZE(insn->code) == BPF_B ? 1 : BPF_SIZE(insn->code) == BPF_H ? 2 : 4);
	vf_scratch_reg(e, 0);
	return 0;
}

struct bpfvm_map *vf_lddw_map(struct vf_env *e, int idx)
{
	const struct bpf_insn *in = &e->insns[idx];
	int fd = in->imm;
	if (in->src_reg == BPF_PSEUDO_MAP_IDX || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
		if (in->imm < 0 || (size_t)in->imm >= e->fd_array_len)
			return NULL;
		fd = e->fd_array[in->imm];
	}
	return vm_env_obj(e->env, fd, VM_OBJ_MAP);
}

int vf_check_ld_imm64(struct vf_env *e, const struct bpf_insn *insn)
{
	int rc = vf_check_reg_arg(e, insn->dst_reg, VF_DST_OP);
	if (rc)
		return rc;
	struct vf_reg *d = &vf_regs(e)[insn->dst_reg];
	if (insn->src_reg == 0) {
		vf_mark_known(d, (uint64_t)(uint32_t)insn->imm | ((uint64_t)(uint32_t)insn[1].imm << 32));
		return 0;
	}
	switch (insn->src_reg) {
	case BPF_PSEUDO_FUNC: {
		int sub = vf_find_subprog(e, e->insn_idx + insn->imm + 1);
		vf_mark_known_zero_ptr(d, VF_PTR_TO_FUNC);
		d->range = sub;
		return 0;
	}
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE: {
		struct bpfvm_map *m = vf_lddw_map(e, e->insn_idx);
		if (!m) {
			if (insn->src_reg == BPF_PSEUDO_MAP_IDX || insn->src_reg == BPF_PSEUDO_MAP_IDX_VALUE)
				return vf_fail(e, "map index %d is not in fd_array (%zu maps)", insn->imm, e->fd_array_len);
			return vf_fail(e, "fd %d is not pointing to valid bpf_map", insn->imm);
		}
		if (insn->src_reg == BPF_PSEUDO_MAP_FD || insn->src_reg == BPF_PSEUDO_MAP_IDX) {
			vf_mark_known_zero_ptr(d, VF_CONST_PTR_TO_MAP);
			d->map = m;
			return 0;
		}
		uint32_t off = (uint32_t)insn[1].imm;
		uint64_t addr;
		if (vm_map_direct_value_addr(m, off, &addr))
			return vf_fail(e, "invalid access to map value pointer, value_size=%u off=%u", m->value_size, off);
		vf_mark_known_zero_ptr(d, VF_PTR_TO_MAP_VALUE);
		d->map = m;
		d->off = (int32_t)off;
		return 0;
	}
	case BPF_PSEUDO_BTF_ID:
		return vf_fail(e, "kernel variables (lddw src 3, BTF id %d) are not available outside the kernel", insn->imm);
	default:
		return vf_fail(e, "unrecognized bpf_ld_imm64 insn");
	}
}

/* ---- helper memory ---- */

static int check_stack_range(struct vf_env *e, int regno, int off, int64_t size, bool write, bool zero_ok, bool raw)
{
	const struct vf_reg *r = &vf_regs(e)[regno];
	struct vf_frame *f = vf_ptr_frame(e, r);
	char tn[48];
	if (size == 0 && !zero_ok)
		return vf_fail(e, "invalid zero-sized read");
	int rc = check_stack_bounds(e, regno, off, (int)size, write);
	if (rc)
		return rc;
	int64_t min_off, max_off;
	if (tnum_is_const(r->var_off)) {
		min_off = max_off = (int64_t)r->var_off.value + off;
	} else {
		min_off = r->smin + off;
		max_off = r->smax + off;
		raw = false;
	}
	if (raw)
		return 0;
	for (int64_t i = min_off; i < max_off + size; i++) {
		int slot = (int)(-i - 1), spi = slot / 8;
		struct vf_slot *s = &f->stack[spi];
		uint8_t *t = &s->type[slot % 8];
		vf_scratch_slot(e, spi);
		if (*t == VF_STACK_MISC || *t == VF_STACK_ZERO || *t == VF_STACK_INVALID) {
			if (write)
				*t = VF_STACK_MISC;
		} else if (vf_is_spilled(s)) {
			if (write) {
				vf_mark_unknown(&s->spilled);
				s->spilled.type = VF_NOT_INIT;
				scrub_slot(s);
			}
		} else {
			if (tnum_is_const(r->var_off))
				return vf_fail(e, "invalid read from stack R%d off %d+%d size %d", regno, (int)min_off,
					       (int)(i - min_off), (int)size);
			return vf_fail(e, "invalid read from stack R%d var_off %s+%d size %d", regno,
				       vf_tnum_str(r->var_off, tn, sizeof(tn)), (int)(i - min_off), (int)size);
		}
		vf_mark_read(e, &s->spilled);
	}
	return 0;
}

int vf_check_helper_mem(struct vf_env *e, int regno, int64_t size, bool write, bool zero_ok, bool raw)
{
	const struct vf_reg *r = &vf_regs(e)[regno];
	char t[48], t2[48];
	switch (VF_BASE(r->type)) {
	case VF_PTR_TO_PACKET:
	case VF_PTR_TO_PACKET_META:
		if (r->type & VF_MAYBE_NULL)
			break;
		if (write && !may_write_packet(e))
			return vf_fail(e, "cannot write into packet");
		return check_packet_access(e, regno, r->off, (int)size, zero_ok);
	case VF_PTR_TO_MAP_KEY:
		if (write)
			return vf_fail(e, "R%d cannot write into %s", regno, tstr(r, t, sizeof(t)));
		return check_mem_region(e, regno, r->off, (int)size, r->map->key_size, false);
	case VF_PTR_TO_MAP_VALUE:
		if (r->type & VF_MAYBE_NULL)
			break;
		if (check_map_access_type(e, r, r->off, (int)size, write))
			return VF_EREJECT;
		return check_mem_region(e, regno, r->off, (int)size, r->map->value_size, zero_ok);
	case VF_PTR_TO_MEM:
		if (r->type & VF_MAYBE_NULL)
			break;
		if (write && (r->type & VF_RDONLY))
			return vf_fail(e, "R%d cannot write into %s", regno, tstr(r, t, sizeof(t)));
		return check_mem_region(e, regno, r->off, (int)size,
					(r->type & VF_RAWMEM) ? e->cur->raw_len : (uint32_t)r->range, zero_ok);
	case VF_PTR_TO_STACK:
		return check_stack_range(e, regno, r->off, size, write, zero_ok, raw);
	default:
		break;
	}
	if (zero_ok && size == 0 && vf_reg_is_null(r))
		return 0;
	return vf_fail(e, "R%d type=%s expected=%s", regno, tstr(r, t, sizeof(t)),
		       vf_type_str(VF_PTR_TO_STACK, t2, sizeof(t2)));
}

/* ---- packet pointers and pkt_end ---- */

static void find_good_pkt_pointers(struct vf_state *st, const struct vf_reg *dst, uint16_t type, bool right_open)
{
	if (dst->off < 0 || (dst->off == 0 && right_open))
		return;
	if (dst->umax > VF_MAX_PACKET_OFF || dst->umax + (uint64_t)dst->off > VF_MAX_PACKET_OFF)
		return;
	int new_range = dst->off + (right_open ? 1 : 0);
	uint32_t id = dst->id;
	VF_FOR_EACH_REG(st, fr, reg, {
		if (reg->type == type && reg->id == id && reg->range < new_range)
			reg->range = new_range;
	});
}

static void mark_pkt_end(struct vf_state *st, int regno, bool range_open)
{
	struct vf_reg *r = &vf_cur_regs(st)[regno];
	if (r->type != VF_PTR_TO_PACKET)
		return;
	r->range = range_open ? VF_BEYOND_PKT_END : VF_AT_PKT_END;
}

static bool is_init_pkt(const struct vf_reg *r, uint16_t type)
{
	return r->type == type && r->off == 0 && tnum_equals_const(r->var_off, 0);
}

bool vf_try_match_pkt_pointers(struct vf_env *e, const struct bpf_insn *insn, struct vf_reg *dst, struct vf_reg *src,
			       struct vf_state *this_branch, struct vf_state *other_branch)
{
	(void)e;
	if (BPF_SRC(insn->code) != BPF_X || BPF_CLASS(insn->code) == BPF_JMP32)
		return false;
	/* dst' op src with dst a packet pointer being checked */
	bool dst_pkt = (dst->type == VF_PTR_TO_PACKET && src->type == VF_PTR_TO_PACKET_END) ||
		       (dst->type == VF_PTR_TO_PACKET_META && is_init_pkt(src, VF_PTR_TO_PACKET));
	bool src_pkt = (dst->type == VF_PTR_TO_PACKET_END && src->type == VF_PTR_TO_PACKET) ||
		       (is_init_pkt(dst, VF_PTR_TO_PACKET) && src->type == VF_PTR_TO_PACKET_META);
	if (!dst_pkt && !src_pkt)
		return false;
	switch (BPF_OP(insn->code)) {
	case BPF_JGT:
		if (dst_pkt) { /* pkt' > end: the fall-through has pkt' <= end */
			find_good_pkt_pointers(this_branch, dst, dst->type, false);
			mark_pkt_end(other_branch, insn->dst_reg, true);
		} else { /* end > pkt': the jump has pkt' < end */
			find_good_pkt_pointers(other_branch, src, src->type, true);
			mark_pkt_end(this_branch, insn->src_reg, false);
		}
		break;
	case BPF_JLT:
		if (dst_pkt) {
			find_good_pkt_pointers(other_branch, dst, dst->type, true);
			mark_pkt_end(this_branch, insn->dst_reg, false);
		} else {
			find_good_pkt_pointers(this_branch, src, src->type, false);
			mark_pkt_end(other_branch, insn->src_reg, true);
		}
		break;
	case BPF_JGE:
		if (dst_pkt) {
			find_good_pkt_pointers(this_branch, dst, dst->type, true);
			mark_pkt_end(other_branch, insn->dst_reg, false);
		} else {
			find_good_pkt_pointers(other_branch, src, src->type, false);
			mark_pkt_end(this_branch, insn->src_reg, true);
		}
		break;
	case BPF_JLE:
		if (dst_pkt) {
			find_good_pkt_pointers(other_branch, dst, dst->type, false);
			mark_pkt_end(this_branch, insn->dst_reg, true);
		} else {
			find_good_pkt_pointers(this_branch, src, src->type, true);
			mark_pkt_end(other_branch, insn->src_reg, false);
		}
		break;
	default:
		return false;
	}
	return true;
}

bool vf_pkt_branch(struct vf_reg *r1, struct vf_reg *r2, uint8_t op, int *taken)
{
	struct vf_reg *pkt;
	if (r2->type == VF_PTR_TO_PACKET_END) {
		pkt = r1;
	} else if (r1->type == VF_PTR_TO_PACKET_END) {
		pkt = r2;
		op = vf_flip_op(op);
	} else {
		return false;
	}
	*taken = -1;
	if (pkt->range >= 0)
		return true;
	switch (op) {
	case BPF_JLE:
	case BPF_JGT:
		if (pkt->range == VF_BEYOND_PKT_END)
			*taken = op == BPF_JGT;
		break;
	case BPF_JLT:
	case BPF_JGE:
		if (pkt->range == VF_BEYOND_PKT_END || pkt->range == VF_AT_PKT_END)
			*taken = op == BPF_JGE;
		break;
	}
	return true;
}

int vf_helper_wrote_stack(struct vf_env *e, int regno, int size)
{
	static const struct bpf_insn stb = { .code = BPF_STX | BPF_MEM | BPF_B };
	for (int i = 0; i < size; i++) {
		int rc = check_mem_access(e, regno, i, 1, true, -1, false, &stb);
		if (rc)
			return rc;
	}
	return 0;
}

void vf_clear_pkt_pointers(struct vf_env *e)
{
	VF_FOR_EACH_REG(e->cur, fr, reg, {
		if (vf_is_pkt_pointer_any(reg))
			vf_mark_unknown(reg);
	});
}
