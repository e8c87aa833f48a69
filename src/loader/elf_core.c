/* elf_core.c - CO-RE relocations (.BTF.ext core_relo records).
 *
 * A record names a local type (BTF id), an access string ("0:3:1": an index
 * into the root, then member or element indices) and what to compute (a
 * field's byte offset, size, existence, signedness, bitfield shifts; a
 * type's existence, size or id; an enumerator's existence or value). The
 * target is what bpfvm gives programs: struct __sk_buff and struct xdp_md
 * as <linux/bpf.h> lays them out (the context bpfvm builds), plus enum
 * xdp_action and enum bpf_func_id (one BPF_FUNC_* per builtin helper), built
 * once with libbpf's BTF writer. Types with another name resolve against the
 * object's own BTF (identity: the layout it was compiled for), unless
 * BPFVM_OBJ_F_STRICT_CORE. Matching follows the CO-RE rules: names without
 * their ___flavour suffix, members found by name (through anonymous structs
 * and unions), array indices checked against the target's bounds.
 *
 * The instruction must hold the local value (as libbpf validates); it gets
 * the target's: an ALU immediate, a load/store offset (with the access size
 * adjusted when the target field is wider or narrower), or an lddw value.
 * A record that cannot be satisfied (a field the target lacks, say) fails
 * the programs that contain it, with a message naming the relocation; a
 * malformed record fails the open. */
#include <ctype.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "loader.h"

enum core_kind {
	CORE_FIELD_BYTE_OFFSET = 0,
	CORE_FIELD_BYTE_SIZE = 1,
	CORE_FIELD_EXISTS = 2,
	CORE_FIELD_SIGNED = 3,
	CORE_FIELD_LSHIFT_U64 = 4,
	CORE_FIELD_RSHIFT_U64 = 5,
	CORE_TYPE_ID_LOCAL = 6,
	CORE_TYPE_ID_TARGET = 7,
	CORE_TYPE_EXISTS = 8,
	CORE_TYPE_SIZE = 9,
	CORE_ENUMVAL_EXISTS = 10,
	CORE_ENUMVAL_VALUE = 11,
	CORE_TYPE_MATCHES = 12,
};

static const char *const kind_names[] = {
	"field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64",
	"field_rshift_u64", "type_id_local", "type_id_target", "type_exists", "type_size", "enumval_exists",
	"enumval_value", "type_matches",
};

#define CORE_MAX_ACCESS 64

/* ---- the target: bpfvm's context types ---- */

static struct btf *ctx_btf;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static int add_md_ptr_union(struct btf *b, const char *name, const char *pointee)
{
	int fwd = btf__add_fwd(b, pointee, BTF_FWD_STRUCT);
	int ptr = fwd > 0 ? btf__add_ptr(b, fwd) : -1;
	int u = ptr > 0 ? btf__add_union(b, NULL, 8) : -1;
	if (u <= 0 || btf__add_field(b, name, ptr, 0, 0))
		return -1;
	return u;
}

