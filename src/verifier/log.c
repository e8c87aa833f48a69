/* log.c - the verifier's log, shaped like the kernel's: each processed
 * instruction as "IDX: (CODE) DISASSEMBLY" followed by " ; " and the
 * registers and stack slots it touched, branch pops as "from A to B: STATE",
 * the reason for a rejection as one plain line, and the statistics line
 * ("processed N insns ..."). Level 1 keeps only the path that failed (the
 * log is cut back when a new branch starts); level 2 keeps every step.
 * The text is cut to the caller's buffer and always NUL-terminated. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "verifier.h"

/* The log is a ring over the caller's buffer, as the kernel's rotating log:
 * positions are virtual (they only grow, except when a branch's part is cut
 * back), the buffer keeps the last log_len - 1 characters, and
 * vf_log_finish makes them contiguous. */
static void put(struct vf_env *e, const char *s, size_t n)
{
	size_t cap = e->log_len - 1;
	for (size_t i = 0; i < n; i++)
		e->log[(e->log_pos + i) % cap] = s[i];
	e->log_pos += n;
	if (e->log_pos - e->log_start > cap) {
		e->log_start = e->log_pos - cap;
		e->log_truncated = true;
	}
}

void vf_vlog(struct vf_env *e, const char *fmt, va_list ap)
{
	if (!e->log_level || !e->log || e->log_len < 2)
		return;
	char line[2048];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	put(e, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void vf_log_finish(struct vf_env *e)
{
	if (!e->log || e->log_len < 1)
		return;
	if (e->log_len < 2) {
		e->log[0] = 0;
		return;
	}
	size_t cap = e->log_len - 1, len = (size_t)(e->log_pos - e->log_start);
	size_t first = (size_t)(e->log_start % cap);
	if (first + len > cap || first) {
		char *tmp = malloc(len ? len : 1);
		if (tmp) {
			for (size_t i = 0; i < len; i++)
				tmp[i] = e->log[(first + i) % cap];
			memcpy(e->log, tmp, len);
			free(tmp);
		} else {
			len = 0;
		}
	}
	e->log[len] = 0;
}

void vf_log(struct vf_env *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vf_vlog(e, fmt, ap);
	va_end(ap);
}

int vf_fail(struct vf_env *e, const char *fmt, ...)
{
	va_list ap;
	char line[256];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!e->failed) {
		e->failed = true;
		e->err_insn = e->insn_idx;
		snprintf(e->msg, sizeof(e->msg), "%s", line);
	} else {
		/* a second line about the same error (the kernel prints the
		 * specific check, then the general one) */
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, "; %s", line);
	}
	vf_log(e, "%s\n", line);
	return VF_EREJECT;
}

void vf_log_reset(struct vf_env *e, uint64_t pos)
{
	if (!e->log || pos > e->log_pos)
		return;
	e->log_pos = pos;
	if (e->log_pos < e->log_start)
		e->log_start = e->log_pos;
}

static const char *const type_names[VF_TYPE__COUNT] = {
	[VF_NOT_INIT] = "?",
	[VF_SCALAR] = "scalar",
	[VF_PTR_TO_CTX] = "ctx",
	[VF_CONST_PTR_TO_MAP] = "map_ptr",
	[VF_PTR_TO_MAP_VALUE] = "map_value",
	[VF_PTR_TO_MAP_KEY] = "map_key",
	[VF_PTR_TO_STACK] = "fp",
	[VF_PTR_TO_PACKET_META] = "pkt_meta",
	[VF_PTR_TO_PACKET] = "pkt",
	[VF_PTR_TO_PACKET_END] = "pkt_end",
	[VF_PTR_TO_MEM] = "mem",
	[VF_PTR_TO_FUNC] = "func",
	[VF_PTR_TO_SOCK_COMMON] = "sock_common",
};

const char *vf_type_str(uint16_t type, char *buf, size_t len)
{
	unsigned base = VF_BASE(type);
	snprintf(buf, len, "%s%s%s%s", (type & VF_RDONLY) ? "rdonly_" : "", (type & VF_RINGBUF) ? "ringbuf_" : "",
		 base < VF_TYPE__COUNT ? type_names[base] : "?", (type & VF_MAYBE_NULL) ? "_or_null" : "");
	return buf;
}

