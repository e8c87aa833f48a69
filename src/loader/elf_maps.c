/* elf_maps.c - the object's maps: BTF-defined maps in .maps (read through
 * libbpf's btf API: __uint fields are pointers to arrays whose element
 * count is the value, __type fields pointers to the key or value type,
 * `values` the prog_array's initial programs, given by relocations in
 * .rel.maps), legacy struct bpf_map_def entries in "maps", and global data
 * (.data*, .rodata*, .bss) as single-entry array maps named as libbpf names
 * them. Creates them in the env, stores initial values, fills prog arrays
 * once the programs are loaded, and removes them again on close. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/bpf.h>

#include "loader.h"
#include "maps.h"

#define LDR_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */

static struct ldr_map *new_map(bpfvm_obj *obj, size_t cap)
{
	if (obj->nmaps == cap)
		return NULL;
	struct ldr_map *m = &obj->maps[obj->nmaps++];
	m->values_off = -1;
	m->info.fd = -1;
	return m;
}

static const char *map_type_name(uint32_t type)
{
	const char *n = bpfvm_asm_map_type_name(type);
	return n ? n : "?";
}

/* ---- legacy "maps" section ---- */

static int legacy_maps(bpfvm_obj *obj, size_t cap, struct bpfvm_error *err)
{
	size_t sec = obj->legacy_maps_sec;
	const struct ldr_sec *s = &obj->secs[sec];
	size_t n = 0;
	for (size_t i = 0; i < obj->nsyms; i++) {
		const GElf_Sym *y = &obj->syms[i].sym;
		n += y->st_shndx == sec && GELF_ST_TYPE(y->st_info) != STT_SECTION && GELF_ST_BIND(y->st_info) == STB_GLOBAL;
	}
	if (n == 0)
		return s->size ? ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, sec), "section 'maps' holds no map symbols") : 0;
	size_t def_sz = s->size / n;
	if (def_sz * n != s->size || def_sz < 5 * sizeof(uint32_t) || def_sz % 4)
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, sec),
			       "section 'maps': %zu bytes do not divide into %zu struct bpf_map_def", s->size, n);
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct ldr_sym *y = &obj->syms[i];
		if (y->sym.st_shndx != sec || GELF_ST_TYPE(y->sym.st_info) == STT_SECTION ||
		    GELF_ST_BIND(y->sym.st_info) != STB_GLOBAL)
			continue;
		long soff = ldr_sec_off(obj, obj->symtab_sec, i * sizeof(Elf64_Sym));
		if (y->sym.st_value > s->size || def_sz > s->size - y->sym.st_value)
			return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': definition at %llu runs past section 'maps'",
				       y->name, (unsigned long long)y->sym.st_value);
		uint32_t def[5];
		memcpy(def, s->data + y->sym.st_value, sizeof(def));
		struct ldr_map *m = new_map(obj, cap);
		if (!m)
			return ldr_err(err, BPFVM_EFORMAT, soff, "section 'maps': too many maps");
		m->sec = sec;
		m->def_off = y->sym.st_value;
		m->def_size = def_sz;
		m->info.kind = BPFVM_OBJ_MAP_LEGACY;
		m->info.name = y->name;
		m->info.env_name = ldr_strndup(obj, y->name, strnlen(y->name, LDR_NAME_LEN - 1));
		m->info.section = s->name;
		m->info.type = def[0];
		m->info.key_size = def[1];
		m->info.value_size = def[2];
		m->info.max_entries = def[3];
		m->info.map_flags = def[4];
		if (!m->info.env_name)
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	return 0;
}

/* ---- BTF-defined maps ---- */

/* __uint(name, N): a pointer to an array of N elements. */
static int btf_uint(const struct btf *btf, uint32_t id, uint32_t *v)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (!t || !btf_is_ptr(t))
		return -1;
	const struct btf_type *a = btf__type_by_id(btf, t->type);
	if (!a || !btf_is_array(a))
		return -1;
	*v = btf_array(a)->nelems;
	return 0;
}

static long maps_datasec(const struct btf *btf)
{
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
		if (t && btf_is_datasec(t) && name && strcmp(name, ".maps") == 0)
			return (long)i;
	}
	return -1;
}

