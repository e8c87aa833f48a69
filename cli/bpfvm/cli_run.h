/* cli_run.h - what `bpfvm run` shares between its single run (cmd_run.c)
 * and its packet loop (cmd_run_packets.c): the parsed options and the loaded
 * program with its environment and maps. */
#ifndef BPFVM_CLI_RUN_H
#define BPFVM_CLI_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"

enum cli_helpers { CLI_HELPERS_DEFAULT = 0, CLI_HELPERS_KERNEL, CLI_HELPERS_CONFORMANCE };

struct cli_run_cfg {
	const char *in;          /* PROGRAM as given ("-" = stdin) */
	const char *name;        /* PROGRAM for messages ("<stdin>") */
	const char *pcap, *live; /* packet source, at most one */
	uint64_t count;          /* stop after this many frames (0 = no limit) */
	double seconds;          /* stop after this much wall-clock time (0 = no limit) */
	double interval;         /* live: report every this many seconds (0 = only at the end) */
	uint32_t type;           /* program type */
	int json;
	int engine;              /* enum bpfvm_engine: the program is loaded with BPFVM_PROG_F_JIT for JIT */
	uint64_t budget;
	struct bpfvm_asm_map *maps; /* --map, in order */
	size_t nmaps;
};

/* Runs cfg's packet source through prog (its type from cfg) with one
 * reusable execution context, then prints the report. Returns an exit code. */
int cli_run_packets(const struct cli_run_cfg *cfg, bpfvm_env *env, const bpfvm_prog *prog);

#endif