static int build_ctx(struct btf *b)
{
	int u8 = btf__add_int(b, "__u8", 1, 0);
	int u32 = btf__add_int(b, "__u32", 4, 0);
	int u64 = btf__add_int(b, "__u64", 8, 0);
	if (u8 <= 0 || u32 <= 0 || u64 <= 0)
		return -1;
	int u32x5 = btf__add_array(b, u32, u32, 5);
	int u32x4 = btf__add_array(b, u32, u32, 4);
	int flow_keys = add_md_ptr_union(b, "flow_keys", "bpf_flow_keys");
	int sk = add_md_ptr_union(b, "sk", "bpf_sock");
	if (u32x5 <= 0 || u32x4 <= 0 || flow_keys <= 0 || sk <= 0)
		return -1;
	if (btf__add_struct(b, "__sk_buff", sizeof(struct __sk_buff)) <= 0)
		return -1;
	int rc = 0;
#define F(name, type) rc |= btf__add_field(b, #name, type, offsetof(struct __sk_buff, name) * 8, 0)
	F(len, u32); F(pkt_type, u32); F(mark, u32); F(queue_mapping, u32); F(protocol, u32);
	F(vlan_present, u32); F(vlan_tci, u32); F(vlan_proto, u32); F(priority, u32);
	F(ingress_ifindex, u32); F(ifindex, u32); F(tc_index, u32); F(cb, u32x5); F(hash, u32);
	F(tc_classid, u32); F(data, u32); F(data_end, u32); F(napi_id, u32); F(family, u32);
	F(remote_ip4, u32); F(local_ip4, u32); F(remote_ip6, u32x4); F(local_ip6, u32x4);
	F(remote_port, u32); F(local_port, u32); F(data_meta, u32);
	rc |= btf__add_field(b, NULL, flow_keys, offsetof(struct __sk_buff, flow_keys) * 8, 0);
	F(tstamp, u64); F(wire_len, u32); F(gso_segs, u32);
	rc |= btf__add_field(b, NULL, sk, offsetof(struct __sk_buff, sk) * 8, 0);
	F(gso_size, u32); F(tstamp_type, u8); F(hwtstamp, u64);
#undef F
	if (rc || btf__add_struct(b, "xdp_md", sizeof(struct xdp_md)) <= 0)
		return -1;
#define F(name) rc |= btf__add_field(b, #name, u32, offsetof(struct xdp_md, name) * 8, 0)
	F(data); F(data_end); F(data_meta); F(ingress_ifindex); F(rx_queue_index); F(egress_ifindex);
#undef F
	if (rc || btf__add_enum(b, "xdp_action", 4) <= 0)
		return -1;
	static const char *const actions[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT" };
	for (int i = 0; i < 5; i++)
		rc |= btf__add_enum_value(b, actions[i], i);
	if (rc || btf__add_enum(b, "bpf_func_id", 4) <= 0)
		return -1;
	rc |= btf__add_enum_value(b, "BPF_FUNC_unspec", 0);
	for (uint32_t id = 1; id < 512; id++) {
		const char *name = bpfvm_builtin_helper(id, NULL);
		if (!name)
			continue;
		char buf[96];
		snprintf(buf, sizeof(buf), "BPF_FUNC_%s", strncmp(name, "bpf_", 4) == 0 ? name + 4 : name);
		rc |= btf__add_enum_value(b, buf, id);
	}
	return rc ? -1 : 0;
}

static void ctx_init(void)
{
	struct btf *b = btf__new_empty();
	if (!b)
		return;
	if (build_ctx(b)) {
		btf__free(b);
		return;
	}
	ctx_btf = b;
}

/* ---- matching ---- */

/* Length of name without a ___flavour suffix. */
static size_t essential_len(const char *name)
{
	const char *p = strstr(name, "___");
	return p ? (size_t)(p - name) : strlen(name);
}

static int same_essential(const char *a, const char *b)
{
	size_t n = essential_len(a);
	return n == essential_len(b) && strncmp(a, b, n) == 0;
}

static int kinds_compatible(const struct btf_type *a, const struct btf_type *b)
{
	if (btf_kind(a) == btf_kind(b))
		return 1;
	return btf_is_any_enum(a) && btf_is_any_enum(b);
}

/* A type of btf whose essential name is name's and whose kind is t's. */
static long find_candidate(const struct btf *btf, const struct btf_type *t, const char *name)
{
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t i = 1; i < n; i++) {
		const struct btf_type *c = btf__type_by_id(btf, i);
		const char *cn = c ? btf__name_by_offset(btf, c->name_off) : NULL;
		if (c && cn && *cn && kinds_compatible(t, c) && same_essential(name, cn))
			return (long)i;
	}
	return -1;
}

static const char *kind_word(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT: return "struct ";
	case BTF_KIND_UNION: return "union ";
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: return "enum ";
	case BTF_KIND_TYPEDEF: return "typedef ";
	case BTF_KIND_FWD: return btf_kflag(t) ? "union " : "struct ";
	default: return "";
	}
}

/* One step of an access path. */
struct step {
	int member;         /* 1: a member (name may be NULL: anonymous), 0: an array element */
	const char *name;
	uint32_t idx;
};

struct field {
	int exists;
	uint32_t type_id;   /* the field's type (as declared) */
	uint64_t bit_off;
	uint32_t bitfield;  /* bit size of a bitfield, 0 otherwise */
};

struct core_ctx {
	bpfvm_obj *obj;
	struct ldr_core *c;
	char why[200];
};

/* Walks the local access path from root; fills steps and the local field.
 * 0, or BPFVM_EFORMAT with why set. */
