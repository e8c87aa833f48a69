/* cmd_info.c - `bpfvm info OBJ.o`: what an ELF object holds, as text or one
 * JSON document: its programs (name, section, type, instructions, loaded or
 * why not), its maps (type, key and value sizes, entries, flags) and the
 * relocations the loader applied (program, slot, kind, symbol, target). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_elf.h"
#include "cli_maps.h"
#include "cli_util.h"

enum { OPT_HELP = 1, OPT_JSON, OPT_NO_LOAD };

static const struct cli_opt opts[] = {
	{"--help", 0, OPT_HELP}, {"-h", 0, OPT_HELP}, {"--json", 0, OPT_JSON}, {"--no-load", 0, OPT_NO_LOAD},
	{NULL, 0, 0},
};

static void usage(void)
{
	printf("Usage: bpfvm info OBJ.o [--json] [--no-load]\n"
	       "\n"
	       "Describes an ELF object (clang -target bpf; \"-\" reads stdin): its\n"
	       "programs (function, section, program type, instruction slots after\n"
	       "linking, loaded and verified or the reason it was not), its maps (name,\n"
	       "type, key and value sizes, entries, flags) and the relocations applied\n"
	       "(program, slot, kind, ELF symbol, what it refers to).\n"
	       "\n"
	       "Options:\n"
	       "  --json            print one JSON document\n"
	       "  --no-load         only parse and link: load no program, create no map\n"
	       "  -h, --help        show this help\n"
	       "\n%s",
	       CLI_EXIT_CODES_HELP);
}

static const char *map_type(uint32_t t, char *buf, size_t len)
{
	const char *s = bpfvm_asm_map_type_name(t);
	if (s)
		return s;
	snprintf(buf, len, "type_%u", t);
	return buf;
}

static const char *prog_status(const struct bpfvm_obj_prog_info *pi, int no_load)
{
	if (pi->prog)
		return "loaded (verified)"; /* the loader verifies every program */
	if (pi->load_msg && pi->load_msg[0])
		return pi->load_msg;
	return no_load ? "not loaded (--no-load)" : "not loaded";
}

static const char *reloc_prog(const bpfvm_obj *obj, const struct bpfvm_obj_reloc *r)
{
	const struct bpfvm_obj_prog_info *pi = r->prog >= 0 ? bpfvm_obj_prog(obj, (size_t)r->prog) : NULL;
	return pi ? pi->name : "-";
}

static void print_text(const bpfvm_obj *obj, int no_load)
{
	char tb[32];
	size_t np = bpfvm_obj_prog_count(obj), nm = bpfvm_obj_map_count(obj), nr = bpfvm_obj_reloc_count(obj);
	printf("object %s, license \"%s\"\n", bpfvm_obj_name(obj), bpfvm_obj_license(obj));
	printf("\nprograms: %zu\n", np);
	for (size_t i = 0; i < np; i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, i);
		printf("  %-20s section %-16s type %-14s insns %-5zu %s\n", pi->name, pi->section,
		       pi->type_name ? pi->type_name : "unknown", pi->ninsns, prog_status(pi, no_load));
		for (size_t f = 1; f < pi->nfuncs; f++)
			printf("    + %s at insn %zu (%zu insns)\n", pi->funcs[f].name, pi->funcs[f].insn, pi->funcs[f].n);
	}
	printf("\nmaps: %zu\n", nm);
	for (size_t i = 0; i < nm; i++) {
		const struct bpfvm_obj_map_info *m = bpfvm_obj_map(obj, i);
		printf("  %-20s %-16s key %-4u value %-6u entries %-8u flags 0x%x  (section %s, env name %s)\n", m->name,
		       map_type(m->type, tb, sizeof(tb)), m->key_size, m->value_size, m->max_entries, m->map_flags,
		       m->section, m->env_name);
	}
	printf("\nrelocations: %zu\n", nr);
	for (size_t i = 0; i < nr; i++) {
		const struct bpfvm_obj_reloc *r = bpfvm_obj_reloc(obj, i);
		printf("  %-20s insn %-5zu %-9s %-20s %s\n", reloc_prog(obj, r), r->insn,
		       cli_elf_reloc_kind_name(r->kind), r->symbol && r->symbol[0] ? r->symbol : "-",
		       r->target ? r->target : "");
	}
}

