/* cli_elf.c - ELF objects on the bpfvm command line: detection, opening
 * (errors as one line with the file offset), program choice for `run
 * --program` and the annotated per-program disassembly of `disasm OBJ.o`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_elf.h"
#include "cli_util.h"

int cli_elf_is_object(const char *path, int format)
{
	if (format == CLI_FMT_ELF)
		return 1;
	if (format != CLI_FMT_AUTO || strcmp(path, "-") == 0)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0; /* the ordinary path reports it */
	char magic[4];
	int is = fread(magic, 1, 4, f) == 4 && memcmp(magic, "\x7f" "ELF", 4) == 0;
	fclose(f);
	return is;
}

int cli_elf_open(const char *path, bpfvm_env *env, uint32_t flags, uint32_t prog_flags, bpfvm_obj **out)
{
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	struct bpfvm_obj_opts o = {.sz = sizeof(o), .flags = flags, .prog_flags = prog_flags};
	int rc;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	*out = NULL;
	if (strcmp(path, "-") == 0) {
		uint8_t *buf;
		size_t len;
		if ((rc = cli_read_file(path, CLI_MAX_INPUT, &buf, &len)))
			return rc;
		o.name = "stdin";
		rc = bpfvm_obj_open_mem(env, buf, len, &o, out, &err);
		free(buf);
	} else {
		rc = bpfvm_obj_open(env, path, &o, out, &err);
	}
	if (rc < 0) {
		cli_error_lib(name, &err);
		*out = NULL;
		return rc == BPFVM_EFORMAT || rc == BPFVM_EIO ? CLI_EXIT_INPUT : cli_exit_for(rc, 1);
	}
	return 0;
}

int cli_add_set(const char *cmd, const char *val, const char **sets, size_t *nsets)
{
	if (*nsets == CLI_MAX_SETS)
		return cli_usage_error(cmd, "more than %d --set options", CLI_MAX_SETS);
	sets[(*nsets)++] = val;
	return 0;
}

int *cli_elf_map_fds(const bpfvm_obj *obj)
{
	size_t n = bpfvm_obj_map_count(obj);
	int *fds = calloc(n + 1, sizeof(*fds));
	for (size_t i = 0; fds && i < n; i++)
		fds[i] = bpfvm_obj_map(obj, i)->fd;
	return fds;
}

/* Stores one NAME=VALUE into the object's initial values. */
static int apply_set(const char *cmd, bpfvm_obj *obj, const char *set)
{
	const char *eq = strchr(set, '=');
	if (!eq || eq == set || !eq[1])
		return cli_usage_error(cmd, "--set '%.64s': expected NAME=VALUE", set);
	char name[128];
	size_t nlen = (size_t)(eq - set);
	if (nlen >= sizeof(name))
		return cli_usage_error(cmd, "--set: variable name too long");
	memcpy(name, set, nlen);
	name[nlen] = 0;
	const char *map;
	size_t off, size;
	if (bpfvm_obj_global(obj, name, &map, &off, &size))
		return cli_usage_error(cmd, "--set: the object has no global variable '%s' (in .data, .rodata or .bss)",
				       name);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return cli_usage_error(cmd, "--set %s: a variable of %zu bytes (1, 2, 4 or 8 can be set)", name, size);
	const char *v = eq + 1;
	char *end;
	errno = 0;
	uint64_t u;
	int neg = v[0] == '-';
	if (neg) {
		long long x = strtoll(v, &end, 0);
		u = (uint64_t)x;
		if (*end || errno || (size < 8 && x < -(1LL << (size * 8 - 1))))
			return cli_usage_error(cmd, "--set %s: '%.64s' is not a number that fits %zu bytes", name, v, size);
	} else {
		u = strtoull(v, &end, 0);
		if (*end || errno || v[0] == '+' || (size < 8 && u >> (size * 8)))
			return cli_usage_error(cmd, "--set %s: '%.64s' is not a number that fits %zu bytes", name, v, size);
	}
	size_t vsize = 0;
	uint8_t *init = bpfvm_obj_map_initial_value(obj, map, &vsize);
	if (!init || off + size > vsize)
		return cli_usage_error(cmd, "--set %s: its map %s cannot be set", name, map);
	for (size_t i = 0; i < size; i++) /* little-endian, as BPF */
		init[off + i] = (uint8_t)(u >> (8 * i));
	return 0;
}

int cli_elf_open_set(const char *cmd, const char *path, bpfvm_env *env, uint32_t flags, uint32_t prog_flags,
		     const char *const *sets, size_t nsets, bpfvm_obj **out)
{
	if (!nsets)
		return cli_elf_open(path, env, flags, prog_flags, out);
	int rc = cli_elf_open(path, env, flags | BPFVM_OBJ_F_DEFER_LOAD, prog_flags, out);
	if (rc)
		return rc;
	for (size_t i = 0; i < nsets; i++)
		if ((rc = apply_set(cmd, *out, sets[i])))
			goto fail;
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	int lrc = bpfvm_obj_load(*out, &err);
	if (lrc) {
		cli_error(strcmp(path, "-") == 0 ? "<stdin>" : path, NULL, "%s", err.msg);
		rc = cli_exit_for(lrc, 1);
		goto fail;
	}
	return 0;
fail:
	bpfvm_obj_close(*out);
	*out = NULL;
	return rc;
}

