/* elf_obj.c - opening a BPF ELF object with libelf: the header checks,
 * sections, the symbol table, functions (programs and subprograms), license
 * and version; the open flow that hands over to BTF, maps, relocations and
 * CO-RE (see loader.h), loading the programs; and the public queries. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>

#include "loader.h"
#include "vm.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

#define LDR_MAX_FILE (1ull << 30) /* objects larger than 1 GiB are refused */

/* ---- arena: every string and array that outlives the open ---- */

struct ldr_arena_block {
	struct ldr_arena_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char mem[];
};

void *ldr_alloc(bpfvm_obj *obj, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	struct ldr_arena_block *b = obj->arena;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > 65536 ? size : 65536;
		if (cap > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		if (obj->arena && size > 65536) { /* a big one: keep the current block in front */
			b->next = obj->arena->next;
			obj->arena->next = b;
		} else {
			b->next = obj->arena;
			obj->arena = b;
		}
	}
	void *p = b->mem + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *ldr_strndup(bpfvm_obj *obj, const char *s, size_t n)
{
	char *p = ldr_alloc(obj, n + 1);
	if (p && n)
		memcpy(p, s, n);
	return p;
}

char *ldr_strdup(bpfvm_obj *obj, const char *s)
{
	return ldr_strndup(obj, s ? s : "", s ? strlen(s) : 0);
}

/* Messages quote names from the file: keep them on one printable line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

char *ldr_sprintf(bpfvm_obj *obj, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	one_line(buf);
	return ldr_strdup(obj, buf);
}

int ldr_err(struct bpfvm_error *err, int code, long offset, const char *fmt, ...)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		err->insn = -1;
		err->offset = offset;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		one_line(err->msg);
	}
	return code;
}

long ldr_shdr_off(const bpfvm_obj *obj, size_t sec)
{
	GElf_Ehdr eh;
	if (!obj->elf || !gelf_getehdr(obj->elf, &eh))
		return -1;
	return (long)(eh.e_shoff + (uint64_t)sec * eh.e_shentsize);
}

long ldr_sec_off(const bpfvm_obj *obj, size_t sec, uint64_t off)
{
	if (sec >= obj->nsecs)
		return -1;
	return (long)(obj->secs[sec].sh.sh_offset + off);
}

long ldr_func_at(const bpfvm_obj *obj, size_t sec, size_t slot, int containing)
{
	for (size_t i = 0; i < obj->nfuncs; i++) {
		const struct ldr_func *f = &obj->funcs[i];
		if (f->sec != sec)
			continue;
		if (f->off == slot || (containing && slot > f->off && slot < f->off + f->n))
			return (long)i;
	}
	return -1;
}

/* ---- sections ---- */

static int is_data_name(const char *name, const char *base)
{
	size_t n = strlen(base);
	return strncmp(name, base, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

static int classify(const GElf_Shdr *sh, const char *name)
{
	if (sh->sh_type == SHT_SYMTAB)
		return LDR_SEC_SYMTAB;
	if (sh->sh_type == SHT_REL)
		return LDR_SEC_REL;
	if (strcmp(name, "license") == 0)
		return LDR_SEC_LICENSE;
	if (strcmp(name, "version") == 0)
		return LDR_SEC_VERSION;
	if (strcmp(name, ".maps") == 0)
		return LDR_SEC_MAPS;
	if (strcmp(name, "maps") == 0)
		return LDR_SEC_LEGACY_MAPS;
	if (strcmp(name, ".BTF") == 0)
		return LDR_SEC_BTF;
	if (strcmp(name, ".BTF.ext") == 0)
		return LDR_SEC_BTF_EXT;
	if (sh->sh_size == 0)
		return LDR_SEC_OTHER;
	if (sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR))
		return LDR_SEC_CODE;
	if (sh->sh_type == SHT_PROGBITS && is_data_name(name, ".data"))
		return LDR_SEC_DATA;
	if (sh->sh_type == SHT_PROGBITS && is_data_name(name, ".rodata"))
		return LDR_SEC_RODATA;
	if (sh->sh_type == SHT_NOBITS && is_data_name(name, ".bss"))
		return LDR_SEC_BSS;
	return LDR_SEC_OTHER;
}

/* Reads section i's header, name and (for the kinds the loader uses) data. */
static int read_section(bpfvm_obj *obj, size_t i, size_t shstrndx, struct bpfvm_error *err)
{
	struct ldr_sec *s = &obj->secs[i];
	Elf_Scn *scn = elf_getscn(obj->elf, i);
	if (!scn || !gelf_getshdr(scn, &s->sh))
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i), "section #%zu: unreadable section header (%s)", i,
			       elf_errmsg(-1));
	const char *name = elf_strptr(obj->elf, shstrndx, s->sh.sh_name);
	if (!name)
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
			       "section #%zu: name offset %u lies outside the section name table", i, s->sh.sh_name);
	if (!(s->name = ldr_strdup(obj, name)))
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	s->map = -1;
	s->kind = classify(&s->sh, s->name);
	if (s->sh.sh_type != SHT_NOBITS && s->sh.sh_type != SHT_NULL &&
	    (s->sh.sh_offset > obj->image_len || s->sh.sh_size > obj->image_len - s->sh.sh_offset))
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
			       "section '%s' (#%zu): %llu bytes at offset %llu run past the end of the file (%zu bytes)",
			       s->name, i, (unsigned long long)s->sh.sh_size, (unsigned long long)s->sh.sh_offset,
			       obj->image_len);
	if (s->sh.sh_link >= obj->nsecs && (s->sh.sh_type == SHT_SYMTAB || s->sh.sh_type == SHT_REL))
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
			       "section '%s' (#%zu): sh_link %u is not a section index (the file has %zu sections)",
			       s->name, i, s->sh.sh_link, obj->nsecs);
	if (s->kind == LDR_SEC_OTHER)
		return 0;
	if (s->kind == LDR_SEC_BSS) {
		if (s->sh.sh_size > LDR_MAX_GLOBAL_DATA)
			return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
				       "section '%s' (#%zu): %llu bytes of global data is more than bpfvm accepts (%u)",
				       s->name, i, (unsigned long long)s->sh.sh_size, LDR_MAX_GLOBAL_DATA);
		s->size = (size_t)s->sh.sh_size;
		return 0;
	}
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || (s->sh.sh_size && !d->d_buf) || d->d_size != s->sh.sh_size)
		return ldr_err(err, BPFVM_EFORMAT, ldr_sec_off(obj, i, 0), "section '%s' (#%zu): unreadable data (%s)",
			       s->name, i, elf_errmsg(-1));
	s->data = d->d_buf;
	s->size = d->d_size;
	if (s->kind == LDR_SEC_CODE) {
		if (s->size % sizeof(struct bpf_insn))
			return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
				       "section '%s' (#%zu): code size %zu is not a multiple of 8", s->name, i, s->size);
		s->ninsns = s->size / sizeof(struct bpf_insn);
		if (!(s->insns = ldr_alloc(obj, s->size)))
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
		memcpy(s->insns, s->data, s->size);
	}
	if ((s->kind == LDR_SEC_DATA || s->kind == LDR_SEC_RODATA) && s->size > LDR_MAX_GLOBAL_DATA)
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
			       "section '%s' (#%zu): %zu bytes of global data is more than bpfvm accepts (%u)", s->name, i,
			       s->size, LDR_MAX_GLOBAL_DATA);
	return 0;
}

