/* elf_reloc.c - relocations of code sections and the linking of programs.
 *
 * Like libbpf, what a relocation means is decided by the instruction it
 * applies to, not its ELF type (R_BPF_64_64 on lddw, R_BPF_64_32 on calls
 * from current clang; older ones used other numbers):
 *   lddw of a map symbol (.maps / maps)   -> src BPF_PSEUDO_MAP_IDX, imm = map index
 *   lddw of global data (.data/.rodata/.bss, a variable or the section
 *     symbol plus the addend in imm)       -> src BPF_PSEUDO_MAP_IDX_VALUE,
 *                                           imm = map index, next imm = offset
 *   lddw of a function                    -> src BPF_PSEUDO_FUNC (callbacks)
 *   call src=1 of a function              -> bpf-to-bpf call
 * Map indices become map fds through each program's fd_array.
 *
 * A program's final instructions are its own function followed by every
 * subprogram it reaches (directly or through other subprograms), each
 * appended once, in the order first reached; call and callback offsets are
 * then relative to the appended copies. */
#include <stdlib.h>
#include <string.h>

#include "loader.h"

#define LDR_REL_EXTERN 100 /* a reference to an extern symbol (kfunc, ksym, kconfig) */

int ldr_add_reloc(bpfvm_obj *obj, const struct bpfvm_obj_reloc *r)
{
	if (obj->nrelocs == obj->cap_relocs) {
		size_t cap = obj->cap_relocs ? obj->cap_relocs * 2 : 32;
		struct bpfvm_obj_reloc *n = realloc(obj->relocs, cap * sizeof(*n));
		if (!n)
			return BPFVM_ENOMEM;
		obj->relocs = n;
		obj->cap_relocs = cap;
	}
	obj->relocs[obj->nrelocs++] = *r;
	return 0;
}

static int add_rel(bpfvm_obj *obj, const struct ldr_rel *r)
{
	if (obj->nrels == obj->cap_rels) {
		size_t cap = obj->cap_rels ? obj->cap_rels * 2 : 32;
		struct ldr_rel *n = realloc(obj->rels, cap * sizeof(*n));
		if (!n)
			return BPFVM_ENOMEM;
		obj->rels = n;
		obj->cap_rels = cap;
	}
	obj->rels[obj->nrels++] = *r;
	return 0;
}

static int is_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL);
}

