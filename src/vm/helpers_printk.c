/* helpers_printk.c - bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3), with
 * the kernel's rules (Linux 6.18: bpf_bprintf_prepare + bstr_printf):
 *
 *   - fmt must hold a NUL within fmt_size bytes, else -EINVAL; in checked
 *     runs the fmt_size bytes must be program memory, else -EFAULT;
 *   - every character before the NUL is printable ASCII or white space;
 *   - "%%" is a percent sign; every other conversion takes the next of the
 *     three arguments (a fourth conversion is -EINVAL) and reads
 *     %[0 +-]*[width] then one of
 *       d i u x X, with l or ll before them for 64 bits (else 32 bits);
 *       c; s (followed by NUL, space or punctuation);
 *       p (followed by NUL, space or punctuation), pK px ps pS pB, pks pus
 *       (strings), pi4 pI4 pi6 pI6 (addresses read from the pointer);
 *     anything else is -EINVAL;
 *   - strings and addresses are copied from the pointer "without faulting":
 *     a pointer outside the run's memory gives an empty string (zeroed
 *     address); all strings and arguments share the kernel's 512-byte
 *     argument buffer (-ENOSPC when full, long strings are cut);
 *   - the text is cut to 1023 characters; the result is the length of the
 *     whole text (what snprintf returns).
 *
 * Differences, all in what pointers print as: the kernel hashes %p and %pK
 * with a boot-time secret, bpfvm prints the raw value (16 hex digits, like
 * %px); %ps, %pS and %pB print "0x" and the hex value, as the kernel does for
 * an address that is not a kernel symbol.
 *
 * The line goes to the environment's printk hook, or to stderr, with the
 * prefix trace_pipe shows (see bpfvm_env_set_printk in bpfvm.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "helpers_impl.h"

#define VM_PRINTK_ARGS 3          /* MAX_TRACE_PRINTK_VARARGS */
#define VM_BPRINTF_BUF 1024       /* MAX_BPRINTF_BUF: the text, with its NUL */
#define VM_BPRINTF_BIN_ARGS 512   /* MAX_BPRINTF_BIN_ARGS: arguments and strings */
#define VM_FIELD_WIDTH_MAX ((1 << 23) - 1)

enum conv_kind {
	CONV_INT,  /* spec d u x X, size 4 or 8 */
	CONV_CHAR,
	CONV_TEXT, /* a string prepared in the argument buffer */
};

struct conv {
	size_t end;        /* index in fmt just past the conversion */
	int kind;
	char flags[8];     /* the [0 +-] flags, NUL-terminated */
	int width;         /* -1: none */
	char spec;         /* CONV_INT: d u x X */
	int size;          /* CONV_INT: 4 or 8 */
	int pointer;       /* a %p form: alphanumerics after it are swallowed, as bstr_printf does */
	uint64_t val;
	const char *text;  /* CONV_TEXT */
	char own[24];      /* the text of %ps and %pS, which take no room for it */
};

struct printk_args {
	const bpfvm_exec *ex;
	const uint64_t *raw;
	int nconv;
	struct conv conv[VM_PRINTK_ARGS];
	size_t bin;        /* bytes of the argument buffer used */
	char pool[VM_BPRINTF_BIN_ARGS];
};

static int is_print_or_space(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e) || (c >= '\t' && c <= '\r');
}

static int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int is_punct(unsigned char c)
{
	return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
	       (c >= 0x7b && c <= 0x7e);
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* NUL, space or punctuation: what may follow %p and %s. */
static int ends_word(unsigned char c)
{
	return c == 0 || is_space(c) || is_punct(c);
}

/* Copies the NUL-terminated string at addr into dst (count bytes), reading
 * only the run's memory: returns the bytes used with the NUL, count when the
 * string was cut, or -1 when a byte before the NUL is not readable. */
static long copy_string(const bpfvm_exec *ex, uint64_t addr, char *dst, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (addr + i < addr || !bpfvm_exec_check(ex, addr + i, 1, 0))
			return -1;
		char c = *(const char *)vm_helper_ptr(addr + i);
		dst[i] = c;
		if (!c)
			return (long)i + 1;
	}
	dst[count - 1] = 0;
	return (long)count;
}

/* Puts text (cut to the room left) in the argument buffer as a conversion's
 * string, using len + 1 bytes of it as the kernel does. */
static void put_text(struct printk_args *a, struct conv *c, const char *text)
{
	size_t room = VM_BPRINTF_BIN_ARGS - a->bin;
	char *dst = a->pool + a->bin;
	size_t len = strlen(text);
	if (room) {
		size_t n = len < room - 1 ? len : room - 1;
		memcpy(dst, text, n);
		dst[n] = 0;
	}
	c->kind = CONV_TEXT;
	c->text = room ? dst : "";
	a->bin += len + 1 < room ? len + 1 : room;
}