static int walk_local(struct core_ctx *x, uint32_t root, const uint32_t *acc, size_t nacc, struct step *steps,
		      struct field *f)
{
	const struct btf *btf = x->obj->btf;
	uint32_t id = root;
	const struct btf_type *t = ldr_btf_skip_mods(btf, id, &id);
	long long root_sz = t ? btf__resolve_size(btf, id) : -1;
	if (!t || root_sz < 0) {
		snprintf(x->why, sizeof(x->why), "root type %u has no size", root);
		return BPFVM_EFORMAT;
	}
	f->bit_off = (uint64_t)acc[0] * (uint64_t)root_sz * 8;
	f->bitfield = 0;
	f->type_id = id;
	for (size_t i = 1; i < nacc; i++) {
		t = ldr_btf_skip_mods(btf, f->type_id, &id);
		if (t && btf_is_composite(t)) {
			if (acc[i] >= btf_vlen(t)) {
				snprintf(x->why, sizeof(x->why), "access index %u beyond the %u members", acc[i], btf_vlen(t));
				return BPFVM_EFORMAT;
			}
			const struct btf_member *m = btf_members(t) + acc[i];
			const char *name = btf__name_by_offset(btf, m->name_off);
			steps[i] = (struct step){ 1, name && *name ? name : NULL, acc[i] };
			f->bit_off += btf_member_bit_offset(t, acc[i]);
			f->bitfield = btf_member_bitfield_size(t, acc[i]);
			f->type_id = m->type;
		} else if (t && btf_is_array(t)) {
			const struct btf_array *a = btf_array(t);
			long long esz = btf__resolve_size(btf, a->type);
			if (esz < 0) {
				snprintf(x->why, sizeof(x->why), "array element type %u has no size", a->type);
				return BPFVM_EFORMAT;
			}
			steps[i] = (struct step){ 0, NULL, acc[i] };
			f->bit_off += (uint64_t)acc[i] * (uint64_t)esz * 8;
			f->bitfield = 0;
			f->type_id = a->type;
		} else {
			snprintf(x->why, sizeof(x->why), "access step %zu goes into a type that is neither struct, union nor array",
				 i);
			return BPFVM_EFORMAT;
		}
	}
	f->exists = 1;
	return 0;
}

/* Finds member name in composite t of btf, searching anonymous members too;
 * adds its bit offset to *bit_off, sets *type and *bitfield. */
static int find_member(const struct btf *btf, const struct btf_type *t, const char *name, uint64_t *bit_off,
		       uint32_t *type, uint32_t *bitfield, int depth, long *budget)
{
	if (depth > 16 || --*budget < 0) /* anonymous members nest; a malformed BTF may loop */
		return 0;
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf__name_by_offset(btf, m[i].name_off);
		if (mn && *mn && same_essential(mn, name) && essential_len(mn) == strlen(mn)) {
			*bit_off += btf_member_bit_offset(t, i);
			*type = m[i].type;
			*bitfield = btf_member_bitfield_size(t, i);
			return 1;
		}
		if (!mn || !*mn) {
			const struct btf_type *s = ldr_btf_skip_mods(btf, m[i].type, NULL);
			uint64_t off = *bit_off + btf_member_bit_offset(t, i);
			if (s && btf_is_composite(s) && find_member(btf, s, name, &off, type, bitfield, depth + 1, budget)) {
				*bit_off = off;
				return 1;
			}
		}
	}
	return 0;
}

static int fields_compatible(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid, int depth)
{
	const struct btf_type *l = ldr_btf_skip_mods(lb, lid, NULL), *t = ldr_btf_skip_mods(tb, tid, NULL);
	if (!l || !t || depth > 16)
		return 0;
	if (btf_is_composite(l) && btf_is_composite(t))
		return 1;
	if (btf_is_array(l) && btf_is_array(t))
		return fields_compatible(lb, btf_array(l)->type, tb, btf_array(t)->type, depth + 1);
	return kinds_compatible(l, t);
}