static int is_lddw(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* Classifies one relocation of section sec at slot; fills r. */
static int classify(bpfvm_obj *obj, size_t sec, size_t slot, const struct ldr_sym *y, long off, struct ldr_rel *r,
		    struct bpfvm_error *err)
{
	const struct ldr_sec *s = &obj->secs[sec];
	const struct bpf_insn *in = &s->insns[slot];
	const GElf_Sym *sym = &y->sym;
	size_t shndx = sym->st_shndx;
	if (!is_call(in) && !is_lddw(in))
		return ldr_err(err, BPFVM_EFORMAT, off,
			       "relocation against '%s' at insn %zu of section '%s': opcode 0x%02x is neither lddw nor call", y->name,
			       slot, s->name, in->code);
	if (is_lddw(in) && slot + 1 >= s->ninsns)
		return ldr_err(err, BPFVM_EFORMAT, off, "relocation against '%s': lddw at insn %zu of section '%s' is cut off",
			       y->name, slot, s->name);
	if (shndx == SHN_UNDEF) {
		r->kind = LDR_REL_EXTERN;
		return 0;
	}
	if (shndx >= obj->nsecs)
		return ldr_err(err, BPFVM_EFORMAT, off,
			       "relocation against '%s' at insn %zu of section '%s': symbol section 0x%zx is not a section%s",
			       y->name, slot, s->name, shndx,
			       shndx == SHN_COMMON ? " (an uninitialised global: compile with -fno-common)" : "");
	const struct ldr_sec *ts = &obj->secs[shndx];
	if (is_call(in)) {
		if (in->src_reg != BPF_PSEUDO_CALL)
			return ldr_err(err, BPFVM_EFORMAT, off, "relocation against '%s' on a helper call at insn %zu of section '%s'",
				       y->name, slot, s->name);
		int64_t target = (int64_t)(sym->st_value / 8) + in->imm + 1;
		if (ts->kind != LDR_SEC_CODE || sym->st_value % 8 || target < 0 || (uint64_t)target >= ts->ninsns ||
		    ldr_func_at(obj, shndx, (size_t)target, 0) < 0)
			return ldr_err(err, BPFVM_EFORMAT, off,
				       "call at insn %zu of section '%s' to '%s'%+d lands on no function of section '%s'", slot,
				       s->name, y->name, in->imm + 1, ts->name);
		r->kind = BPFVM_RELOC_CALL;
		r->target_sec = shndx;
		r->value = target;
		return 0;
	}
	int64_t value = (int64_t)sym->st_value + in->imm;
	switch (ts->kind) {
	case LDR_SEC_CODE:
		if (value < 0 || value % 8 || (uint64_t)value / 8 >= ts->ninsns ||
		    ldr_func_at(obj, shndx, (size_t)value / 8, 0) < 0)
			return ldr_err(err, BPFVM_EFORMAT, off,
				       "lddw at insn %zu of section '%s' of '%s'%+d: no function starts there", slot, s->name, y->name,
				       in->imm);
		r->kind = BPFVM_RELOC_FUNC;
		r->target_sec = shndx;
		r->value = value / 8;
		return 0;
	case LDR_SEC_MAPS:
	case LDR_SEC_LEGACY_MAPS:
		r->kind = BPFVM_RELOC_MAP;
		r->map = ldr_map_at(obj, shndx, (uint64_t)value);
		if (r->map < 0)
			return ldr_err(err, BPFVM_EFORMAT, off,
				       "lddw at insn %zu of section '%s' refers to '%s'%+d, where section '%s' defines no map", slot,
				       s->name, y->name, in->imm, ts->name);
		return 0;
	case LDR_SEC_DATA:
	case LDR_SEC_RODATA:
	case LDR_SEC_BSS:
		if (value < 0 || (uint64_t)value >= ts->size || value > INT32_MAX)
			return ldr_err(err, BPFVM_EFORMAT, off,
				       "lddw at insn %zu of section '%s' refers to '%s'%+d, outside section '%s' (%zu bytes)", slot,
				       s->name, y->name, in->imm, ts->name, ts->size);
		r->kind = BPFVM_RELOC_MAP_VALUE;
		r->map = ts->map;
		r->value = value;
		return 0;
	default:
		return ldr_err(err, BPFVM_EFORMAT, off,
			       "lddw at insn %zu of section '%s' refers to '%s' in section '%s', which is neither code, a map nor global data",
			       slot, s->name, y->name, ts->name);
	}
}

int ldr_rel_collect(bpfvm_obj *obj, size_t relsec, struct bpfvm_error *err)
{
	const struct ldr_sec *rs = &obj->secs[relsec];
	size_t sec = rs->sh.sh_info;
	const struct ldr_sec *s = &obj->secs[sec];
	if (rs->sh.sh_entsize != sizeof(Elf64_Rel) || rs->sh.sh_size % sizeof(Elf64_Rel))
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, relsec), "section '%s': entry size %llu, expected %zu",
			       rs->name, (unsigned long long)rs->sh.sh_entsize, sizeof(Elf64_Rel));
	Elf_Data *d = elf_getdata(elf_getscn(obj->elf, relsec), NULL);
	if (!d || d->d_size != rs->sh.sh_size)
		return ldr_err(err, BPFVM_EFORMAT, ldr_sec_off(obj, relsec, 0), "section '%s': unreadable (%s)", rs->name,
			       elf_errmsg(-1));
	size_t n = d->d_size / sizeof(Elf64_Rel);
	uint8_t *seen = calloc(s->ninsns ? s->ninsns : 1, 1);
	if (!seen)
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		long off = ldr_sec_off(obj, relsec, i * sizeof(Elf64_Rel));
		GElf_Rel rel;
		if (!gelf_getrel(d, (int)i, &rel)) {
			rc = ldr_err(err, BPFVM_EFORMAT, off, "section '%s': relocation #%zu unreadable", rs->name, i);
			break;
		}
		size_t symi = GELF_R_SYM(rel.r_info);
		uint32_t type = GELF_R_TYPE(rel.r_info);
		if (type == 0) /* R_BPF_NONE */
			continue;
		if (symi == 0 || symi >= obj->nsyms) {
			rc = ldr_err(err, BPFVM_EFORMAT, off, "section '%s': relocation #%zu names symbol #%zu (the table has %zu)",
				     rs->name, i, symi, obj->nsyms);
			break;
		}
		if (rel.r_offset % 8 || rel.r_offset / 8 >= s->ninsns) {
			rc = ldr_err(err, BPFVM_EFORMAT, off,
				     "section '%s': relocation #%zu ('%s') at offset %llu is not an instruction of '%s' (%zu bytes)",
				     rs->name, i, obj->syms[symi].name, (unsigned long long)rel.r_offset, s->name, s->size);
			break;
		}
		size_t slot = (size_t)(rel.r_offset / 8);
		if (seen[slot]) {
			rc = ldr_err(err, BPFVM_EFORMAT, off, "section '%s': a second relocation of insn %zu of '%s'", rs->name,
				     slot, s->name);
			break;
		}
		seen[slot] = 1;
		struct ldr_rel r = { .sec = sec, .insn = slot, .elf_type = type, .sym = symi, .map = -1, .file_off = off };
		rc = classify(obj, sec, slot, &obj->syms[symi], off, &r, err);
		if (!rc && add_rel(obj, &r))
			rc = ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	free(seen);
	return rc;
}