int cli_elf_pick(const char *file, const bpfvm_obj *obj, const char *want, size_t *idx)
{
	size_t n = bpfvm_obj_prog_count(obj);
	if (want) {
		long i = bpfvm_obj_prog_find(obj, want);
		if (i >= 0) {
			*idx = (size_t)i;
			return 0;
		}
	} else {
		size_t loaded = 0, last = 0;
		for (size_t i = 0; i < n; i++)
			if (bpfvm_obj_prog(obj, i)->prog) {
				loaded++;
				last = i;
			}
		if (loaded == 1) {
			*idx = last;
			return 0;
		}
		if (n == 1) { /* the only program, which failed: its load error */
			*idx = 0;
			return 0;
		}
	}
	char list[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof(list); i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, i);
		int k = snprintf(list + used, sizeof(list) - used, "%s%s (section %s, %s%s)", i ? ", " : "", pi->name,
				 pi->section, pi->type_name ? pi->type_name : "unknown type", pi->prog ? "" : ", not loaded");
		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (want)
		cli_error(file, NULL, "no program or section '%.64s'; programs: %s", want, n ? list : "none");
	else if (n == 0)
		cli_error(file, NULL, "the object has no programs");
	else
		cli_error(file, NULL, "the object has %zu programs, choose one with --program NAME: %s", n, list);
	return CLI_EXIT_USAGE;
}

const char *cli_elf_reloc_kind_name(int kind)
{
	switch (kind) {
	case BPFVM_RELOC_MAP: return "map";
	case BPFVM_RELOC_MAP_VALUE: return "map_value";
	case BPFVM_RELOC_CALL: return "call";
	case BPFVM_RELOC_FUNC: return "func";
	case BPFVM_RELOC_CORE: return "core";
	case BPFVM_RELOC_PROG_SLOT: return "prog_slot";
	}
	return "unknown";
}

/* The annotation of a relocated slot, "" when there is none. */
static void annotate(const bpfvm_obj *obj, const struct bpfvm_obj_reloc *r, char *out, size_t len)
{
	out[0] = 0;
	if (!r)
		return;
	const struct bpfvm_obj_map_info *m = r->map >= 0 ? bpfvm_obj_map(obj, (size_t)r->map) : NULL;
	const char *target = r->target ? r->target : "";
	switch (r->kind) {
	case BPFVM_RELOC_MAP: snprintf(out, len, "map %s", m ? m->name : target); break;
	case BPFVM_RELOC_MAP_VALUE:
		if (r->symbol && r->symbol[0] && r->symbol[0] != '.')
			snprintf(out, len, "%s+%lld (%s)", m ? m->name : target, (long long)r->value, r->symbol);
		else
			snprintf(out, len, "%s+%lld", m ? m->name : target, (long long)r->value);
		break;
	case BPFVM_RELOC_CALL: snprintf(out, len, "call %s", target); break;
	case BPFVM_RELOC_FUNC: snprintf(out, len, "func %s", target); break;
	case BPFVM_RELOC_CORE: snprintf(out, len, "CO-RE %s = %lld", target, (long long)r->value); break;
	default: snprintf(out, len, "%s", target); break;
	}
}

int cli_elf_disasm(const char *path, const char *want, int syntax)
{
	bpfvm_obj *obj;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	int rc = cli_elf_open(path, NULL, BPFVM_OBJ_F_NO_LOAD, 0, &obj);
	if (rc)
		return rc;
	size_t n = bpfvm_obj_prog_count(obj), only = 0;
	if (want && (rc = cli_elf_pick(name, obj, want, &only))) {
		bpfvm_obj_close(obj);
		return rc;
	}
	long first_bad = -1;
	const char *bad_prog = NULL;
	char line[256], note[320];
	for (size_t i = 0; i < n; i++) {
		if (want && i != only)
			continue;
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, i);
		printf("%sprogram %s: section %s, type %s, %zu insns\n", i && !want ? "\n" : "", pi->name, pi->section,
		       pi->type_name ? pi->type_name : "unknown", pi->ninsns);
		if (!pi->insns) {
			printf("\t; not linked: %s\n", pi->load_msg && pi->load_msg[0] ? pi->load_msg : "no instructions");
			continue;
		}
		size_t f = 0;
		for (size_t pc = 0; pc < pi->ninsns;) {
			for (; f < pi->nfuncs && pi->funcs[f].insn <= pc; f++)
				if (pi->funcs[f].insn == pc)
					printf("<%s>:\n", pi->funcs[f].name);
			line[0] = 0;
			int k = bpfvm_disasm_insn(pi->insns, pi->ninsns, pc, syntax, 0, line, sizeof(line));
			annotate(obj, bpfvm_obj_reloc_at(obj, i, pc), note, sizeof(note));
			const struct bpf_insn *x = &pi->insns[pc];
			if (!note[0] && x->code == (BPF_JMP | BPF_CALL) && x->src_reg == BPF_PSEUDO_CALL) {
				/* a call the compiler resolved itself (no relocation) */
				long t = (long)pc + 1 + x->imm;
				for (size_t g = 0; g < pi->nfuncs; g++)
					if ((long)pi->funcs[g].insn == t)
						snprintf(note, sizeof(note), "call %s", pi->funcs[g].name);
			}
			if (note[0])
				printf("%8zu:\t%s\t; %s\n", pc, line, note);
			else
				printf("%8zu:\t%s\n", pc, line);
			if (k < 0 && first_bad < 0) {
				first_bad = (long)pc;
				bad_prog = pi->name;
			}
			pc += k > 0 ? (size_t)k : 1;
		}
	}
	if (fflush(stdout) != 0) {
		bpfvm_obj_close(obj);
		cli_error("<stdout>", NULL, "write error");
		return CLI_EXIT_INPUT;
	}
	if (first_bad >= 0) {
		char where[48];
		snprintf(where, sizeof(where), "insn %ld", first_bad);
		cli_error(name, where, "program %s: not a valid instruction (printed as data)", bad_prog);
		bpfvm_obj_close(obj);
		return CLI_EXIT_PROG;
	}
	bpfvm_obj_close(obj);
	return 0;
}
