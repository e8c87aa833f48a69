/* state.c - verifier states: allocation and copies, register marking,
 * read-liveness, and the comparison that decides whether a path may be
 * pruned because an explored (and proved safe) state covers it.
 *
 * Liveness: a register or stack slot of a checkpoint is "read" when some
 * path below it used its value before overwriting it. Reads walk up the
 * parent chain (vf_mark_read); writes since the last checkpoint stop them
 * (VF_LIVE_WRITTEN). A complete checkpoint's unread registers and slots do
 * not take part in the comparison. */
#include <stdlib.h>
#include <string.h>

#include "verifier.h"

struct vf_frame *vf_frame_new(int frameno, int subprog, int callsite)
{
	struct vf_frame *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->frameno = frameno;
	f->subprog = subprog;
	f->callsite = callsite;
	for (int i = 0; i < 11; i++)
		vf_mark_not_init(&f->regs[i]);
	f->regs[10].type = VF_PTR_TO_STACK;
	vf_mark_known(&f->regs[10], 0);
	f->regs[10].type = VF_PTR_TO_STACK;
	f->regs[10].frameno = (uint8_t)frameno;
	return f;
}

int vf_frame_grow(struct vf_frame *f, int nslots)
{
	if (nslots <= f->nslots)
		return 0;
	struct vf_slot *s = realloc(f->stack, (size_t)nslots * sizeof(*s));
	if (!s)
		return VF_ENOMEM;
	memset(s + f->nslots, 0, (size_t)(nslots - f->nslots) * sizeof(*s));
	for (int i = f->nslots; i < nslots; i++)
		vf_mark_not_init(&s[i].spilled);
	f->stack = s;
	f->nslots = nslots;
	return 0;
}

static void frame_free(struct vf_frame *f)
{
	if (f) {
		free(f->stack);
		free(f);
	}
}

static struct vf_frame *frame_dup(const struct vf_frame *src)
{
	struct vf_frame *f = malloc(sizeof(*f));
	if (!f)
		return NULL;
	*f = *src;
	f->stack = NULL;
	if (src->nslots) {
		f->stack = malloc((size_t)src->nslots * sizeof(*f->stack));
		if (!f->stack) {
			free(f);
			return NULL;
		}
		memcpy(f->stack, src->stack, (size_t)src->nslots * sizeof(*f->stack));
	}
	return f;
}

struct vf_state *vf_state_new(void)
{
	return calloc(1, sizeof(struct vf_state));
}

void vf_state_free_content(struct vf_state *st)
{
	for (int i = 0; i < VF_MAX_FRAMES; i++) {
		frame_free(st->frame[i]);
		st->frame[i] = NULL;
	}
	free(st->hist);
	free(st->refs);
	st->hist = NULL;
	st->refs = NULL;
	st->nhist = st->cap_hist = 0;
	st->nrefs = 0;
}

void vf_state_free(struct vf_state *st)
{
	if (st) {
		vf_state_free_content(st);
		free(st);
	}
}

int vf_state_copy(struct vf_state *dst, const struct vf_state *src)
{
	if (dst == src)
		return 0;
	vf_state_free_content(dst);
	*dst = *src;
	dst->seg = 0;
	for (int i = 0; i < VF_MAX_FRAMES; i++)
		dst->frame[i] = NULL;
	dst->hist = NULL;
	dst->refs = NULL;
	dst->cap_hist = 0;
	for (int i = 0; i <= src->curframe; i++) {
		dst->frame[i] = frame_dup(src->frame[i]);
		if (!dst->frame[i])
			goto nomem;
	}
	if (src->nhist) {
		dst->hist = malloc(src->nhist * sizeof(*dst->hist));
		if (!dst->hist)
			goto nomem;
		memcpy(dst->hist, src->hist, src->nhist * sizeof(*dst->hist));
		dst->cap_hist = src->nhist;
	}
	if (src->nrefs) {
		dst->refs = malloc(src->nrefs * sizeof(*dst->refs));
		if (!dst->refs)
			goto nomem;
		memcpy(dst->refs, src->refs, src->nrefs * sizeof(*dst->refs));
	}
	return 0;
nomem:
	vf_state_free_content(dst);
	return VF_ENOMEM;
}