/* ---- linking one program ---- */

struct placed {
	size_t func, start;
};

struct linker {
	bpfvm_obj *obj;
	size_t prog;
	struct bpf_insn *insns;
	size_t n, cap;
	struct placed *placed;
	size_t nplaced, cap_placed;
	struct bpfvm_obj_line *lines;
	size_t nlines, cap_lines;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t cap2 = *cap ? *cap : 16;
	while (cap2 < need)
		cap2 *= 2;
	void *q = realloc(*p, cap2 * elem);
	if (!q)
		return BPFVM_ENOMEM;
	*p = q;
	*cap = cap2;
	return 0;
}

/* Start of function f in the program, placing it at the end if needed. */
static long place(struct linker *l, size_t f, struct bpfvm_error *err)
{
	for (size_t i = 0; i < l->nplaced; i++)
		if (l->placed[i].func == f)
			return (long)l->placed[i].start;
	const struct ldr_func *fn = &l->obj->funcs[f];
	if (l->n + fn->n > BPFVM_MAX_INSNS)
		return ldr_err(err, BPFVM_EFORMAT, -1, "program '%s': more than %d instructions with its subprograms",
			       l->obj->progs[l->prog].name, BPFVM_MAX_INSNS);
	if (l->obj->linked + l->n + fn->n > LDR_MAX_LINKED)
		return ldr_err(err, BPFVM_EFORMAT, -1,
			       "program '%s': the object's programs come to more than %u instructions with their subprograms",
			       l->obj->progs[l->prog].name, LDR_MAX_LINKED);
	if (grow((void **)&l->insns, &l->cap, l->n + fn->n, sizeof(*l->insns)) ||
	    grow((void **)&l->placed, &l->cap_placed, l->nplaced + 1, sizeof(*l->placed)))
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	memcpy(l->insns + l->n, l->obj->secs[fn->sec].insns + fn->off, fn->n * sizeof(*l->insns));
	l->placed[l->nplaced++] = (struct placed){ f, l->n };
	l->n += fn->n;
	return (long)(l->n - fn->n);
}

/* The program-relative slot of section slot `target` (which starts a function
 * of section sec), placing that function. */