static int read_symbols(bpfvm_obj *obj, struct bpfvm_error *err)
{
	const struct ldr_sec *st = &obj->secs[obj->symtab_sec];
	long hoff = ldr_shdr_off(obj, obj->symtab_sec);
	if (st->sh.sh_entsize != sizeof(Elf64_Sym))
		return ldr_err(err, BPFVM_EFORMAT, hoff, "section '%s': symbol size %llu, expected %zu", st->name,
			       (unsigned long long)st->sh.sh_entsize, sizeof(Elf64_Sym));
	if (obj->secs[st->sh.sh_link].sh.sh_type != SHT_STRTAB)
		return ldr_err(err, BPFVM_EFORMAT, hoff, "section '%s': sh_link %u is not a string table", st->name,
			       st->sh.sh_link);
	Elf_Data *d = elf_getdata(elf_getscn(obj->elf, obj->symtab_sec), NULL);
	if (!d || d->d_size != st->sh.sh_size)
		return ldr_err(err, BPFVM_EFORMAT, ldr_sec_off(obj, obj->symtab_sec, 0),
			       "section '%s': unreadable symbol table (%s)", st->name, elf_errmsg(-1));
	if (d->d_size % sizeof(Elf64_Sym))
		return ldr_err(err, BPFVM_EFORMAT, hoff, "section '%s': size %zu is not a multiple of %zu", st->name,
			       d->d_size, sizeof(Elf64_Sym));
	size_t n = d->d_size / sizeof(Elf64_Sym);
	if (n > LDR_MAX_SYMBOLS)
		return ldr_err(err, BPFVM_EFORMAT, hoff, "section '%s': %zu symbols is more than bpfvm accepts", st->name, n);
	if (!(obj->syms = ldr_alloc(obj, (n ? n : 1) * sizeof(*obj->syms))))
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	obj->nsyms = n;
	for (size_t i = 0; i < n; i++) {
		struct ldr_sym *s = &obj->syms[i];
		long off = ldr_sec_off(obj, obj->symtab_sec, i * sizeof(Elf64_Sym));
		if (!gelf_getsym(d, (int)i, &s->sym))
			return ldr_err(err, BPFVM_EFORMAT, off, "symbol #%zu: unreadable (%s)", i, elf_errmsg(-1));
		const char *name = s->sym.st_name ? elf_strptr(obj->elf, st->sh.sh_link, s->sym.st_name) : "";
		if (!name)
			return ldr_err(err, BPFVM_EFORMAT, off, "symbol #%zu: name offset %u lies outside the string table", i,
				       s->sym.st_name);
		if (!(s->name = ldr_strdup(obj, name)))
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
		/* a section symbol is known by its section's name */
		if (GELF_ST_TYPE(s->sym.st_info) == STT_SECTION && !*name && s->sym.st_shndx < obj->nsecs)
			s->name = obj->secs[s->sym.st_shndx].name;
	}
	return 0;
}

