/* cmd_verify.c - `bpfvm verify PROGRAM`: runs the verifier (bpfvm_verify)
 * over a program file, or over every program of an ELF object, and prints
 * its log the way the kernel's BPF_PROG_LOAD log_buf reads. Exit 0 when
 * every program was proved safe, 1 when one was rejected (the log, then the
 * one-line reason on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_elf.h"
#include "cli_maps.h"
#include "cli_run.h"
#include "cli_util.h"
#include "vm.h"

enum {
	OPT_HELP = 1, OPT_TYPE, OPT_LOG_LEVEL, OPT_PROGRAM, OPT_MAP, OPT_HELPERS, OPT_FORMAT, OPT_SYNTAX,
	OPT_MEM_SIZE, OPT_SET,
};

static const struct cli_opt opts[] = {
	{"--help", 0, OPT_HELP},         {"-h", 0, OPT_HELP},           {"--type", 1, OPT_TYPE},
	{"--log-level", 1, OPT_LOG_LEVEL}, {"--program", 1, OPT_PROGRAM}, {"--map", 1, OPT_MAP},
	{"--helpers", 1, OPT_HELPERS},   {"--format", 1, OPT_FORMAT},   {"--syntax", 1, OPT_SYNTAX},
	{"--mem-size", 1, OPT_MEM_SIZE}, {"--set", 1, OPT_SET},         {NULL, 0, 0},
};

/* The log of one program can be long at level 2 (every step of up to a
 * million processed instructions); beyond this it is cut, as the kernel's
 * log_buf would be. */
#define LOG_SIZE (64u << 20)

static void usage(void)
{
	printf("Usage: bpfvm verify PROGRAM [--type socket|xdp|raw] [--log-level N] [options]\n"
	       "\n"
	       "Proves PROGRAM safe the way the Linux verifier does for a privileged\n"
	       "loader, without running it: every path is explored with the types and\n"
	       "value ranges of registers and stack slots; memory accesses must stay in\n"
	       "the stack, the context fields the type allows, packet bytes proven by a\n"
	       "comparison with data_end, map values; helper arguments must match their\n"
	       "prototypes; loops must end within 1,000,000 processed instructions.\n"
	       "`bpfvm run` does the same before every run unless given --no-verify.\n"
	       "\n"
	       "Accepted: prints the statistics (\"processed N insns ...\") and exits 0.\n"
	       "Rejected: prints the log (each instruction on the failing path with the\n"
	       "registers it changed, then the reason), then the reason as one line on\n"
	       "stderr ('bpfvm: FILE:insn N: REASON'), and exits 1. ELF objects: every\n"
	       "program (or --program NAME), each after a 'program NAME (section S):'\n"
	       "line; exit 1 when any was rejected.\n"
	       "\n"
	       "Options:\n"
	       "  --type TYPE       socket (socket filter: r1 = struct __sk_buff), xdp\n"
	       "                    (r1 = struct xdp_md) or raw (r1 = memory, r2 = its length,\n"
	       "                    the conformance suite's convention); default raw, as\n"
	       "                    `bpfvm run` without --pcap/--live; ELF objects take the\n"
	       "                    type from the section\n"
	       "  --log-level N     0: statistics or the reason only; 1 (default): the\n"
	       "                    failing path; 2: every instruction the verifier\n"
	       "                    processed, with the register states\n"
	       "  --program NAME    ELF objects: verify only this program (function or\n"
	       "                    section)\n"
	       "  --set NAME=VALUE  ELF objects: a global variable's value before the load\n"
	       "                    (as `run`; .rodata values are constants to the verifier)\n"
	       "  --map SPEC        add a map: NAME:TYPE:KEY:VALUE:ENTRIES[:FLAGS] (as `run`)\n"
	       "  --helpers SET     kernel or conformance (as `run`; default: conformance for\n"
	       "                    raw programs without maps, else kernel)\n"
	       "  --mem-size N      raw programs: r1 points to at least N bytes (default 0:\n"
	       "                    the program must compare r2 before reading)\n"
	       "  --format FORMAT   raw, asm or elf (default: by content, as `run`)\n"
	       "  --syntax SYNTAX   assembly syntax: auto (default), llvm or ubpf\n"
	       "  -h, --help        show this help\n"
	       "\n%s",
	       CLI_EXIT_CODES_HELP);
}

/* Verifies one program and reports it; returns 0 accepted, 1 rejected, or
 * another exit code. */
