/* bpfvm-plugin.c - the plugin that bpf_conformance_runner starts once per
 * test (see shared/conformance/README.md, "Runner <-> plugin protocol"):
 * memory as hex in the first argument unless it starts with "--", the program
 * as hex on stdin (or --program HEX), r0 printed in hex on stdout. Failures
 * exit non-zero with one line on stderr, using the exit codes of `bpfvm`.
 * The program is verified first (for memory of the given length); a
 * verified program runs without run-time checks, any other checked (the
 * suite tests the instruction set, not what a verifier accepts). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvm/cli_hex.h"
#include "bpfvm/cli_util.h"
#include "vm.h"

#define MAX_PROGRAM_HEX (64u << 20) /* characters of program hex read from stdin */

static void fail_msg(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line on stderr: "bpfvm-plugin: WHERE: MESSAGE", control characters
 * replaced so it stays one line. */
static void fail_msg(const char *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (where && *where)
		fprintf(stderr, "bpfvm-plugin: %s: %s\n", where, msg);
	else
		fprintf(stderr, "bpfvm-plugin: %s\n", msg);
}

static void usage(void)
{
	printf("Usage: bpfvm-plugin [MEMORY-HEX] [--engine interp|jit] [--verify MODE]\n"
	       "                    [--program HEX] [--elf]\n"
	       "\n"
	       "The bpf_conformance_runner plugin: reads the program as hex bytes on stdin\n"
	       "(or from --program), runs it with the conformance helpers, r1 pointing to\n"
	       "a copy of MEMORY-HEX and r2 holding its length, and prints r0 in hex. On\n"
	       "failure it prints one line on stderr and exits non-zero.\n"
	       "\n"
	       "Options:\n"
	       "  --engine ENGINE   interp (default: the checked interpreter) or jit (x86-64\n"
	       "                    native code with the same checks and errors)\n"
	       "  --jit             the same as --engine jit (uBPF's spelling); --interpret\n"
	       "                    is --engine interp\n"
	       "  --verify MODE     auto (default): verify the program for memory of that\n"
	       "                    length; run it without run-time checks when the\n"
	       "                    verifier accepts it, with them otherwise; require:\n"
	       "                    a rejected program is an error (exit 1, the reason on\n"
	       "                    stderr); off: never verify, always run checked\n"
	       "  --program HEX     the program as hex instead of stdin\n"
	       "  --elf             ELF programs (not supported yet)\n"
	       "  -h, --help        show this help\n"
	       "\n%s",
	       CLI_EXIT_CODES_HELP);
}

/* Decodes hex; on error prints where and returns CLI_EXIT_INPUT. */
static int decode(const char *what, const char *hex, size_t len, size_t max, uint8_t **out, size_t *outlen)
{
	size_t pos = 0;
	const char *why = "";
	if (cli_hex_decode(hex, len, max, out, outlen, &pos, &why) < 0) {
		char where[96];
		snprintf(where, sizeof(where), "%s: offset %zu", what, pos);
		unsigned char c = (unsigned char)hex[pos];
		if (c >= 0x21 && c < 0x7f)
			fail_msg(where, "%s '%c'", why, c);
		else
			fail_msg(where, "%s", why);
		return CLI_EXIT_INPUT;
	}
	return 0;
}

/* Reads stdin whole into a NUL-terminated malloc'd string. */
static int read_stdin(char **text, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	if (!b) {
		fail_msg("stdin", "out of memory");
		return CLI_EXIT_INPUT;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_PROGRAM_HEX) {
				free(b);
				fail_msg("stdin", "program larger than %u characters of hex", MAX_PROGRAM_HEX);
				return CLI_EXIT_INPUT;
			}
			char *nb = realloc(b, cap * 2 + 1);
			if (!nb) {
				free(b);
				fail_msg("stdin", "out of memory");
				return CLI_EXIT_INPUT;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(STDIN_FILENO, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(b);
			fail_msg("stdin", "read error: %s", strerror(errno));
			return CLI_EXIT_INPUT;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = 0;
	*text = b;
	*len = n;
	return 0;
}

enum verify_mode { VERIFY_AUTO, VERIFY_REQUIRE, VERIFY_OFF };

static int run(const uint8_t *code, size_t code_len, uint8_t *mem, size_t mem_len, int engine, int verify)
{
	if (code_len == 0) {
		fail_msg("program", "empty program");
		return CLI_EXIT_INPUT;
	}
	if (code_len % 8) {
		fail_msg("program", "offset %zu: %zu trailing bytes: 8 bytes per instruction slot", code_len - code_len % 8,
			 code_len % 8);
		return CLI_EXIT_INPUT;
	}
	size_t n = code_len / 8;
	struct bpf_insn *insns = calloc(n, sizeof(*insns));
	if (!insns) {
		fail_msg("program", "out of memory");
		return CLI_EXIT_INPUT;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = code + 8 * i;
		insns[i].code = b[0];
		insns[i].dst_reg = b[1] & 0x0f;
		insns[i].src_reg = b[1] >> 4;
		insns[i].off = (int16_t)(uint16_t)(b[2] | b[3] << 8);
		insns[i].imm = (int32_t)((uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
					 (uint32_t)b[7] << 24);
	}

	int rc;
	bpfvm_prog *prog = NULL;
	bpfvm_env *env = bpfvm_env_new();
	if (!env) {
		free(insns);
		fail_msg(NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	vm_register_conformance_helpers(env);

	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	struct bpfvm_prog_opts popts = {
		.sz = sizeof(popts), .name = "conformance",
		.flags = (engine == BPFVM_ENGINE_JIT ? BPFVM_PROG_F_JIT : 0) |
			 (verify == VERIFY_OFF ? BPFVM_PROG_F_NO_VERIFY : 0),
		.raw_mem_size = (uint32_t)mem_len,
	};
	char where[64];
	rc = bpfvm_prog_load(env, insns, n, &popts, &prog, &err);
	if (rc == BPFVM_EVERIFY && verify == VERIFY_AUTO) {
		popts.flags |= BPFVM_PROG_F_NO_VERIFY;
		rc = bpfvm_prog_load(env, insns, n, &popts, &prog, &err);
	}
	if (rc < 0) {
		snprintf(where, sizeof(where), "insn %ld", err.insn);
		fail_msg(err.insn >= 0 ? where : NULL, "%s", err.msg[0] ? err.msg : bpfvm_strerror(rc));
		rc = rc == BPFVM_EUNSUPP ? CLI_EXIT_UNSUPP : rc == BPFVM_ENOMEM ? CLI_EXIT_INPUT : CLI_EXIT_PROG;
		goto out;
	}
	struct bpfvm_run_opts ropts = {
		.sz = sizeof(ropts),
		.engine = engine,
		.mem = mem,
		.mem_len = mem_len,
	};
	uint64_t r0 = 0;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	rc = bpfvm_prog_run(prog, &ropts, &r0, &err);
	if (rc < 0) {
		snprintf(where, sizeof(where), "insn %ld", err.insn);
		fail_msg(err.insn >= 0 ? where : NULL, "%s", err.msg[0] ? err.msg : bpfvm_strerror(rc));
		rc = rc == BPFVM_EUNSUPP ? CLI_EXIT_UNSUPP : CLI_EXIT_RUN;
		goto out;
	}
	printf("0x%" PRIx64 "\n", r0);
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_INPUT;
out:
	if (prog)
		bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	free(insns);
	return rc;
}

int main(int argc, char **argv)
{
	const char *mem_hex = NULL, *prog_hex = NULL;
	int i = 1, rc, engine = BPFVM_ENGINE_INTERP, verify = VERIFY_AUTO;

	if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
		mem_hex = argv[1];
		i = 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			return CLI_EXIT_OK;
		} else if (strcmp(a, "--engine") == 0 && i + 1 < argc) {
			const char *e = argv[++i];
			if (strcmp(e, "jit") == 0) {
				engine = BPFVM_ENGINE_JIT;
			} else if (strcmp(e, "interp") == 0) {
				engine = BPFVM_ENGINE_INTERP;
			} else {
				fail_msg(NULL, "argument %d: unknown engine '%.64s' (expected interp or jit)", i, e);
				return CLI_EXIT_USAGE;
			}
		} else if (strcmp(a, "--verify") == 0 && i + 1 < argc) {
			const char *m = argv[++i];
			if (strcmp(m, "auto") == 0) {
				verify = VERIFY_AUTO;
			} else if (strcmp(m, "require") == 0) {
				verify = VERIFY_REQUIRE;
			} else if (strcmp(m, "off") == 0) {
				verify = VERIFY_OFF;
			} else {
				fail_msg(NULL, "argument %d: unknown verify mode '%.64s' (expected auto, require or off)", i, m);
				return CLI_EXIT_USAGE;
			}
		} else if (strcmp(a, "--jit") == 0) {
			engine = BPFVM_ENGINE_JIT; /* uBPF's spelling */
		} else if (strcmp(a, "--interpret") == 0) {
			engine = BPFVM_ENGINE_INTERP; /* uBPF's spelling of the default */
		} else if (strcmp(a, "--elf") == 0) {
			fail_msg(NULL, "ELF objects are not supported yet (issue: ELF loader)");
			return CLI_EXIT_UNSUPP;
		} else if (strcmp(a, "--program") == 0 && i + 1 < argc) {
			prog_hex = argv[++i];
		} else if (strcmp(a, "--engine") == 0 || strcmp(a, "--program") == 0 || strcmp(a, "--verify") == 0) {
			fail_msg(NULL, "argument %d: option '%s' needs a value", i, a);
			return CLI_EXIT_USAGE;
		} else {
			fail_msg(NULL, "argument %d: unknown option '%.64s'", i, a);
			return CLI_EXIT_USAGE;
		}
	}

	if (engine == BPFVM_ENGINE_JIT && !bpfvm_jit_available()) {
		fail_msg(NULL, "the JIT engine needs an x86-64 host (use --engine interp)");
		return CLI_EXIT_UNSUPP;
	}
	uint8_t *mem = NULL, *code = NULL;
	size_t mem_len = 0, code_len = 0;
	char *text = NULL;
	if (mem_hex && (rc = decode("memory", mem_hex, strlen(mem_hex), CLI_MAX_MEM, &mem, &mem_len)))
		return rc;
	if (prog_hex) {
		rc = decode("program", prog_hex, strlen(prog_hex), MAX_PROGRAM_HEX, &code, &code_len);
	} else {
		size_t len = 0;
		rc = read_stdin(&text, &len);
		if (!rc)
			rc = decode("program", text, len, MAX_PROGRAM_HEX, &code, &code_len);
	}
	if (!rc)
		rc = run(code, code_len, mem, mem_len, engine, verify);
	free(text);
	free(code);
	free(mem);
	return rc;
}