/* ---- register marking ---- */

static void set_unbounded(struct vf_reg *r)
{
	r->var_off = TNUM_UNKNOWN;
	r->smin = INT64_MIN;
	r->smax = INT64_MAX;
	r->umin = 0;
	r->umax = UINT64_MAX;
	r->s32_min = INT32_MIN;
	r->s32_max = INT32_MAX;
	r->u32_min = 0;
	r->u32_max = UINT32_MAX;
}

void vf_mark_unbounded(struct vf_reg *r)
{
	struct tnum t = r->var_off;
	set_unbounded(r);
	r->var_off = t;
}

void vf_mark_reg32_unbounded(struct vf_reg *r)
{
	r->s32_min = INT32_MIN;
	r->s32_max = INT32_MAX;
	r->u32_min = 0;
	r->u32_max = UINT32_MAX;
}

void vf_mark_unknown(struct vf_reg *r)
{
	struct vf_reg *parent = r->parent;
	uint8_t live = r->live;
	memset(r, 0, sizeof(*r));
	r->parent = parent;
	r->live = live;
	r->type = VF_SCALAR;
	set_unbounded(r);
}

void vf_mark_known(struct vf_reg *r, uint64_t v)
{
	r->var_off = tnum_const(v);
	r->smin = r->smax = (int64_t)v;
	r->umin = r->umax = v;
	r->s32_min = r->s32_max = (int32_t)(uint32_t)v;
	r->u32_min = r->u32_max = (uint32_t)v;
	r->id = 0;
	r->off = 0;
	r->range = 0;
	r->ref_obj_id = 0;
	r->map = NULL;
}

void vf_mark_not_init(struct vf_reg *r)
{
	vf_mark_unknown(r);
	r->type = VF_NOT_INIT;
}

void vf_mark_known_zero_ptr(struct vf_reg *r, uint16_t type)
{
	struct vf_reg *parent = r->parent;
	uint8_t live = r->live;
	memset(r, 0, sizeof(*r));
	r->parent = parent;
	r->live = live;
	vf_mark_known(r, 0);
	r->type = type;
}

void vf_copy_reg(struct vf_reg *dst, const struct vf_reg *src)
{
	struct vf_reg *parent = dst->parent;
	uint8_t live = dst->live;
	*dst = *src;
	dst->parent = parent;
	dst->live = live;
}

bool vf_reg_is_const(const struct vf_reg *r, bool is32)
{
	return r->type == VF_SCALAR && (is32 ? tnum_subreg_is_const(r->var_off) : tnum_is_const(r->var_off));
}

uint64_t vf_reg_const(const struct vf_reg *r, bool is32)
{
	return is32 ? (uint32_t)r->var_off.value : r->var_off.value;
}

bool vf_reg_is_null(const struct vf_reg *r)
{
	return r->type == VF_SCALAR && tnum_equals_const(r->var_off, 0);
}

bool vf_is_pointer(const struct vf_reg *r)
{
	return r->type != VF_SCALAR && r->type != VF_NOT_INIT;
}

bool vf_is_pkt_pointer(const struct vf_reg *r)
{
	return r->type == VF_PTR_TO_PACKET || r->type == VF_PTR_TO_PACKET_META;
}

bool vf_is_pkt_pointer_any(const struct vf_reg *r)
{
	return vf_is_pkt_pointer(r) || r->type == VF_PTR_TO_PACKET_END;
}

/* Whether a comparison of r with 0 is decided, as Linux's reg_not_null():
 * only map values and keys, map pointers and helper memory count. Stack,
 * context and packet pointers are never 0 either, but the kernel explores
 * both branches of such a comparison, and so must bpfvm: pruning the "== 0"
 * side would accept programs the kernel rejects for what that side does. */
bool vf_reg_not_null(const struct vf_reg *r)
{
	if (r->type & VF_MAYBE_NULL)
		return false;
	switch (VF_BASE(r->type)) {
	case VF_CONST_PTR_TO_MAP:
	case VF_PTR_TO_MAP_VALUE:
	case VF_PTR_TO_MAP_KEY:
	case VF_PTR_TO_MEM:
		return true;
	default:
		return false;
	}
}

