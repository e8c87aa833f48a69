/* cmd_asm.c - `bpfvm asm FILE -o OUT`: assembly text to raw little-endian
 * bytecode, written atomically so a failure leaves no output behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"

enum { OPT_HELP = 1, OPT_OUT, OPT_SYNTAX };

static const struct cli_opt opts[] = {
	{"--help", 0, OPT_HELP}, {"-h", 0, OPT_HELP}, {"-o", 1, OPT_OUT}, {"--output", 1, OPT_OUT},
	{"--syntax", 1, OPT_SYNTAX}, {NULL, 0, 0},
};

static void usage(void)
{
	printf("Usage: bpfvm asm FILE -o OUT [--syntax auto|llvm|ubpf]\n"
	       "\n"
	       "Assembles FILE (\"-\" reads stdin) into raw eBPF bytecode: 8 bytes per\n"
	       "instruction slot, little-endian, lddw taking two slots.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output OUT   where to write the bytecode (\"-\" for stdout); OUT is\n"
	       "                     replaced atomically and left untouched on error\n"
	       "  --syntax SYNTAX    auto (default: either syntax, line by line), llvm\n"
	       "                     (r0 = *(u32 *)(r1 + 4)) or ubpf (ldxw %%r0, [%%r1+4])\n"
	       "  -h, --help         show this help\n"
	       "\n"
	       "Errors name the line and column. The program is not validated here;\n"
	       "'bpfvm run' and the library do that at load.\n"
	       "\n"
	       "Maps declared with '.map NAME TYPE key=K value=V entries=N' are checked and\n"
	       "their names become map indices (lddw map_idx NAME), but the bytecode does\n"
	       "not carry the declarations: run it with the same maps in the same order\n"
	       "('bpfvm run OUT --map NAME:TYPE:KEY:VALUE:ENTRIES ...').\n"
	       "\n%s",
	       CLI_EXIT_CODES_HELP);
}

int cli_cmd_asm(int argc, char **argv)
{
	struct cli_parser p;
	const char *val, *in = NULL, *out = NULL;
	int syntax = BPFVM_SYNTAX_AUTO, id, rc;

	cli_parser_init(&p, "asm", argc, argv, 2);
	while ((id = cli_next_opt(&p, opts, &val)) != CLI_OPT_END) {
		switch (id) {
		case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
		case OPT_HELP: usage(); return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
		case OPT_OUT: out = val; break;
		case OPT_SYNTAX:
			if ((rc = cli_parse_syntax("asm", val, 1, &syntax)))
				return rc;
			break;
		case CLI_OPT_ARG:
			if (in)
				return cli_usage_error("asm", "argument %d: more than one input file", p.i - 1);
			in = val;
			break;
		}
	}
	if (!in)
		return cli_usage_error("asm", "missing input FILE");
	if (!out)
		return cli_usage_error("asm", "missing -o OUT");

	struct bpf_insn *insns;
	size_t n;
	rc = cli_load_insns(in, CLI_FMT_ASM, syntax, &insns, &n);
	if (rc)
		return rc;
	uint8_t *bytes = malloc(n * 8);
	if (!bytes) {
		free(insns);
		cli_error(in, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	cli_encode_raw(insns, n, bytes);
	rc = cli_write_atomic(out, bytes, n * 8);
	free(bytes);
	free(insns);
	return rc;
}
