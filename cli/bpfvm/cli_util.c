/* cli_util.c - shared pieces of the bpfvm command line: one-line error
 * reports, a small option parser, reading and atomically writing files, and
 * turning a program file (raw bytecode or assembly) into instruction slots. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_hex.h"
#include "cli_run.h"
#include "cli_util.h"

/* ---- error reports ---- */

/* Copies s to stderr with control characters shown as '?'. */
static void put_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, stderr);
	}
}

void cli_error(const char *file, const char *where, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	fputs("bpfvm: ", stderr);
	if (file && *file) {
		put_clean(file);
		if (where && *where) {
			fputc(':', stderr);
			put_clean(where);
		}
		fputs(": ", stderr);
	} else if (where && *where) {
		put_clean(where);
		fputs(": ", stderr);
	}
	put_clean(msg);
	fputc('\n', stderr);
	fflush(stderr);
}

void cli_error_lib(const char *file, const struct bpfvm_error *err)
{
	char where[64] = "";
	if (err->line > 0)
		snprintf(where, sizeof(where), "%d:%d", err->line, err->column > 0 ? err->column : 1);
	else if (err->insn >= 0)
		snprintf(where, sizeof(where), "insn %ld", err->insn);
	else if (err->offset >= 0)
		snprintf(where, sizeof(where), "offset %ld", err->offset);
	const char *msg = err->msg[0] ? err->msg : bpfvm_strerror(err->code);
	cli_error(file, where, "%s", msg ? msg : "unknown error");
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		cli_error(NULL, cmd, "%s (try 'bpfvm %s --help')", msg, cmd);
	else
		cli_error(NULL, NULL, "%s (try 'bpfvm --help')", msg);
	return CLI_EXIT_USAGE;
}

int cli_exit_for(int code, int load)
{
	switch (code) {
	case BPFVM_OK: return CLI_EXIT_OK;
	case BPFVM_EASM:
	case BPFVM_EFORMAT:
	case BPFVM_EIO:
	case BPFVM_ENOMEM: return CLI_EXIT_INPUT;
	case BPFVM_EUNSUPP: return CLI_EXIT_UNSUPP;
	case BPFVM_EFAULT:
	case BPFVM_EBUDGET:
	case BPFVM_ESTACK: return CLI_EXIT_RUN;
	case BPFVM_EHELPER: return load ? CLI_EXIT_PROG : CLI_EXIT_RUN;
	default: return load ? CLI_EXIT_PROG : CLI_EXIT_RUN;
	}
}

/* ---- option parsing ---- */

void cli_parser_init(struct cli_parser *p, const char *cmd, int argc, char **argv, int first)
{
	p->argc = argc;
	p->argv = argv;
	p->i = first;
	p->only_args = 0;
	p->cmd = cmd;
}

int cli_next_opt(struct cli_parser *p, const struct cli_opt *opts, const char **val)
{
	*val = NULL;
	if (p->i >= p->argc)
		return CLI_OPT_END;
	int at = p->i;
	const char *a = p->argv[p->i++];
	if (p->only_args || a[0] != '-' || a[1] == '\0') {
		*val = a;
		return CLI_OPT_ARG;
	}
	if (strcmp(a, "--") == 0) {
		p->only_args = 1;
		return cli_next_opt(p, opts, val);
	}
	const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
	size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
	for (const struct cli_opt *o = opts; o->name; o++) {
		if (strlen(o->name) != nlen || strncmp(o->name, a, nlen) != 0)
			continue;
		if (!o->has_arg) {
			if (eq) {
				cli_usage_error(p->cmd, "argument %d: option '%s' takes no value", at, o->name);
				return CLI_OPT_ERROR;
			}
			return o->id;
		}
		if (eq) {
			*val = eq + 1;
		} else {
			if (p->i >= p->argc) {
				cli_usage_error(p->cmd, "argument %d: option '%s' needs a value", at, o->name);
				return CLI_OPT_ERROR;
			}
			*val = p->argv[p->i++];
		}
		return o->id;
	}
	cli_usage_error(p->cmd, "argument %d: unknown option '%.*s'", at, (int)(nlen > 64 ? 64 : nlen), a);
	return CLI_OPT_ERROR;
}

/* ---- values ---- */