/* An IPv4 or IPv6 address read from ptr, as %pi4 %pI4 %pi6 %pI6 print it. */
static void format_ip(const bpfvm_exec *ex, uint64_t ptr, char kind, char family, char *out, size_t outlen)
{
	uint8_t ip[16] = { 0 };
	size_t n = family == '4' ? 4 : 16;
	if (bpfvm_exec_check(ex, ptr, n, 0))
		memcpy(ip, vm_helper_ptr(ptr), n);
	if (family == '4') {
		snprintf(out, outlen, kind == 'I' ? "%u.%u.%u.%u" : "%03u.%03u.%03u.%03u", ip[0], ip[1], ip[2], ip[3]);
		return;
	}
	size_t pos = 0;
	for (int i = 0; i < 16; i += 2) {
		int w = snprintf(out + pos, outlen - pos, "%s%02x%02x", kind == 'I' && i ? ":" : "", ip[i], ip[i + 1]);
		pos += (size_t)w;
	}
}

/* Takes room for an integer or pointer argument of size bytes. */
static int take_scalar(struct printk_args *a, int size)
{
	a->bin = (a->bin + 3) & ~(size_t)3;
	if (VM_BPRINTF_BIN_ARGS - a->bin < (size_t)size)
		return -ENOSPC;
	a->bin += (size_t)size;
	return 0;
}

/* Checks fmt[0..len) (len = index of its NUL) and prepares the arguments.
 * 0 or a negative errno. */
static int printk_prepare(struct printk_args *a, const char *fmt, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)fmt[i];
		if (!is_print_or_space(ch))
			return -EINVAL;
		if (ch != '%')
			continue;
		if (fmt[i + 1] == '%') {
			i++;
			continue;
		}
		if (a->nconv >= VM_PRINTK_ARGS)
			return -EINVAL;
		struct conv *c = &a->conv[a->nconv];
		uint64_t arg = a->raw[a->nconv];
		memset(c, 0, sizeof(*c));
		c->width = -1;
		i++;
		size_t nf = 0;
		while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ') {
			if (nf < sizeof(c->flags) - 1)
				c->flags[nf++] = fmt[i];
			i++;
		}
		if (fmt[i] >= '1' && fmt[i] <= '9') {
			long w = 0;
			while (fmt[i] >= '0' && fmt[i] <= '9') {
				if (w <= VM_FIELD_WIDTH_MAX)
					w = w * 10 + (fmt[i] - '0');
				i++;
			}
			c->width = w > VM_FIELD_WIDTH_MAX ? VM_FIELD_WIDTH_MAX : (int)w;
		}
		char f = fmt[i];
		if (f == 'p') {
			char n1 = fmt[i + 1], n2 = n1 ? fmt[i + 2] : 0;
			c->pointer = 1;
			if (ends_word((unsigned char)n1) || n1 == 'K' || n1 == 'x') {
				/* a raw pointer: 16 zero-padded hex digits unless a width is given */
				if (!ends_word((unsigned char)n1))
					i++;
				int rc = take_scalar(a, 8);
				if (rc)
					return rc;
				c->kind = CONV_INT;
				c->spec = 'x';
				c->size = 8;
				c->val = arg;
				if (c->width < 0) {
					c->width = 16;
					if (nf < sizeof(c->flags) - 1)
						c->flags[nf++] = '0';
				}
			} else if ((n1 == 'k' || n1 == 'u') && n2 == 's') {
				i += 2;
				goto string;
			} else if (n1 == 's' || n1 == 'S' || n1 == 'B') {
				i++;
				char sym[24];
				snprintf(sym, sizeof(sym), "0x%" PRIx64, arg);
				if (n1 == 'B') { /* pre-formatted, without a room check, as the kernel does */
					put_text(a, c, sym);
				} else { /* a pointer argument, looked up when printing */
					int rc = take_scalar(a, 8);
					if (rc)
						return rc;
					memcpy(c->own, sym, sizeof(c->own));
					c->kind = CONV_TEXT;
					c->text = c->own;
				}
			} else if ((n1 == 'i' || n1 == 'I') && (n2 == '4' || n2 == '6')) {
				i += 2;
				if (VM_BPRINTF_BIN_ARGS - a->bin < (n2 == '4' ? 4u : 16u))
					return -ENOSPC;
				char ip[48];
				format_ip(a->ex, arg, n1, n2, ip, sizeof(ip));
				put_text(a, c, ip);
			} else {
				return -EINVAL;
			}
		} else if (f == 's') {
		string:
			if (!ends_word((unsigned char)fmt[i + 1]))
				return -EINVAL;
			if (a->bin == VM_BPRINTF_BIN_ARGS)
				return -ENOSPC;
			char *dst = a->pool + a->bin;
			long n = copy_string(a->ex, arg, dst, VM_BPRINTF_BIN_ARGS - a->bin);
			if (n < 0) {
				dst[0] = 0;
				n = 1;
			}
			c->kind = CONV_TEXT;
			c->text = dst;
			a->bin += (size_t)n;
		} else if (f == 'c') {
			if (a->bin == VM_BPRINTF_BIN_ARGS)
				return -ENOSPC;
			a->bin++;
			c->kind = CONV_CHAR;
			c->val = (uint8_t)arg;
		} else {
			int size = 4;
			if (fmt[i] == 'l') {
				size = 8;
				i++;
			}
			if (fmt[i] == 'l')
				i++;
			f = fmt[i];
			if (f != 'i' && f != 'd' && f != 'u' && f != 'x' && f != 'X')
				return -EINVAL;
			int rc = take_scalar(a, size);
			if (rc)
				return rc;
			c->kind = CONV_INT;
			c->spec = f == 'i' ? 'd' : f;
			c->size = size;
			c->val = arg;
		}
		c->end = i + 1;
		a->nconv++;
	}
	return 0;
}

