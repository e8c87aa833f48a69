/* cli_jit.h - `bpfvm disasm --jit`: the x86-64 code the JIT generates for a
 * program, decoded with capstone and interleaved with the eBPF instructions
 * (cmd_disasm_jit.c). */
#ifndef BPFVM_CLI_JIT_H
#define BPFVM_CLI_JIT_H

#include <stdint.h>
#include <stdio.h>

#include "bpfvm/bpfvm.h"

struct cli_jit_listing_opts {
	int syntax;       /* the eBPF lines: BPFVM_SYNTAX_LLVM or BPFVM_SYNTAX_UBPF */
	int checked;      /* 1: the runtime-checked image; 0: the trusted one (TRUSTED programs) */
	int bytes;        /* print each native instruction's bytes */
	const struct bpfvm_asm_map *maps; /* names for "# map NAME" after lddw map_idx (may be NULL) */
	size_t nmaps;
};

/* Prints the native image of prog (loaded with BPFVM_PROG_F_JIT) to out:
 * the entry trampoline, then each eBPF instruction as "%8zu:\t<text>"
 * followed by its native instructions, then the shared slow paths and
 * stubs. file names the program in error messages. Returns 0 or an exit
 * code (CLI_EXIT_UNSUPP when there is no such image or no decoder). */
int cli_jit_listing(FILE *out, const char *file, const bpfvm_prog *prog, const struct cli_jit_listing_opts *o);

/* What `bpfvm disasm --jit` was given besides the file. */
struct cli_disasm_jit_cfg {
	int format;       /* enum cli_format */
	int syntax;       /* of the eBPF lines */
	int checked;
	int bytes;
	int have_type;
	uint32_t type;    /* program type (default raw) */
	int helpers;      /* enum cli_helpers */
	const struct bpfvm_asm_map *maps; /* --map, in order */
	size_t nmaps;
	const char *want; /* ELF objects: --program NAME, or NULL for all */
};

/* Loads the program file in (with its maps and helper set, as `bpfvm run`
 * does) with BPFVM_PROG_F_JIT, plus BPFVM_PROG_F_TRUSTED for the trusted
 * image, and prints its listing. Returns an exit code. */
int cli_disasm_jit(const char *in, const struct cli_disasm_jit_cfg *cfg);

#endif