int cli_parse_format(const char *cmd, const char *s, int *fmt)
{
	if (strcmp(s, "raw") == 0)
		*fmt = CLI_FMT_RAW;
	else if (strcmp(s, "asm") == 0)
		*fmt = CLI_FMT_ASM;
	else if (strcmp(s, "elf") == 0)
		*fmt = CLI_FMT_ELF;
	else if (strcmp(s, "auto") == 0)
		*fmt = CLI_FMT_AUTO;
	else
		return cli_usage_error(cmd, "unknown format '%.64s' (expected raw, asm, elf or auto)", s);
	return 0;
}

int cli_parse_syntax(const char *cmd, const char *s, int allow_auto, int *syntax)
{
	if (strcmp(s, "llvm") == 0)
		*syntax = BPFVM_SYNTAX_LLVM;
	else if (strcmp(s, "ubpf") == 0)
		*syntax = BPFVM_SYNTAX_UBPF;
	else if (allow_auto && strcmp(s, "auto") == 0)
		*syntax = BPFVM_SYNTAX_AUTO;
	else
		return cli_usage_error(cmd, "unknown syntax '%.64s' (expected %sllvm or ubpf)", s,
				       allow_auto ? "auto, " : "");
	return 0;
}

int cli_parse_prog_type(const char *cmd, const char *s, uint32_t *type)
{
	if (strcmp(s, "socket") == 0 || strcmp(s, "socket_filter") == 0)
		*type = BPF_PROG_TYPE_SOCKET_FILTER;
	else if (strcmp(s, "xdp") == 0)
		*type = BPF_PROG_TYPE_XDP;
	else if (strcmp(s, "raw") == 0)
		*type = BPFVM_PROG_TYPE_RAW;
	else
		return cli_usage_error(cmd, "unknown program type '%.64s' (expected socket, xdp or raw)", s);
	return 0;
}

int cli_parse_helper_set(const char *cmd, const char *s, int *set)
{
	if (strcmp(s, "kernel") == 0)
		*set = CLI_HELPERS_KERNEL;
	else if (strcmp(s, "conformance") == 0)
		*set = CLI_HELPERS_CONFORMANCE;
	else
		return cli_usage_error(cmd, "unknown helper set '%.64s' (expected kernel or conformance)", s);
	return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *v)
{
	uint64_t x = 0;
	if (!*s)
		return cli_usage_error(cmd, "%s: empty number", opt);
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return cli_usage_error(cmd, "%s: '%.64s' is not a decimal number", opt, s);
		if (x > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return cli_usage_error(cmd, "%s: '%.64s' is too large", opt, s);
		x = x * 10 + (uint64_t)(*c - '0');
	}
	*v = x;
	return 0;
}

