/* calls.c - calls and returns: helper calls checked against their
 * prototypes (bpfvm_helper_proto, from helpers.def or the caller's
 * registration) and the program type's allowed helpers, map/helper
 * compatibility, ring buffer references (reserve acquires, submit and
 * discard release, exit with one held is a leak), tail calls, bpf-to-bpf
 * calls (a new frame; r1-r5 are the arguments, r6-r9 survive), callbacks of
 * bpf_loop and bpf_for_each_map_elem (verified as if called any number of
 * times: the callback returns to its call site until the states converge),
 * and program exit (r0 set; any value for socket filters and XDP, as the
 * kernel allows a privileged loader). */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "vm.h"
#include "verifier.h"

struct call_meta {
	const struct bpfvm_map *map;
	int64_t const_map_key;       /* -1 when unknown */
	int subprog;                 /* callback */
	uint32_t ref_obj_id;
	int release_regno;
	int raw_regno;               /* uninitialised memory a helper fills */
	int64_t raw_size;
	uint64_t mem_size;           /* ringbuf_reserve size */
};

static const char *helper_name(uint32_t id, const struct vm_helper *h, char *buf, size_t len)
{
	const char *n = h && h->name ? h->name : isa_helper_name(id);
	if (!n) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	return n;
}

/* The kernel's prototypes say more than bpfvm_helper_proto can: which
 * memory arguments may be NULL, which ones the helper writes, which one a
 * release function consumes. */
static bool arg_maybe_null(uint32_t id, int arg)
{
	return id == BPF_FUNC_csum_diff && (arg == 0 || arg == 2);
}

static bool changes_pkt_data(uint32_t id)
{
	return id == BPF_FUNC_xdp_adjust_head || id == BPF_FUNC_xdp_adjust_tail;
}

static const char *map_type_ok_msg(struct vf_env *e, const struct bpfvm_map *m, uint32_t id, const char *name)
{
	bool ok = true;
	switch (m->type) {
	case VM_MAP_PROG_ARRAY:
		ok = id == BPF_FUNC_tail_call;
		break;
	case VM_MAP_RINGBUF:
		ok = id == BPF_FUNC_ringbuf_output || id == BPF_FUNC_ringbuf_reserve || id == BPF_FUNC_ringbuf_query;
		break;
	case VM_MAP_QUEUE:
	case VM_MAP_STACK:
		ok = id == BPF_FUNC_map_peek_elem || id == BPF_FUNC_map_pop_elem || id == BPF_FUNC_map_push_elem;
		break;
	default:
		break;
	}
	switch (id) {
	case BPF_FUNC_tail_call:
		ok = ok && m->type == VM_MAP_PROG_ARRAY;
		break;
	case BPF_FUNC_ringbuf_output:
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_ringbuf_query:
		ok = ok && m->type == VM_MAP_RINGBUF;
		break;
	case BPF_FUNC_map_pop_elem:
	case BPF_FUNC_map_peek_elem:
	case BPF_FUNC_map_push_elem:
		ok = ok && (m->type == VM_MAP_QUEUE || m->type == VM_MAP_STACK);
		break;
	default:
		break;
	}
	if (!ok) {
		vf_fail(e, "cannot pass map_type %u into func %s#%u", m->type, name, id);
		return e->msg;
	}
	return NULL;
}

static int type_mismatch(struct vf_env *e, int regno, const struct vf_reg *r, const char *expected)
{
	char t[48];
	return vf_fail(e, "R%d type=%s expected=%s", regno, vf_type_str(r->type, t, sizeof(t)), expected);
}

static bool is_mem_type(uint16_t t)
{
	switch (t) {
	case VF_PTR_TO_STACK:
	case VF_PTR_TO_PACKET:
	case VF_PTR_TO_PACKET_META:
	case VF_PTR_TO_MAP_KEY:
	case VF_PTR_TO_MAP_VALUE:
	case VF_PTR_TO_MEM:
	case VF_PTR_TO_MEM | VF_RDONLY:
	case VF_PTR_TO_MEM | VF_RINGBUF:
	case VF_PTR_TO_MEM | VF_RAWMEM:
		return true;
	default:
		return false;
	}
}

