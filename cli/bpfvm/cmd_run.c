/* cmd_run.c - `bpfvm run PROGRAM`: parse the options, load the program with
 * its maps (.map declarations and --map, created in order from fd 3) and a
 * helper set, then either run it once on a writable copy of the input memory
 * and print r0 (--trace prints every executed instruction with the registers
 * it changed), or hand it to the packet loop (cmd_run_packets.c) for --pcap
 * and --live. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_elf.h"
#include "cli_maps.h"
#include "cli_run.h"
#include "cli_util.h"
#include "vm.h"

enum {
	OPT_HELP = 1, OPT_MEM, OPT_MEM_FILE, OPT_ENGINE, OPT_TRACE, OPT_BUDGET, OPT_FORMAT, OPT_SYNTAX,
	OPT_PCAP, OPT_LIVE, OPT_COUNT, OPT_SECONDS, OPT_INTERVAL, OPT_TYPE, OPT_MAP, OPT_JSON, OPT_HELPERS,
	OPT_PROGRAM, OPT_NO_VERIFY, OPT_LOG_LEVEL, OPT_SET,
};

static const struct cli_opt opts[] = {
	{"--help", 0, OPT_HELP},     {"-h", 0, OPT_HELP},         {"--mem", 1, OPT_MEM},
	{"--mem-file", 1, OPT_MEM_FILE}, {"--engine", 1, OPT_ENGINE}, {"--trace", 0, OPT_TRACE},
	{"--budget", 1, OPT_BUDGET}, {"--format", 1, OPT_FORMAT}, {"--syntax", 1, OPT_SYNTAX},
	{"--pcap", 1, OPT_PCAP},     {"--live", 1, OPT_LIVE},     {"--count", 1, OPT_COUNT},
	{"--seconds", 1, OPT_SECONDS}, {"--interval", 1, OPT_INTERVAL}, {"--type", 1, OPT_TYPE},
	{"--map", 1, OPT_MAP},       {"--json", 0, OPT_JSON},     {"--helpers", 1, OPT_HELPERS},
	{"--program", 1, OPT_PROGRAM}, {"--no-verify", 0, OPT_NO_VERIFY}, {"--log-level", 1, OPT_LOG_LEVEL},
	{"--set", 1, OPT_SET},       {NULL, 0, 0},
};

static void usage(void)
{
	printf("Usage: bpfvm run PROGRAM [--mem HEX | --mem-file FILE] [--trace] [options]\n"
	       "       bpfvm run PROGRAM --pcap FILE | --live IFACE [--count N] [--seconds S]\n"
	       "                 [--interval S] [options]\n"
	       "\n"
	       "Loads PROGRAM (\"-\" reads stdin), verifies it as `bpfvm verify` does and\n"
	       "runs it without run-time checks, on the interpreter or (--engine jit) as\n"
	       "native code. A program the verifier rejects is not run (exit 1, the\n"
	       "reason on stderr; --log-level 1 or 2 adds the verifier's log). With\n"
	       "--no-verify it is not verified and runs in checked mode instead: every\n"
	       "memory access is checked against the regions of the run, and the run\n"
	       "stops with an error (exit 4) at a fault or after --budget instructions.\n"
	       "\n"
	       "Without a packet source it runs once and prints r0 as 0x... on the last\n"
	       "line (after the maps, if there are any). For raw programs r1 points to a\n"
	       "writable copy of the memory and r2 holds its length (r1 = 0 and r2 = 0\n"
	       "without memory); socket and XDP programs get the memory as their frame.\n"
	       "\n"
	       "With --pcap or --live it runs once per frame (one reusable execution\n"
	       "context) and prints the maps and a summary of the return values at the end\n"
	       "(and every --interval seconds on live runs): per XDP action, accepted and\n"
	       "dropped packets and bytes for socket filters, per r0 value for raw programs.\n"
	       "\n"
	       "Maps: assembly declares them with '.map NAME TYPE key=K value=V entries=N\n"
	       "[flags=F]' and loads them with 'lddw %%r1, map_idx NAME' (or 'ld_pseudo r1,\n"
	       "5, NAME'); --map adds more after the file's. Maps are created in that order\n"
	       "with fds 3, 4, ... (for programs that use BPF_LD_MAP_FD) and map index i is\n"
	       "the i-th map.\n"
	       "\n"
	       "ELF objects (clang -target bpf) bring their own maps and program types\n"
	       "(from the section: socket, xdp, ...); --program NAME (function or section)\n"
	       "picks the program, which may be left out when only one loaded.\n"
	       "\n"
	       "Options:\n"
	       "  --pcap FILE       run over the frames of a pcap or pcapng file (\"-\": stdin)\n"
	       "  --live IFACE      run over frames captured on IFACE (needs root); stops at\n"
	       "                    --count, --seconds or Ctrl-C\n"
	       "  --count N         stop after N frames\n"
	       "  --seconds S       stop after S seconds of wall-clock time (decimals allowed)\n"
	       "  --interval S      live runs: print a report every S seconds\n"
	       "  --type TYPE       socket (socket filter: r1 = struct __sk_buff), xdp\n"
	       "                    (r1 = struct xdp_md) or raw (r1 = memory, r2 = length);\n"
	       "                    default: socket with --pcap/--live, raw otherwise\n"
	       "  --program NAME    ELF objects: the program to run (function or section)\n"
	       "  --set NAME=VALUE  ELF objects: give the global variable NAME (.data,\n"
	       "                    .rodata or .bss; 1, 2, 4 or 8 bytes) the value VALUE\n"
	       "                    before the load, as a libbpf skeleton does (.rodata is\n"
	       "                    then constant to the verifier); may be repeated\n"
	       "  --map SPEC        add a map: NAME:TYPE:KEY:VALUE:ENTRIES[:FLAGS], TYPE one of\n"
	       "                    array, hash, percpu_array, percpu_hash, lru_hash,\n"
	       "                    lru_percpu_hash, ringbuf, queue, stack, prog_array\n"
	       "  --json            print the report as one JSON document on stdout\n"
	       "  --helpers SET     kernel (bpfvm's kernel helpers) or conformance (ids 0-5\n"
	       "                    are the conformance suite's); default: conformance for\n"
	       "                    raw programs without maps or packets, else kernel\n"
	       "  --mem HEX         input memory as hex bytes, e.g. \"00 0a ff\" or \"000aff\"\n"
	       "  --mem-file FILE   input memory read from FILE as raw bytes (at most 64 MiB)\n"
	       "  --engine ENGINE   interp (default: the interpreter) or jit (x86-64 native\n"
	       "                    code; with --no-verify the same checks, budget and\n"
	       "                    errors as the checked interpreter)\n"
	       "  --no-verify       do not verify: run with run-time checks (bounds of every\n"
	       "                    access, instruction budget) instead\n"
	       "  --log-level N     when the verifier rejects the program, print its log on\n"
	       "                    stderr first: 1 the failing path, 2 every step\n"
	       "  --trace           before the result, print each executed instruction\n"
	       "                    (index, disassembly) and the registers it changed\n"
	       "                    (interpreter only: not with --engine jit; the run is\n"
	       "                    checked)\n"
	       "  --budget N        checked runs (--no-verify, --trace): stop with an error\n"
	       "                    after N executed instructions (default %llu)\n"
	       "  --format FORMAT   raw, asm or elf: how to read PROGRAM (default: by ELF\n"
	       "                    magic, then extension .bin/.s/.asm, then content)\n"
	       "  --syntax SYNTAX   assembly syntax of PROGRAM and of the trace: auto\n"
	       "                    (default; the trace uses llvm), llvm or ubpf\n"
	       "  -h, --help        show this help\n"
	       "\n%s",
	       (unsigned long long)BPFVM_DEFAULT_BUDGET, CLI_EXIT_CODES_HELP);
}

/* ---- tracing ---- */