/* ---- files ---- */

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	const char *name = fd == STDIN_FILENO ? "<stdin>" : path;
	*buf = NULL;
	*len = 0;
	if (fd < 0) {
		cli_error(name, NULL, "cannot open: %s", strerror(errno));
		return CLI_EXIT_INPUT;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		cli_error(name, NULL, "is a directory");
		goto fail;
	}
	char where[48];
	snprintf(where, sizeof(where), "offset %zu", max);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		cli_error(name, where, "file too large: %lld bytes, the limit is %zu", (long long)st.st_size, max);
		goto fail;
	}
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap + 1);
	if (!b) {
		cli_error(name, NULL, "out of memory");
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				cli_error(name, where, "file too large: more than %zu bytes", max);
				free(b);
				goto fail;
			}
			size_t ncap = cap * 2;
			uint8_t *nb = realloc(b, ncap + 1);
			if (!nb) {
				cli_error(name, NULL, "out of memory");
				free(b);
				goto fail;
			}
			b = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(where, sizeof(where), "offset %zu", n);
			cli_error(name, where, "read error: %s", strerror(errno));
			free(b);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		cli_error(name, where, "file too large: more than %zu bytes", max);
		free(b);
		goto fail;
	}
	b[n] = 0;
	if (fd != STDIN_FILENO)
		close(fd);
	*buf = b;
	*len = n;
	return 0;
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	return CLI_EXIT_INPUT;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int cli_write_atomic(const char *path, const void *buf, size_t len)
{
	if (strcmp(path, "-") == 0) {
		if (write_all(STDOUT_FILENO, buf, len) < 0) {
			cli_error("<stdout>", NULL, "write error: %s", strerror(errno));
			return CLI_EXIT_INPUT;
		}
		return 0;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".tmp.XXXXXX"));
	if (!tmp) {
		cli_error(path, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	int fd = mkstemp(tmp);
	if (fd < 0) {
		cli_error(path, NULL, "cannot create: %s", strerror(errno));
		free(tmp);
		return CLI_EXIT_INPUT;
	}
	/* mkstemp makes the file 0600; give it the usual mode under the umask. */
	mode_t um = umask(0);
	umask(um);
	int err = 0;
	if (fchmod(fd, 0666 & ~um) < 0 || write_all(fd, buf, len) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		cli_error(path, NULL, "cannot write: %s", strerror(err));
		free(tmp);
		return CLI_EXIT_INPUT;
	}
	free(tmp);
	return 0;
}

int cli_mem_from_hex(const char *what, const char *hex, uint8_t **mem, size_t *len)
{
	size_t pos = 0;
	const char *why = "";
	if (cli_hex_decode(hex, strlen(hex), CLI_MAX_MEM, mem, len, &pos, &why) < 0) {
		char where[48];
		snprintf(where, sizeof(where), "offset %zu", pos);
		unsigned char c = (unsigned char)hex[pos];
		if (strcmp(why, "too many bytes") == 0)
			cli_error(what, where, "memory larger than the limit of %u bytes", CLI_MAX_MEM);
		else if (strcmp(why, "bad hex digit") != 0)
			cli_error(what, where, "%s", why);
		else if (c > 0x20 && c < 0x7f)
			cli_error(what, where, "%s '%c'", why, c);
		else
			cli_error(what, where, "%s (byte 0x%02x)", why, c);
		return CLI_EXIT_INPUT;
	}
	return 0;
}

/* ---- programs ---- */

int cli_is_text(const uint8_t *buf, size_t len, size_t *bad)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		if ((c < 0x20 && !cli_hex_space(c)) || c == 0x7f) {
			*bad = i;
			return 0;
		}
	}
	return 1;
}

int cli_decode_raw(const char *file, const uint8_t *buf, size_t len, struct bpf_insn **insns, size_t *n)
{
	*insns = NULL;
	*n = 0;
	if (len == 0) {
		cli_error(file, "offset 0", "empty program");
		return CLI_EXIT_INPUT;
	}
	if (len % 8) {
		char where[48];
		snprintf(where, sizeof(where), "offset %zu", len - len % 8);
		cli_error(file, where, "%zu trailing byte%s: raw bytecode is 8 bytes per instruction slot", len % 8,
			  len % 8 == 1 ? "" : "s");
		return CLI_EXIT_INPUT;
	}
	size_t cnt = len / 8;
	struct bpf_insn *v = calloc(cnt, sizeof(*v));
	if (!v) {
		cli_error(file, NULL, "out of memory");
		return CLI_EXIT_INPUT;
	}
	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *b = buf + 8 * i;
		v[i].code = b[0];
		v[i].dst_reg = b[1] & 0x0f;
		v[i].src_reg = b[1] >> 4;
		v[i].off = (int16_t)(uint16_t)(b[2] | b[3] << 8);
		v[i].imm = (int32_t)((uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24);
	}
	*insns = v;
	*n = cnt;
	return 0;
}

void cli_encode_raw(const struct bpf_insn *insns, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = out + 8 * i;
		uint16_t off = (uint16_t)insns[i].off;
		uint32_t imm = (uint32_t)insns[i].imm;
		b[0] = insns[i].code;
		b[1] = (uint8_t)(insns[i].dst_reg | insns[i].src_reg << 4);
		b[2] = (uint8_t)off;
		b[3] = (uint8_t)(off >> 8);
		b[4] = (uint8_t)imm;
		b[5] = (uint8_t)(imm >> 8);
		b[6] = (uint8_t)(imm >> 16);
		b[7] = (uint8_t)(imm >> 24);
	}
}

const char *cli_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

static int has_ext(const char *path, const char *ext)
{
	const char *base = cli_basename(path);
	size_t bl = strlen(base), el = strlen(ext);
	return bl > el && strcmp(base + bl - el, ext) == 0;
}