static long target_slot(struct linker *l, size_t sec, size_t target, struct bpfvm_error *err)
{
	long f = ldr_func_at(l->obj, sec, target, 0);
	if (f < 0)
		return ldr_err(err, BPFVM_EFORMAT, -1, "no function at insn %zu of section '%s'", target,
			       l->obj->secs[sec].name);
	return place(l, (size_t)f, err);
}

static void fail_prog(struct linker *l, int code, const char *msg)
{
	struct bpfvm_obj_prog_info *p = &l->obj->progs[l->prog];
	if (p->load_error)
		return;
	p->load_error = code;
	p->load_msg = msg ? msg : "out of memory";
}

static int link_func(struct linker *l, size_t k, int32_t *relidx, struct bpfvm_error *err)
{
	bpfvm_obj *obj = l->obj;
	const struct ldr_func fn = obj->funcs[l->placed[k].func];
	size_t base = l->placed[k].start;
	const char *secname = obj->secs[fn.sec].name;
	for (size_t j = 0; j < fn.n; j++)
		relidx[j] = -1;
	for (size_t i = 0; i < obj->nrels; i++)
		if (obj->rels[i].sec == fn.sec && obj->rels[i].insn >= fn.off && obj->rels[i].insn < fn.off + fn.n)
			relidx[obj->rels[i].insn - fn.off] = (int32_t)i;
	for (size_t j = 0; j < fn.n; j++) {
		size_t pos = base + j;
		struct bpf_insn *in = &l->insns[pos];
		const struct ldr_rel *r = relidx[j] >= 0 ? &obj->rels[relidx[j]] : NULL;
		if (!r) {
			/* a call within the section, which clang resolves itself */
			if (is_call(in) && in->src_reg == BPF_PSEUDO_CALL) {
				int64_t target = (int64_t)(fn.off + j) + in->imm + 1;
				if (target < 0 || (uint64_t)target >= obj->secs[fn.sec].ninsns)
					return ldr_err(err, BPFVM_EFORMAT, ldr_sec_off(obj, fn.sec, (fn.off + j) * 8),
						       "call at insn %zu of section '%s' jumps outside the section", fn.off + j,
						       secname);
				long t = target_slot(l, fn.sec, (size_t)target, err);
				if (t < 0)
					return (int)t;
				l->insns[pos].imm = (int32_t)(t - (long)pos - 1);
			}
			continue;
		}
		const struct ldr_sym *y = &obj->syms[r->sym];
		struct bpfvm_obj_reloc out = {
			.kind = r->kind, .prog = (long)l->prog, .insn = pos, .section = secname, .sec_off = r->insn * 8,
			.elf_type = r->elf_type, .symbol = y->name, .map = r->map, .value = r->value,
		};
		switch (r->kind) {
		case LDR_REL_EXTERN:
			fail_prog(l, BPFVM_EUNSUPP,
				  ldr_sprintf(obj, "insn %zu: '%s' is an extern %s, which only the kernel can resolve", pos, y->name,
					      is_call(in) ? "function (kfunc)" : "symbol (ksym, kconfig)"));
			continue;
		case BPFVM_RELOC_MAP:
			in->src_reg = BPF_PSEUDO_MAP_IDX;
			in[0].imm = (int32_t)r->map;
			in[1].imm = 0;
			out.target = obj->maps[r->map].info.name;
			break;
		case BPFVM_RELOC_MAP_VALUE:
			in->src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
			in[0].imm = (int32_t)r->map;
			in[1].imm = (int32_t)r->value;
			out.target = obj->maps[r->map].info.name;
			break;
		case BPFVM_RELOC_CALL:
		case BPFVM_RELOC_FUNC: {
			long t = target_slot(l, r->target_sec, (size_t)r->value, err);
			if (t < 0)
				return (int)t;
			in = &l->insns[pos]; /* placing may have moved the buffer */
			in->imm = (int32_t)(t - (long)pos - 1);
			if (r->kind == BPFVM_RELOC_FUNC) {
				in->src_reg = BPF_PSEUDO_FUNC;
				in[1].imm = 0;
			}
			out.value = t;
			out.target = obj->funcs[ldr_func_at(obj, r->target_sec, (size_t)r->value, 0)].name;
			break;
		}
		default:
			break;
		}
		if (ldr_add_reloc(obj, &out))
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	/* CO-RE outcomes (already patched into the section copy) */
	for (size_t i = 0; i < obj->ncores; i++) {
		const struct ldr_core *c = &obj->cores[i];
		if (c->sec != fn.sec || c->insn < fn.off || c->insn >= fn.off + fn.n)
			continue;
		size_t pos = base + (c->insn - fn.off);
		if (c->status) {
			fail_prog(l, c->status,
				  ldr_sprintf(obj, "insn %zu: CO-RE relocation #%zu (section '%s', insn %zu) %s: %s", pos, i, secname,
					      c->insn, c->desc ? c->desc : "", c->msg ? c->msg : "cannot be resolved"));
			continue;
		}
		struct bpfvm_obj_reloc out = {
			.kind = BPFVM_RELOC_CORE, .prog = (long)l->prog, .insn = pos, .section = secname, .sec_off = c->insn * 8,
			.symbol = "", .map = -1, .value = c->target_value, .target = c->desc,
		};
		if (ldr_add_reloc(obj, &out))
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	for (size_t i = 0; i < obj->nlines; i++) {
		const struct ldr_line *ln = &obj->lines[i];
		if (ln->sec != fn.sec || ln->insn < fn.off || ln->insn >= fn.off + fn.n)
			continue;
		if (grow((void **)&l->lines, &l->cap_lines, l->nlines + 1, sizeof(*l->lines)))
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
		l->lines[l->nlines++] = (struct bpfvm_obj_line){ base + (ln->insn - fn.off), ln->file, ln->text, ln->line,
								 ln->column };
	}
	return 0;
}

static int line_cmp(const void *a, const void *b)
{
	const struct bpfvm_obj_line *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

int ldr_link_prog(bpfvm_obj *obj, size_t p, struct bpfvm_error *err)
{
	struct linker l = { .obj = obj, .prog = p };
	int32_t *relidx = NULL;
	long rc = place(&l, obj->prog_func[p], err);
	for (size_t k = 0; rc >= 0 && k < l.nplaced; k++) {
		const struct ldr_func *fn = &obj->funcs[l.placed[k].func];
		int32_t *ri = realloc(relidx, (fn->n ? fn->n : 1) * sizeof(*ri));
		if (!ri) {
			rc = ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
			break;
		}
		relidx = ri;
		rc = link_func(&l, k, relidx, err);
	}
	free(relidx);
	struct bpfvm_obj_prog_info *info = &obj->progs[p];
	if (rc >= 0) {
		if (l.nlines)
			qsort(l.lines, l.nlines, sizeof(*l.lines), line_cmp);
		struct bpf_insn *insns = ldr_alloc(obj, l.n * sizeof(*insns));
		struct bpfvm_obj_func *funcs = ldr_alloc(obj, l.nplaced * sizeof(*funcs));
		struct bpfvm_obj_line *lines = ldr_alloc(obj, (l.nlines ? l.nlines : 1) * sizeof(*lines));
		if (!insns || !funcs || !lines) {
			rc = ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
		} else {
			memcpy(insns, l.insns, l.n * sizeof(*insns));
			for (size_t k = 0; k < l.nplaced; k++) {
				const struct ldr_func *fn = &obj->funcs[l.placed[k].func];
				funcs[k] = (struct bpfvm_obj_func){ fn->name, l.placed[k].start, fn->n };
			}
			if (l.nlines)
				memcpy(lines, l.lines, l.nlines * sizeof(*lines));
			info->insns = insns;
			info->ninsns = l.n;
			obj->linked += l.n;
			info->funcs = funcs;
			info->nfuncs = l.nplaced;
			info->lines = lines;
			info->nlines = l.nlines;
		}
	}
	free(l.insns);
	free(l.placed);
	free(l.lines);
	return rc < 0 ? (int)rc : 0;
}
