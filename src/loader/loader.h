/* loader.h - internals of the ELF loader, shared by its files:
 *   elf_obj.c     reading the object (libelf): sections, symbols, functions,
 *                 license and version; the open/close flow; the public queries
 *   elf_sectypes.c  program types from section names (libbpf's conventions)
 *   elf_btf.c     .BTF through libbpf's btf API, .BTF.ext records
 *   elf_maps.c    map definitions (.maps with BTF, legacy "maps", global
 *                 data), map creation, prog_array initial values
 *   elf_reloc.c   relocations, subprograms appended to each program
 *   elf_core.c    CO-RE relocations against bpfvm's context structs
 * Everything that lives past bpfvm_obj_open is copied out of the ELF image;
 * the image, the Elf handle and the BTF are released when open returns. */
#ifndef BPFVM_LOADER_H
#define BPFVM_LOADER_H

#include <gelf.h>
#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"

struct btf;

#define LDR_MAX_SECTIONS 65536   /* more sections than any compiler emits */
#define LDR_MAX_SYMBOLS (1u << 22)
#define LDR_MAX_GLOBAL_DATA (1u << 30) /* a global data section larger than this is refused */
/* All programs' final instructions together (each has its subprograms
 * appended): a small object naming many programs that call one big
 * subprogram must not expand without bound. */
#define LDR_MAX_LINKED (1u << 24)

enum ldr_sec_kind {
	LDR_SEC_OTHER = 0,
	LDR_SEC_CODE,        /* SHF_EXECINSTR PROGBITS: programs or .text */
	LDR_SEC_DATA,        /* .data, .data.* */
	LDR_SEC_RODATA,      /* .rodata, .rodata.* */
	LDR_SEC_BSS,         /* .bss, .bss.* (NOBITS) */
	LDR_SEC_MAPS,        /* .maps (BTF-defined maps) */
	LDR_SEC_LEGACY_MAPS, /* maps (struct bpf_map_def) */
	LDR_SEC_LICENSE,
	LDR_SEC_VERSION,
	LDR_SEC_BTF,
	LDR_SEC_BTF_EXT,
	LDR_SEC_SYMTAB,
	LDR_SEC_REL,
};

struct ldr_sec {
	const char *name;       /* in the object's arena */
	GElf_Shdr sh;
	int kind;               /* enum ldr_sec_kind */
	const uint8_t *data;    /* the section's bytes (open time only); NULL for NOBITS */
	size_t size;
	long map;               /* global data: its map index, or -1 */
	struct bpf_insn *insns; /* code: a copy, CO-RE relocations applied */
	size_t ninsns;
	size_t rel;             /* the REL section that applies to it, 0 = none */
};

struct ldr_sym {
	const char *name;       /* "" when it has none */
	GElf_Sym sym;
};

/* A function symbol in a code section. Entry points (functions outside
 * .text) become programs; the others are subprograms, appended to every
 * program that calls them. */
struct ldr_func {
	const char *name;
	size_t sec;
	size_t off, n;          /* first slot in the section and slot count */
	int entry;
};

/* A relocation of one instruction of a code section. */
struct ldr_rel {
	size_t sec, insn;       /* slot within the section */
	int kind;               /* enum bpfvm_obj_reloc_kind */
	uint32_t elf_type;      /* R_BPF_* */
	size_t sym;
	long map;               /* MAP, MAP_VALUE */
	int64_t value;          /* MAP_VALUE: offset in the value; CALL, FUNC: target slot in the symbol's section */
	size_t target_sec;      /* CALL, FUNC */
	long file_off;          /* file offset of the ELF relocation entry */
};

/* A CO-RE record from .BTF.ext, and its outcome once resolved. */
struct ldr_core {
	size_t sec, insn;
	uint32_t type_id, access_off, kind;
	long file_off;
	int status;             /* 0 resolved, or BPFVM_E* */
	const char *desc;       /* "struct __sk_buff::len (0:0) field_byte_offset" */
	const char *msg;        /* why it failed, or NULL */
	int64_t local_value, target_value;
};

/* A line_info record from .BTF.ext. */
struct ldr_line {
	size_t sec, insn;
	const char *file, *text;
	uint32_t line, column;
};

/* A map of the object. */
struct ldr_map {
	struct bpfvm_obj_map_info info;   /* what bpfvm_obj_map returns */
	size_t sec;
	uint64_t def_off, def_size;       /* the definition's bytes in its section */
	long values_off;                  /* BTF maps: byte offset of member 'values', or -1 */
	uint8_t *init;                    /* global data: initial value (NULL: zeroes) */
	size_t init_len;
	struct ldr_slot { uint32_t index; size_t func; long file_off; } *slots; /* prog_array values */
	size_t nslots;
};

struct ldr_arena_block;

struct bpfvm_obj {
	bpfvm_env *env;
	const char *name, *license;
	uint32_t kversion;
	uint32_t flags, prog_flags;
	int loaded;                       /* maps created, programs loaded */
	struct ldr_arena_block *arena;