static int func_cmp(const void *a, const void *b)
{
	const struct ldr_func *x = a, *y = b;
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int collect_funcs(bpfvm_obj *obj, struct bpfvm_error *err)
{
	size_t n = 0;
	for (size_t i = 0; i < obj->nsyms; i++)
		n += GELF_ST_TYPE(obj->syms[i].sym.st_info) == STT_FUNC;
	if (!(obj->funcs = ldr_alloc(obj, (n ? n : 1) * sizeof(*obj->funcs))))
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct ldr_sym *s = &obj->syms[i];
		const GElf_Sym *y = &s->sym;
		long off = ldr_sec_off(obj, obj->symtab_sec, i * sizeof(Elf64_Sym));
		if (GELF_ST_TYPE(y->st_info) != STT_FUNC || y->st_shndx == SHN_UNDEF)
			continue; /* extern functions (kfuncs) are refused where they are called */
		if (y->st_shndx >= obj->nsecs)
			return ldr_err(err, BPFVM_EFORMAT, off, "symbol '%s': section index %u out of range (%zu sections)",
				       s->name, y->st_shndx, obj->nsecs);
		const struct ldr_sec *sec = &obj->secs[y->st_shndx];
		if (sec->kind != LDR_SEC_CODE || y->st_size == 0)
			continue;
		if (y->st_value % 8 || y->st_size % 8 || y->st_value > sec->size || y->st_size > sec->size - y->st_value)
			return ldr_err(err, BPFVM_EFORMAT, off,
				       "symbol '%s': function at %llu, %llu bytes, does not fit section '%s' (%zu bytes) in whole instructions",
				       s->name, (unsigned long long)y->st_value, (unsigned long long)y->st_size, sec->name,
				       sec->size);
		struct ldr_func *f = &obj->funcs[obj->nfuncs++];
		f->name = s->name;
		f->sec = y->st_shndx;
		f->off = (size_t)(y->st_value / 8);
		f->n = (size_t)(y->st_size / 8);
		/* like libbpf: every function outside .text is a program; a static
		 * one there (which libbpf refuses) is kept as a subprogram */
		f->entry = f->sec != obj->text_sec && GELF_ST_BIND(y->st_info) != STB_LOCAL;
	}
	qsort(obj->funcs, obj->nfuncs, sizeof(*obj->funcs), func_cmp);
	for (size_t i = 1; i < obj->nfuncs; i++) {
		const struct ldr_func *a = &obj->funcs[i - 1], *b = &obj->funcs[i];
		if (a->sec == b->sec && a->off + a->n > b->off)
			return ldr_err(err, BPFVM_EFORMAT, ldr_sec_off(obj, b->sec, b->off * 8),
				       "section '%s': functions '%s' and '%s' overlap", obj->secs[b->sec].name, a->name,
				       b->name);
	}
	return 0;
}