int vf_reg_width(const struct vf_reg *r)
{
	if (r->umax == 0)
		return 0;
	return 64 - __builtin_clzll(r->umax);
}

/* ---- liveness ---- */

void vf_mark_read(struct vf_env *e, struct vf_reg *r)
{
	(void)e;
	struct vf_reg *st = r, *p = r->parent;
	while (p) {
		if (st->live & VF_LIVE_WRITTEN)
			break;
		if (p->live & VF_LIVE_READ)
			break;
		p->live |= VF_LIVE_READ;
		st = p;
		p = st->parent;
	}
}

/* old was read below; cur (being pruned) stands for it: its parents' values
 * are used too. */
static void propagate_reg(struct vf_env *e, const struct vf_reg *old, struct vf_reg *cur)
{
	if (!(old->live & VF_LIVE_READ) || (cur->live & VF_LIVE_READ))
		return;
	cur->live |= VF_LIVE_READ;
	vf_mark_read(e, cur);
}

int vf_propagate_liveness(struct vf_env *e, const struct vf_state *old, struct vf_state *cur)
{
	if (old->curframe != cur->curframe)
		return 0;
	for (int fr = 0; fr <= cur->curframe; fr++) {
		const struct vf_frame *fo = old->frame[fr];
		struct vf_frame *fc = cur->frame[fr];
		for (int i = fr < cur->curframe ? 6 : 0; i < 10; i++)
			propagate_reg(e, &fo->regs[i], &fc->regs[i]);
		int ns = fo->nslots < fc->nslots ? fo->nslots : fc->nslots;
		for (int i = 0; i < ns; i++)
			propagate_reg(e, &fo->stack[i].spilled, &fc->stack[i].spilled);
	}
	/* the precision old's safety relied on */
	struct vf_bt bt = { .frame = cur->curframe };
	bool any = false;
	for (int fr = 0; fr <= old->curframe; fr++) {
		const struct vf_frame *fo = old->frame[fr];
		for (int i = 0; i < 10; i++)
			if (fo->regs[i].type == VF_SCALAR && fo->regs[i].precise && (fo->regs[i].live & VF_LIVE_READ)) {
				bt.reg[fr] |= 1u << i;
				any = true;
			}
		for (int i = 0; i < fo->nslots && i < 64; i++)
			if (vf_is_spilled(&fo->stack[i]) && fo->stack[i].spilled.type == VF_SCALAR &&
			    fo->stack[i].spilled.precise && (fo->stack[i].spilled.live & VF_LIVE_READ)) {
				bt.stack[fr] |= 1ull << i;
				any = true;
			}
	}
	if (!any)
		return 0;
	return vf_mark_precise_bt(e, cur, &bt);
}

/* ---- comparison ---- */

#define IDMAP_SIZE 1024
struct idmap {
	uint32_t old[IDMAP_SIZE], cur[IDMAP_SIZE];
	int n;
	uint32_t tmp;
};

static bool check_ids(struct idmap *m, uint32_t old_id, uint32_t cur_id)
{
	if (!!old_id != !!cur_id)
		return false;
	if (!old_id)
		return true;
	for (int i = 0; i < m->n; i++) {
		if (m->old[i] == old_id)
			return m->cur[i] == cur_id;
		if (m->cur[i] == cur_id)
			return false;
	}
	if (m->n == IDMAP_SIZE)
		return false;
	m->old[m->n] = old_id;
	m->cur[m->n] = cur_id;
	m->n++;
	return true;
}

static bool check_scalar_ids(struct idmap *m, uint32_t old_id, uint32_t cur_id)
{
	/* unlinked registers get fresh ids that cannot collide with real ones */
	old_id = old_id ? old_id : (0x40000000u | ++m->tmp);
	cur_id = cur_id ? cur_id : (0x40000000u | ++m->tmp);
	return check_ids(m, old_id, cur_id);
}

bool vf_range_within(const struct vf_reg *old, const struct vf_reg *cur)
{
	return old->umin <= cur->umin && old->umax >= cur->umax && old->smin <= cur->smin && old->smax >= cur->smax &&
	       old->u32_min <= cur->u32_min && old->u32_max >= cur->u32_max && old->s32_min <= cur->s32_min &&
	       old->s32_max >= cur->s32_max;
}