#define MEM_TYPES "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem"

/* The constant key of an array lookup, read from the stack (-1 if none). */
static int64_t constant_map_key(struct vf_env *e, const struct vf_reg *key, uint32_t key_size)
{
	if (VF_BASE(key->type) != VF_PTR_TO_STACK || key->type != VF_PTR_TO_STACK || !tnum_is_const(key->var_off))
		return -1;
	struct vf_frame *f = vf_ptr_frame(e, key);
	int stack_off = key->off + (int)(int64_t)key->var_off.value;
	int slot = -stack_off - 1, spi = slot / 8, off = slot % 8;
	if (spi >= f->nslots)
		return -1;
	struct vf_slot *s = &f->stack[spi];
	uint32_t zeros = 0, spill = 0;
	for (int i = off; i >= 0 && s->type[i] == VF_STACK_ZERO; i--)
		zeros++;
	if (zeros >= key_size)
		return 0;
	if (!vf_is_spilled_scalar(s))
		return -1;
	for (int i = off; i >= 0 && s->type[i] == VF_STACK_SPILL; i--)
		spill++;
	if (spill != key_size || !tnum_is_const(s->spilled.var_off))
		return -1;
	struct vf_bt bt = { .frame = e->cur->curframe };
	bt.stack[key->frameno] |= 1ull << spi;
	if (vf_mark_precise_bt(e, e->cur, &bt))
		return -2;
	return (int64_t)s->spilled.var_off.value;
}