struct trace_state {
	const struct bpf_insn *insns;
	size_t n;
	int syntax;
	int have_prev;       /* an instruction waits for its changes */
	size_t prev_pc;
	uint64_t prev_regs[11];
};

/* Prints the waiting instruction with the registers that differ in after. */
static void trace_flush(struct trace_state *t, const uint64_t after[11])
{
	char text[256];
	text[0] = 0;
	bpfvm_disasm_insn(t->insns, t->n, t->prev_pc, t->syntax, BPFVM_DISASM_NO_ANNOTATE, text, sizeof(text));
	printf("%8zu:\t%s", t->prev_pc, text);
	const char *sep = "\t; ";
	for (int r = 0; r < 11 && after; r++) {
		if (after[r] == t->prev_regs[r])
			continue;
		printf("%sr%d = 0x%" PRIx64, sep, r, after[r]);
		sep = ", ";
	}
	putchar('\n');
	t->have_prev = 0;
}

/* The callback sees the registers before each instruction, so the changes of
 * the previous instruction are known only now. */
static void trace_cb(void *cookie, size_t pc, const struct bpf_insn *insn, const uint64_t regs[11])
{
	struct trace_state *t = cookie;
	(void)insn;
	if (t->have_prev)
		trace_flush(t, regs);
	t->have_prev = 1;
	t->prev_pc = pc;
	memcpy(t->prev_regs, regs, sizeof(t->prev_regs));
}