static int parse_elf(bpfvm_obj *obj, struct bpfvm_error *err)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ldr_err(err, BPFVM_EUNSUPP, -1, "libelf is too old for this program");
	obj->elf = elf_memory((char *)obj->image, obj->image_len);
	if (!obj->elf || elf_kind(obj->elf) != ELF_K_ELF)
		return ldr_err(err, BPFVM_EFORMAT, 0, "not an ELF file");
	size_t idlen = 0;
	const char *ident = elf_getident(obj->elf, &idlen);
	if (!ident || idlen < EI_NIDENT)
		return ldr_err(err, BPFVM_EFORMAT, 0, "truncated ELF header");
	if (ident[EI_CLASS] != ELFCLASS64)
		return ldr_err(err, BPFVM_EFORMAT, EI_CLASS, "ELF class %d: BPF objects are 64-bit (ELFCLASS64)",
			       ident[EI_CLASS]);
	if (ident[EI_DATA] != ELFDATA2LSB)
		return ldr_err(err, ident[EI_DATA] == ELFDATA2MSB ? BPFVM_EUNSUPP : BPFVM_EFORMAT, EI_DATA,
			       ident[EI_DATA] == ELFDATA2MSB ? "big-endian BPF objects are not supported"
							     : "ELF data encoding %d is neither little- nor big-endian",
			       ident[EI_DATA]);
	GElf_Ehdr eh;
	if (!gelf_getehdr(obj->elf, &eh))
		return ldr_err(err, BPFVM_EFORMAT, 0, "truncated ELF header (%s)", elf_errmsg(-1));
	if (eh.e_machine != EM_BPF)
		return ldr_err(err, BPFVM_EFORMAT, offsetof(Elf64_Ehdr, e_machine), "e_machine %u is not EM_BPF (%u)",
			       eh.e_machine, EM_BPF);
	if (eh.e_type != ET_REL)
		return ldr_err(err, BPFVM_EFORMAT, offsetof(Elf64_Ehdr, e_type),
			       "e_type %u: not a relocatable object (ET_REL, what clang -c writes)", eh.e_type);
	/* libelf reads a section header table cut by the end of the file as
	 * none at all: say what happened (a truncated object) instead */
	if (eh.e_shnum && eh.e_shentsize &&
	    (eh.e_shoff > obj->image_len || (obj->image_len - eh.e_shoff) / eh.e_shentsize < eh.e_shnum))
		return ldr_err(err, BPFVM_EFORMAT, offsetof(Elf64_Ehdr, e_shoff),
			       "truncated object: its %u section headers at offset %llu end past the end of the file (%zu bytes)",
			       eh.e_shnum, (unsigned long long)eh.e_shoff, obj->image_len);
	size_t shnum = 0, shstrndx = 0;
	if (elf_getshdrnum(obj->elf, &shnum) != 0 || elf_getshdrstrndx(obj->elf, &shstrndx) != 0)
		return ldr_err(err, BPFVM_EFORMAT, offsetof(Elf64_Ehdr, e_shoff), "unreadable section headers (%s)",
			       elf_errmsg(-1));
	if (shnum == 0 || shnum > LDR_MAX_SECTIONS)
		return ldr_err(err, BPFVM_EFORMAT, offsetof(Elf64_Ehdr, e_shnum), "%zu sections", shnum);
	if (eh.e_shoff > obj->image_len || (obj->image_len - eh.e_shoff) / (eh.e_shentsize ? eh.e_shentsize : 1) < shnum)
		return ldr_err(err, BPFVM_EFORMAT, offsetof(Elf64_Ehdr, e_shoff),
			       "section headers (%zu at offset %llu) run past the end of the file (%zu bytes)", shnum,
			       (unsigned long long)eh.e_shoff, obj->image_len);
	if (shstrndx >= shnum)
		return ldr_err(err, BPFVM_EFORMAT, offsetof(Elf64_Ehdr, e_shstrndx),
			       "section name table index %zu out of range (%zu sections)", shstrndx, shnum);
	GElf_Shdr strsh;
	Elf_Scn *strscn = elf_getscn(obj->elf, shstrndx);
	if (!strscn || !gelf_getshdr(strscn, &strsh))
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, shstrndx),
			       "section name table (section #%zu): unreadable section header (%s)", shstrndx, elf_errmsg(-1));
	if (strsh.sh_type != SHT_STRTAB || strsh.sh_offset > obj->image_len ||
	    strsh.sh_size > obj->image_len - strsh.sh_offset)
		return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, shstrndx),
			       "section name table (section #%zu): %llu bytes at offset %llu are not a string table inside the file (%zu bytes)",
			       shstrndx, (unsigned long long)strsh.sh_size, (unsigned long long)strsh.sh_offset,
			       obj->image_len);
	if (!(obj->secs = ldr_alloc(obj, shnum * sizeof(*obj->secs))))
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	obj->nsecs = shnum;
	obj->secs[0].name = "";
	obj->secs[0].map = -1;
	for (size_t i = 1; i < shnum; i++) {
		int rc = read_section(obj, i, shstrndx, err);
		if (rc)
			return rc;
	}
	for (size_t i = 1; i < shnum; i++) {
		struct ldr_sec *s = &obj->secs[i];
		size_t *slot = NULL;
		switch (s->kind) {
		case LDR_SEC_SYMTAB: slot = &obj->symtab_sec; break;
		case LDR_SEC_MAPS: slot = &obj->maps_sec; break;
		case LDR_SEC_LEGACY_MAPS: slot = &obj->legacy_maps_sec; break;
		case LDR_SEC_BTF: slot = &obj->btf_sec; break;
		case LDR_SEC_BTF_EXT: slot = &obj->btf_ext_sec; break;
		case LDR_SEC_CODE:
			if (strcmp(s->name, ".text") == 0)
				slot = &obj->text_sec;
			break;
		case LDR_SEC_LICENSE: {
			const char *t = (const char *)s->data;
			size_t n = t ? strnlen(t, s->size) : 0;
			if (!(obj->license = ldr_strndup(obj, t ? t : "", n)))
				return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
			break;
		}
		case LDR_SEC_VERSION:
			if (s->size != sizeof(uint32_t))
				return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
					       "section 'version': %zu bytes, expected 4", s->size);
			memcpy(&obj->kversion, s->data, sizeof(uint32_t));
			break;
		default:
			break;
		}
		if (slot) {
			if (*slot)
				return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i), "section '%s' (#%zu): a second '%s'",
					       s->name, i, obj->secs[*slot].name);
			*slot = i;
		}
	}
	if (!obj->symtab_sec)
		return ldr_err(err, BPFVM_EFORMAT, -1, "no symbol table (a stripped object?)");
	for (size_t i = 1; i < shnum; i++) {
		struct ldr_sec *s = &obj->secs[i];
		if (s->kind != LDR_SEC_REL)
			continue;
		if (s->sh.sh_info == 0 || s->sh.sh_info >= shnum)
			return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
				       "section '%s' (#%zu): sh_info %u is not a section index (the file has %zu sections)",
				       s->name, i, s->sh.sh_info, shnum);
		if (s->sh.sh_link != obj->symtab_sec)
			return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
				       "section '%s' (#%zu): sh_link %u is not the symbol table (#%zu)", s->name, i,
				       s->sh.sh_link, obj->symtab_sec);
		struct ldr_sec *t = &obj->secs[s->sh.sh_info];
		if (t->kind == LDR_SEC_CODE || t->kind == LDR_SEC_MAPS) {
			if (t->rel)
				return ldr_err(err, BPFVM_EFORMAT, ldr_shdr_off(obj, i),
					       "section '%s' (#%zu): a second relocation section for '%s'", s->name, i, t->name);
			t->rel = i;
		}
	}
	int rc = read_symbols(obj, err);
	return rc ? rc : collect_funcs(obj, err);
}