/* Appends to buf at *pos (bounded). */
static void add(char *buf, size_t len, size_t *pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	if (*pos >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos = *pos + (size_t)n < len ? *pos + (size_t)n : len - 1;
}

static void add_num(char *buf, size_t len, size_t *pos, uint64_t v)
{
	int64_t s = (int64_t)v;
	if (s > -1000000 && s < 1000000)
		add(buf, len, pos, "%" PRId64, s);
	else
		add(buf, len, pos, "%#" PRIx64, v);
}

/* The scalar's bounds that say something beyond what the others imply. */
static void add_bounds(char *buf, size_t len, size_t *pos, const struct vf_reg *r, bool *first)
{
#define SEP() add(buf, len, pos, "%s", *first ? "" : ","), *first = false
	if (r->smin != INT64_MIN && r->smin != (int64_t)r->umin) {
		SEP();
		add(buf, len, pos, "smin=%" PRId64, r->smin);
	}
	if (r->smax != INT64_MAX && r->smax != (int64_t)r->umax) {
		SEP();
		add(buf, len, pos, "smax=%" PRId64, r->smax);
	}
	if (r->umin != 0) {
		SEP();
		add(buf, len, pos, "umin=%" PRIu64, r->umin);
	}
	if (r->umax != UINT64_MAX) {
		SEP();
		add(buf, len, pos, "umax=%" PRIu64, r->umax);
	}
	if (r->s32_min != INT32_MIN && (int64_t)r->s32_min != r->smin) {
		SEP();
		add(buf, len, pos, "smin32=%" PRId32, r->s32_min);
	}
	if (r->s32_max != INT32_MAX && (int64_t)r->s32_max != r->smax) {
		SEP();
		add(buf, len, pos, "smax32=%" PRId32, r->s32_max);
	}
	if (r->u32_min != 0 && (uint64_t)r->u32_min != r->umin) {
		SEP();
		add(buf, len, pos, "umin32=%" PRIu32, r->u32_min);
	}
	if (r->u32_max != UINT32_MAX && (uint64_t)r->u32_max != r->umax) {
		SEP();
		add(buf, len, pos, "umax32=%" PRIu32, r->u32_max);
	}
	if (!tnum_is_unknown(r->var_off)) {
		char t[48];
		SEP();
		add(buf, len, pos, "var_off=%s", vf_tnum_str(r->var_off, t, sizeof(t)));
	}
#undef SEP
}

char *vf_reg_str(const struct vf_env *e, const struct vf_reg *r, char *buf, size_t len)
{
	size_t pos = 0;
	char tn[48];
	buf[0] = 0;
	(void)e;
	if (r->type == VF_SCALAR) {
		if (r->precise)
			add(buf, len, &pos, "P");
		if (tnum_is_const(r->var_off) && !r->id) {
			add_num(buf, len, &pos, r->var_off.value);
			return buf;
		}
		add(buf, len, &pos, "scalar(");
		bool first = true;
		if (r->id) {
			add(buf, len, &pos, "id=%u", r->id & ~VF_ADD_CONST);
			if (r->id & VF_ADD_CONST)
				add(buf, len, &pos, "+%d", r->off);
			first = false;
		}
		if (tnum_is_const(r->var_off)) {
			add(buf, len, &pos, "%s", first ? "" : ",");
			add_num(buf, len, &pos, r->var_off.value);
		} else {
			add_bounds(buf, len, &pos, r, &first);
		}
		add(buf, len, &pos, ")");
		return buf;
	}
	if (VF_BASE(r->type) == VF_PTR_TO_STACK && !(r->type & ~0xffu) && tnum_is_const(r->var_off)) {
		add(buf, len, &pos, "fp");
		if (r->frameno != e->log_frame)
			add(buf, len, &pos, "[%d]", r->frameno);
		add(buf, len, &pos, "%" PRId64, r->off + (int64_t)r->var_off.value);
		return buf;
	}
	add(buf, len, &pos, "%s(", vf_type_str(r->type, tn, sizeof(tn)));
	bool first = true;
#define SEP() add(buf, len, &pos, "%s", first ? "" : ","), first = false
	if (r->id) {
		SEP();
		add(buf, len, &pos, "id=%u", r->id);
	}
	if (r->ref_obj_id) {
		SEP();
		add(buf, len, &pos, "ref_obj_id=%u", r->ref_obj_id);
	}
	if (r->map) {
		SEP();
		const struct bpfvm_map *m = r->map;
		add(buf, len, &pos, "map=%s,ks=%u,vs=%u", m->name[0] ? m->name : "?", m->key_size, m->value_size);
	}
	if (VF_BASE(r->type) == VF_PTR_TO_STACK) {
		SEP();
		add(buf, len, &pos, "frame=%d", r->frameno);
	}
	if (r->off) {
		SEP();
		add(buf, len, &pos, "off=%d", r->off);
	}
	if (vf_is_pkt_pointer(r)) {
		SEP();
		if (r->range == VF_BEYOND_PKT_END)
			add(buf, len, &pos, "r=beyond_end");
		else if (r->range == VF_AT_PKT_END)
			add(buf, len, &pos, "r=at_end");
		else
			add(buf, len, &pos, "r=%d", r->range);
	} else if (VF_BASE(r->type) == VF_PTR_TO_MEM) {
		SEP();
		add(buf, len, &pos, "sz=%d", r->range);
	} else if (VF_BASE(r->type) == VF_PTR_TO_FUNC) {
		SEP();
		add(buf, len, &pos, "subprog=%d", r->range);
	}
	if (!tnum_is_const(r->var_off) || r->var_off.value) {
		if (!first)
			add(buf, len, &pos, ",");
		add_bounds(buf, len, &pos, r, &first);
	}
#undef SEP
	add(buf, len, &pos, ")");
	return buf;
}

static void log_slot(struct vf_env *e, const struct vf_frame *f, int spi)
{
	const struct vf_slot *s = &f->stack[spi];
	char buf[320];
	if (vf_is_spilled(s)) {
		vf_log(e, " fp-%d=%s", (spi + 1) * 8, vf_reg_str(e, &s->spilled, buf, sizeof(buf)));
		return;
	}
	bool any = false;
	char t[9];
	for (int i = 0; i < 8; i++) {
		static const char ch[] = { '?', 'r', 'm', '0' };
		t[i] = ch[s->type[i] & 3];
		if (s->type[i] != VF_STACK_INVALID)
			any = true;
	}
	t[8] = 0;
	if (any)
		vf_log(e, " fp-%d=%s", (spi + 1) * 8, t);
}

static void log_frame(struct vf_env *e, const struct vf_state *st, int fr, bool only_scratched)
{
	const struct vf_frame *f = st->frame[fr];
	char buf[320];
	e->log_frame = fr;
	if (fr != st->curframe || st->curframe > 0)
		vf_log(e, " frame%d:", fr);
	for (int i = 0; i < 11; i++) {
		const struct vf_reg *r = &f->regs[i];
		if (r->type == VF_NOT_INIT)
			continue;
		if (only_scratched && !(e->scratched_regs & (1u << i)))
			continue;
		vf_log(e, " R%d=%s", i, vf_reg_str(e, r, buf, sizeof(buf)));
	}
	for (int spi = 0; spi < f->nslots; spi++) {
		if (only_scratched && (spi >= 64 || !(e->scratched_stack & (1ull << spi))))
			continue;
		log_slot(e, f, spi);
	}
	if (f->in_callback)
		vf_log(e, " cb");
}

void vf_log_state(struct vf_env *e, const struct vf_state *st, bool all)
{
	if (!e->log_level)
		return;
	for (int fr = all ? 0 : st->curframe; fr <= st->curframe; fr++)
		log_frame(e, st, fr, false);
	vf_log(e, "\n");
}

void vf_log_insn(struct vf_env *e, int idx)
{
	if (!e->log_level)
		return;
	char text[160];
	bpfvm_disasm_insn(e->insns, e->n, (size_t)idx, BPFVM_SYNTAX_LLVM, 0, text, sizeof(text));
	e->log_insn_start = e->log_pos;
	vf_log(e, "%d: (%02x) %s\n", idx, e->insns[idx].code, text);
	e->log_insn_end = e->log_pos;
}

void vf_log_insn_state(struct vf_env *e, const struct vf_state *st)
{
	if (!e->log_level)
		return;
	if (!e->scratched_regs && !e->scratched_stack)
		return;
	if (e->log && e->log_insn_end == e->log_pos && e->log_insn_end > e->log_insn_start &&
	    e->log_insn_start >= e->log_start) {
		/* continue the instruction's line: "IDX: (CODE) TEXT   ; R0=..." */
		vf_log_reset(e, e->log_pos - 1);
		size_t width = (size_t)(e->log_pos - e->log_insn_start);
		vf_log(e, "%*s;", width < 38 ? (int)(38 - width) : 1, "");
	} else {
		vf_log(e, "%d:", e->insn_idx);
	}
	log_frame(e, st, st->curframe, true);
	vf_log(e, "\n");
}