/* Follows the local steps in the target type tid of tb. */
static void walk_target(const struct btf *lb, const struct btf *tb, uint32_t tid, const uint32_t *acc,
			const struct step *steps, size_t nacc, const struct field *lf, struct field *f)
{
	memset(f, 0, sizeof(*f));
	uint32_t id = tid;
	const struct btf_type *t = ldr_btf_skip_mods(tb, id, &id);
	long long root_sz = t ? btf__resolve_size(tb, id) : -1;
	if (root_sz < 0)
		return;
	f->bit_off = (uint64_t)acc[0] * (uint64_t)root_sz * 8;
	f->type_id = id;
	for (size_t i = 1; i < nacc; i++) {
		if (steps[i].member && !steps[i].name)
			continue; /* anonymous: its members are searched from the enclosing type */
		t = ldr_btf_skip_mods(tb, f->type_id, NULL);
		if (!t)
			return;
		if (steps[i].member) {
			long budget = 4096;
			if (!btf_is_composite(t) ||
			    !find_member(tb, t, steps[i].name, &f->bit_off, &f->type_id, &f->bitfield, 0, &budget))
				return;
		} else {
			if (!btf_is_array(t))
				return;
			const struct btf_array *a = btf_array(t);
			long long esz = btf__resolve_size(tb, a->type);
			if (esz < 0 || (a->nelems && steps[i].idx >= a->nelems))
				return;
			f->bit_off += (uint64_t)steps[i].idx * (uint64_t)esz * 8;
			f->bitfield = 0;
			f->type_id = a->type;
		}
	}
	f->exists = fields_compatible(lb, lf->type_id, tb, f->type_id, 0);
}

/* The value kind computes for field f of btf. */
static int field_value(const struct btf *btf, const struct field *f, uint32_t kind, int64_t *v, char *why, size_t wl)
{
	if (kind == CORE_FIELD_EXISTS) {
		*v = f->exists;
		return 0;
	}
	uint32_t id;
	const struct btf_type *t = ldr_btf_skip_mods(btf, f->type_id, &id);
	long long size = t ? btf__resolve_size(btf, id) : -1;
	if (size < 0) {
		snprintf(why, wl, "the field's type has no size");
		return -1;
	}
	uint64_t byte_sz = (uint64_t)size, byte_off = f->bit_off / 8, bit_sz = byte_sz * 8;
	if (f->bitfield) {
		bit_sz = f->bitfield;
		if (byte_sz != 1 && byte_sz != 2 && byte_sz != 4 && byte_sz != 8) {
			snprintf(why, wl, "a bitfield of a %llu-byte type", (unsigned long long)byte_sz);
			return -1;
		}
		byte_off = f->bit_off / 8 / byte_sz * byte_sz;
		while (f->bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8) {
				snprintf(why, wl, "a bitfield that no 8-byte load covers");
				return -1;
			}
			byte_sz *= 2;
			byte_off = f->bit_off / 8 / byte_sz * byte_sz;
		}
	}
	switch (kind) {
	case CORE_FIELD_BYTE_OFFSET: *v = (int64_t)byte_off; return 0;
	case CORE_FIELD_BYTE_SIZE: *v = (int64_t)byte_sz; return 0;
	case CORE_FIELD_SIGNED:
		*v = btf_is_int(t) ? !!(btf_int_encoding(t) & BTF_INT_SIGNED) : btf_is_any_enum(t) ? btf_kflag(t) : 0;
		return 0;
	case CORE_FIELD_LSHIFT_U64: *v = (int64_t)(64 - (f->bit_off + bit_sz - byte_off * 8)); return 0;
	case CORE_FIELD_RSHIFT_U64: *v = (int64_t)(64 - bit_sz); return 0;
	default:
		snprintf(why, wl, "unknown kind");
		return -1;
	}
}

/* ---- patching ---- */

static int size_bits(uint32_t bytes)
{
	switch (bytes) {
	case 1: return BPF_B;
	case 2: return BPF_H;
	case 4: return BPF_W;
	case 8: return BPF_DW;
	default: return -1;
	}
}

