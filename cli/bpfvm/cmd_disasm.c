/* cmd_disasm.c - `bpfvm disasm FILE`: one line per instruction, prefixed by
 * its slot index the way llvm-objdump does ("%8zu:\t<text>"); an lddw takes
 * two slots, so the index after it grows by two. Assembly that declares maps
 * gets its .map directives printed first and the name of the map after each
 * lddw map_idx, so the output assembles back to the same program and maps.
 * --jit prints the JIT's x86-64 code instead (cmd_disasm_jit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_elf.h"
#include "cli_jit.h"
#include "cli_maps.h"
#include "cli_run.h"
#include "cli_util.h"
#include "isa.h"

enum {
	OPT_HELP = 1, OPT_SYNTAX, OPT_FORMAT, OPT_JIT, OPT_CHECKED, OPT_NO_BYTES, OPT_TYPE, OPT_HELPERS, OPT_MAP,
	OPT_PROGRAM,
};

static const struct cli_opt opts[] = {
	{"--help", 0, OPT_HELP}, {"-h", 0, OPT_HELP}, {"--syntax", 1, OPT_SYNTAX},
	{"--format", 1, OPT_FORMAT}, {"--jit", 0, OPT_JIT}, {"--checked", 0, OPT_CHECKED},
	{"--no-bytes", 0, OPT_NO_BYTES}, {"--type", 1, OPT_TYPE}, {"--helpers", 1, OPT_HELPERS},
	{"--map", 1, OPT_MAP}, {"--program", 1, OPT_PROGRAM}, {NULL, 0, 0},
};

static void usage(void)
{
	printf("Usage: bpfvm disasm FILE [--syntax llvm|ubpf] [--format raw|asm|elf]\n"
	       "       bpfvm disasm OBJ.o [--program NAME] [--syntax llvm|ubpf]\n"
	       "       bpfvm disasm --jit FILE [--checked] [--no-bytes] [--type TYPE]\n"
	       "                    [--helpers SET] [--map SPEC] [--syntax ...] [--format ...]\n"
	       "       bpfvm disasm --jit OBJ.o [--program NAME] [--checked] [--no-bytes]\n"
	       "\n"
	       "Prints FILE (\"-\" reads stdin) one instruction per line, prefixed by its\n"
	       "slot index as llvm-objdump does; lddw spans two slots. Slots that are not\n"
	       "valid instructions are printed as raw data and make the exit status 1.\n"
	       "\n"
	       "ELF objects are printed per program (or only --program NAME, a function\n"
	       "or section name): a header with its section and type, <name>: where each\n"
	       "function starts (subprograms follow the program), and after relocated\n"
	       "instructions '; map NAME', '; .bss+OFF', '; call FUNC' or '; CO-RE ...'.\n"
	       "\n"
	       "With --jit it loads the program (with its maps and helpers, as 'bpfvm run'\n"
	       "does) and prints the x86-64 code the JIT generates for it: the entry\n"
	       "trampoline, then each eBPF instruction followed by its native instructions\n"
	       "(tab, offset in the image, bytes, Intel syntax), then the shared slow paths\n"
	       "and stubs. Branch targets are named <insn N>, <entry+0x..> or <stubs+0x..>.\n"
	       "ELF objects: each program (or --program NAME) after 'program NAME (section\n"
	       "S):'.\n"
	       "\n"
	       "Options:\n"
	       "  --syntax SYNTAX   llvm (default: r0 = *(u32 *)(r1 + 4)) or ubpf\n"
	       "                    (ldxw %%r0, [%%r1+4])\n"
	       "  --format FORMAT   raw, asm or elf: how to read FILE (default: by ELF\n"
	       "                    magic, then extension .bin/.s/.asm, then content)\n"
	       "  --program NAME    ELF objects: only this program (function or section)\n"
	       "  --jit             print the JIT's native code (x86-64 hosts)\n"
	       "  --checked         with --jit: the runtime-checked image (bounds checks and\n"
	       "                    budget, what 'bpfvm run --engine jit' runs) instead of\n"
	       "                    the trusted one\n"
	       "  --no-bytes        with --jit: leave out the machine code bytes\n"
	       "  --type TYPE       with --jit: socket, xdp or raw (default raw)\n"
	       "  --helpers SET     with --jit: kernel or conformance (default as 'bpfvm run')\n"
	       "  --map SPEC        with --jit: add a map, NAME:TYPE:KEY:VALUE:ENTRIES[:FLAGS]\n"
	       "  -h, --help        show this help\n"
	       "\n%s",
	       CLI_EXIT_CODES_HELP);
}

/* Why slot pc is not a valid instruction, for the error line. */
static void explain(const struct bpf_insn *insns, size_t n, size_t pc, char *why, size_t len)
{
	int op = isa_lookup(&insns[pc]);
	snprintf(why, len, "not a valid instruction");
	if (op == ISA_OP_INVALID) {
		int known = 0;
		for (int i = 0; i < BPFVM_OP__COUNT; i++)
			known |= isa_table[i].code == insns[pc].code;
		snprintf(why, len, known ? "opcode 0x%02x with an off, imm or src value no instruction uses"
					 : "unknown opcode 0x%02x", insns[pc].code);
	} else if (isa_check_fields(op, &insns[pc], why, len) == 0 && isa_is_lddw(op) && pc + 1 >= n)
		snprintf(why, len, "lddw is missing its second slot");
}