static void print_json(const bpfvm_obj *obj, int no_load)
{
	char tb[32];
	size_t np = bpfvm_obj_prog_count(obj), nm = bpfvm_obj_map_count(obj), nr = bpfvm_obj_reloc_count(obj);
	printf("{\"name\": ");
	cli_json_string(stdout, bpfvm_obj_name(obj));
	printf(", \"license\": ");
	cli_json_string(stdout, bpfvm_obj_license(obj));
	printf(", \"programs\": [");
	for (size_t i = 0; i < np; i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, i);
		printf("%s{\"name\": ", i ? ", " : "");
		cli_json_string(stdout, pi->name);
		printf(", \"section\": ");
		cli_json_string(stdout, pi->section);
		printf(", \"type\": ");
		cli_json_string(stdout, pi->type_name ? pi->type_name : "unknown");
		printf(", \"type_id\": %u, \"insns\": %zu, \"functions\": [", pi->type, pi->ninsns);
		for (size_t f = 0; f < pi->nfuncs; f++) {
			printf("%s{\"name\": ", f ? ", " : "");
			cli_json_string(stdout, pi->funcs[f].name);
			printf(", \"insn\": %zu, \"insns\": %zu}", pi->funcs[f].insn, pi->funcs[f].n);
		}
		printf("], \"loaded\": %s, \"error\": ", pi->prog ? "true" : "false");
		if (pi->prog)
			printf("null");
		else
			cli_json_string(stdout, prog_status(pi, no_load));
		printf("}");
	}
	printf("], \"maps\": [");
	for (size_t i = 0; i < nm; i++) {
		const struct bpfvm_obj_map_info *m = bpfvm_obj_map(obj, i);
		printf("%s{\"name\": ", i ? ", " : "");
		cli_json_string(stdout, m->name);
		printf(", \"env_name\": ");
		cli_json_string(stdout, m->env_name);
		printf(", \"section\": ");
		cli_json_string(stdout, m->section);
		printf(", \"type\": ");
		cli_json_string(stdout, map_type(m->type, tb, sizeof(tb)));
		printf(", \"key_size\": %u, \"value_size\": %u, \"max_entries\": %u, \"flags\": %u}", m->key_size,
		       m->value_size, m->max_entries, m->map_flags);
	}
	printf("], \"relocations\": [");
	for (size_t i = 0; i < nr; i++) {
		const struct bpfvm_obj_reloc *r = bpfvm_obj_reloc(obj, i);
		printf("%s{\"program\": ", i ? ", " : "");
		if (r->prog >= 0)
			cli_json_string(stdout, reloc_prog(obj, r));
		else
			printf("null");
		printf(", \"insn\": %zu, \"kind\": \"%s\", \"section\": ", r->insn, cli_elf_reloc_kind_name(r->kind));
		cli_json_string(stdout, r->section ? r->section : "");
		printf(", \"offset\": %llu, \"symbol\": ", (unsigned long long)r->sec_off);
		cli_json_string(stdout, r->symbol ? r->symbol : "");
		printf(", \"target\": ");
		cli_json_string(stdout, r->target ? r->target : "");
		printf(", \"value\": %lld}", (long long)r->value);
	}
	printf("]}\n");
}

int cli_cmd_info(int argc, char **argv)
{
	struct cli_parser p;
	const char *val, *in = NULL;
	int id, rc = 0, json = 0, no_load = 0;

	cli_parser_init(&p, "info", argc, argv, 2);
	while (rc == 0 && (id = cli_next_opt(&p, opts, &val)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR: rc = CLI_EXIT_USAGE; break;
		case OPT_HELP: usage(); return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
		case OPT_JSON: json = 1; break;
		case OPT_NO_LOAD: no_load = 1; break;
		case CLI_OPT_ARG:
			if (in)
				rc = cli_usage_error("info", "argument %d: more than one input file", p.i - 1);
			in = val;
			break;
		}
	}
	if (rc == 0 && !in)
		rc = cli_usage_error("info", "missing input OBJ.o");
	if (rc)
		return rc;
	const char *name = strcmp(in, "-") == 0 ? "<stdin>" : in;
	if (strcmp(in, "-") != 0 && !cli_elf_is_object(in, CLI_FMT_AUTO)) {
		FILE *f = fopen(in, "rb");
		if (!f) {
			uint8_t *buf; /* let the shared reader report why */
			size_t len;
			rc = cli_read_file(in, CLI_MAX_INPUT, &buf, &len);
			if (rc == 0) {
				free(buf);
				rc = CLI_EXIT_INPUT;
			}
			return rc;
		}
		fclose(f);
		cli_error(name, "offset 0", "not an ELF object (info describes ELF objects only)");
		return CLI_EXIT_INPUT;
	}
	bpfvm_env *env = no_load ? NULL : bpfvm_env_new();
	if (!no_load && !env) {
		cli_error(name, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	bpfvm_obj *obj;
	rc = cli_elf_open(in, env, no_load ? BPFVM_OBJ_F_NO_LOAD : BPFVM_OBJ_F_KEEP_GOING, 0, &obj);
	if (rc == 0) {
		if (json)
			print_json(obj, no_load);
		else
			print_text(obj, no_load);
		bpfvm_obj_close(obj);
		if (fflush(stdout) != 0) {
			cli_error("<stdout>", NULL, "write error");
			rc = CLI_EXIT_INPUT;
		}
	}
	if (env)
		bpfvm_env_free(env);
	return rc;
}