/* ---- options ---- */

/* A duration in seconds: decimal, with an optional fraction, > 0. */
static int parse_seconds(const char *opt, const char *s, double *v)
{
	char *end;
	if (!*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return cli_usage_error("run", "%s: '%.64s' is not a number of seconds", opt, s);
	double x = strtod(s, &end);
	if (*end || !isfinite(x) || x <= 0 || x > 1e9)
		return cli_usage_error("run", "%s: '%.64s' is not a number of seconds above 0", opt, s);
	*v = x;
	return 0;
}

/* ---- the command ---- */

int cli_cmd_run(int argc, char **argv)
{
	struct cli_parser p;
	const char *val, *mem_hex = NULL, *mem_file = NULL;
	int syntax = BPFVM_SYNTAX_AUTO, format = CLI_FMT_AUTO, trace = 0, id, rc, have_type = 0;
	int helpers = CLI_HELPERS_DEFAULT, elf = 0, no_verify = 0, log_level = 0;
	const char *sets[CLI_MAX_SETS];
	size_t nsets = 0;
	uint64_t lv;
	const char *want = NULL;
	struct cli_run_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));

	cli_parser_init(&p, "run", argc, argv, 2);
	while ((id = cli_next_opt(&p, opts, &val)) != CLI_OPT_END) {
		rc = 0;
		switch (id) {
		case CLI_OPT_ERROR: rc = CLI_EXIT_USAGE; break;
		case OPT_HELP:
			usage();
			free(cfg.maps);
			return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
		case OPT_MEM: mem_hex = val; break;
		case OPT_MEM_FILE: mem_file = val; break;
		case OPT_TRACE: trace = 1; break;
		case OPT_JSON: cfg.json = 1; break;
		case OPT_PCAP: cfg.pcap = val; break;
		case OPT_LIVE: cfg.live = val; break;
		case OPT_MAP: rc = cli_add_map_spec("run", val, &cfg.maps, &cfg.nmaps); break;
		case OPT_TYPE:
			rc = cli_parse_prog_type("run", val, &cfg.type);
			have_type = 1;
			break;
		case OPT_HELPERS: rc = cli_parse_helper_set("run", val, &helpers); break;
		case OPT_PROGRAM: want = val; break;
		case OPT_NO_VERIFY: no_verify = 1; break;
		case OPT_SET: rc = cli_add_set("run", val, sets, &nsets); break;
		case OPT_LOG_LEVEL:
			if ((rc = cli_parse_u64("run", "--log-level", val, &lv)))
				break;
			if (lv > 2)
				rc = cli_usage_error("run", "--log-level must be 0, 1 or 2");
			log_level = (int)lv;
			break;
		case OPT_ENGINE:
			if (strcmp(val, "jit") == 0)
				cfg.engine = BPFVM_ENGINE_JIT;
			else if (strcmp(val, "interp") == 0)
				cfg.engine = BPFVM_ENGINE_INTERP;
			else
				rc = cli_usage_error("run", "unknown engine '%.64s' (expected interp or jit)", val);
			break;
		case OPT_BUDGET:
			if ((rc = cli_parse_u64("run", "--budget", val, &cfg.budget)))
				break;
			if (cfg.budget == 0)
				rc = cli_usage_error("run", "--budget must be at least 1");
			break;
		case OPT_COUNT:
			if ((rc = cli_parse_u64("run", "--count", val, &cfg.count)))
				break;
			if (cfg.count == 0)
				rc = cli_usage_error("run", "--count must be at least 1");
			break;
		case OPT_SECONDS: rc = parse_seconds("--seconds", val, &cfg.seconds); break;
		case OPT_INTERVAL: rc = parse_seconds("--interval", val, &cfg.interval); break;
		case OPT_FORMAT: rc = cli_parse_format("run", val, &format); break;
		case OPT_SYNTAX: rc = cli_parse_syntax("run", val, 1, &syntax); break;
		case CLI_OPT_ARG:
			if (cfg.in)
				rc = cli_usage_error("run", "argument %d: more than one program", p.i - 1);
			cfg.in = val;
			break;
		}
		if (rc) {
			free(cfg.maps);
			return rc;
		}
	}
	const char *why = NULL;
	int packets = cfg.pcap || cfg.live;
	if (cfg.in)
		elf = cli_elf_is_object(cfg.in, format);
	if (!cfg.in)
		why = "missing PROGRAM";
	else if (elf && have_type)
		why = "--type cannot be used with ELF objects (the program's section gives its type)";
	else if (elf && cfg.nmaps)
		why = "--map cannot be used with ELF objects (they declare their own maps)";
	else if (!elf && want)
		why = "--program needs an ELF object";
	else if (!elf && nsets)
		why = "--set needs an ELF object (assembly and bytecode have no global variables)";
	else if (mem_hex && mem_file)
		why = "--mem and --mem-file exclude each other";
	else if (mem_file && strcmp(mem_file, "-") == 0 && strcmp(cfg.in, "-") == 0)
		why = "the program and the memory cannot both come from stdin";
	else if (cfg.pcap && cfg.live)
		why = "--pcap and --live exclude each other";
	else if (packets && (mem_hex || mem_file))
		why = "--mem and --mem-file cannot be used with --pcap or --live";
	else if (packets && trace)
		why = "--trace cannot be used with --pcap or --live";
	else if (trace && cfg.engine == BPFVM_ENGINE_JIT)
		why = "--trace needs the interpreter: the JIT does not trace (use --engine interp)";
	else if (cfg.pcap && strcmp(cfg.pcap, "-") == 0 && strcmp(cfg.in, "-") == 0)
		why = "the program and the capture cannot both come from stdin";
	else if (!packets && (cfg.count || cfg.seconds > 0))
		why = "--count and --seconds need --pcap or --live";
	else if (cfg.interval > 0 && !cfg.live)
		why = "--interval needs --live";
	else if (no_verify && log_level)
		why = "--log-level is the verifier's: it cannot be used with --no-verify";
	if (why) {
		free(cfg.maps);
		return cli_usage_error("run", "%s", why);
	}
	if (cfg.engine == BPFVM_ENGINE_JIT && !bpfvm_jit_available()) {
		free(cfg.maps);
		cli_error(NULL, "run", "the JIT engine needs an x86-64 host (use --engine interp)");
		return CLI_EXIT_UNSUPP;
	}
	if (!have_type)
		cfg.type = packets ? BPF_PROG_TYPE_SOCKET_FILTER : BPFVM_PROG_TYPE_RAW;

	/* Read everything first, so that input errors come before load errors. */
	uint8_t *mem = NULL;
	size_t mem_len = 0;
	struct cli_program prog_file;
	memset(&prog_file, 0, sizeof(prog_file));
	bpfvm_env *env = NULL;
	bpfvm_prog *prog = NULL;
	bpfvm_obj *obj = NULL;
	int *fds = NULL;
	char *log = NULL;
	cfg.name = strcmp(cfg.in, "-") == 0 ? "<stdin>" : cfg.in;
	const char *name = cfg.name;

	if (mem_hex && (rc = cli_mem_from_hex("--mem", mem_hex, &mem, &mem_len)))
		goto out;
	if (mem_file) {
		if ((rc = cli_read_file(mem_file, CLI_MAX_MEM, &mem, &mem_len)))
			goto out;
		if (mem_len == 0) {
			free(mem);
			mem = NULL;
		}
	}
	if (!elf && (rc = cli_load_program(cfg.in, format, syntax, cfg.maps, cfg.nmaps, &prog_file)))
		goto out;

	env = bpfvm_env_new();
	fds = calloc(prog_file.nmaps + 1, sizeof(*fds));
	if (!env || !fds) {
		cli_error(name, NULL, "out of memory");
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	if (helpers == CLI_HELPERS_DEFAULT && elf)
		helpers = CLI_HELPERS_KERNEL;
	if (helpers == CLI_HELPERS_DEFAULT)
		helpers = cfg.type == BPFVM_PROG_TYPE_RAW && !packets && prog_file.nmaps == 0 ? CLI_HELPERS_CONFORMANCE
											       : CLI_HELPERS_KERNEL;
	if (helpers == CLI_HELPERS_CONFORMANCE)
		vm_register_conformance_helpers(env);
	if ((rc = cli_create_maps(env, name, prog_file.maps, prog_file.nmaps, fds)))
		goto out;

	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	struct bpfvm_prog_opts popts = {
		.sz = sizeof(popts), .name = cli_basename(name),
		.flags = (cfg.engine == BPFVM_ENGINE_JIT ? BPFVM_PROG_F_JIT : 0) | (no_verify ? BPFVM_PROG_F_NO_VERIFY : 0),
		.type = cfg.type, .fd_array = fds, .fd_array_len = prog_file.nmaps,
		/* raw programs get exactly this memory: the proof may count on it */
		.raw_mem_size = cfg.type == BPFVM_PROG_TYPE_RAW && !packets ? (uint32_t)mem_len : 0,
	};
	if (log_level) {
		popts.log_len = 16u << 20;
		popts.log_level = log_level;
		popts.log_buf = log = calloc(1, popts.log_len);
		if (!log) {
			cli_error(name, NULL, "out of memory");
			rc = CLI_EXIT_INPUT;
			goto out;
		}
	}
	if (elf) {
		/* The object's programs belong to obj (prog is borrowed). */
		if ((rc = cli_elf_open_set("run", cfg.in, env, BPFVM_OBJ_F_KEEP_GOING, popts.flags, sets, nsets, &obj)))
			goto out;
		size_t idx;
		if ((rc = cli_elf_pick(name, obj, want, &idx)))
			goto out;
		const struct bpfvm_obj_prog_info *pi = bpfvm_obj_prog(obj, idx);
		if (!pi->prog && pi->load_error == BPFVM_EVERIFY && log) {
			/* the loader keeps only the reason: verify again for the log */
			int *ofds = cli_elf_map_fds(obj);
			struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = pi->type, .fd_array = ofds,
							.fd_array_len = bpfvm_obj_map_count(obj), .log_level = log_level,
							.global_funcs = pi->global_funcs, .nglobal_funcs = pi->nglobal_funcs };
			if (ofds && bpfvm_verify(env, pi->insns, pi->ninsns, &vo, NULL, log, popts.log_len, NULL) ==
					    BPFVM_EVERIFY)
				fputs(log, stderr);
			free(ofds);
		}
		if (!pi->prog) {
			cli_error(name, NULL, "program %s (section %s): %s", pi->name, pi->section,
				  pi->load_msg && pi->load_msg[0] ? pi->load_msg : "not loaded");
			rc = pi->load_error ? cli_exit_for(pi->load_error, 1) : CLI_EXIT_PROG;
			goto out;
		}
		cfg.type = pi->type;
		prog = pi->prog;
	}
	int lrc = elf ? 0 : bpfvm_prog_load(env, prog_file.insns, prog_file.n, &popts, &prog, &err);
	if (lrc == BPFVM_EVERIFY && log && log[0])
		fputs(log, stderr);
	if (lrc < 0) {
		cli_error_lib(name, &err);
		rc = cli_exit_for(lrc, 1);
		goto out;
	}
	if (packets) {
		rc = cli_run_packets(&cfg, env, prog);
		goto out;
	}

	struct trace_state ts = {0};
	struct bpfvm_run_opts ropts = {
		.sz = sizeof(ropts),
		.engine = cfg.engine,
		.mem = mem,
		.mem_len = mem_len,
		.budget = cfg.budget,
	};
	if (trace) {
		ts.insns = bpfvm_prog_insns(prog, &ts.n);
		ts.syntax = syntax == BPFVM_SYNTAX_AUTO ? BPFVM_SYNTAX_LLVM : syntax;
		ropts.trace = trace_cb;
		ropts.trace_cookie = &ts;
	}
	uint64_t r0 = 0;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	int xrc = bpfvm_prog_run(prog, &ropts, &r0, &err);
	if (trace && ts.have_prev) {
		/* The last instruction: only r0 can have changed (a helper that
		 * stopped the program); after a fault nothing is reported. */
		uint64_t after[11];
		memcpy(after, ts.prev_regs, sizeof(after));
		if (xrc == 0)
			after[0] = r0;
		trace_flush(&ts, after);
	}
	if (xrc < 0) {
		fflush(stdout);
		cli_error_lib(name, &err);
		rc = cli_exit_for(xrc, 0);
		goto out;
	}
	if (cfg.json) {
		printf("{\"r0\": %" PRIu64 ", \"maps\": {", r0);
		cli_maps_print(stdout, env, 1, 1);
		printf("}}\n");
	} else {
		if (prog_file.nmaps || (obj && bpfvm_obj_map_count(obj))) {
			cli_maps_print(stdout, env, 0, 1);
			putchar('\n');
		}
		printf("0x%" PRIx64 "\n", r0);
	}
	if (fflush(stdout) != 0) {
		cli_error("<stdout>", NULL, "write error");
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	if (prog && !obj)
		bpfvm_prog_free(prog);
	if (obj)
		bpfvm_obj_close(obj);
	if (env)
		bpfvm_env_free(env);
	cli_program_free(&prog_file);
	free(fds);
	free(cfg.maps);
	free(mem);
	free(log);
	return rc;
}