/* ---- programs ---- */

static int init_progs(bpfvm_obj *obj, struct bpfvm_error *err)
{
	size_t n = 0;
	for (size_t i = 0; i < obj->nfuncs; i++)
		n += obj->funcs[i].entry;
	obj->progs = ldr_alloc(obj, (n ? n : 1) * sizeof(*obj->progs));
	obj->prog_func = ldr_alloc(obj, (n ? n : 1) * sizeof(*obj->prog_func));
	if (!obj->progs || !obj->prog_func)
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	for (size_t i = 0; i < obj->nfuncs; i++) {
		const struct ldr_func *f = &obj->funcs[i];
		if (!f->entry)
			continue;
		struct bpfvm_obj_prog_info *p = &obj->progs[obj->nprogs];
		obj->prog_func[obj->nprogs++] = i;
		p->name = f->name;
		p->section = obj->secs[f->sec].name;
		p->type_known = ldr_sec_prog_type(p->section, &p->type, &p->expected_attach_type);
		if (!p->type_known && (obj->flags & BPFVM_OBJ_F_RAW_UNKNOWN))
			p->type = BPFVM_PROG_TYPE_RAW;
		p->type_name = p->type_known ? ldr_prog_type_name(p->type)
					     : (obj->flags & BPFVM_OBJ_F_RAW_UNKNOWN) ? "raw" : "unknown";
		p->sec_insn = f->off;
		p->sec_ninsns = f->n;
		p->load_msg = "";
	}
	return 0;
}

/* A failed program: fatal when bpfvm can run its type and the caller did
 * not ask to keep going. */
static int prog_failed(bpfvm_obj *obj, struct bpfvm_obj_prog_info *p, const struct bpfvm_error *e,
		       struct bpfvm_error *err)
{
	if ((obj->flags & BPFVM_OBJ_F_KEEP_GOING) || !vm_ctx_supported(p->type) || !p->type_known)
		return 0;
	ldr_err(err, p->load_error, e ? e->offset : -1, "program '%s' (section '%s'): %s", p->name, p->section,
		p->load_msg);
	if (err && e)
		err->insn = e->insn;
	return p->load_error;
}