int cli_detect_format(const char *path, const uint8_t *buf, size_t len, int forced)
{
	if (forced != CLI_FMT_AUTO)
		return forced;
	if (len >= 4 && memcmp(buf, "\x7f" "ELF", 4) == 0)
		return CLI_FMT_ELF;
	if (has_ext(path, ".bin"))
		return CLI_FMT_RAW;
	if (has_ext(path, ".s") || has_ext(path, ".S") || has_ext(path, ".asm"))
		return CLI_FMT_ASM;
	return CLI_FMT_AUTO;
}

/* Assembles buf; prints the error and returns an exit code on failure. */
static int assemble(const char *name, const uint8_t *buf, size_t len, int syntax, const struct bpfvm_asm_map *extra,
		    size_t nextra, struct cli_program *out)
{
	size_t bad;
	if (!cli_is_text(buf, len, &bad)) {
		char where[48];
		snprintf(where, sizeof(where), "offset %zu", bad);
		cli_error(name, where, "binary byte 0x%02x in assembly text", buf[bad]);
		return CLI_EXIT_INPUT;
	}
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = -1;
	err.offset = -1;
	struct bpfvm_asm_opts opts = {.sz = sizeof(opts), .syntax = syntax, .maps = extra, .nmaps = nextra};
	struct bpfvm_asm_result res = {.sz = sizeof(res)};
	int rc = bpfvm_asm_ex((const char *)buf, len, &opts, &res, &err);
	if (rc < 0) {
		cli_error_lib(name, &err);
		return cli_exit_for(rc, 1) == CLI_EXIT_UNSUPP ? CLI_EXIT_UNSUPP : CLI_EXIT_INPUT;
	}
	if (res.n == 0) {
		bpfvm_asm_result_free(&res);
		cli_error(name, NULL, "no instructions in the assembly text");
		return CLI_EXIT_INPUT;
	}
	out->insns = res.insns;
	out->n = res.n;
	out->maps = res.maps;
	out->nmaps = res.nmaps;
	out->is_asm = 1;
	return 0;
}

void cli_program_free(struct cli_program *p)
{
	free(p->insns);
	free(p->maps);
	memset(p, 0, sizeof(*p));
}

int cli_load_program(const char *path, int format, int syntax, const struct bpfvm_asm_map *extra, size_t nextra,
		     struct cli_program *out)
{
	uint8_t *buf;
	size_t len;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	memset(out, 0, sizeof(*out));
	int rc = cli_read_file(path, CLI_MAX_INPUT, &buf, &len);
	if (rc)
		return rc;
	int fmt = cli_detect_format(path, buf, len, format);
	if (len == 0 && fmt != CLI_FMT_ELF) {
		cli_error(name, "offset 0", "empty file");
		rc = CLI_EXIT_INPUT;
	} else if (fmt == CLI_FMT_AUTO) {
		/* Raw bytecode never looks like text: every valid program ends in
		 * exit or ja, whose encodings hold NUL or control bytes. So text is
		 * assembled (and its errors reported as assembly errors). */
		size_t bad;
		fmt = cli_is_text(buf, len, &bad) ? CLI_FMT_ASM : CLI_FMT_RAW;
	}
	if (rc == 0) {
		switch (fmt) {
		case CLI_FMT_ELF:
			/* Files are opened by cli_elf.c before this point; only an
			 * object recognised on stdin (or by --jit) gets here. */
			cli_error(name, "offset 0",
				  "ELF objects are not supported here (stdin needs --format elf; disasm --jit takes none)");
			rc = CLI_EXIT_UNSUPP;
			break;
		case CLI_FMT_RAW:
			rc = cli_decode_raw(name, buf, len, &out->insns, &out->n);
			if (rc == 0 && nextra) {
				out->maps = malloc(nextra * sizeof(*extra));
				if (!out->maps) {
					cli_error(name, NULL, "out of memory");
					rc = CLI_EXIT_INPUT;
					break;
				}
				memcpy(out->maps, extra, nextra * sizeof(*extra));
				out->nmaps = nextra;
			}
			break;
		default:
			rc = assemble(name, buf, len, syntax, extra, nextra, out);
			break;
		}
	}
	free(buf);
	if (rc)
		cli_program_free(out);
	return rc;
}

int cli_load_insns(const char *path, int format, int syntax, struct bpf_insn **insns, size_t *n)
{
	struct cli_program p;
	int rc = cli_load_program(path, format, syntax, NULL, 0, &p);
	*insns = p.insns;
	*n = p.n;
	free(p.maps);
	return rc;
}