static int check_arg(struct vf_env *e, uint32_t id, const char *name, const struct bpfvm_helper_proto *p, int arg,
		     struct call_meta *meta)
{
	int regno = arg + 1;
	uint8_t at = p->args[arg];
	if (at == BPFVM_ARG_NONE)
		return 0;
	int rc = vf_check_reg_arg(e, regno, VF_SRC_OP);
	if (rc)
		return rc;
	struct vf_reg *r = &vf_regs(e)[regno];
	char t[48];
	switch (at) {
	case BPFVM_ARG_ANYTHING:
		return 0;
	case BPFVM_ARG_CONST_MAP_PTR:
		if (r->type != VF_CONST_PTR_TO_MAP)
			return type_mismatch(e, regno, r, "map_ptr");
		rc = vf_check_ptr_off_reg(e, r, regno);
		if (rc)
			return rc;
		meta->map = r->map;
		return 0;
	case BPFVM_ARG_PTR_TO_MAP_KEY:
		if (!is_mem_type(r->type))
			return type_mismatch(e, regno, r, MEM_TYPES);
		if (!meta->map)
			return vf_fail(e, "invalid map_ptr to access map->key");
		rc = vf_check_helper_mem(e, regno, meta->map->key_size, false, false, false);
		if (rc)
			return rc;
		if (meta->map->type == VM_MAP_ARRAY || meta->map->type == VM_MAP_PERCPU_ARRAY) {
			meta->const_map_key = constant_map_key(e, r, meta->map->key_size);
			if (meta->const_map_key == -2)
				return VF_ENOMEM;
		}
		return 0;
	case BPFVM_ARG_PTR_TO_MAP_VALUE:
		if (!is_mem_type(r->type))
			return type_mismatch(e, regno, r, MEM_TYPES);
		if (!meta->map)
			return vf_fail(e, "invalid map_ptr to access map->value");
		return vf_check_helper_mem(e, regno, meta->map->value_size, false, false, false);
	case BPFVM_ARG_PTR_TO_MEM:
	case BPFVM_ARG_PTR_TO_UNINIT_MEM:
		if (arg_maybe_null(id, arg) && vf_reg_is_null(r))
			break;
		if (!is_mem_type(r->type))
			return type_mismatch(e, regno, r, MEM_TYPES);
		if (at == BPFVM_ARG_PTR_TO_UNINIT_MEM && (r->type & VF_RDONLY))
			return vf_fail(e, "R%d cannot write into %s", regno, vf_type_str(r->type, t, sizeof(t)));
		/* the size follows; pop/peek are sized by the map's values */
		if (arg == 4 || (p->args[arg + 1] != BPFVM_ARG_CONST_SIZE && p->args[arg + 1] != BPFVM_ARG_CONST_SIZE_OR_ZERO)) {
			if (!meta->map)
				return vf_fail(e, "R%d memory argument without a size", regno);
			bool raw = at == BPFVM_ARG_PTR_TO_UNINIT_MEM && VF_BASE(r->type) == VF_PTR_TO_STACK &&
				   tnum_is_const(r->var_off);
			rc = vf_check_helper_mem(e, regno, meta->map->value_size, at == BPFVM_ARG_PTR_TO_UNINIT_MEM, false,
						 raw);
			if (!rc && raw) {
				meta->raw_regno = regno;
				meta->raw_size = meta->map->value_size;
			}
			return rc;
		}
		break;
	case BPFVM_ARG_CONST_SIZE:
	case BPFVM_ARG_CONST_SIZE_OR_ZERO: {
		bool zero_ok = at == BPFVM_ARG_CONST_SIZE_OR_ZERO;
		if (r->type != VF_SCALAR)
			return type_mismatch(e, regno, r, "scalar");
		if (arg == 0)
			return vf_fail(e, "R%d size argument without memory", regno);
		uint8_t mt = p->args[arg - 1];
		bool write = mt == BPFVM_ARG_PTR_TO_UNINIT_MEM;
		if (r->smin < 0)
			return vf_fail(e, "R%d min value is negative, either use unsigned or 'var &= const'", regno);
		if (r->umin == 0 && !zero_ok)
			return vf_fail(e, "R%d invalid zero-sized read: u64=[%llu,%llu]", regno, (unsigned long long)r->umin,
				       (unsigned long long)r->umax);
		if (r->umax >= (uint64_t)VF_MAX_VAR_SIZ)
			return vf_fail(e, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'",
				       regno);
		const struct vf_reg *m = &vf_regs(e)[regno - 1];
		bool raw = write && tnum_is_const(r->var_off) && VF_BASE(m->type) == VF_PTR_TO_STACK &&
			   tnum_is_const(m->var_off);
		rc = vf_check_helper_mem(e, regno - 1, (int64_t)r->umax, write, zero_ok, raw);
		if (!rc && raw) {
			meta->raw_regno = regno - 1;
			meta->raw_size = (int64_t)r->umax;
		}
		if (!rc)
			rc = vf_mark_precise(e, regno);
		return rc;
	}
	case BPFVM_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (r->type != VF_SCALAR)
			return type_mismatch(e, regno, r, "scalar");
		if (!tnum_is_const(r->var_off))
			return vf_fail(e, "R%d is not a known constant'", regno);
		meta->mem_size = r->var_off.value;
		return vf_mark_precise(e, regno);
	case BPFVM_ARG_PTR_TO_CTX:
		if (VF_BASE(r->type) != VF_PTR_TO_CTX || (r->type & VF_MAYBE_NULL))
			return type_mismatch(e, regno, r, "ctx");
		return vf_check_ptr_off_reg(e, r, regno);
	case BPFVM_ARG_PTR_TO_FUNC:
		if (r->type != VF_PTR_TO_FUNC)
			return type_mismatch(e, regno, r, "func");
		meta->subprog = r->range;
		return 0;
	case BPFVM_ARG_PTR_TO_STACK_OR_NULL:
		if (vf_reg_is_null(r))
			return 0;
		if (r->type != VF_PTR_TO_STACK)
			return type_mismatch(e, regno, r, "fp");
		return 0;
	case BPFVM_ARG_PTR_TO_RINGBUF_MEM:
		if (r->type != (VF_PTR_TO_MEM | VF_RINGBUF))
			return type_mismatch(e, regno, r, "ringbuf_mem");
		if (r->off)
			return vf_fail(e, "R%d must have zero offset when passed to release func or trusted arg to kfunc",
				       regno);
		rc = vf_check_ptr_off_reg(e, r, regno);
		if (rc)
			return rc;
		if (!r->ref_obj_id)
			return vf_fail(e, "R%d must be referenced when passed to release function", regno);
		meta->ref_obj_id = r->ref_obj_id;
		meta->release_regno = regno;
		return 0;
	case BPFVM_ARG_PTR_TO_LONG:
		if (!is_mem_type(r->type))
			return type_mismatch(e, regno, r, MEM_TYPES);
		return vf_check_helper_mem(e, regno, 8, true, false, false);
	default:
		return vf_fail(e, "helper %s#%u has an unsupported argument type %u", name, id, at);
	}
	return 0;
}