/* Formats fmt[0..len) with the prepared arguments into out (cut to outlen - 1
 * characters); returns the length of the whole text. */
static int printk_render(const struct printk_args *a, const char *fmt, size_t len, char *out, size_t outlen)
{
	size_t pos = 0, total = 0;
	int k = 0;
	for (size_t i = 0; i < len;) {
		if (fmt[i] != '%' || fmt[i + 1] == '%') {
			if (pos < outlen - 1)
				out[pos++] = fmt[i];
			total++;
			i += fmt[i] == '%' ? 2 : 1;
			continue;
		}
		const struct conv *c = &a->conv[k++];
		char spec[32];
		int sl = snprintf(spec, sizeof(spec), "%%%s", c->flags);
		if (c->width >= 0)
			sl += snprintf(spec + sl, sizeof(spec) - (size_t)sl, "%d", c->width);
		int n;
		char *dst = out + pos;
		size_t room = outlen - pos;
		switch (c->kind) {
		case CONV_INT:
			if (c->size == 8) {
				snprintf(spec + sl, sizeof(spec) - (size_t)sl, "ll%c", c->spec);
				n = c->spec == 'd' ? snprintf(dst, room, spec, (long long)c->val)
						   : snprintf(dst, room, spec, (unsigned long long)c->val);
			} else {
				snprintf(spec + sl, sizeof(spec) - (size_t)sl, "%c", c->spec);
				n = c->spec == 'd' ? snprintf(dst, room, spec, (int)(uint32_t)c->val)
						   : snprintf(dst, room, spec, (unsigned)(uint32_t)c->val);
			}
			break;
		case CONV_CHAR:
			snprintf(spec + sl, sizeof(spec) - (size_t)sl, "c");
			n = snprintf(dst, room, spec, (int)(uint8_t)c->val);
			break;
		default:
			snprintf(spec + sl, sizeof(spec) - (size_t)sl, "s");
			n = snprintf(dst, room, spec, c->text);
			break;
		}
		if (n > 0) {
			total += (size_t)n;
			pos = pos + (size_t)n < outlen - 1 ? pos + (size_t)n : outlen - 1;
		}
		i = c->end;
		if (c->pointer)
			while (i < len && is_alnum((unsigned char)fmt[i]))
				i++;
	}
	out[pos] = 0;
	return total > INT32_MAX ? INT32_MAX : (int)total;
}

/* Hands the text to the environment's hook, or stderr, behind the prefix
 * trace_pipe shows: comm-tid [cpu] flags seconds.microseconds: event: */
static void printk_emit(const bpfvm_exec *ex, const char *text)
{
	char comm[17] = { 0 };
	if (prctl(PR_GET_NAME, comm, 0, 0, 0) != 0 || !comm[0])
		snprintf(comm, sizeof(comm), "bpfvm");
	struct timespec ts = { 0, 0 };
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char line[VM_BPRINTF_BUF + 128];
	snprintf(line, sizeof(line), "%16s-%-7ld [%03u] ..... %5lld.%06ld: bpf_trace_printk: %s", comm,
		 (long)syscall(SYS_gettid), ex->cpu, (long long)ts.tv_sec, (long)(ts.tv_nsec / 1000), text);
	if (ex->env->printk)
		ex->env->printk(ex->env->printk_cookie, line);
	else
		fprintf(stderr, "%s\n", line);
}

VM_HELPER_IMPL(vm_helper_trace_printk)
{
	uint32_t size = (uint32_t)r2;
	if (!vm_helper_mem_ok(ex, r1, size, 0))
		return vm_helper_errno(EFAULT);
	const char *fmt = vm_helper_ptr(r1);
	const char *nul = size ? memchr(fmt, 0, size) : NULL;
	if (!nul)
		return vm_helper_errno(EINVAL);
	const uint64_t raw[VM_PRINTK_ARGS] = { r3, r4, r5 };
	struct printk_args a = { .ex = ex, .raw = raw };
	size_t len = (size_t)(nul - fmt);
	int rc = printk_prepare(&a, fmt, len);
	if (rc)
		return vm_helper_errno(-rc);
	char text[VM_BPRINTF_BUF];
	int n = printk_render(&a, fmt, len, text, sizeof(text));
	printk_emit(ex, text);
	return (uint64_t)(int64_t)n;
}