static int load_progs(bpfvm_obj *obj, struct bpfvm_error *err)
{
	for (size_t i = 0; i < obj->nprogs; i++) {
		struct bpfvm_obj_prog_info *p = &obj->progs[i];
		if (p->load_error) { /* linking failed (CO-RE) */
			int rc = prog_failed(obj, p, NULL, err);
			if (rc)
				return rc;
			continue;
		}
		if (!p->type_known && !(obj->flags & BPFVM_OBJ_F_RAW_UNKNOWN)) {
			p->load_error = BPFVM_EUNSUPP;
			p->load_msg = ldr_sprintf(obj,
						  "section '%s' names no program type (libbpf's conventions: socket, xdp, tc, kprobe/..., tracepoint/..., ...)",
						  p->section);
			continue;
		}
		if (!vm_ctx_supported(p->type)) { /* what bpfvm_prog_load would answer */
			p->load_error = BPFVM_EUNSUPP;
			p->load_msg = ldr_sprintf(obj, "bpfvm cannot run %s programs (type %u) yet", p->type_name, p->type);
			if (!p->load_msg)
				return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
			continue;
		}
		struct bpfvm_prog_opts po = {
			.sz = sizeof(po), .name = p->name, .flags = obj->prog_flags, .type = p->type,
			.fd_array = obj->nmaps ? obj->map_fds : NULL, .fd_array_len = obj->nmaps,
			.global_funcs = p->global_funcs, .nglobal_funcs = p->nglobal_funcs,
		};
		struct bpfvm_error e;
		memset(&e, 0, sizeof(e));
		bpfvm_prog *prog = NULL;
		int rc = bpfvm_prog_load(obj->env, p->insns, p->ninsns, &po, &prog, &e);
		if (rc == 0) {
			p->prog = prog;
			continue;
		}
		p->load_error = rc;
		char buf[320];
		bpfvm_error_format(&e, buf, sizeof(buf));
		p->load_msg = ldr_sprintf(obj, "%s", buf);
		if (!p->load_msg)
			return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
		if ((rc = prog_failed(obj, p, &e, err)))
			return rc;
	}
	return 0;
}

/* Maps, initial values, frozen .rodata, programs, prog_array slots. */
static int load_obj(bpfvm_obj *obj, struct bpfvm_error *err)
{
	int rc = ldr_maps_create(obj, err);
	rc = rc ? rc : load_progs(obj, err);
	rc = rc ? rc : ldr_maps_fill_slots(obj, err);
	obj->loaded = 1;
	return rc;
}

int bpfvm_obj_load(bpfvm_obj *obj, struct bpfvm_error *err)
{
	if (!obj || obj->loaded || (obj->flags & BPFVM_OBJ_F_NO_LOAD) || !obj->env)
		return ldr_err(err, BPFVM_EINVAL, -1,
			       obj && obj->loaded ? "the object is loaded already"
						 : "the object was opened without loading (BPFVM_OBJ_F_NO_LOAD)");
	int rc = load_obj(obj, err);
	if (rc) {
		/* back to nothing in env: the programs, then the maps */
		for (size_t i = 0; i < obj->nprogs; i++) {
			bpfvm_prog_free(obj->progs[i].prog);
			obj->progs[i].prog = NULL;
		}
		ldr_maps_destroy(obj);
	}
	return rc;
}

/* The map called name: by its name in the object first, then by its name
 * in env (bpfvm_obj_map_by_name's rule). */
static struct ldr_map *find_map(const bpfvm_obj *obj, const char *name)
{
	for (size_t i = 0; i < obj->nmaps; i++)
		if (strcmp(obj->maps[i].info.name, name) == 0)
			return &obj->maps[i];
	for (size_t i = 0; i < obj->nmaps; i++)
		if (strcmp(obj->maps[i].info.env_name, name) == 0)
			return &obj->maps[i];
	return NULL;
}

static bool is_global_data(const struct ldr_map *m)
{
	return m->info.kind == BPFVM_OBJ_MAP_DATA || m->info.kind == BPFVM_OBJ_MAP_RODATA ||
	       m->info.kind == BPFVM_OBJ_MAP_BSS;
}

void *bpfvm_obj_map_initial_value(bpfvm_obj *obj, const char *name, size_t *size)
{
	if (!obj || !name || obj->loaded)
		return NULL;
	struct ldr_map *m = find_map(obj, name);
	if (!m || !is_global_data(m))
		return NULL;
	if (!m->init) { /* .bss: zeroes until now (ldr_alloc zeroes) */
		m->init = ldr_alloc(obj, m->info.value_size ? m->info.value_size : 1);
		if (!m->init)
			return NULL;
		m->init_len = m->info.value_size;
	}
	if (size)
		*size = m->init_len;
	return m->init;
}