/* ---- references ---- */

static int acquire_reference(struct vf_env *e, int insn)
{
	struct vf_state *st = e->cur;
	struct vf_ref *r = realloc(st->refs, (st->nrefs + 1) * sizeof(*r));
	if (!r)
		return VF_ENOMEM;
	st->refs = r;
	uint32_t id = ++e->id_gen;
	r[st->nrefs++] = (struct vf_ref){ id, insn };
	return (int)id;
}

static bool drop_ref(struct vf_state *st, uint32_t id)
{
	for (uint32_t i = 0; i < st->nrefs; i++)
		if (st->refs[i].id == id) {
			memmove(&st->refs[i], &st->refs[i + 1], (st->nrefs - i - 1) * sizeof(st->refs[0]));
			st->nrefs--;
			return true;
		}
	return false;
}

int vf_release_reference(struct vf_env *e, uint32_t ref_obj_id)
{
	if (!drop_ref(e->cur, ref_obj_id))
		return VF_EREJECT;
	VF_FOR_EACH_REG(e->cur, fr, reg, {
		if (reg->ref_obj_id == ref_obj_id)
			vf_mark_unknown(reg);
	});
	return 0;
}

void vf_mark_ptr_or_null_regs(struct vf_env *e, struct vf_state *st, uint32_t id, bool is_null)
{
	(void)e;
	if (is_null)
		drop_ref(st, id);
	VF_FOR_EACH_REG(st, fr, reg, {
		if ((reg->type & VF_MAYBE_NULL) && reg->id == id) {
			if (is_null) {
				vf_mark_unknown(reg);
				vf_mark_known(reg, 0);
			} else {
				reg->type &= (uint16_t)~VF_MAYBE_NULL;
				reg->id = 0;
			}
		}
	});
}

/* ---- helper calls ---- */

static int set_loop_callback(struct vf_env *e, struct vf_frame *caller, struct vf_frame *callee)
{
	(void)e;
	vf_mark_unknown(&callee->regs[1]);
	callee->regs[2] = caller->regs[3];
	callee->cb_ret_min = 0;
	callee->cb_ret_max = 1;
	return 0;
}

static int set_map_elem_callback(struct vf_env *e, struct vf_frame *caller, struct vf_frame *callee,
				 const struct bpfvm_map *m)
{
	switch (m->type) {
	case VM_MAP_ARRAY:
	case VM_MAP_PERCPU_ARRAY:
	case VM_MAP_HASH:
	case VM_MAP_PERCPU_HASH:
	case VM_MAP_LRU_HASH:
	case VM_MAP_LRU_PERCPU_HASH:
		break;
	default:
		return vf_fail(e, "callback function not allowed for map");
	}
	vf_mark_known_zero_ptr(&callee->regs[1], VF_CONST_PTR_TO_MAP);
	callee->regs[1].map = m;
	vf_mark_known_zero_ptr(&callee->regs[2], VF_PTR_TO_MAP_KEY);
	callee->regs[2].map = m;
	vf_mark_known_zero_ptr(&callee->regs[3], VF_PTR_TO_MAP_VALUE);
	callee->regs[3].map = m;
	callee->regs[4] = caller->regs[3];
	callee->cb_ret_min = 0;
	callee->cb_ret_max = 1;
	return 0;
}