static int btf_map_def(bpfvm_obj *obj, struct ldr_map *m, uint32_t def_id, long soff, struct bpfvm_error *err)
{
	const struct btf *btf = obj->btf;
	const char *name = m->info.name;
	const struct btf_type *def = ldr_btf_skip_mods(btf, def_id, NULL);
	if (!def || !btf_is_struct(def))
		return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': its BTF definition is not a struct", name);
	int have_key_size = 0, have_value_size = 0;
	uint16_t vlen = btf_vlen(def);
	const struct btf_member *mem = btf_members(def);
	for (uint16_t i = 0; i < vlen; i++) {
		const char *mname = btf__name_by_offset(btf, mem[i].name_off);
		if (!mname || !*mname)
			return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': member #%u has no name", name, i);
		if (btf_member_bitfield_size(def, i))
			return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': member '%s' is a bitfield", name, mname);
		uint32_t v = 0;
		uint32_t *dst = NULL;
		if (strcmp(mname, "type") == 0)
			dst = &m->info.type;
		else if (strcmp(mname, "max_entries") == 0)
			dst = &m->info.max_entries;
		else if (strcmp(mname, "map_flags") == 0)
			dst = &m->info.map_flags;
		else if (strcmp(mname, "key_size") == 0 || strcmp(mname, "value_size") == 0) {
			int key = mname[0] == 'k';
			if (btf_uint(btf, mem[i].type, &v))
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': '%s' is not an __uint", name, mname);
			uint32_t *sz = key ? &m->info.key_size : &m->info.value_size;
			int *have = key ? &have_key_size : &have_value_size;
			if (*have && *sz != v)
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': %s %u conflicts with the %s type's size %u",
					       name, mname, v, key ? "key" : "value", *sz);
			*sz = v;
			*have = 1;
			continue;
		} else if (strcmp(mname, "key") == 0 || strcmp(mname, "value") == 0) {
			int key = mname[0] == 'k';
			const struct btf_type *p = btf__type_by_id(btf, mem[i].type);
			if (!p || !btf_is_ptr(p))
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': '%s' is not a __type pointer", name, mname);
			long long sz = btf__resolve_size(btf, p->type);
			if (sz < 0 || sz > UINT32_MAX)
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': cannot size its %s type (BTF id %u)", name,
					       mname, p->type);
			uint32_t *dsz = key ? &m->info.key_size : &m->info.value_size;
			int *have = key ? &have_key_size : &have_value_size;
			if (*have && *dsz != (uint32_t)sz)
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': %s type's size %lld conflicts with %s_size %u",
					       name, mname, sz, mname, *dsz);
			*dsz = (uint32_t)sz;
			*have = 1;
			*(key ? &m->info.key_btf_id : &m->info.value_btf_id) = p->type;
			continue;
		} else if (strcmp(mname, "values") == 0) {
			const struct btf_type *a = btf__type_by_id(btf, mem[i].type);
			if (!a || !btf_is_array(a) || btf_array(a)->nelems || i != vlen - 1)
				return ldr_err(err, BPFVM_EFORMAT, soff,
					       "map '%s': 'values' must be the last member, a zero-sized array", name);
			const struct btf_type *p = ldr_btf_skip_mods(btf, btf_array(a)->type, NULL);
			const struct btf_type *f = p && btf_is_ptr(p) ? ldr_btf_skip_mods(btf, p->type, NULL) : NULL;
			if (m->info.type != BPF_MAP_TYPE_PROG_ARRAY || !f || !btf_is_func_proto(f))
				return ldr_err(err, BPFVM_EUNSUPP, soff,
					       "map '%s': 'values' is supported for prog_array maps of programs only (no map-in-map)",
					       name);
			if (have_value_size && m->info.value_size != 4)
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': value size %u conflicts with 'values' (4)", name,
					       m->info.value_size);
			m->info.value_size = 4;
			have_value_size = 1;
			m->values_off = btf_member_bit_offset(def, i) / 8;
			continue;
		} else if (strcmp(mname, "pinning") == 0 || strcmp(mname, "numa_node") == 0) {
			if (btf_uint(btf, mem[i].type, &v)) /* no bpffs, no NUMA nodes here: ignored */
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': '%s' is not an __uint", name, mname);
			continue;
		} else if (strcmp(mname, "map_extra") == 0) {
			if (btf_uint(btf, mem[i].type, &v))
				return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': '%s' is not an __uint", name, mname);
			if (v)
				return ldr_err(err, BPFVM_EUNSUPP, soff, "map '%s': map_extra is not supported", name);
			continue;
		} else {
			return ldr_err(err, BPFVM_EUNSUPP, soff, "map '%s': unknown field '%s'", name, mname);
		}
		if (btf_uint(btf, mem[i].type, dst))
			return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': '%s' is not an __uint", name, mname);
	}
	if (!m->info.type)
		return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': no map type", name);
	return 0;
}