int bpfvm_obj_global(const bpfvm_obj *obj, const char *name, const char **map, size_t *off, size_t *size)
{
	if (!obj || !name || !*name)
		return BPFVM_EINVAL;
	for (size_t i = 0; i < obj->nsyms; i++) {
		const struct ldr_sym *y = &obj->syms[i];
		if (GELF_ST_TYPE(y->sym.st_info) != STT_OBJECT || strcmp(y->name, name) != 0)
			continue;
		for (size_t k = 0; k < obj->nmaps; k++) {
			const struct ldr_map *m = &obj->maps[k];
			if (!is_global_data(m) || m->sec != y->sym.st_shndx || y->sym.st_value + y->sym.st_size > m->info.value_size)
				continue;
			if (map)
				*map = m->info.name;
			if (off)
				*off = (size_t)y->sym.st_value;
			if (size)
				*size = (size_t)y->sym.st_size;
			return 0;
		}
	}
	return BPFVM_EINVAL;
}

/* ---- open and close ---- */

static void release_open_state(bpfvm_obj *obj)
{
	if (obj->btf)
		btf__free(obj->btf);
	obj->btf = NULL;
	if (obj->elf)
		elf_end(obj->elf);
	obj->elf = NULL;
	free(obj->image);
	obj->image = NULL;
	free(obj->rels);
	obj->rels = NULL;
	/* sections, symbols and records live in the arena; drop the views of
	 * the image that they hold */
	for (size_t i = 0; i < obj->nsecs; i++)
		obj->secs[i].data = NULL;
}

void bpfvm_obj_close(bpfvm_obj *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < obj->nprogs; i++)
		bpfvm_prog_free(obj->progs[i].prog);
	ldr_maps_destroy(obj);
	release_open_state(obj);
	free(obj->relocs);
	for (struct ldr_arena_block *b = obj->arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(obj);
}

static const char *default_name(bpfvm_obj *obj, const char *path)
{
	if (!path)
		return "obj";
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strchr(base, '.');
	size_t n = dot ? (size_t)(dot - base) : strlen(base);
	return n ? ldr_strndup(obj, base, n) : "obj";
}

