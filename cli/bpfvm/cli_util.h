/* cli_util.h - what the bpfvm subcommands share: exit codes, one-line error
 * reports, option parsing, reading files, program format detection and
 * decoding, atomic output. Every function that can fail prints its own
 * one-line error on stderr and returns the exit code to use. */
#ifndef BPFVM_CLI_UTIL_H
#define BPFVM_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"

#ifndef BPFVM_VERSION_STRING
#define BPFVM_VERSION_STRING "0.1.0" /* keep in step with project() in CMakeLists.txt */
#endif

/* Exit codes of bpfvm and bpfvm-plugin (documented in docs/cli.md). */
enum cli_exit {
	CLI_EXIT_OK = 0,     /* success */
	CLI_EXIT_PROG = 1,   /* the program was refused at load: bad bytecode, validation, unknown helper */
	CLI_EXIT_USAGE = 2,  /* bad command line */
	CLI_EXIT_INPUT = 3,  /* input error: file missing/unreadable, bad hex, bad format, assembly syntax */
	CLI_EXIT_RUN = 4,    /* run-time fault: memory, budget, unknown helper (callx), call depth */
	CLI_EXIT_UNSUPP = 5, /* valid input that bpfvm cannot handle (yet): ELF, the JIT off x86-64 */
};

/* The exit-code table as help text (every --help of bpfvm and bpfvm-plugin). */
#define CLI_EXIT_CODES_HELP \
	"Exit codes:\n" \
	"  0  success\n" \
	"  1  program refused at load (unknown opcode, bad jump, validation, unknown helper,\n" \
	"     map index or fd that names no map, rejected by the verifier)\n" \
	"  2  usage error (bad options or arguments, bad --map spec)\n" \
	"  3  input error (file missing or unreadable, bad hex, bad format, assembly syntax,\n" \
	"     bad map declaration, map that cannot be created, bad or truncated capture file)\n" \
	"  4  run-time fault (memory access, instruction budget, unknown callx target, call depth)\n" \
	"  5  unsupported (ELF objects, the JIT engine off x86-64, capture link types other\n" \
	"     than Ethernet, cooked, raw IP or loopback)\n"

#define CLI_MAX_INPUT (256u << 20) /* largest program file read */
#define CLI_MAX_MEM (64u << 20)    /* largest input memory for `run` */

/* ---- error reports ---- */

/* Prints "bpfvm: FILE:WHERE: MESSAGE" (": WHERE" left out when where is NULL
 * or empty) as one line on stderr; control characters in the message are
 * replaced so the report stays on one line. */
void cli_error(const char *file, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for a library error: where is "insn N", "LINE:COL" or "offset N"
 * taken from err. */
void cli_error_lib(const char *file, const struct bpfvm_error *err);
/* "bpfvm: CMD: MESSAGE (try 'bpfvm CMD --help')"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for a library error code at load (load = 1) or run time. */
int cli_exit_for(int code, int load);

/* ---- option parsing ---- */

struct cli_opt {
	const char *name; /* "--mem", or "-o" */
	int has_arg;
	int id;           /* > 0 */
};

struct cli_parser {
	int argc;
	char **argv;
	int i;             /* next argument */
	int only_args;     /* after "--" */
	const char *cmd;   /* subcommand name, for messages */
};

enum { CLI_OPT_END = -1, CLI_OPT_ERROR = -2, CLI_OPT_ARG = 0 };

/* Starts parsing argv[first..argc). */
void cli_parser_init(struct cli_parser *p, const char *cmd, int argc, char **argv, int first);
/* The next item: an option id (*val = its argument or NULL), CLI_OPT_ARG for a
 * positional argument (*val = it), CLI_OPT_END, or CLI_OPT_ERROR after
 * printing a usage error. "--name=value" and "--name value" both work; "-"
 * alone is positional. */
int cli_next_opt(struct cli_parser *p, const struct cli_opt *opts, const char **val);

/* ---- values ---- */

enum cli_format { CLI_FMT_AUTO = 0, CLI_FMT_RAW, CLI_FMT_ASM, CLI_FMT_ELF };

/* Parse option values; return 0 or print a usage error and return CLI_EXIT_USAGE. */
int cli_parse_format(const char *cmd, const char *s, int *fmt);
int cli_parse_syntax(const char *cmd, const char *s, int allow_auto, int *syntax);
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *v);
/* --type: socket (or socket_filter), xdp, raw. */
int cli_parse_prog_type(const char *cmd, const char *s, uint32_t *type);
/* --helpers: kernel or conformance (*set: enum cli_helpers of cli_run.h). */
int cli_parse_helper_set(const char *cmd, const char *s, int *set);

/* ---- files ---- */

/* Reads a whole file ("-" is stdin), at most max bytes. *buf is malloc'd and
 * NUL-terminated (not counted in *len). Returns 0 or an exit code. */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/* Writes len bytes to path ("-" is stdout) through a temporary file in the
 * same directory renamed into place, so a failure leaves nothing behind.
 * Returns 0 or an exit code. */
int cli_write_atomic(const char *path, const void *buf, size_t len);

/* Decodes --mem hex (see cli_hex.h) into a malloc'd buffer (NULL when empty).
 * what names the source in errors ("--mem"). Returns 0 or an exit code. */
int cli_mem_from_hex(const char *what, const char *hex, uint8_t **mem, size_t *len);

/* ---- programs ---- */

/* 1 when buf looks like text: no NUL and no control bytes other than
 * whitespace (bytes >= 0x80 are allowed). Sets *bad to the first offending
 * offset otherwise. */
int cli_is_text(const uint8_t *buf, size_t len, size_t *bad);

/* Raw little-endian bytecode <-> instruction slots, independent of the host's
 * byte order. cli_decode_raw checks the size (a multiple of 8, not empty). */
int cli_decode_raw(const char *file, const uint8_t *buf, size_t len, struct bpf_insn **insns, size_t *n);
void cli_encode_raw(const struct bpf_insn *insns, size_t n, uint8_t *out);

/* The format of a program file: forced, else ELF magic, else the extension
 * (.bin raw; .s/.asm asm), else CLI_FMT_AUTO (decided by content). */
int cli_detect_format(const char *path, const uint8_t *buf, size_t len, int forced);

/* Reads PROGRAM and turns it into instruction slots (*insns malloc'd).
 * syntax is the assembler syntax for text input. Returns 0 or an exit code. */
int cli_load_insns(const char *path, int format, int syntax, struct bpf_insn **insns, size_t *n);

/* A program file with its maps: the .map declarations of assembly text,
 * then the extra maps given on the command line (--map), in index order. */
struct cli_program {
	struct bpf_insn *insns; /* malloc'd */
	size_t n;
	struct bpfvm_asm_map *maps; /* malloc'd; NULL when none */
	size_t nmaps;
	int is_asm;             /* the file was assembly text */
};

/* Like cli_load_insns; extra (nextra maps, copied) are appended after the
 * file's own declarations, and assembly may refer to them by name. Returns 0
 * or an exit code (the error printed). */
int cli_load_program(const char *path, int format, int syntax, const struct bpfvm_asm_map *extra, size_t nextra,
		     struct cli_program *out);
void cli_program_free(struct cli_program *p);

/* The last path component, for program names. */
const char *cli_basename(const char *path);

/* ---- subcommands ---- */
int cli_cmd_asm(int argc, char **argv);
int cli_cmd_disasm(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);

#endif