	/* open time only: released when bpfvm_obj_open returns */
	Elf *elf;
	uint8_t *image;
	size_t image_len;
	struct ldr_sec *secs;
	size_t nsecs;
	struct ldr_sym *syms;
	size_t nsyms, symtab_sec;
	size_t text_sec, maps_sec, legacy_maps_sec, btf_sec, btf_ext_sec; /* 0 = none */
	struct btf *btf;
	struct ldr_func *funcs;
	size_t nfuncs;
	struct ldr_rel *rels;
	size_t nrels, cap_rels;
	struct ldr_core *cores;
	size_t ncores;
	struct ldr_line *lines;
	size_t nlines;

	/* results */
	struct bpfvm_obj_prog_info *progs;
	size_t nprogs;
	size_t *prog_func;          /* the entry function of each program */
	struct ldr_map *maps;
	size_t nmaps;
	int *map_fds;               /* fd_array of every program: the maps' fds by index */
	struct bpfvm_obj_reloc *relocs;
	size_t nrelocs, cap_relocs;
	size_t linked;              /* slots of all programs' final instructions */
};

/* ---- elf_obj.c ---- */
/* Copies s (n bytes, then a NUL) into the object's arena; NULL when out of memory. */
char *ldr_strndup(bpfvm_obj *obj, const char *s, size_t n);
char *ldr_strdup(bpfvm_obj *obj, const char *s);
char *ldr_sprintf(bpfvm_obj *obj, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The program's global subprograms, from BTF (func linkage and
 * prototypes), into p->global_funcs (arena). */
int ldr_btf_global_funcs(bpfvm_obj *obj, struct bpfvm_obj_prog_info *p, struct bpfvm_error *err);
void *ldr_alloc(bpfvm_obj *obj, size_t size); /* zeroed, lives as long as obj */
/* Fills err (code, offset; insn -1) with a one-line message; returns code. */
int ldr_err(struct bpfvm_error *err, int code, long offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* File offset of the section header / of byte off of section sec. */
long ldr_shdr_off(const bpfvm_obj *obj, size_t sec);
long ldr_sec_off(const bpfvm_obj *obj, size_t sec, uint64_t off);
/* The function of sec that starts at slot, or that contains it; -1 if none. */
long ldr_func_at(const bpfvm_obj *obj, size_t sec, size_t slot, int containing);

/* ---- elf_sectypes.c ---- */
/* libbpf's section-name conventions: 1 with *type and *attach set when sec
 * names a program type, 0 when it does not. */
int ldr_sec_prog_type(const char *sec, uint32_t *type, uint32_t *attach);
/* "socket_filter", "xdp", "kprobe", ... (bpftool's names), or "unknown". */
const char *ldr_prog_type_name(uint32_t type);

/* ---- elf_btf.c ---- */
/* Parses .BTF (libbpf) and .BTF.ext (CO-RE and line records). */
int ldr_btf_load(bpfvm_obj *obj, struct bpfvm_error *err);
/* libbpf's btf__new with its diagnostics captured instead of printed; on
 * failure returns NULL with the last message in why. */
struct btf *ldr_btf_new(const void *data, size_t size, char *why, size_t whylen);
/* Skips typedefs, const/volatile/restrict and type tags (bounded); the
 * resolved id in *res_id (may be NULL). NULL for a bad id. */
const struct btf_type *ldr_btf_skip_mods(const struct btf *btf, uint32_t id, uint32_t *res_id);

/* ---- elf_maps.c ---- */
int ldr_maps_collect(bpfvm_obj *obj, struct bpfvm_error *err);
/* .rel.maps: prog_array initial values. */
int ldr_maps_collect_slots(bpfvm_obj *obj, size_t relsec, struct bpfvm_error *err);
/* The map defined at byte off of section sec (.maps or maps), or -1. */
long ldr_map_at(const bpfvm_obj *obj, size_t sec, uint64_t off);
int ldr_maps_create(bpfvm_obj *obj, struct bpfvm_error *err);
int ldr_maps_fill_slots(bpfvm_obj *obj, struct bpfvm_error *err);
void ldr_maps_destroy(bpfvm_obj *obj);

/* ---- elf_reloc.c ---- */
/* Collects the relocations of code section sec from REL section relsec. */
int ldr_rel_collect(bpfvm_obj *obj, size_t relsec, struct bpfvm_error *err);
/* Builds program p's final instructions (its function, then every
 * subprogram it reaches, relocated); records its relocations. A failure
 * that concerns only this program (a CO-RE relocation it uses) is stored in
 * the program's load_error and 0 is returned; malformed input returns an
 * error. */
int ldr_link_prog(bpfvm_obj *obj, size_t p, struct bpfvm_error *err);
int ldr_add_reloc(bpfvm_obj *obj, const struct bpfvm_obj_reloc *r);

/* ---- elf_core.c ---- */
/* Resolves every CO-RE record and patches the section copies; records that
 * cannot be satisfied keep their status and message for the programs that
 * contain them. Malformed records (bad ids, access strings, instructions)
 * are errors. */
int ldr_core_apply(bpfvm_obj *obj, struct bpfvm_error *err);

#endif