static uint32_t insn_bytes(const struct bpf_insn *in)
{
	switch (BPF_SIZE(in->code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	default: return 8;
	}
}

/* Writes new_v into the instruction that holds old_v. For a field offset
 * whose size changes (old_sz -> new_sz, 0 when unknown) loads and stores
 * also get the new access size. */
static int patch(struct core_ctx *x, struct bpf_insn *in, size_t room, int64_t old_v, int64_t new_v, int validate,
		 uint32_t old_sz, uint32_t new_sz)
{
	uint8_t cls = BPF_CLASS(in->code);
	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC(in->code) == BPF_K) {
		if (validate && in->imm != old_v) {
			snprintf(x->why, sizeof(x->why), "the instruction holds %d, not the local value %lld", in->imm,
				 (long long)old_v);
			return BPFVM_EFORMAT;
		}
		if (new_v < INT32_MIN || new_v > INT32_MAX) {
			snprintf(x->why, sizeof(x->why), "value %lld does not fit the instruction", (long long)new_v);
			return BPFVM_EUNSUPP;
		}
		in->imm = (int32_t)new_v;
		return 0;
	}
	if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
		if (validate && in->off != old_v) {
			snprintf(x->why, sizeof(x->why), "the instruction's offset is %d, not the local value %lld", in->off,
				 (long long)old_v);
			return BPFVM_EFORMAT;
		}
		if (new_v < INT16_MIN || new_v > INT16_MAX) {
			snprintf(x->why, sizeof(x->why), "offset %lld does not fit the instruction", (long long)new_v);
			return BPFVM_EUNSUPP;
		}
		if (old_sz && new_sz && old_sz != new_sz && BPF_MODE(in->code) == BPF_MEM) {
			int sb = size_bits(new_sz);
			if (insn_bytes(in) != old_sz || sb < 0) {
				snprintf(x->why, sizeof(x->why), "the field is %u bytes in the target, %u locally", new_sz, old_sz);
				return BPFVM_EUNSUPP;
			}
			in->code = (uint8_t)(BPF_CLASS(in->code) | BPF_MODE(in->code) | sb);
		}
		in->off = (int16_t)new_v;
		return 0;
	}
	if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && room >= 2) {
		uint64_t cur = (uint64_t)(uint32_t)in[0].imm | ((uint64_t)(uint32_t)in[1].imm << 32);
		if (validate && cur != (uint64_t)old_v) {
			snprintf(x->why, sizeof(x->why), "the instruction holds %llu, not the local value %lld",
				 (unsigned long long)cur, (long long)old_v);
			return BPFVM_EFORMAT;
		}
		in[0].imm = (int32_t)(uint32_t)(uint64_t)new_v;
		in[1].imm = (int32_t)(uint32_t)((uint64_t)new_v >> 32);
		return 0;
	}
	snprintf(x->why, sizeof(x->why), "instruction 0x%02x takes no relocated constant", in->code);
	return BPFVM_EFORMAT;
}

/* ---- one record ---- */

static int parse_access(struct core_ctx *x, const char *s, uint32_t *acc, size_t *n)
{
	*n = 0;
	if (!s || !*s) {
		snprintf(x->why, sizeof(x->why), "empty access string");
		return BPFVM_EFORMAT;
	}
	while (*s) {
		if (!isdigit((unsigned char)*s) || *n == CORE_MAX_ACCESS) {
			snprintf(x->why, sizeof(x->why), "bad access string");
			return BPFVM_EFORMAT;
		}
		uint64_t v = 0;
		while (isdigit((unsigned char)*s) && v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*s++ - '0');
		if (v > INT32_MAX || (*s && *s != ':')) {
			snprintf(x->why, sizeof(x->why), "bad access string");
			return BPFVM_EFORMAT;
		}
		acc[(*n)++] = (uint32_t)v;
		if (*s == ':' && !*++s) {
			snprintf(x->why, sizeof(x->why), "bad access string");
			return BPFVM_EFORMAT;
		}
	}
	return 0;
}

static const char *describe(struct core_ctx *x, const struct btf_type *t, const char *name, const char *access,
			    const struct step *steps, size_t nacc, const char *enumerator)
{
	char buf[400];
	int n = snprintf(buf, sizeof(buf), "%s %s%s", kind_names[x->c->kind], kind_word(t), *name ? name : "(anon)");
	for (size_t i = 1; steps && i < nacc && n > 0 && (size_t)n < sizeof(buf); i++) {
		if (steps[i].member && steps[i].name)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%s", i == 1 ? "::" : ".", steps[i].name);
		else if (!steps[i].member)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "[%u]", steps[i].idx);
	}
	if (enumerator && n > 0 && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "::%s", enumerator);
	if (n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, " (%s)", access);
	return ldr_strdup(x->obj, buf);
}