/* Queues a path that enters the callback from this call site; the current
 * path continues after the call as if the callback ran to completion. */
static int push_callback_call(struct vf_env *e, int insn_idx, uint32_t helper, const struct call_meta *meta)
{
	struct vf_state *st = e->cur;
	if (meta->subprog < 0 || meta->subprog >= e->nsub)
		return vf_fail(e, "invalid callback");
	if (st->curframe + 1 >= VF_MAX_FRAMES)
		return vf_fail(e, "the call stack of %d frames is too deep", st->curframe + 2);
	e->sub[meta->subprog].is_cb = 1;
	struct vf_state *cb = vf_push_stack(e, e->sub[meta->subprog].start, insn_idx);
	if (!cb)
		return e->failed ? VF_EREJECT : VF_ENOMEM;
	struct vf_frame *caller = cb->frame[cb->curframe];
	struct vf_frame *callee = vf_frame_new(cb->curframe + 1, meta->subprog, insn_idx);
	if (!callee)
		return VF_ENOMEM;
	callee->in_callback = 1;
	callee->callback_helper = (uint8_t)(helper == BPF_FUNC_loop ? 1 : 2);
	int rc = helper == BPF_FUNC_loop ? set_loop_callback(e, caller, callee)
					 : set_map_elem_callback(e, caller, callee, meta->map);
	if (rc) {
		free(callee->stack);
		free(callee);
		return rc;
	}
	cb->frame[++cb->curframe] = callee;
	cb->callback_unroll_depth++;
	caller->callback_depth++;
	vf_cur_frame(st)->callback_depth = 0;
	return 0;
}

static const struct vm_helper *resolve(struct vf_env *e, uint32_t id, struct bpfvm_helper_proto *proto,
				       const char **why)
{
	const struct vm_helper *h = vm_env_helper(e->env, id);
	if (h) {
		*proto = h->proto;
		return h;
	}
	int allowed = 0;
	h = vm_builtin_helper(id, e->prog_type, &allowed);
	if (!h) {
		*why = "invalid func";
		return NULL;
	}
	if (!allowed) {
		*why = "program of this type cannot use helper";
		return NULL;
	}
	*proto = h->proto;
	return h;
}