static int verify_one(bpfvm_env *env, const char *file, const char *label, const struct bpf_insn *insns, size_t n,
		      uint32_t type, const int *fds, size_t nfds, int log_level, uint32_t mem_size, char *log,
		      const struct bpfvm_obj_prog_info *pi)
{
	struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = type, .fd_array = fds, .fd_array_len = nfds,
					.log_level = log_level ? log_level : 1, .raw_mem_size = mem_size,
					.global_funcs = pi ? pi->global_funcs : NULL,
					.nglobal_funcs = pi ? pi->nglobal_funcs : 0 };
	struct bpfvm_verify_result res = { .sz = sizeof(res) };
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	log[0] = 0;
	int rc = bpfvm_verify(env, insns, n, &vo, &res, log, LOG_SIZE, &err);
	if (label)
		printf("program %s:\n", label);
	if (rc == 0 || rc == BPFVM_EVERIFY) {
		/* level 0: the statistics line only (the last line of the log) */
		const char *text = log;
		if (log_level == 0) {
			size_t len = strlen(log);
			while (len && log[len - 1] == '\n')
				len--;
			size_t start = len;
			while (start && log[start - 1] != '\n')
				start--;
			text = rc == 0 ? log + start : "";
		}
		fputs(text, stdout);
		if (text[0] && text[strlen(text) - 1] != '\n')
			putchar('\n');
		if (strlen(log) >= LOG_SIZE - 1)
			printf("(log cut at %u MiB)\n", LOG_SIZE >> 20);
	}
	fflush(stdout);
	if (rc == 0) {
		printf("accepted\n");
		return 0;
	}
	if (label) {
		/* name the program in the one-line reason */
		char where[64] = "";
		if (err.insn >= 0)
			snprintf(where, sizeof(where), "insn %ld", err.insn);
		cli_error(file, where, "program %s: %s", label, err.msg);
	} else {
		cli_error_lib(file, &err);
	}
	return rc == BPFVM_EVERIFY ? CLI_EXIT_PROG : cli_exit_for(rc, 1);
}