int cli_cmd_disasm(int argc, char **argv)
{
	struct cli_parser p;
	const char *val, *in = NULL, *jit_only = NULL, *want = NULL;
	int syntax = BPFVM_SYNTAX_LLVM, format = CLI_FMT_AUTO, id, rc = 0, jit = 0;
	struct bpfvm_asm_map *maps = NULL;
	struct cli_disasm_jit_cfg jc = {.bytes = 1, .helpers = CLI_HELPERS_DEFAULT};

	cli_parser_init(&p, "disasm", argc, argv, 2);
	while (rc == 0 && (id = cli_next_opt(&p, opts, &val)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR: rc = CLI_EXIT_USAGE; break;
		case OPT_HELP:
			free(maps);
			usage();
			return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
		case OPT_SYNTAX: rc = cli_parse_syntax("disasm", val, 0, &syntax); break;
		case OPT_FORMAT: rc = cli_parse_format("disasm", val, &format); break;
		case OPT_JIT: jit = 1; break;
		case OPT_CHECKED: jc.checked = 1; jit_only = "--checked"; break;
		case OPT_NO_BYTES: jc.bytes = 0; jit_only = "--no-bytes"; break;
		case OPT_TYPE:
			rc = cli_parse_prog_type("disasm", val, &jc.type);
			jc.have_type = 1;
			jit_only = "--type";
			break;
		case OPT_HELPERS: rc = cli_parse_helper_set("disasm", val, &jc.helpers); jit_only = "--helpers"; break;
		case OPT_MAP: rc = cli_add_map_spec("disasm", val, &maps, &jc.nmaps); jit_only = "--map"; break;
		case OPT_PROGRAM: want = val; break;
		case CLI_OPT_ARG:
			if (in)
				rc = cli_usage_error("disasm", "argument %d: more than one input file", p.i - 1);
			in = val;
			break;
		}
	}
	if (rc == 0 && !in)
		rc = cli_usage_error("disasm", "missing input FILE");
	if (rc == 0 && jit_only && !jit)
		rc = cli_usage_error("disasm", "%s needs --jit", jit_only);
	if (rc == 0 && jit) {
		jc.format = format;
		jc.syntax = syntax;
		jc.maps = maps;
		jc.want = want;
		rc = cli_disasm_jit(in, &jc);
		free(maps);
		return rc;
	}
	free(maps);
	if (rc)
		return rc;
	if (cli_elf_is_object(in, format))
		return cli_elf_disasm(in, want, syntax);
	if (want)
		return cli_usage_error("disasm", "--program needs an ELF object");

	struct cli_program prog;
	rc = cli_load_program(in, format, BPFVM_SYNTAX_AUTO, NULL, 0, &prog);
	if (rc)
		return rc;
	const struct bpf_insn *insns = prog.insns;
	size_t n = prog.n;
	for (size_t i = 0; i < prog.nmaps; i++) {
		const struct bpfvm_asm_map *m = &prog.maps[i];
		const char *tname = bpfvm_asm_map_type_name(m->type);
		printf(".map %s %s key=%u value=%u entries=%u", m->name, tname ? tname : "?", m->key_size, m->value_size,
		       m->max_entries);
		if (m->map_flags)
			printf(" flags=0x%x", m->map_flags);
		putchar('\n');
	}

	char line[256];
	long first_bad = -1;
	for (size_t pc = 0; pc < n;) {
		line[0] = 0;
		int k = bpfvm_disasm_insn(insns, n, pc, syntax, 0, line, sizeof(line));
		const struct bpf_insn *in_ = &insns[pc];
		if (k == 2 && (in_->src_reg == BPF_PSEUDO_MAP_IDX || in_->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) &&
		    in_->imm >= 0 && (size_t)in_->imm < prog.nmaps)
			printf("%8zu:\t%s # map %s\n", pc, line, prog.maps[in_->imm].name);
		else
			printf("%8zu:\t%s\n", pc, line);
		if (k < 0 && first_bad < 0)
			first_bad = (long)pc;
		pc += k > 0 ? (size_t)k : 1;
	}
	char why[160] = "";
	if (first_bad >= 0)
		explain(insns, n, (size_t)first_bad, why, sizeof(why));
	cli_program_free(&prog);
	if (fflush(stdout) != 0) {
		cli_error("<stdout>", NULL, "write error");
		return CLI_EXIT_INPUT;
	}
	if (first_bad >= 0) {
		char where[48];
		snprintf(where, sizeof(where), "insn %ld", first_bad);
		cli_error(strcmp(in, "-") == 0 ? "<stdin>" : in, where, "%s (printed as data)", why);
		return CLI_EXIT_PROG;
	}
	return 0;
}