static int helper_call(struct vf_env *e, uint32_t id, int insn_idx)
{
	struct bpfvm_helper_proto proto;
	const char *why = NULL;
	char nb[32];
	const struct vm_helper *h = resolve(e, id, &proto, &why);
	const char *name = helper_name(id, h, nb, sizeof(nb));
	if (!h) {
		if (!isa_helper_name(id))
			return vf_fail(e, "invalid func unknown#%u", id);
		return vf_fail(e, "%s %s#%u", why, name, id);
	}
	struct call_meta meta = { .const_map_key = -1, .subprog = -1, .raw_regno = -1 };
	int rc;
	bool builtin = h == vm_builtin_helper(id, e->prog_type, &(int){ 0 });
	/* the kernel's bpf_trace_printk prototype declares two arguments only:
	 * r3-r5 need not be set (helpers.def lists them as ANYTHING) */
	if (builtin && id == BPF_FUNC_trace_printk)
		proto.args[2] = proto.args[3] = proto.args[4] = BPFVM_ARG_NONE;
	for (int i = 0; i < 5; i++) {
		rc = check_arg(e, id, name, &proto, i, &meta);
		if (rc)
			return rc;
	}
	if (meta.map && builtin && map_type_ok_msg(e, meta.map, id, name))
		return VF_EREJECT;
	if (meta.raw_regno >= 0) {
		rc = vf_helper_wrote_stack(e, meta.raw_regno, (int)meta.raw_size);
		if (rc)
			return rc;
	}
	struct vf_reg *regs = vf_regs(e);
	if (meta.release_regno) {
		if (!meta.ref_obj_id || vf_release_reference(e, meta.ref_obj_id))
			return vf_fail(e, "func %s#%u reference has not been acquired before", name, id);
	}
	if (builtin) {
		switch (id) {
		case BPF_FUNC_tail_call:
			if (e->cur->nrefs) {
				vf_fail(e, "Unreleased reference id=%u alloc_insn=%d", e->cur->refs[0].id,
					e->cur->refs[0].insn);
				return vf_fail(e, "tail_call would lead to reference leak");
			}
			break;
		case BPF_FUNC_for_each_map_elem:
			rc = push_callback_call(e, insn_idx, id, &meta);
			if (rc)
				return rc;
			break;
		case BPF_FUNC_loop:
			rc = vf_mark_precise(e, 1);
			if (rc)
				return rc;
			if ((uint64_t)vf_cur_frame(e->cur)->callback_depth < regs[1].umax) {
				rc = push_callback_call(e, insn_idx, id, &meta);
				if (rc)
					return rc;
			} else {
				vf_cur_frame(e->cur)->callback_depth = 0;
				if (e->log_level > 1)
					vf_log(e, "frame%d bpf_loop iteration limit reached\n", e->cur->curframe);
			}
			break;
		default:
			break;
		}
	}
	regs = vf_regs(e);
	for (int i = 0; i <= 5; i++) {
		vf_mark_not_init(&regs[i]);
		regs[i].live |= VF_LIVE_WRITTEN;
		vf_scratch_reg(e, i);
	}
	struct vf_reg *r0 = &regs[0];
	switch (proto.ret) {
	case BPFVM_RET_INTEGER:
		vf_mark_unknown(r0);
		break;
	case BPFVM_RET_VOID:
		break;
	case BPFVM_RET_PTR_TO_MAP_VALUE_OR_NULL: {
		if (!meta.map)
			return vf_fail(e, "helper %s#%u returns a map value but takes no map", name, id);
		uint16_t type = VF_PTR_TO_MAP_VALUE | VF_MAYBE_NULL;
		if (builtin && id == BPF_FUNC_map_lookup_elem &&
		    (meta.map->type == VM_MAP_ARRAY || meta.map->type == VM_MAP_PERCPU_ARRAY) && meta.const_map_key >= 0 &&
		    (uint64_t)meta.const_map_key < meta.map->max_entries)
			type = VF_PTR_TO_MAP_VALUE;
		vf_mark_known_zero_ptr(r0, type);
		r0->map = meta.map;
		break;
	}
	case BPFVM_RET_PTR_TO_RINGBUF_MEM_OR_NULL:
		vf_mark_known_zero_ptr(r0, VF_PTR_TO_MEM | VF_RINGBUF | VF_MAYBE_NULL);
		r0->range = (int32_t)(meta.mem_size > INT32_MAX ? INT32_MAX : meta.mem_size);
		break;
	default:
		return vf_fail(e, "helper %s#%u has an unsupported return type %u", name, id, proto.ret);
	}
	if (r0->type & VF_MAYBE_NULL)
		r0->id = ++e->id_gen;
	if (proto.ret == BPFVM_RET_PTR_TO_RINGBUF_MEM_OR_NULL) {
		int ref = acquire_reference(e, insn_idx);
		if (ref < 0)
			return ref;
		r0 = &vf_regs(e)[0];
		r0->id = (uint32_t)ref;
		r0->ref_obj_id = (uint32_t)ref;
	}
	if (builtin && changes_pkt_data(id))
		vf_clear_pkt_pointers(e);
	return 0;
}

int vf_check_helper_call(struct vf_env *e, const struct bpf_insn *insn, int *insn_idx)
{
	(void)insn_idx;
	return helper_call(e, (uint32_t)insn->imm, e->insn_idx);
}

int vf_check_callx(struct vf_env *e, const struct bpf_insn *insn)
{
	int rc = vf_check_reg_arg(e, insn->dst_reg, VF_SRC_OP);
	if (rc)
		return rc;
	const struct vf_reg *r = &vf_regs(e)[insn->dst_reg];
	if (!vf_reg_is_const(r, false) || r->var_off.value > UINT32_MAX)
		return vf_fail(e, "callx R%d: the helper id is not a known constant", insn->dst_reg);
	uint32_t id = (uint32_t)r->var_off.value;
	/* at run time callx reaches the helpers registered in the environment
	 * only (not bpfvm's builtin kernel helpers) */
	if (!vm_env_helper(e->env, id))
		return vf_fail(e, "callx R%d: no helper %u is registered", insn->dst_reg, id);
	rc = vf_mark_precise(e, insn->dst_reg);
	if (rc)
		return rc;
	return helper_call(e, id, e->insn_idx);
}