static int btf_maps(bpfvm_obj *obj, size_t cap, struct bpfvm_error *err)
{
	size_t sec = obj->maps_sec;
	const struct ldr_sec *s = &obj->secs[sec];
	long hoff = ldr_shdr_off(obj, sec);
	if (!obj->btf)
		return ldr_err(err, BPFVM_EFORMAT, hoff, "section '.maps' needs BTF (compile with -g)");
	long ds_id = maps_datasec(obj->btf);
	if (ds_id < 0)
		return ldr_err(err, BPFVM_EFORMAT, hoff, "section '.maps': the BTF has no DATASEC '.maps'");
	const struct btf_type *ds = btf__type_by_id(obj->btf, (uint32_t)ds_id);
	const struct btf_var_secinfo *vi = btf_var_secinfos(ds);
	for (uint16_t i = 0; i < btf_vlen(ds); i++) {
		const struct btf_type *var = btf__type_by_id(obj->btf, vi[i].type);
		const char *name = var ? btf__name_by_offset(obj->btf, var->name_off) : NULL;
		if (!var || !btf_is_var(var) || !name || !*name)
			return ldr_err(err, BPFVM_EFORMAT, hoff, "section '.maps': BTF DATASEC entry #%u is not a named variable",
				       i);
		/* clang leaves DATASEC offsets to the linker: find the symbol */
		long sym = -1;
		for (size_t k = 0; k < obj->nsyms && sym < 0; k++)
			if (obj->syms[k].sym.st_shndx == sec && strcmp(obj->syms[k].name, name) == 0 &&
			    GELF_ST_TYPE(obj->syms[k].sym.st_info) != STT_SECTION)
				sym = (long)k;
		if (sym < 0)
			return ldr_err(err, BPFVM_EFORMAT, hoff, "map '%s': no symbol for it in section '.maps'", name);
		const GElf_Sym *y = &obj->syms[sym].sym;
		long soff = ldr_sec_off(obj, obj->symtab_sec, (uint64_t)sym * sizeof(Elf64_Sym));
		const struct btf_type *def = ldr_btf_skip_mods(obj->btf, var->type, NULL);
		uint64_t size = y->st_size > (def ? def->size : 0) ? y->st_size : (def ? def->size : 0);
		if (y->st_value > s->size || size > s->size - y->st_value)
			return ldr_err(err, BPFVM_EFORMAT, soff, "map '%s': definition (%llu bytes at %llu) runs past section '.maps'",
				       name, (unsigned long long)size, (unsigned long long)y->st_value);
		struct ldr_map *m = new_map(obj, cap);
		if (!m)
			return ldr_err(err, BPFVM_EFORMAT, soff, "section '.maps': too many maps");
		m->sec = sec;
		m->def_off = y->st_value;
		m->def_size = size;
		m->info.kind = BPFVM_OBJ_MAP_BTF;
		m->info.name = obj->syms[sym].name;
		m->info.env_name = ldr_strndup(obj, name, strnlen(name, LDR_NAME_LEN - 1));
		m->info.section = s->name;
		if (!m->info.env_name)
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
		int rc = btf_map_def(obj, m, var->type, soff, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- global data ---- */

/* libbpf's naming: as much of the object's name as fits before the section
 * name (at least 7 characters of suffix kept); custom sections (.data.foo)
 * keep just their own name; anything but [A-Za-z0-9_.] becomes '_'. */
static char *internal_name(bpfvm_obj *obj, const char *sec)
{
	char buf[LDR_NAME_LEN];
	size_t sfx = strlen(sec);
	if (sfx < 7)
		sfx = 7;
	if (sfx > LDR_NAME_LEN - 1)
		sfx = LDR_NAME_LEN - 1;
	size_t pfx = 0;
	if (!strchr(sec + 1, '.')) {
		pfx = LDR_NAME_LEN - 1 - sfx;
		if (pfx > strlen(obj->name))
			pfx = strlen(obj->name);
	}
	snprintf(buf, sizeof(buf), "%.*s%.*s", (int)pfx, obj->name, (int)sfx, sec);
	for (char *p = buf; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			*p = '_';
	return ldr_strdup(obj, buf);
}

static int data_maps(bpfvm_obj *obj, size_t cap, struct bpfvm_error *err)
{
	for (size_t i = 1; i < obj->nsecs; i++) {
		struct ldr_sec *s = &obj->secs[i];
		int kind = s->kind == LDR_SEC_DATA ? BPFVM_OBJ_MAP_DATA
			 : s->kind == LDR_SEC_RODATA ? BPFVM_OBJ_MAP_RODATA
			 : s->kind == LDR_SEC_BSS ? BPFVM_OBJ_MAP_BSS : 0;
		if (!kind)
			continue;
		struct ldr_map *m = new_map(obj, cap);
		if (!m)
			return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i), "too many maps");
		s->map = (long)(m - obj->maps);
		m->sec = i;
		m->def_size = s->size;
		m->info.kind = kind;
		m->info.name = s->name;
		m->info.env_name = internal_name(obj, s->name);
		m->info.section = s->name;
		m->info.type = BPF_MAP_TYPE_ARRAY;
		m->info.key_size = sizeof(uint32_t);
		m->info.value_size = (uint32_t)s->size;
		m->info.max_entries = 1;
		m->info.map_flags = kind == BPFVM_OBJ_MAP_RODATA ? BPF_F_RDONLY_PROG : 0;
		if (obj->btf) {
			int id = btf__find_by_name_kind(obj->btf, s->name, BTF_KIND_DATASEC);
			m->info.value_btf_id = id > 0 ? (uint32_t)id : 0;
		}
		if (kind != BPFVM_OBJ_MAP_BSS) {
			m->init = ldr_alloc(obj, s->size);
			m->init_len = s->size;
			if (m->init)
				memcpy(m->init, s->data, s->size);
		}
		if (!m->info.env_name || (kind != BPFVM_OBJ_MAP_BSS && !m->init))
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	return 0;
}

int ldr_maps_collect(bpfvm_obj *obj, struct bpfvm_error *err)
{
	/* an upper bound: one per symbol in map sections, one per data section */
	size_t cap = 0;
	for (size_t i = 1; i < obj->nsecs; i++) {
		int k = obj->secs[i].kind;
		cap += k == LDR_SEC_DATA || k == LDR_SEC_RODATA || k == LDR_SEC_BSS;
	}
	for (size_t i = 0; i < obj->nsyms; i++) {
		size_t shndx = obj->syms[i].sym.st_shndx;
		cap += (obj->maps_sec && shndx == obj->maps_sec) || (obj->legacy_maps_sec && shndx == obj->legacy_maps_sec);
	}
	obj->maps = ldr_alloc(obj, (cap ? cap : 1) * sizeof(*obj->maps));
	obj->map_fds = ldr_alloc(obj, (cap ? cap : 1) * sizeof(*obj->map_fds));
	if (!obj->maps || !obj->map_fds)
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	int rc = obj->legacy_maps_sec ? legacy_maps(obj, cap, err) : 0;
	rc = rc ? rc : obj->maps_sec ? btf_maps(obj, cap, err) : 0;
	rc = rc ? rc : data_maps(obj, cap, err);
	for (size_t i = 0; i < obj->nmaps; i++)
		obj->map_fds[i] = -1;
	return rc;
}

long ldr_map_at(const bpfvm_obj *obj, size_t sec, uint64_t off)
{
	for (size_t i = 0; i < obj->nmaps; i++) {
		const struct ldr_map *m = &obj->maps[i];
		if (m->sec == sec && (m->info.kind == BPFVM_OBJ_MAP_BTF || m->info.kind == BPFVM_OBJ_MAP_LEGACY) &&
		    m->def_off == off)
			return (long)i;
	}
	return -1;
}

/* ---- prog_array initial values: relocations in .rel.maps ---- */

int ldr_maps_collect_slots(bpfvm_obj *obj, size_t relsec, struct bpfvm_error *err)
{
	const struct ldr_sec *rs = &obj->secs[relsec];
	if (rs->sh.sh_entsize != sizeof(Elf64_Rel) || rs->sh.sh_size % sizeof(Elf64_Rel))
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, relsec), "section '%s': entry size %llu, expected %zu",
			       rs->name, (unsigned long long)rs->sh.sh_entsize, sizeof(Elf64_Rel));
	Elf_Data *d = elf_getdata(elf_getscn(obj->elf, relsec), NULL);
	if (!d || d->d_size != rs->sh.sh_size)
		return ldr_err(err, BPFVM_EFORMAT, ldr_sec_off(obj, relsec, 0), "section '%s': unreadable (%s)", rs->name,
			       elf_errmsg(-1));
	size_t n = d->d_size / sizeof(Elf64_Rel);
	for (size_t i = 0; i < n; i++) {
		long off = ldr_sec_off(obj, relsec, i * sizeof(Elf64_Rel));
		GElf_Rel rel;
		if (!gelf_getrel(d, (int)i, &rel))
			return ldr_err(err, BPFVM_EFORMAT, off, "section '%s': relocation #%zu unreadable", rs->name, i);
		size_t symi = GELF_R_SYM(rel.r_info);
		uint32_t type = GELF_R_TYPE(rel.r_info);
		if (type == 0) /* R_BPF_NONE */
			continue;
		if (symi >= obj->nsyms)
			return ldr_err(err, BPFVM_EFORMAT, off, "section '%s': relocation #%zu names symbol #%zu of %zu",
				       rs->name, i, symi, obj->nsyms);
		const struct ldr_sym *y = &obj->syms[symi];
		if (type != 1 && type != 2) /* R_BPF_64_64, R_BPF_64_ABS64 */
			return ldr_err(err, BPFVM_EFORMAT, off, "section '%s': relocation #%zu ('%s'): type %u is not a pointer",
				       rs->name, i, y->name, type);
		long mi = -1;
		for (size_t k = 0; k < obj->nmaps && mi < 0; k++) {
			const struct ldr_map *m = &obj->maps[k];
			if (m->info.kind == BPFVM_OBJ_MAP_BTF && rel.r_offset >= m->def_off && rel.r_offset - m->def_off < m->def_size &&
			    m->def_size - (rel.r_offset - m->def_off) >= 8)
				mi = (long)k;
		}
		if (mi < 0)
			return ldr_err(err, BPFVM_EFORMAT, off, "section '%s': relocation #%zu ('%s') at %llu lies in no map",
				       rs->name, i, y->name, (unsigned long long)rel.r_offset);
		struct ldr_map *m = &obj->maps[mi];
		if (m->info.type != BPF_MAP_TYPE_PROG_ARRAY)
			return ldr_err(err, BPFVM_EUNSUPP, off, "map '%s': initial values are supported for prog_array maps only",
				       m->info.name);
		uint64_t moff = rel.r_offset - m->def_off;
		if (m->values_off < 0 || moff < (uint64_t)m->values_off || (moff - (uint64_t)m->values_off) % 8)
			return ldr_err(err, BPFVM_EFORMAT, off, "map '%s': relocation ('%s') outside its 'values'", m->info.name,
				       y->name);
		uint64_t index = (moff - (uint64_t)m->values_off) / 8;
		if (index >= m->info.max_entries)
			return ldr_err(err, BPFVM_EFORMAT, off, "map '%s': initial value #%llu ('%s') beyond max_entries %u",
				       m->info.name, (unsigned long long)index, y->name, m->info.max_entries);
		long f = y->sym.st_shndx < obj->nsecs && y->sym.st_value % 8 == 0
				 ? ldr_func_at(obj, y->sym.st_shndx, (size_t)(y->sym.st_value / 8), 0) : -1;
		if (f < 0 || !obj->funcs[f].entry)
			return ldr_err(err, BPFVM_EFORMAT, off, "map '%s': initial value #%llu: '%s' is not a program",
				       m->info.name, (unsigned long long)index, y->name);
		if (!m->slots) {
			m->slots = ldr_alloc(obj, (m->def_size / 8 + 1) * sizeof(*m->slots));
			if (!m->slots)
				return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
		}
		if (m->nslots > m->def_size / 8)
			return ldr_err(err, BPFVM_EFORMAT, off, "map '%s': more initial values than slots", m->info.name);
		m->slots[m->nslots++] = (struct ldr_slot){ (uint32_t)index, (size_t)f, off };
		m->info.ninit = m->nslots;
		struct bpfvm_obj_reloc r = {
			.kind = BPFVM_RELOC_PROG_SLOT, .prog = -1, .section = obj->secs[m->sec].name,
			.sec_off = rel.r_offset, .elf_type = type, .symbol = y->name, .map = mi, .value = (int64_t)index,
			.target = obj->funcs[f].name,
		};
		int rc = ldr_add_reloc(obj, &r);
		if (rc)
			return ldr_err(err, rc, -1, "out of memory");
	}
	return 0;
}

/* ---- creation in the env ---- */

int ldr_maps_create(bpfvm_obj *obj, struct bpfvm_error *err)
{
	for (size_t i = 0; i < obj->nmaps; i++) {
		struct ldr_map *m = &obj->maps[i];
		struct bpfvm_obj_map_info *in = &m->info;
		struct bpfvm_map_opts mo = {
			.sz = sizeof(mo), .name = in->env_name, .type = in->type, .key_size = in->key_size,
			.value_size = in->value_size, .max_entries = in->max_entries, .map_flags = in->map_flags,
		};
		long where = in->kind == BPFVM_OBJ_MAP_BTF || in->kind == BPFVM_OBJ_MAP_LEGACY
				     ? ldr_sec_off(obj, m->sec, m->def_off) : ldr_shdr_off(obj, m->sec);
		int fd = bpfvm_map_create(obj->env, &mo);
		if (fd < 0) {
			int code = fd == -EOPNOTSUPP ? BPFVM_EUNSUPP : fd == -ENOMEM ? BPFVM_ENOMEM : BPFVM_EFORMAT;
			return ldr_err(err, code, where,
				       "map '%s' (section '%s'): cannot create a %s map (type %u, key %u, value %u, %u entries, flags 0x%x): %s",
				       in->name, in->section, map_type_name(in->type), in->type, in->key_size, in->value_size,
				       in->max_entries, in->map_flags, strerror(-fd));
		}
		in->fd = fd;
		in->map = bpfvm_map_from_fd(obj->env, fd);
		obj->map_fds[i] = fd;
		if (m->init) {
			uint32_t zero = 0;
			int rc = bpfvm_map_update(in->map, &zero, m->init, BPF_ANY);
			if (rc)
				return ldr_err(err, BPFVM_EFORMAT, where, "map '%s': cannot store its initial value: %s", in->name,
					       strerror(-rc));
		}
		/* libbpf freezes .rodata: its values are constants to the verifier */
		if (in->kind == BPFVM_OBJ_MAP_RODATA)
			bpfvm_map_freeze(in->map);
	}
	return 0;
}

int ldr_maps_fill_slots(bpfvm_obj *obj, struct bpfvm_error *err)
{
	for (size_t i = 0; i < obj->nmaps; i++) {
		struct ldr_map *m = &obj->maps[i];
		for (size_t k = 0; k < m->nslots; k++) {
			const struct ldr_slot *s = &m->slots[k];
			const struct bpfvm_obj_prog_info *p = NULL;
			for (size_t j = 0; j < obj->nprogs && !p; j++)
				if (obj->prog_func[j] == s->func)
					p = &obj->progs[j];
			if (!p || !p->prog) /* not loaded, and that was not fatal */
				continue;
			uint32_t fd = (uint32_t)bpfvm_prog_fd(p->prog);
			int rc = bpfvm_map_update(m->info.map, &s->index, &fd, BPF_ANY);
			if (rc)
				return ldr_err(err, BPFVM_EFORMAT, s->file_off, "map '%s': cannot store program '%s' in slot %u: %s",
					       m->info.name, p->name, s->index, strerror(-rc));
		}
	}
	return 0;
}

void ldr_maps_destroy(bpfvm_obj *obj)
{
	for (size_t i = 0; i < obj->nmaps; i++) {
		struct bpfvm_obj_map_info *in = &obj->maps[i].info;
		if (!in->map)
			continue;
		vm_env_remove_obj(obj->env, in->fd);
		vm_map_destroy(in->map);
		in->map = NULL;
		in->fd = -1;
	}
}