/* Enumerator i of a 32-bit enum: signed or unsigned by the enum's kflag. */
static int64_t enum_val(const struct btf_type *t, uint32_t i)
{
	int32_t v = btf_enum(t)[i].val;
	return btf_kflag(t) ? (int64_t)v : (int64_t)(uint32_t)v;
}

/* 0 with the outcome in x->c (status 0 or BPFVM_EUNSUPP), or BPFVM_EFORMAT. */
static int resolve(struct core_ctx *x)
{
	bpfvm_obj *obj = x->obj;
	struct ldr_core *c = x->c;
	const struct btf *lb = obj->btf;
	if (c->kind > CORE_TYPE_MATCHES) {
		snprintf(x->why, sizeof(x->why), "unknown relocation kind %u", c->kind);
		return BPFVM_EFORMAT;
	}
	const struct btf_type *lt = c->type_id ? btf__type_by_id(lb, c->type_id) : NULL;
	if (!lt) {
		snprintf(x->why, sizeof(x->why), "bad local type id %u", c->type_id);
		return BPFVM_EFORMAT;
	}
	const char *access = btf__str_by_offset(lb, c->access_off);
	uint32_t acc[CORE_MAX_ACCESS];
	struct step steps[CORE_MAX_ACCESS];
	size_t nacc = 0;
	int rc = parse_access(x, access, acc, &nacc);
	if (rc)
		return rc;
	int field = c->kind <= CORE_FIELD_RSHIFT_U64, enumval = c->kind == CORE_ENUMVAL_EXISTS || c->kind == CORE_ENUMVAL_VALUE;
	uint32_t lid = c->type_id;
	const struct btf_type *named = field ? ldr_btf_skip_mods(lb, lid, &lid) : lt;
	if (!named) {
		snprintf(x->why, sizeof(x->why), "bad local type id %u", c->type_id);
		return BPFVM_EFORMAT;
	}
	const char *lname = btf__name_by_offset(lb, named->name_off);
	if (!lname)
		lname = "";
	struct field lf = { 0 }, tf = { 0 };
	const char *enumerator = NULL;
	int64_t enum_local = 0;
	if (field) {
		if ((rc = walk_local(x, lid, acc, nacc, steps, &lf)))
			return rc;
	} else if (enumval) {
		if (!btf_is_any_enum(named) || nacc != 1 || acc[0] >= btf_vlen(named)) {
			snprintf(x->why, sizeof(x->why), "enumerator access on a type that is not an enum");
			return BPFVM_EFORMAT;
		}
		if (btf_is_enum(named)) {
			enumerator = btf__name_by_offset(lb, btf_enum(named)[acc[0]].name_off);
			enum_local = enum_val(named, acc[0]);
		} else {
			enumerator = btf__name_by_offset(lb, btf_enum64(named)[acc[0]].name_off);
			enum_local = (int64_t)btf_enum64_value(&btf_enum64(named)[acc[0]]);
		}
		if (!enumerator)
			enumerator = "";
	} else if (nacc != 1 || acc[0] != 0) {
		snprintf(x->why, sizeof(x->why), "type relocation with access string '%s'", access);
		return BPFVM_EFORMAT;
	}
	c->desc = describe(x, named, lname, access, field ? steps : NULL, nacc, enumerator);

	/* the target type: bpfvm's context types, else the object's own */
	const struct btf *tb = NULL;
	long tid = -1;
	if (*lname && ctx_btf && (tid = find_candidate(ctx_btf, named, lname)) > 0)
		tb = ctx_btf;
	else if (!(obj->flags & BPFVM_OBJ_F_STRICT_CORE) && *lname) {
		tb = lb;
		tid = field ? (long)lid : (long)c->type_id;
	}
	int64_t local_v = 0, target_v = 0;
	int validate = 1, found = tb != NULL;
	uint32_t old_sz = 0, new_sz = 0;
	if (field) {
		if (found)
			walk_target(lb, tb, (uint32_t)tid, acc, steps, nacc, &lf, &tf);
		found = found && tf.exists;
		validate = !lf.bitfield;
		if (field_value(lb, &lf, c->kind, &local_v, x->why, sizeof(x->why)))
			return BPFVM_EFORMAT;
		if (found && field_value(tb, &tf, c->kind, &target_v, x->why, sizeof(x->why))) {
			c->status = BPFVM_EUNSUPP;
			c->msg = ldr_strdup(obj, x->why);
			return 0;
		}
		if (c->kind == CORE_FIELD_BYTE_OFFSET) {
			int64_t a, b;
			char tmp[8];
			if (!field_value(lb, &lf, CORE_FIELD_BYTE_SIZE, &a, tmp, sizeof(tmp)) &&
			    !field_value(tb ? tb : lb, &tf, CORE_FIELD_BYTE_SIZE, &b, tmp, sizeof(tmp)) && found) {
				old_sz = (uint32_t)a;
				new_sz = (uint32_t)b;
			}
		}
	} else if (enumval) {
		local_v = c->kind == CORE_ENUMVAL_EXISTS ? 1 : enum_local;
		const struct btf_type *tt = found ? btf__type_by_id(tb, (uint32_t)tid) : NULL;
		found = 0;
		for (uint16_t i = 0; tt && btf_is_any_enum(tt) && i < btf_vlen(tt) && !found; i++) {
			const char *en = btf__name_by_offset(tb, btf_is_enum(tt) ? btf_enum(tt)[i].name_off
										 : btf_enum64(tt)[i].name_off);
			if (en && same_essential(en, enumerator) && essential_len(en) == strlen(en)) {
				found = 1;
				target_v = c->kind == CORE_ENUMVAL_EXISTS ? 1
					 : btf_is_enum(tt) ? enum_val(tt, i) : (int64_t)btf_enum64_value(&btf_enum64(tt)[i]);
			}
		}
	} else {
		local_v = c->kind == CORE_TYPE_ID_LOCAL || c->kind == CORE_TYPE_ID_TARGET ? (int64_t)c->type_id
			: c->kind == CORE_TYPE_SIZE ? btf__resolve_size(lb, c->type_id) : 1;
		if (c->kind == CORE_TYPE_ID_LOCAL) {
			found = 1;
			tb = lb;
		}
		if (found) {
			target_v = c->kind == CORE_TYPE_ID_LOCAL ? (int64_t)c->type_id
				 : c->kind == CORE_TYPE_ID_TARGET ? tid
				 : c->kind == CORE_TYPE_SIZE ? btf__resolve_size(tb, (uint32_t)tid) : 1;
			if (target_v < 0) {
				c->status = BPFVM_EUNSUPP;
				c->msg = ldr_strdup(obj, "the target type has no size");
				return 0;
			}
		}
	}
	if (!found) {
		if (c->kind == CORE_FIELD_EXISTS || c->kind == CORE_TYPE_EXISTS || c->kind == CORE_ENUMVAL_EXISTS ||
		    c->kind == CORE_TYPE_MATCHES) {
			target_v = 0;
		} else {
			c->status = BPFVM_EUNSUPP;
			c->msg = ldr_sprintf(obj, "%s", tb == ctx_btf && tb ? "bpfvm's context type has no such field or value"
						     : *lname ? "bpfvm provides no such type"
							      : "an anonymous type cannot be matched");
			return 0;
		}
	}
	c->local_value = local_v;
	c->target_value = target_v;
	struct ldr_sec *s = &obj->secs[c->sec];
	rc = patch(x, &s->insns[c->insn], s->ninsns - c->insn, local_v, target_v, validate, old_sz, new_sz);
	if (rc == BPFVM_EUNSUPP) {
		c->status = rc;
		c->msg = ldr_strdup(obj, x->why);
		return 0;
	}
	return rc;
}

int ldr_core_apply(bpfvm_obj *obj, struct bpfvm_error *err)
{
	if (!obj->ncores)
		return 0;
	pthread_once(&ctx_once, ctx_init);
	for (size_t i = 0; i < obj->ncores; i++) {
		struct core_ctx x = { .obj = obj, .c = &obj->cores[i] };
		x.why[0] = '\0';
		int rc = resolve(&x);
		if (rc)
			return ldr_err(err, rc, x.c->file_off, "section '.BTF.ext': CO-RE relocation #%zu (section '%s', insn %zu)%s%s: %s",
				       i, obj->secs[x.c->sec].name, x.c->insn, x.c->desc ? " " : "", x.c->desc ? x.c->desc : "",
				       x.why[0] ? x.why : "malformed");
	}
	return 0;
}