/* ---- bpf-to-bpf calls ---- */

/* A call of a global function: it is verified on its own for any
 * arguments of its types (bpfvm_verify walks it later), so the call checks
 * the arguments against those types, and r0 is then an unknown scalar. */
static int global_call(struct vf_env *e, int sub)
{
	const struct bpfvm_func_info *g = &e->gfuncs[e->sub[sub].global - 1];
	if (e->log_level)
		vf_log(e, "Func#%d ('%s') is global and assumed valid.\n", sub, g->name ? g->name : "");
	for (int a = 0; a < g->nargs; a++) {
		int regno = a + 1;
		int rc = vf_check_reg_arg(e, regno, VF_SRC_OP);
		if (rc)
			return rc;
		struct vf_reg *r = &vf_regs(e)[regno];
		char t[48];
		switch (g->arg[a]) {
		case BPFVM_FUNC_ARG_SCALAR:
			if (r->type != VF_SCALAR)
				return vf_fail(e, "R%d is not a scalar", regno);
			break;
		case BPFVM_FUNC_ARG_CTX:
			if (r->type != VF_PTR_TO_CTX)
				return vf_fail(e, "arg#%d expects pointer to ctx", a);
			rc = vf_check_ptr_off_reg(e, r, regno);
			if (rc)
				return rc;
			break;
		case BPFVM_FUNC_ARG_MEM:
			/* NULL, or memory the callee may read and write */
			if (r->type == VF_SCALAR && vf_reg_is_null(r))
				break;
			rc = vf_check_helper_mem(e, regno, g->arg_size[a], false, false, false);
			if (!rc)
				rc = vf_check_helper_mem(e, regno, g->arg_size[a], true, false, false);
			if (rc)
				return rc;
			break;
		default:
			return vf_fail(e, "arg#%d of %s() has a type bpfvm cannot check (%s)", a, g->name ? g->name : "",
				       vf_type_str(r->type, t, sizeof(t)));
		}
	}
	e->sub[sub].called = 1;
	struct vf_reg *regs = vf_regs(e);
	for (int i = 1; i <= 5; i++) {
		vf_mark_not_init(&regs[i]);
		regs[i].live |= VF_LIVE_WRITTEN;
	}
	vf_mark_unknown(&regs[0]);
	regs[0].live |= VF_LIVE_WRITTEN;
	return 0;
}

int vf_check_subprog_call(struct vf_env *e, const struct bpf_insn *insn, int *insn_idx)
{
	struct vf_state *st = e->cur;
	int target = *insn_idx + insn->imm + 1;
	int sub = vf_find_subprog(e, target);
	if (sub < 0)
		return vf_fail(e, "target of func call at insn %d is not a program", target);
	if (e->sub[sub].global) {
		int rc = global_call(e, sub);
		if (!rc)
			*insn_idx += 1;
		return rc;
	}
	if (st->curframe + 1 >= VF_MAX_FRAMES)
		return vf_fail(e, "the call stack of %d frames is too deep", st->curframe + 2);
	struct vf_frame *caller = vf_cur_frame(st);
	struct vf_frame *callee = vf_frame_new(st->curframe + 1, sub, *insn_idx);
	if (!callee)
		return VF_ENOMEM;
	for (int i = 1; i <= 5; i++)
		callee->regs[i] = caller->regs[i];
	e->sub[sub].called = 1;
	st->frame[++st->curframe] = callee;
	for (int i = 0; i <= 5; i++) {
		vf_mark_not_init(&caller->regs[i]);
		caller->regs[i].live |= VF_LIVE_WRITTEN;
	}
	if (e->log_level) {
		vf_log(e, "caller and callee:\n");
		vf_log_state(e, st, true);
	}
	*insn_idx = e->sub[sub].start;
	return 0;
}

