/* main.c - the `bpfvm` command: picks the subcommand (asm, disasm, info, run, verify) and
 * handles the global --help and --version. */
#include <stdio.h>
#include <string.h>

#include "cli_elf.h"
#include "cli_util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpfvm COMMAND [ARGS...]\n"
		"       bpfvm --help | --version\n"
		"\n"
		"A userspace eBPF virtual machine and toolkit.\n"
		"\n"
		"Commands:\n"
		"  asm FILE -o OUT      assemble text into raw bytecode (8 bytes per slot)\n"
		"  disasm FILE          print one instruction per line (--jit: the x86-64\n"
		"                       code the JIT generates for it)\n"
		"  info OBJ.o           describe an ELF object: programs, maps, relocations\n"
		"  run PROGRAM          run a program once (print r0) or over packets\n"
		"                       (--pcap FILE, --live IFACE: print maps and returns);\n"
		"                       --engine jit runs it as x86-64 code; it is verified\n"
		"                       first (--no-verify: runtime-checked instead)\n"
		"  verify PROGRAM       prove a program safe as the kernel's verifier does\n"
		"                       (exit 0), or print why not (exit 1)\n"
		"\n"
		"Run 'bpfvm COMMAND --help' for a command's options.\n"
		"\n"
		"Program files are raw bytecode (.bin), assembly text (.s, .asm) or ELF\n"
		"objects (clang -target bpf; --program NAME picks one of their programs);\n"
		"other names are recognised by content.\n"
		"Errors are one line on stderr: 'bpfvm: FILE:WHERE: MESSAGE', where WHERE\n"
		"is 'insn N', 'LINE:COL' or 'offset N'.\n"
		"\n"
		"%s",
		CLI_EXIT_CODES_HELP);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_usage_error(NULL, "missing command");
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("bpfvm %s\n", BPFVM_VERSION_STRING);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
	}
	if (strcmp(cmd, "asm") == 0)
		return cli_cmd_asm(argc, argv);
	if (strcmp(cmd, "disasm") == 0)
		return cli_cmd_disasm(argc, argv);
	if (strcmp(cmd, "info") == 0)
		return cli_cmd_info(argc, argv);
	if (strcmp(cmd, "run") == 0)
		return cli_cmd_run(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cli_cmd_verify(argc, argv);
	if (cmd[0] == '-')
		return cli_usage_error(NULL, "argument 1: unknown option '%.64s'", cmd);
	return cli_usage_error(NULL, "argument 1: unknown command '%.64s'", cmd);
}
