/* elf_btf.c - the object's type information: .BTF parsed by libbpf's btf
 * API (its warnings captured into our error message instead of printed),
 * and the .BTF.ext records bpfvm uses, read here with every offset and
 * count checked against the section: CO-RE relocations (for elf_core.c) and
 * line_info (source lines for disassembly). func_info is not needed. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define BTF_EXT_MAGIC 0xeB9F
#define LDR_MAX_MOD_DEPTH 32

/* ---- .BTF ---- */

/* libbpf's print callback is process-wide: parsing holds this lock while our
 * callback is installed, and restores the caller's callback after. The last
 * message (libbpf explains parse failures at its debug level) becomes the
 * reason in our error. */
static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static char capture_buf[200];

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[sizeof(capture_buf)];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	const char *s = strncmp(buf, "libbpf: ", 8) == 0 ? buf + 8 : buf;
	snprintf(capture_buf, sizeof(capture_buf), "%s", s);
	size_t n = strlen(capture_buf);
	while (n && (capture_buf[n - 1] == '\n' || capture_buf[n - 1] == ' '))
		capture_buf[--n] = '\0';
	return 0;
}

struct btf *ldr_btf_new(const void *data, size_t size, char *why, size_t whylen)
{
	if (size > UINT32_MAX) {
		snprintf(why, whylen, "too large");
		return NULL;
	}
	pthread_mutex_lock(&capture_lock);
	capture_buf[0] = '\0';
	libbpf_print_fn_t old = libbpf_set_print(capture);
	errno = 0;
	struct btf *btf = btf__new(data, (uint32_t)size);
	int e = errno;
	long bad = !btf || libbpf_get_error(btf);
	libbpf_set_print(old);
	if (bad)
		snprintf(why, whylen, "%s", capture_buf[0] ? capture_buf : strerror(e ? e : EINVAL));
	pthread_mutex_unlock(&capture_lock);
	return bad ? NULL : btf;
}

const struct btf_type *ldr_btf_skip_mods(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	for (int depth = 0; depth < LDR_MAX_MOD_DEPTH; depth++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!t)
			return NULL;
		if (!btf_is_mod(t) && !btf_is_typedef(t)) {
			if (res_id)
				*res_id = id;
			return t;
		}
		id = t->type;
	}
	return NULL;
}

/* ---- .BTF.ext ---- */

struct ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len; /* when hdr_len covers them */
};

struct ext_line {
	uint32_t insn_off, file_name_off, line_off, line_col;
};

struct ext_core {
	uint32_t insn_off, type_id, access_str_off, kind;
};

/* One info block of .BTF.ext: [record size] then per section [name, count,
 * records]. */
struct ext_block {
	const char *what;   /* "line_info", "core_relo" */
	const uint8_t *p;   /* the block */
	size_t len;
	long file_off;      /* file offset of the block */
	size_t min_rec;
};