static int verify_elf(const char *in, const char *name, const char *want, int log_level, uint32_t mem_size,
		      char *log, const char *const *sets, size_t nsets)
{
	bpfvm_env *env = bpfvm_env_new();
	if (!env) {
		cli_error(name, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	bpfvm_obj *obj = NULL;
	/* load without verifying, so that maps exist and relocations are
	 * done; then verify each program's final instructions with a log */
	int rc = cli_elf_open_set("verify", in, env, BPFVM_OBJ_F_KEEP_GOING, BPFVM_PROG_F_NO_VERIFY, sets, nsets, &obj);
	if (rc) {
		bpfvm_env_free(env);
		return rc;
	}
	size_t nmaps = bpfvm_obj_map_count(obj), first = 0, last = bpfvm_obj_prog_count(obj);
	int *fds = cli_elf_map_fds(obj);
	if (!fds) {
		cli_error(name, NULL, "out of memory");
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	if (want) {
		if ((rc = cli_elf_pick(name, obj, want, &first)))
			goto out;
		last = first + 1;
	}
	int worst = 0;
	for (size_t i = first; i < last; i++) {
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, i);
		char label[300];
		snprintf(label, sizeof(label), "%s (section %s)", pi->name, pi->section);
		int r;
		if (!pi->prog) { /* not loadable at all: linking, type, structure */
			printf("program %s:\n", label);
			fflush(stdout);
			cli_error(name, NULL, "program %s: %s", label,
				  pi->load_msg && pi->load_msg[0] ? pi->load_msg : "not loaded");
			r = pi->load_error ? cli_exit_for(pi->load_error, 1) : CLI_EXIT_PROG;
		} else {
			r = verify_one(env, name, label, pi->insns, pi->ninsns, pi->type, fds, nmaps, log_level, mem_size,
				       log, pi);
		}
		if (r && (!worst || worst == CLI_EXIT_PROG))
			worst = r;
	}
	rc = worst;
out:
	free(fds);
	bpfvm_obj_close(obj);
	bpfvm_env_free(env);
	return rc;
}

int cli_cmd_verify(int argc, char **argv)
{
	struct cli_parser p;
	const char *val, *in = NULL, *want = NULL;
	int syntax = BPFVM_SYNTAX_AUTO, format = CLI_FMT_AUTO, id, rc, have_type = 0, log_level = 1;
	int helpers = CLI_HELPERS_DEFAULT;
	uint32_t type = BPFVM_PROG_TYPE_RAW;
	uint64_t v, mem_size = 0;
	struct bpfvm_asm_map *maps = NULL;
	size_t nmaps = 0, nsets = 0;
	const char *sets[CLI_MAX_SETS];

	cli_parser_init(&p, "verify", argc, argv, 2);
	while ((id = cli_next_opt(&p, opts, &val)) != CLI_OPT_END) {
		rc = 0;
		switch (id) {
		case CLI_OPT_ERROR: rc = CLI_EXIT_USAGE; break;
		case OPT_HELP:
			usage();
			free(maps);
			return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
		case OPT_TYPE:
			rc = cli_parse_prog_type("verify", val, &type);
			have_type = 1;
			break;
		case OPT_LOG_LEVEL:
			if ((rc = cli_parse_u64("verify", "--log-level", val, &v)))
				break;
			if (v > 2)
				rc = cli_usage_error("verify", "--log-level must be 0, 1 or 2");
			log_level = (int)v;
			break;
		case OPT_MEM_SIZE:
			if ((rc = cli_parse_u64("verify", "--mem-size", val, &mem_size)))
				break;
			if (mem_size > CLI_MAX_MEM)
				rc = cli_usage_error("verify", "--mem-size: at most %u bytes", CLI_MAX_MEM);
			break;
		case OPT_PROGRAM: want = val; break;
		case OPT_SET: rc = cli_add_set("verify", val, sets, &nsets); break;
		case OPT_MAP: rc = cli_add_map_spec("verify", val, &maps, &nmaps); break;
		case OPT_HELPERS: rc = cli_parse_helper_set("verify", val, &helpers); break;
		case OPT_FORMAT: rc = cli_parse_format("verify", val, &format); break;
		case OPT_SYNTAX: rc = cli_parse_syntax("verify", val, 1, &syntax); break;
		case CLI_OPT_ARG:
			if (in)
				rc = cli_usage_error("verify", "argument %d: more than one program", p.i - 1);
			in = val;
			break;
		}
		if (rc) {
			free(maps);
			return rc;
		}
	}
	const char *why = NULL;
	int elf = in ? cli_elf_is_object(in, format) : 0;
	if (!in)
		why = "missing PROGRAM";
	else if (elf && have_type)
		why = "--type cannot be used with ELF objects (the program's section gives its type)";
	else if (elf && nmaps)
		why = "--map cannot be used with ELF objects (they declare their own maps)";
	else if (elf && helpers == CLI_HELPERS_CONFORMANCE)
		why = "--helpers conformance cannot be used with ELF objects";
	else if (!elf && want)
		why = "--program needs an ELF object";
	else if (!elf && nsets)
		why = "--set needs an ELF object (assembly and bytecode have no global variables)";
	else if (mem_size && type != BPFVM_PROG_TYPE_RAW)
		why = "--mem-size is for raw programs (--type raw)";
	if (why) {
		free(maps);
		return cli_usage_error("verify", "%s", why);
	}
	const char *name = strcmp(in, "-") == 0 ? "<stdin>" : in;
	char *log = malloc(LOG_SIZE);
	if (!log) {
		free(maps);
		cli_error(name, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	if (elf) {
		rc = verify_elf(in, name, want, log_level, (uint32_t)mem_size, log, sets, nsets);
		free(log);
		free(maps);
		return rc;
	}

	struct cli_program prog_file;
	memset(&prog_file, 0, sizeof(prog_file));
	bpfvm_env *env = NULL;
	int *fds = NULL;
	if ((rc = cli_load_program(in, format, syntax, maps, nmaps, &prog_file)))
		goto out;
	env = bpfvm_env_new();
	fds = calloc(prog_file.nmaps + 1, sizeof(*fds));
	if (!env || !fds) {
		cli_error(name, NULL, "out of memory");
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	if (helpers == CLI_HELPERS_DEFAULT)
		helpers = type == BPFVM_PROG_TYPE_RAW && prog_file.nmaps == 0 ? CLI_HELPERS_CONFORMANCE
									      : CLI_HELPERS_KERNEL;
	if (helpers == CLI_HELPERS_CONFORMANCE)
		vm_register_conformance_helpers(env);
	if ((rc = cli_create_maps(env, name, prog_file.maps, prog_file.nmaps, fds)))
		goto out;
	/* bpfvm_verify makes the structural checks too, in the kernel's words
	 * (a load would say them in the loader's) */
	rc = verify_one(env, name, NULL, prog_file.insns, prog_file.n, type, fds, prog_file.nmaps, log_level,
			(uint32_t)mem_size, log, NULL);
out:
	if (rc == 0 && fflush(stdout) != 0) {
		cli_error("<stdout>", NULL, "write error");
		rc = CLI_EXIT_INPUT;
	}
	if (env)
		bpfvm_env_free(env);
	cli_program_free(&prog_file);
	free(fds);
	free(maps);
	free(log);
	return rc;
}