/* Takes ownership of image (malloc'd). */
static int open_image(bpfvm_env *env, uint8_t *image, size_t len, const char *path, const struct bpfvm_obj_opts *opts,
		      bpfvm_obj **out, struct bpfvm_error *err)
{
	bpfvm_obj *obj = calloc(1, sizeof(*obj));
	if (!obj) {
		free(image);
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	obj->env = env;
	obj->image = image;
	obj->image_len = len;
	obj->license = "";
	size_t osz = opts ? opts->sz : 0;
	if (osz >= offsetof(struct bpfvm_obj_opts, flags) + sizeof(opts->flags))
		obj->flags = opts->flags;
	if (osz >= offsetof(struct bpfvm_obj_opts, prog_flags) + sizeof(opts->prog_flags))
		obj->prog_flags = opts->prog_flags;
	const char *name = osz >= offsetof(struct bpfvm_obj_opts, name) + sizeof(opts->name) && opts->name
				   ? ldr_strdup(obj, opts->name)
				   : default_name(obj, path);
	obj->name = name;
	int rc = name ? 0 : ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	if (!rc && !env && !(obj->flags & BPFVM_OBJ_F_NO_LOAD))
		rc = ldr_err(err, BPFVM_EINVAL, -1, "no environment to load the object into");
	rc = rc ? rc : parse_elf(obj, err);
	rc = rc ? rc : ldr_btf_load(obj, err);
	rc = rc ? rc : ldr_maps_collect(obj, err);
	for (size_t i = 1; !rc && i < obj->nsecs; i++) {
		const struct ldr_sec *s = &obj->secs[i];
		if (s->kind == LDR_SEC_CODE && s->rel)
			rc = ldr_rel_collect(obj, s->rel, err);
		else if (s->kind == LDR_SEC_MAPS && s->rel)
			rc = ldr_maps_collect_slots(obj, s->rel, err);
	}
	rc = rc ? rc : ldr_core_apply(obj, err);
	rc = rc ? rc : init_progs(obj, err);
	for (size_t i = 0; !rc && i < obj->nprogs; i++)
		rc = ldr_link_prog(obj, i, err);
	for (size_t i = 0; !rc && i < obj->nprogs; i++)
		rc = ldr_btf_global_funcs(obj, &obj->progs[i], err);
	if (!rc && !(obj->flags & (BPFVM_OBJ_F_NO_LOAD | BPFVM_OBJ_F_DEFER_LOAD)))
		rc = load_obj(obj, err);
	if (rc) {
		bpfvm_obj_close(obj);
		return rc;
	}
	release_open_state(obj);
	*out = obj;
	return 0;
}

int bpfvm_obj_open_mem(bpfvm_env *env, const void *data, size_t len, const struct bpfvm_obj_opts *opts,
		       bpfvm_obj **out, struct bpfvm_error *err)
{
	if (!out || (!data && len))
		return ldr_err(err, BPFVM_EINVAL, -1, "invalid argument to bpfvm_obj_open_mem");
	*out = NULL;
	if (len > LDR_MAX_FILE)
		return ldr_err(err, BPFVM_EFORMAT, -1, "%zu bytes is larger than bpfvm accepts for an object", len);
	uint8_t *image = malloc(len ? len : 1);
	if (!image)
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	if (len)
		memcpy(image, data, len);
	return open_image(env, image, len, NULL, opts, out, err);
}

int bpfvm_obj_open(bpfvm_env *env, const char *path, const struct bpfvm_obj_opts *opts, bpfvm_obj **out,
		   struct bpfvm_error *err)
{
	if (!out || !path)
		return ldr_err(err, BPFVM_EINVAL, -1, "invalid argument to bpfvm_obj_open");
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return ldr_err(err, BPFVM_EIO, -1, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return ldr_err(err, BPFVM_EIO, -1, "%s is not a regular file", path);
	}
	if ((unsigned long long)st.st_size > LDR_MAX_FILE) {
		fclose(f);
		return ldr_err(err, BPFVM_EFORMAT, -1, "%s: %lld bytes is larger than bpfvm accepts for an object", path,
			       (long long)st.st_size);
	}
	size_t len = (size_t)st.st_size;
	uint8_t *image = malloc(len ? len : 1);
	if (!image) {
		fclose(f);
		return ldr_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	size_t got = len ? fread(image, 1, len, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (got != len || bad) {
		free(image);
		return ldr_err(err, BPFVM_EIO, -1, "cannot read %s", path);
	}
	return open_image(env, image, len, path, opts, out, err);
}

/* ---- queries ---- */

const char *bpfvm_obj_name(const bpfvm_obj *obj)
{
	return obj ? obj->name : NULL;
}

const char *bpfvm_obj_license(const bpfvm_obj *obj)
{
	return obj ? obj->license : NULL;
}

uint32_t bpfvm_obj_kversion(const bpfvm_obj *obj)
{
	return obj ? obj->kversion : 0;
}

size_t bpfvm_obj_prog_count(const bpfvm_obj *obj)
{
	return obj ? obj->nprogs : 0;
}

const struct bpfvm_obj_prog_info *bpfvm_obj_prog(const bpfvm_obj *obj, size_t i)
{
	return obj && i < obj->nprogs ? &obj->progs[i] : NULL;
}

long bpfvm_obj_prog_find(const bpfvm_obj *obj, const char *name)
{
	if (!obj || !name)
		return -1;
	for (size_t i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			return (long)i;
	for (size_t i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].section, name) == 0)
			return (long)i;
	return -1;
}

bpfvm_prog *bpfvm_obj_prog_by_name(const bpfvm_obj *obj, const char *name)
{
	if (!obj || !name)
		return NULL;
	for (size_t i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			return obj->progs[i].prog;
	return NULL;
}

bpfvm_prog *bpfvm_obj_prog_by_section(const bpfvm_obj *obj, const char *sec)
{
	if (!obj || !sec)
		return NULL;
	for (size_t i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].section, sec) == 0 && obj->progs[i].prog)
			return obj->progs[i].prog;
	return NULL;
}

size_t bpfvm_obj_map_count(const bpfvm_obj *obj)
{
	return obj ? obj->nmaps : 0;
}

const struct bpfvm_obj_map_info *bpfvm_obj_map(const bpfvm_obj *obj, size_t i)
{
	return obj && i < obj->nmaps ? &obj->maps[i].info : NULL;
}

bpfvm_map *bpfvm_obj_map_by_name(const bpfvm_obj *obj, const char *name)
{
	const struct ldr_map *m = obj && name ? find_map(obj, name) : NULL;
	return m ? m->info.map : NULL;
}

size_t bpfvm_obj_reloc_count(const bpfvm_obj *obj)
{
	return obj ? obj->nrelocs : 0;
}

const struct bpfvm_obj_reloc *bpfvm_obj_reloc(const bpfvm_obj *obj, size_t i)
{
	return obj && i < obj->nrelocs ? &obj->relocs[i] : NULL;
}

const struct bpfvm_obj_reloc *bpfvm_obj_reloc_at(const bpfvm_obj *obj, size_t prog, size_t insn)
{
	if (!obj)
		return NULL;
	for (size_t i = 0; i < obj->nrelocs; i++)
		if (obj->relocs[i].prog == (long)prog && obj->relocs[i].insn == insn)
			return &obj->relocs[i];
	return NULL;
}