/* The explored state at insn that is an ancestor of cur in the same call
 * chain (the previous visit of a loop). */
static struct vf_state *find_prev_entry(struct vf_env *e, struct vf_state *cur, int insn)
{
	for (struct vf_sl *sl = e->explored[insn]; sl; sl = sl->next) {
		struct vf_state *s = &sl->st;
		if (s->insn_idx != insn || !s->branches || s->dfs_depth >= cur->dfs_depth ||
		    s->curframe != cur->curframe)
			continue;
		bool same = true;
		for (int i = 0; i <= s->curframe; i++)
			if (s->frame[i]->callsite != cur->frame[i]->callsite)
				same = false;
		if (same)
			return s;
	}
	return NULL;
}

int vf_prepare_func_exit(struct vf_env *e, int *insn_idx)
{
	struct vf_state *st = e->cur;
	struct vf_frame *callee = vf_cur_frame(st);
	struct vf_reg *r0 = &callee->regs[0];
	if (r0->type == VF_PTR_TO_STACK)
		return vf_fail(e, "cannot return stack pointer to the caller");
	struct vf_frame *caller = st->frame[st->curframe - 1];
	bool in_cb = callee->in_callback;
	if (in_cb) {
		if (r0->type != VF_SCALAR)
			return vf_fail(e, "R0 not a scalar value");
		int rc = vf_mark_precise(e, 0);
		if (rc)
			return rc;
		r0 = &callee->regs[0];
		if (r0->smin < callee->cb_ret_min || r0->smax > callee->cb_ret_max) {
			char b[128];
			int n = 0;
			if (r0->smin > INT64_MIN)
				n += snprintf(b + n, sizeof(b) - (size_t)n, " smin=%lld", (long long)r0->smin);
			if (r0->smax < INT64_MAX)
				n += snprintf(b + n, sizeof(b) - (size_t)n, " smax=%lld", (long long)r0->smax);
			if (!n)
				snprintf(b, sizeof(b), " unknown scalar value");
			return vf_fail(e, "At callback return the register R0 has%s should have been in [%d, %d]", b,
				       callee->cb_ret_min, callee->cb_ret_max);
		}
		*insn_idx = callee->callsite;
	} else {
		struct vf_reg *p = caller->regs[0].parent;
		caller->regs[0] = *r0;
		caller->regs[0].parent = p;
		caller->regs[0].live |= VF_LIVE_WRITTEN;
		*insn_idx = callee->callsite + 1;
	}
	if (e->log_level) {
		vf_log(e, "returning from callee:\n");
		vf_log_state(e, st, false);
		vf_log(e, "to caller at %d:\n", *insn_idx);
	}
	free(callee->stack);
	free(callee);
	st->frame[st->curframe--] = NULL;
	if (e->log_level)
		vf_log_state(e, st, false);
	if (in_cb) {
		struct vf_state *prev = find_prev_entry(e, st, *insn_idx);
		if (prev)
			vf_widen_imprecise(e, prev, st);
	}
	return 0;
}

int vf_check_exit(struct vf_env *e)
{
	struct vf_state *st = e->cur;
	if (st->nrefs) {
		for (uint32_t i = 0; i < st->nrefs; i++)
			vf_fail(e, "Unreleased reference id=%u alloc_insn=%d", st->refs[i].id, st->refs[i].insn);
		return vf_fail(e, "BPF_EXIT instruction in main prog would lead to reference leak");
	}
	int rc = vf_check_reg_arg(e, 0, VF_SRC_OP);
	if (!rc && e->in_global >= 0 && vf_regs(e)[0].type != VF_SCALAR) {
		char t[48];
		return vf_fail(e, "At subprogram exit the register R0 is not a scalar value (%s)",
			       vf_type_str(vf_regs(e)[0].type, t, sizeof(t)));
	}
	return rc;
}