/* Everything but ids, parents, liveness and precision. */
static bool regs_same_value(const struct vf_reg *a, const struct vf_reg *b)
{
	return a->type == b->type && a->off == b->off && a->range == b->range && a->map == b->map &&
	       a->var_off.value == b->var_off.value && a->var_off.mask == b->var_off.mask && a->smin == b->smin &&
	       a->smax == b->smax && a->umin == b->umin && a->umax == b->umax && a->s32_min == b->s32_min &&
	       a->s32_max == b->s32_max && a->u32_min == b->u32_min && a->u32_max == b->u32_max &&
	       (VF_BASE(a->type) != VF_PTR_TO_STACK || a->frameno == b->frameno);
}

static bool regs_exact(struct idmap *m, const struct vf_reg *a, const struct vf_reg *b)
{
	return regs_same_value(a, b) && check_ids(m, a->id, b->id) && check_ids(m, a->ref_obj_id, b->ref_obj_id);
}

static bool regsafe(struct idmap *m, const struct vf_reg *rold, const struct vf_reg *rcur, int exact)
{
	if (exact == VF_EXACT)
		return regs_exact(m, rold, rcur);
	if (exact == VF_NOT_EXACT && !(rold->live & VF_LIVE_READ))
		return true;
	if (rold->type == VF_NOT_INIT)
		return true;
	if (rold->type != rcur->type)
		return false;
	switch (VF_BASE(rold->type)) {
	case VF_SCALAR:
		if (!rold->precise && exact == VF_NOT_EXACT)
			return true;
		if ((rold->id & VF_ADD_CONST) != (rcur->id & VF_ADD_CONST))
			return false;
		if ((rold->id & VF_ADD_CONST) && rold->off != rcur->off)
			return false;
		return vf_range_within(rold, rcur) && vf_tnum_in(rold->var_off, rcur->var_off) &&
		       check_scalar_ids(m, rold->id, rcur->id);
	case VF_PTR_TO_MAP_KEY:
	case VF_PTR_TO_MAP_VALUE:
	case VF_PTR_TO_MEM:
		return rold->off == rcur->off && rold->range == rcur->range && rold->map == rcur->map &&
		       vf_range_within(rold, rcur) && vf_tnum_in(rold->var_off, rcur->var_off) &&
		       check_ids(m, rold->id, rcur->id) && check_ids(m, rold->ref_obj_id, rcur->ref_obj_id);
	case VF_PTR_TO_PACKET:
	case VF_PTR_TO_PACKET_META:
		if (rold->range > rcur->range)
			return false;
		if (rold->off != rcur->off)
			return false;
		if (!check_ids(m, rold->id, rcur->id))
			return false;
		return vf_range_within(rold, rcur) && vf_tnum_in(rold->var_off, rcur->var_off);
	default:
		return regs_exact(m, rold, rcur);
	}
}

static const struct vf_reg *scalar_for_slot(const struct vf_slot *s, const struct vf_reg *unbound)
{
	bool all_spill = true, all_misc = true;
	for (int i = 0; i < 8; i++) {
		if (s->type[i] != VF_STACK_SPILL)
			all_spill = false;
		if (s->type[i] != VF_STACK_MISC && s->type[i] != VF_STACK_INVALID)
			all_misc = false;
	}
	if (all_spill && s->spilled.type == VF_SCALAR)
		return &s->spilled;
	if (all_misc)
		return unbound;
	return NULL;
}