static long code_sec_by_name(const bpfvm_obj *obj, const char *name)
{
	for (size_t i = 1; i < obj->nsecs; i++)
		if (obj->secs[i].kind == LDR_SEC_CODE && strcmp(obj->secs[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Walks a block, calling fn for each record; counts them when fn is NULL. */
typedef int (*ext_rec_fn)(bpfvm_obj *obj, size_t sec, const uint8_t *rec, long file_off, struct bpfvm_error *err);

static int walk_block(bpfvm_obj *obj, const struct ext_block *b, ext_rec_fn fn, size_t *count,
		      struct bpfvm_error *err)
{
	if (b->len == 0)
		return 0;
	uint32_t rec_size;
	if (b->len < sizeof(rec_size))
		return ldr_err(err, BPFVM_EFORMAT, b->file_off, "section '.BTF.ext': %s block of %zu bytes", b->what, b->len);
	memcpy(&rec_size, b->p, sizeof(rec_size));
	if (rec_size < b->min_rec || rec_size % 4 || rec_size > 1024)
		return ldr_err(err, BPFVM_EFORMAT, b->file_off, "section '.BTF.ext': %s record size %u", b->what, rec_size);
	size_t pos = sizeof(rec_size);
	while (pos < b->len) {
		uint32_t hdr[2]; /* section name offset, record count */
		if (b->len - pos < sizeof(hdr))
			return ldr_err(err, BPFVM_EFORMAT, b->file_off + (long)pos,
				       "section '.BTF.ext': truncated %s section header", b->what);
		memcpy(hdr, b->p + pos, sizeof(hdr));
		long hdr_off = b->file_off + (long)pos;
		pos += sizeof(hdr);
		if (hdr[1] == 0 || (b->len - pos) / rec_size < hdr[1])
			return ldr_err(err, BPFVM_EFORMAT, hdr_off, "section '.BTF.ext': %s: %u records of %u bytes do not fit",
				       b->what, hdr[1], rec_size);
		const char *name = btf__name_by_offset(obj->btf, hdr[0]);
		if (!name)
			return ldr_err(err, BPFVM_EFORMAT, hdr_off,
				       "section '.BTF.ext': %s: section name offset %u lies outside the BTF strings", b->what,
				       hdr[0]);
		long sec = code_sec_by_name(obj, name);
		if (sec < 0 && fn)
			return ldr_err(err, BPFVM_EFORMAT, hdr_off,
				       "section '.BTF.ext': %s names section '%s', which holds no code", b->what, name);
		for (uint32_t i = 0; i < hdr[1]; i++, pos += rec_size) {
			if (!fn) {
				(*count)++;
				continue;
			}
			int rc = fn(obj, (size_t)sec, b->p + pos, b->file_off + (long)pos, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int rec_insn(bpfvm_obj *obj, size_t sec, uint32_t insn_off, long file_off, const char *what, size_t *insn,
		    struct bpfvm_error *err)
{
	if (insn_off % 8 || insn_off / 8 >= obj->secs[sec].ninsns)
		return ldr_err(err, BPFVM_EFORMAT, file_off,
			       "section '.BTF.ext': %s record for section '%s' at instruction offset %u, outside its %zu instructions",
			       what, obj->secs[sec].name, insn_off, obj->secs[sec].ninsns);
	*insn = insn_off / 8;
	return 0;
}

static int add_line(bpfvm_obj *obj, size_t sec, const uint8_t *rec, long file_off, struct bpfvm_error *err)
{
	struct ext_line r;
	memcpy(&r, rec, sizeof(r));
	struct ldr_line *l = &obj->lines[obj->nlines];
	int rc = rec_insn(obj, sec, r.insn_off, file_off, "line_info", &l->insn, err);
	if (rc)
		return rc;
	/* the strings outlive the BTF: copy them (a file name once per run of
	 * records naming it) */
	const char *file = btf__name_by_offset(obj->btf, r.file_name_off);
	const char *text = btf__name_by_offset(obj->btf, r.line_off);
	const struct ldr_line *prev = obj->nlines ? &obj->lines[obj->nlines - 1] : NULL;
	l->sec = sec;
	l->file = prev && file && strcmp(prev->file, file) == 0 ? prev->file : ldr_strdup(obj, file ? file : "");
	l->text = ldr_strdup(obj, text ? text : "");
	if (!l->file || !l->text)
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	l->line = r.line_col >> 10;
	l->column = r.line_col & 0x3ff;
	obj->nlines++;
	return 0;
}

static int add_core(bpfvm_obj *obj, size_t sec, const uint8_t *rec, long file_off, struct bpfvm_error *err)
{
	struct ext_core r;
	memcpy(&r, rec, sizeof(r));
	struct ldr_core *c = &obj->cores[obj->ncores];
	int rc = rec_insn(obj, sec, r.insn_off, file_off, "core_relo", &c->insn, err);
	if (rc)
		return rc;
	c->sec = sec;
	c->type_id = r.type_id;
	c->access_off = r.access_str_off;
	c->kind = r.kind;
	c->file_off = file_off;
	obj->ncores++;
	return 0;
}

static int load_ext(bpfvm_obj *obj, struct bpfvm_error *err)
{
	const struct ldr_sec *s = &obj->secs[obj->btf_ext_sec];
	long base = ldr_sec_off(obj, obj->btf_ext_sec, 0);
	struct ext_hdr h;
	memset(&h, 0, sizeof(h));
	size_t min_hdr = offsetof(struct ext_hdr, core_relo_off);
	if (s->size < min_hdr)
		return ldr_err(err, BPFVM_EFORMAT, base, "section '.BTF.ext': %zu bytes is shorter than its header", s->size);
	memcpy(&h, s->data, min_hdr);
	if (h.magic != BTF_EXT_MAGIC)
		return ldr_err(err, BPFVM_EFORMAT, base, "section '.BTF.ext': bad magic 0x%04x", h.magic);
	if (h.version != 1)
		return ldr_err(err, BPFVM_EFORMAT, base + 2, "section '.BTF.ext': unknown version %u", h.version);
	if (h.hdr_len < min_hdr || h.hdr_len > s->size)
		return ldr_err(err, BPFVM_EFORMAT, base + 4, "section '.BTF.ext': header length %u", h.hdr_len);
	if (h.hdr_len >= sizeof(h))
		memcpy(&h.core_relo_off, s->data + offsetof(struct ext_hdr, core_relo_off), 2 * sizeof(uint32_t));
	size_t body = s->size - h.hdr_len;
	const uint8_t *p = s->data + h.hdr_len;
	struct ext_block blocks[3] = {
		{ "func_info", NULL, h.func_info_len, 0, 8 },
		{ "line_info", NULL, h.line_info_len, 0, sizeof(struct ext_line) },
		{ "core_relo", NULL, h.core_relo_len, 0, sizeof(struct ext_core) },
	};
	uint32_t offs[3] = { h.func_info_off, h.line_info_off, h.core_relo_off };
	for (int i = 0; i < 3; i++) {
		if (!blocks[i].len)
			continue;
		if (offs[i] > body || blocks[i].len > body - offs[i])
			return ldr_err(err, BPFVM_EFORMAT, base + 8 + 8 * i,
				       "section '.BTF.ext': %s block (%zu bytes at %u) runs past the section (%zu bytes)",
				       blocks[i].what, blocks[i].len, offs[i], body);
		blocks[i].p = p + offs[i];
		blocks[i].file_off = base + (long)h.hdr_len + (long)offs[i];
	}
	size_t nlines = 0, ncores = 0;
	int rc = walk_block(obj, &blocks[0], NULL, &nlines, err); /* checks func_info's shape only */
	nlines = 0;
	rc = rc ? rc : walk_block(obj, &blocks[1], NULL, &nlines, err);
	rc = rc ? rc : walk_block(obj, &blocks[2], NULL, &ncores, err);
	if (rc)
		return rc;
	obj->lines = ldr_alloc(obj, (nlines ? nlines : 1) * sizeof(*obj->lines));
	obj->cores = ldr_alloc(obj, (ncores ? ncores : 1) * sizeof(*obj->cores));
	if (!obj->lines || !obj->cores)
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	rc = walk_block(obj, &blocks[1], add_line, NULL, err);
	return rc ? rc : walk_block(obj, &blocks[2], add_core, NULL, err);
}

int ldr_btf_load(bpfvm_obj *obj, struct bpfvm_error *err)
{
	if (!obj->btf_sec) {
		if (obj->btf_ext_sec)
			return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, obj->btf_ext_sec),
				       "section '.BTF.ext' without a '.BTF' section");
		return 0;
	}
	const struct ldr_sec *s = &obj->secs[obj->btf_sec];
	char why[200];
	obj->btf = ldr_btf_new(s->data, s->size, why, sizeof(why));
	if (!obj->btf)
		return ldr_err(err, BPFVM_EFORMAT, ldr_sec_off(obj, obj->btf_sec, 0), "section '.BTF': %s", why);
	return obj->btf_ext_sec ? load_ext(obj, err) : 0;
}

/* ---- global functions ---- */

/* What a parameter of a global function is to the verifier. */
static int classify_arg(const struct btf *btf, uint32_t type_id, uint32_t *size)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, type_id));
	*size = 0;
	if (!t)
		return BPFVM_FUNC_ARG_UNSUPPORTED;
	if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t))
		return BPFVM_FUNC_ARG_SCALAR;
	if (!btf_is_ptr(t))
		return BPFVM_FUNC_ARG_UNSUPPORTED;
	int target = btf__resolve_type(btf, t->type);
	const struct btf_type *pt = target > 0 ? btf__type_by_id(btf, (uint32_t)target) : NULL;
	if (pt && btf_is_struct(pt)) {
		const char *name = btf__name_by_offset(btf, pt->name_off);
		if (name && (strcmp(name, "__sk_buff") == 0 || strcmp(name, "xdp_md") == 0))
			return BPFVM_FUNC_ARG_CTX;
	}
	long sz = target > 0 ? btf__resolve_size(btf, (uint32_t)target) : -1;
	if (sz <= 0)
		return BPFVM_FUNC_ARG_UNSUPPORTED;
	*size = (uint32_t)sz;
	return BPFVM_FUNC_ARG_MEM;
}

int ldr_btf_global_funcs(bpfvm_obj *obj, struct bpfvm_obj_prog_info *p, struct bpfvm_error *err)
{
	if (!obj->btf || p->nfuncs < 2)
		return 0;
	struct bpfvm_func_info *out = ldr_alloc(obj, p->nfuncs * sizeof(*out));
	if (!out)
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	size_t n = 0;
	for (size_t k = 1; k < p->nfuncs; k++) { /* 0 is the program itself */
		int id = btf__find_by_name_kind(obj->btf, p->funcs[k].name, BTF_KIND_FUNC);
		const struct btf_type *f = id > 0 ? btf__type_by_id(obj->btf, (uint32_t)id) : NULL;
		if (!f || btf_vlen(f) != BTF_FUNC_GLOBAL) /* a FUNC keeps its linkage in vlen */
			continue;
		const struct btf_type *proto = btf__type_by_id(obj->btf, f->type);
		if (!proto || !btf_is_func_proto(proto))
			continue;
		struct bpfvm_func_info *g = &out[n++];
		g->insn = (uint32_t)p->funcs[k].insn;
		g->name = p->funcs[k].name;
		uint16_t nparams = btf_vlen(proto);
		g->nargs = nparams > 5 ? 5 : (uint8_t)nparams;
		const struct btf_param *params = btf_params(proto);
		for (uint8_t a = 0; a < g->nargs; a++)
			g->arg[a] = (uint8_t)classify_arg(obj->btf, params[a].type, &g->arg_size[a]);
		if (nparams > 5)
			g->arg[4] = BPFVM_FUNC_ARG_UNSUPPORTED;
	}
	p->global_funcs = n ? out : NULL;
	p->nglobal_funcs = n;
	return 0;
}