static bool stacksafe(struct idmap *m, const struct vf_frame *old, const struct vf_frame *cur, int exact)
{
	struct vf_reg unbound;
	memset(&unbound, 0, sizeof(unbound));
	vf_mark_unknown(&unbound);
	unbound.live = VF_LIVE_READ;
	for (int i = 0; i < old->nslots * 8; i++) {
		int spi = i / 8, b = i % 8;
		const struct vf_slot *os = &old->stack[spi];
		if (exact == VF_EXACT && (i >= cur->nslots * 8 || os->type[b] != cur->stack[spi].type[b]))
			return false;
		if (exact == VF_NOT_EXACT && !(os->spilled.live & VF_LIVE_READ)) {
			i += 7 - b;
			continue;
		}
		if (os->type[b] == VF_STACK_INVALID)
			continue;
		/* privileged: uninitialised and misc bytes read alike, as unknown */
		if (os->type[b] == VF_STACK_MISC && exact != VF_EXACT)
			continue;
		if (i >= cur->nslots * 8)
			return false;
		const struct vf_slot *cs = &cur->stack[spi];
		const struct vf_reg *ro = scalar_for_slot(os, &unbound), *rc = scalar_for_slot(cs, &unbound);
		if (ro && rc) {
			if (!regsafe(m, ro, rc, exact))
				return false;
			i += 7 - b;
			continue;
		}
		if (os->type[b] == VF_STACK_MISC && cs->type[b] == VF_STACK_ZERO)
			continue;
		if (os->type[b] != cs->type[b])
			return false;
		if (b != 7)
			continue;
		if (os->type[7] == VF_STACK_SPILL && !regsafe(m, &os->spilled, &cs->spilled, exact))
			return false;
	}
	return true;
}

static bool refsafe(struct idmap *m, const struct vf_state *old, const struct vf_state *cur)
{
	if (old->nrefs != cur->nrefs)
		return false;
	for (uint32_t i = 0; i < old->nrefs; i++)
		if (!check_ids(m, old->refs[i].id, cur->refs[i].id))
			return false;
	return true;
}

bool vf_states_equal(struct vf_env *e, const struct vf_state *old, const struct vf_state *cur, int exact)
{
	(void)e;
	static __thread struct idmap m;
	if (old->curframe != cur->curframe)
		return false;
	if (old->raw_len > cur->raw_len)
		return false;
	m.n = 0;
	m.tmp = 0;
	/* callsites first: the same function chain */
	for (int i = 0; i <= old->curframe; i++)
		if (old->frame[i]->callsite != cur->frame[i]->callsite)
			return false;
	for (int i = 0; i <= old->curframe; i++) {
		const struct vf_frame *fo = old->frame[i], *fc = cur->frame[i];
		if (fo->in_callback != fc->in_callback)
			return false;
		for (int r = 0; r < 11; r++)
			if (!regsafe(&m, &fo->regs[r], &fc->regs[r], exact))
				return false;
		if (!stacksafe(&m, fo, fc, exact))
			return false;
	}
	return refsafe(&m, old, cur);
}

bool vf_states_maybe_looping(const struct vf_state *old, const struct vf_state *cur)
{
	if (old->curframe != cur->curframe)
		return false;
	const struct vf_frame *fo = old->frame[old->curframe], *fc = cur->frame[cur->curframe];
	for (int i = 0; i < 11; i++)
		if (!regs_same_value(&fo->regs[i], &fc->regs[i]))
			return false;
	return true;
}

static void maybe_widen(struct idmap *m, const struct vf_reg *rold, struct vf_reg *rcur)
{
	if (rold->type != VF_SCALAR || rcur->type != VF_SCALAR)
		return;
	if (rold->precise || rcur->precise || regs_exact(m, rold, rcur))
		return;
	vf_mark_unknown(rcur);
}

void vf_widen_imprecise(struct vf_env *e, const struct vf_state *old, struct vf_state *cur)
{
	(void)e;
	static __thread struct idmap m;
	m.n = 0;
	m.tmp = 0;
	int top = old->curframe < cur->curframe ? old->curframe : cur->curframe;
	for (int fr = top; fr >= 0; fr--) {
		const struct vf_frame *fo = old->frame[fr];
		struct vf_frame *fc = cur->frame[fr];
		for (int i = 0; i < 11; i++)
			maybe_widen(&m, &fo->regs[i], &fc->regs[i]);
		int ns = fo->nslots < fc->nslots ? fo->nslots : fc->nslots;
		for (int i = 0; i < ns; i++)
			if (vf_is_spilled(&fo->stack[i]) && vf_is_spilled(&fc->stack[i]))
				maybe_widen(&m, &fo->stack[i].spilled, &fc->stack[i].spilled);
	}
}
