/* asm.c - the assembler: eBPF assembly text in the conformance suite's uBPF
 * syntax ("ldxw %r0, [%r1+4]") or LLVM's syntax ("r0 = *(u32 *)(r1 + 4)") to
 * instruction slots.
 *
 * There is no per-mnemonic parser. Every instruction line is matched against
 * the `ubpf` and `llvm` templates of each row of isa_table (opcodes.def), in
 * row order (for each row the uBPF template first, then the LLVM one); the
 * first template that matches the whole line without a range error gives the
 * instruction. Template escapes are documented at the top of opcodes.def.
 * Matching rules:
 *   - a blank in a template matches any run of blanks, including none, but two
 *     identifier characters may not be glued ("call1" is not "call 1");
 *   - blanks are also allowed before any escape and any punctuation literal,
 *     except inside an operator ("+=" cannot be written "+ =");
 *   - a word in a template must match a whole word of the input;
 *   - in uBPF templates a ',' is optional in the input;
 *   - an escape that appears twice ("$D = -$D") must name the same register.
 *
 * Ties, decided by row order:
 *   - `call N` is a helper call (CALL before CALL_LOCAL and CALL_KFUNC, whose
 *     LLVM templates are also "call $c"); in LLVM syntax `call LABEL` is a
 *     bpf-to-bpf call, because CALL's $c takes only numbers and helper names
 *     while $c in a CALL_LOCAL row also takes a target. CALL_KFUNC can only be
 *     written in uBPF syntax (`call runtime N`).
 *   - a helper name (`call bpf_map_lookup_elem`) wins over a label of the same
 *     name.
 * Extra spellings (extra_spellings below): LLVM `rD = wS`, as clang -S prints
 * a zero-extending 32-bit move, is mov32.
 * Escape extras: uBPF `call helper N` is `call N` ($c takes an optional
 * "helper" word in uBPF syntax); `swap16/32/64` are aliases of the uBPF
 * mnemonics `bswap16/32/64`; a 32-bit immediate is decimal -2^31..2^31-1 or
 * hex up to 0xffffffff (a bit pattern); $X/$I take any 64-bit value in hex or
 * decimal (signed or unsigned).
 *
 * Lines: `#` and `//` start comments; `name:` defines a label (alone on a line
 * or before an instruction; it may be the last line, one past the end); the
 * first `exit` defines the implicit label `exit` unless one is written. Lines
 * of llvm-objdump output are accepted too: the address column and raw bytes
 * ("  12:\tb7 00 ...\tr0 = 1"), trailing annotations ("goto +2 <LBB0_2>"),
 * function headers ("0000000000000000 <f>:" defines label f), and the
 * "file format" and "Disassembly of section" lines are skipped. So are the
 * directives that do not change the code (.text .globl .p2align .type .size
 * ...); any other directive is an error, except `.map`.
 *
 * Maps: `.map NAME TYPE key=K value=V entries=N [flags=F]` declares a map
 * (map_directive below checks the name, the type and the sizes each type
 * allows); the lddw rows that take a map index (src 5 and 6) accept its name
 * in place of the index and get the index among the declarations, the
 * text's in order and then the caller's (bpfvm_asm_ex's opts->maps), through
 * a fixup resolved at the end, so a map may be used before it is declared. A
 * name where an fd is expected (src 1 and 2) is an error that suggests the
 * index form. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"

enum { SYN_UBPF, SYN_LLVM, SYN__COUNT };

/* ---- characters (no locale: the input is bytes) ---- */

static int is_blank(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_xdigit(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_ident(int c) { return is_alpha(c) || is_digit(c) || c == '_'; }
static int is_label_start(int c) { return is_alpha(c) || c == '_' || c == '.'; }
static int is_label_char(int c) { return is_ident(c) || c == '.'; }
static int is_operator(int c) { return c && strchr("+-*/%&|^<>=!", c) != NULL; }
static int xval(int c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

static size_t skip_blanks(const char *s, size_t len, size_t p)
{
	while (p < len && is_blank((unsigned char)s[p]))
		p++;
	return p;
}

static size_t word_end(const char *s, size_t len, size_t p)
{
	while (p < len && is_ident((unsigned char)s[p]))
		p++;
	return p;
}

/* Copies n bytes of s into buf as printable text for a message, shortened
 * with "..." when long. */
static const char *quote(char *buf, size_t bufsz, const char *s, size_t n)
{
	size_t max = bufsz - 4, j = 0;
	for (size_t i = 0; i < n && j < max; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : (c == '\t' ? ' ' : '?');
	}
	if (n > max)
		memcpy(buf + j, "...", 3), j += 3;
	buf[j] = 0;
	return buf;
}

/* ---- lexing operands ---- */

/* A register spelled prefix + decimal digits ("%r3", "r3", "w3"). Any number
 * is read, so that "%r11" can be reported as an invalid register. */
static int lex_reg(const char *s, size_t len, size_t p, const char *prefix, long *num, size_t *end)
{
	size_t k = strlen(prefix), q = p + k;
	if (len - p <= k || memcmp(s + p, prefix, k) || !is_digit((unsigned char)s[q]))
		return -1;
	long v = 0;
	for (; q < len && is_digit((unsigned char)s[q]); q++)
		if (v < 100000)
			v = v * 10 + (s[q] - '0');
	if (q < len && is_ident((unsigned char)s[q]))
		return -1;
	*num = v;
	*end = q;
	return 0;
}

struct num {
	int neg, hex, overflow;
	uint64_t mag;
	size_t start, end; /* the text, sign included */
};

/* A number: optional '-' (when sign), then 0x-hex or decimal digits. */
static int lex_num(const char *s, size_t len, size_t p, int sign, struct num *n)
{
	memset(n, 0, sizeof(*n));
	n->start = p;
	if (sign && p < len && s[p] == '-')
		n->neg = 1, p++;
	unsigned base = 10;
	if (len - p >= 3 && s[p] == '0' && (s[p + 1] == 'x' || s[p + 1] == 'X') && is_xdigit((unsigned char)s[p + 2]))
		base = 16, n->hex = 1, p += 2;
	if (p >= len || !(base == 16 ? is_xdigit((unsigned char)s[p]) : is_digit((unsigned char)s[p])))
		return -1;
	for (; p < len && (base == 16 ? is_xdigit((unsigned char)s[p]) : is_digit((unsigned char)s[p])); p++) {
		unsigned d = (unsigned)xval((unsigned char)s[p]);
		if (n->mag > (UINT64_MAX - d) / base)
			n->overflow = 1;
		else
			n->mag = n->mag * base + d;
	}
	if (p < len && is_ident((unsigned char)s[p]))
		return -1;
	n->end = p;
	return 0;
}

/* 32-bit immediate rules: decimal in [-2^31, 2^31-1]; hex up to 0xffffffff,
 * stored as a bit pattern (or -0x80000000..-0x1). */
static int num_imm32(const struct num *n, int32_t *v)
{
	if (n->overflow)
		return -1;
	uint64_t lim = n->neg ? 0x80000000ull : (n->hex ? 0xffffffffull : 0x7fffffffull);
	if (n->mag > lim)
		return -1;
	*v = (int32_t)(n->neg ? (uint32_t)(0u - (uint32_t)n->mag) : (uint32_t)n->mag);
	return 0;
}

/* 64-bit immediate: any unsigned 64-bit magnitude, or down to -2^63. */
static int num_imm64(const struct num *n, uint64_t *v)
{
	if (n->overflow || (n->neg && n->mag > 0x8000000000000000ull))
		return -1;
	*v = n->neg ? 0 - n->mag : n->mag;
	return 0;
}

/* ---- matching one template ---- */

/* The operands a template match fills in. */
struct ops {
	int dst, src;               /* -1 until set */
	size_t dst_pos, dst_len, src_pos, src_len;
	int have_imm, have_off, have_hi;
	int32_t imm, hi;            /* imm and the second lddw slot's imm */
	int16_t off;
	/* a jump or local call target */
	char tgt_field;             /* 0, 'o' (off) or 'i' (imm) */
	int tgt_is_label;
	int64_t tgt_raw;
	size_t tgt_pos, tgt_len;
	/* a map named instead of its index (lddw map_idx NAME) */
	int have_map;
	size_t map_pos, map_len;
};

/* How a match went: `fail` is where it stopped (the line's length when the
 * whole template matched), `expect` what the template wanted there. A range
 * or register error does not stop the match; the first one is kept. */
struct mres {
	int full, first_ok, sem;
	size_t fail, tok;           /* tok: start of the token that failed */
	const char *expect;
	size_t sem_pos;
	char sem_msg[192];
};

static int mfail(struct mres *r, size_t p, const char *expect)
{
	r->fail = r->tok = p;
	r->expect = expect;
	return -1;
}

__attribute__((format(printf, 3, 4))) static void msem(struct mres *r, size_t pos, const char *fmt, ...)
{
	if (r->sem)
		return;
	r->sem = 1;
	r->sem_pos = pos;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->sem_msg, sizeof(r->sem_msg), fmt, ap);
	va_end(ap);
}

/* uBPF mnemonic aliases: the input word on the left matches the template's
 * first word on the right. */
static const char *const ubpf_alias[][2] = {
	{"swap16", "bswap16"}, {"swap32", "bswap32"}, {"swap64", "bswap64"},
};

static int alias_of(const char *in, size_t inlen, const char *tw, size_t tlen)
{
	for (size_t i = 0; i < sizeof(ubpf_alias) / sizeof(ubpf_alias[0]); i++)
		if (strlen(ubpf_alias[i][0]) == inlen && !memcmp(in, ubpf_alias[i][0], inlen) &&
		    strlen(ubpf_alias[i][1]) == tlen && !memcmp(tw, ubpf_alias[i][1], tlen))
			return 1;
	return 0;
}

/* Register escapes $D $S (rN), $d $s (wN), $a $b (either; dst, src); all
 * are %rN in uBPF syntax. */
static int esc_reg(char e, int syn, const char *s, size_t len, size_t *pp, struct ops *o, struct mres *r)
{
	const char *prefix = syn == SYN_UBPF ? "%r" : (e == 'd' || e == 's') ? "w" : "r";
	long num;
	size_t p = *pp, end;
	if (lex_reg(s, len, p, prefix, &num, &end) &&
	    (syn == SYN_UBPF || (e != 'a' && e != 'b') || lex_reg(s, len, p, "w", &num, &end)))
		return mfail(r, p, e == 'd' || e == 's' ? "32-bit register" : "register");
	char q[48];
	if (num > 10)
		msem(r, p, "invalid register '%s'", quote(q, sizeof(q), s + p, end - p));
	int is_dst = e == 'D' || e == 'd' || e == 'a';
	int *slot = is_dst ? &o->dst : &o->src;
	if (*slot >= 0 && *slot != num) {
		char q2[48];
		size_t fp = is_dst ? o->dst_pos : o->src_pos, fl = is_dst ? o->dst_len : o->src_len;
		msem(r, p, "'%s' must be the same register as '%s'", quote(q, sizeof(q), s + p, end - p),
		     quote(q2, sizeof(q2), s + fp, fl));
	} else if (*slot < 0) {
		*slot = num > 15 ? 15 : (int)num;
		if (is_dst)
			o->dst_pos = p, o->dst_len = end - p;
		else
			o->src_pos = p, o->src_len = end - p;
	}
	*pp = end;
	return 0;
}

/* A signed offset "+ N" / "- N" (blanks allowed after the sign), or nothing
 * (0). Range [lo, hi]. */
static int esc_offset(const char *s, size_t len, size_t *pp, int64_t lo, int64_t hi, const char *what,
		      int64_t *v, struct mres *r)
{
	size_t p = *pp;
	*v = 0;
	if (p >= len || (s[p] != '+' && s[p] != '-'))
		return 0; /* empty: offset 0 */
	int neg = s[p] == '-';
	size_t q = skip_blanks(s, len, p + 1);
	struct num n;
	if (lex_num(s, len, q, 0, &n))
		return mfail(r, q, what);
	int64_t val = n.overflow || n.mag > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n.mag;
	if (neg)
		val = -val;
	char qb[48];
	if (val < lo || val > hi)
		msem(r, p, "%s %s%s out of range", what, neg ? "-" : "", quote(qb, sizeof(qb), s + q, n.end - q));
	else
		*v = val;
	*pp = n.end;
	return 0;
}

/* A jump or call target: "+N"/"-N" (raw, slots from the next instruction)
 * or a label. field is 'o' (16-bit off) or 'i' (32-bit imm). */
static int esc_target(const char *s, size_t len, size_t *pp, char field, struct ops *o, struct mres *r)
{
	size_t p = *pp;
	o->tgt_field = field;
	o->tgt_pos = p;
	if (p < len && (s[p] == '+' || s[p] == '-')) {
		struct num n;
		if (lex_num(s, len, p + 1, 0, &n))
			return mfail(r, p, "jump target");
		int64_t lim = field == 'o' ? 32767 : INT32_MAX;
		int64_t val = n.overflow || n.mag > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n.mag;
		if (s[p] == '-')
			val = -val;
		char qb[48];
		if (val > lim || val < -lim - 1)
			msem(r, p, "jump offset %s out of range", quote(qb, sizeof(qb), s + p, n.end - p));
		o->tgt_is_label = 0;
		o->tgt_raw = val;
		o->tgt_len = n.end - p;
		*pp = n.end;
		return 0;
	}
	if (p >= len || !is_label_start((unsigned char)s[p]))
		return mfail(r, p, "jump target");
	size_t q = p;
	while (q < len && is_label_char((unsigned char)s[q]))
		q++;
	o->tgt_is_label = 1;
	o->tgt_len = q - p;
	*pp = q;
	return 0;
}

/* In the lddw rows that take a map (mapref 1: an index, 2: an fd), a name in
 * place of the number. Returns 1 when s[*pp] starts a name (then consumed),
 * else 0. A name is resolved to its index at the end (a fixup); an fd cannot
 * be known when assembling, so a name there is an error that says what to
 * write instead. */
static int esc_map_name(const char *s, size_t len, size_t *pp, int mapref, int syn, struct ops *o, struct mres *r)
{
	size_t p = *pp, q = p;
	if (!mapref || p >= len || !is_label_start((unsigned char)s[p]))
		return 0;
	while (q < len && is_label_char((unsigned char)s[q]))
		q++;
	if (mapref == 2) {
		char qb[48];
		msem(r, p, "a map fd must be a number: refer to map '%s' by index (%s)", quote(qb, sizeof(qb), s + p, q - p),
		     syn == SYN_UBPF ? "lddw %rN, map_idx NAME or map_idx_value NAME, OFF"
				     : "ld_pseudo rN, 5, NAME or ld_pseudo rN, 6, NAME");
	}
	o->have_map = 1;
	o->map_pos = p;
	o->map_len = q - p;
	o->imm = 0;
	o->have_imm = 1;
	*pp = q;
	return 1;
}

/* Helper id by name (the kernel's "bpf_..." names), or -1. */
static long helper_by_name(const char *s, size_t n)
{
	for (uint32_t id = 0; id < 1024; id++) {
		const char *name = isa_helper_name(id);
		if (name && strlen(name) == n && !memcmp(name, s, n))
			return id;
	}
	return -1;
}

/* $c: a helper id (number or name; uBPF allows "helper N"). In a CALL_LOCAL
 * row it is the call target instead (label or +N/-N). */
static int esc_call(int syn, int shape, const char *s, size_t len, size_t *pp, struct ops *o, struct mres *r)
{
	size_t p = *pp;
	if (shape == S_CALL_LOCAL)
		return esc_target(s, len, pp, 'i', o, r);
	size_t w = word_end(s, len, p);
	if (syn == SYN_UBPF && w - p == 6 && !memcmp(s + p, "helper", 6) && w < len && is_blank((unsigned char)s[w]))
		p = skip_blanks(s, len, w);
	struct num n;
	if (!lex_num(s, len, p, 1, &n)) {
		char qb[48];
		if (num_imm32(&n, &o->imm))
			msem(r, p, "helper id %s out of range", quote(qb, sizeof(qb), s + p, n.end - p));
		o->have_imm = 1;
		*pp = n.end;
		return 0;
	}
	w = word_end(s, len, p);
	long id = w > p ? helper_by_name(s + p, w - p) : -1;
	if (id < 0)
		return mfail(r, p, "helper id");
	o->imm = (int32_t)id;
	o->have_imm = 1;
	*pp = w;
	return 0;
}

/* How an expected punctuation character is named in messages. */
static const char *punct_name(int c)
{
	switch (c) {
	case '(': return "'('";
	case ')': return "')'";
	case '[': return "'['";
	case ']': return "']'";
	case ',': return "','";
	case '*': return "'*'";
	case '=': return "'='";
	case '<': return "'<'";
	case '>': return "'>'";
	default: return "operator";
	}
}

/* Matches the whole line s[0, len) against template tpl; r says how it
 * went. Returns 0 on a full match, else -1. */
static int match(const char *tpl, int syn, int shape, int mapref, const char *s, size_t len, struct ops *o,
		 struct mres *r)
{
	size_t p = 0;
	const char *t = tpl;
	int first = 1, prev_op = 0;
	r->full = r->first_ok = r->sem = 0;
	r->fail = r->tok = 0;
	r->expect = NULL;
	memset(o, 0, sizeof(*o));
	o->dst = o->src = -1;

	while (*t) {
		unsigned char c = (unsigned char)*t;
		if (is_blank(c)) {
			while (is_blank((unsigned char)*t))
				t++;
			size_t q = skip_blanks(s, len, p);
			if (q == p && p > 0 && p < len && is_ident((unsigned char)s[p - 1]) && is_ident((unsigned char)s[p]))
				return mfail(r, p, "blank");
			p = q;
			prev_op = 0;
			continue;
		}
		if (c == '$' && t[1]) {
			char e = t[1];
			t += 2;
			p = skip_blanks(s, len, p);
			int rc = 0;
			int64_t v;
			struct num n;
			char qb[48];
			switch (e) {
			case 'D': case 'S': case 'd': case 's': case 'a': case 'b':
				rc = esc_reg(e, syn, s, len, &p, o, r);
				break;
			case 'u': /* unsigned 32-bit (negative values are taken too) */
				if (esc_map_name(s, len, &p, mapref, syn, o, r))
					break;
				if (lex_num(s, len, p, 1, &n)) {
					rc = mfail(r, p, "immediate");
					break;
				}
				if (n.overflow || n.mag > (n.neg ? 0x80000000ull : 0xffffffffull))
					msem(r, p, "immediate %s out of range", quote(qb, sizeof(qb), s + p, n.end - p));
				o->imm = (int32_t)(n.neg ? 0u - (uint32_t)n.mag : (uint32_t)n.mag);
				o->have_imm = 1;
				p = n.end;
				break;
			case 'i': case 'n':
				if (e == 'i' && esc_map_name(s, len, &p, mapref, syn, o, r))
					break;
				if (lex_num(s, len, p, 1, &n)) {
					rc = mfail(r, p, "immediate");
					break;
				}
				if (num_imm32(&n, e == 'i' ? &o->imm : &o->hi))
					msem(r, p, "immediate %s out of range", quote(qb, sizeof(qb), s + p, n.end - p));
				*(e == 'i' ? &o->have_imm : &o->have_hi) = 1;
				p = n.end;
				break;
			case 'X': case 'I': {
				uint64_t u = 0;
				if (lex_num(s, len, p, 1, &n)) {
					rc = mfail(r, p, "64-bit immediate");
					break;
				}
				if (num_imm64(&n, &u))
					msem(r, p, "immediate %s out of range", quote(qb, sizeof(qb), s + p, n.end - p));
				o->imm = (int32_t)(uint32_t)u;
				o->hi = (int32_t)(uint32_t)(u >> 32);
				o->have_imm = o->have_hi = 1;
				p = n.end;
				break;
			}
			case 'o': case 'O':
				rc = esc_offset(s, len, &p, INT16_MIN, INT16_MAX, "offset", &v, r);
				o->off = (int16_t)v;
				o->have_off = 1;
				break;
			case 'k':
				rc = esc_offset(s, len, &p, INT32_MIN, INT32_MAX, "immediate", &v, r);
				o->imm = (int32_t)v;
				o->have_imm = 1;
				break;
			case 't':
				rc = esc_target(s, len, &p, 'o', o, r);
				break;
			case 'T': case 'L':
				rc = esc_target(s, len, &p, 'i', o, r);
				break;
			case 'c':
				rc = esc_call(syn, shape, s, len, &p, o, r);
				break;
			default:
				rc = mfail(r, p, "valid template"); /* unknown escape: never matches */
				break;
			}
			if (rc)
				return -1;
			first = 0;
			r->first_ok = 1;
			prev_op = 0;
			continue;
		}
		if (c == ',' && syn == SYN_UBPF) {
			t++;
			p = skip_blanks(s, len, p);
			if (p < len && s[p] == ',')
				p++;
			prev_op = 0;
			continue;
		}
		if (is_ident(c)) {
			size_t k = 0;
			while (is_ident((unsigned char)t[k]))
				k++;
			size_t q = skip_blanks(s, len, p);
			if (q == p && p > 0 && is_ident((unsigned char)s[p - 1]))
				return mfail(r, p, "blank");
			size_t w = word_end(s, len, q);
			int ok = w - q == k && !memcmp(s + q, t, k);
			if (!ok && first && syn == SYN_UBPF)
				ok = alias_of(s + q, w - q, t, k);
			if (!ok) {
				size_t l = 0;
				while (l < k && q + l < len && s[q + l] == t[l])
					l++;
				mfail(r, q + l, "keyword");
				r->tok = q; /* quote the whole word */
				return -1;
			}
			p = w;
			t += k;
			if (first)
				r->first_ok = 1;
			first = 0;
			prev_op = 0;
			continue;
		}
		/* punctuation: blanks allowed before it, except inside an operator */
		int op = is_operator(c);
		size_t q = (op && prev_op) ? p : skip_blanks(s, len, p);
		if (q >= len || (unsigned char)s[q] != c)
			return mfail(r, q, punct_name(c));
		p = q + 1;
		t++;
		if (first)
			r->first_ok = 1;
		first = 0;
		prev_op = op;
	}
	p = skip_blanks(s, len, p);
	if (p != len)
		return mfail(r, p, "end of line");
	r->full = 1;
	r->fail = len;
	return 0;
}

/* ---- the program being built ---- */

struct label {
	const char *name; /* points into the input text */
	size_t len;
	long pc;
};

struct fixup {
	size_t slot;      /* instruction to patch */
	char field;       /* 'o' or 'i' (a label), 'm' (a map name: imm = its index) */
	const char *name;
	size_t len;
	int line, col;
};

struct asmst {
	const char *text;
	int syntax;
	struct bpf_insn *insns;
	size_t n, cap;
	struct label *labels; /* open addressing, capacity lcap (power of 2) */
	size_t nlabels, lcap;
	struct fixup *fix;
	size_t nfix, fixcap;
	long implicit_exit; /* slot of the first exit, or -1 */
	struct bpfvm_asm_map *maps; /* declared maps by index */
	size_t nmaps, mapcap;
	struct bpfvm_error *err;
	const struct isa_row *rows;
	char first[BPFVM_OP__COUNT][SYN__COUNT]; /* first input char a template needs, or 0 */
	uint8_t word[BPFVM_OP__COUNT][SYN__COUNT]; /* length of the template's leading word, or 0 */
	char after_reg[BPFVM_OP__COUNT][SYN__COUNT]; /* punctuation after a leading register, or 0 */
};

__attribute__((format(printf, 4, 5))) static int asm_fail(struct asmst *st, int line, int col, const char *fmt, ...)
{
	if (st->err) {
		struct bpfvm_error *e = st->err;
		memset(e, 0, sizeof(*e));
		e->code = BPFVM_EASM;
		e->insn = -1;
		e->offset = -1;
		e->line = line;
		e->column = col;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return BPFVM_EASM;
}

static int oom(struct asmst *st)
{
	if (st->err) {
		memset(st->err, 0, sizeof(*st->err));
		st->err->code = BPFVM_ENOMEM;
		st->err->insn = -1;
		st->err->offset = -1;
		snprintf(st->err->msg, sizeof(st->err->msg), "out of memory");
	}
	return BPFVM_ENOMEM;
}

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static struct label *label_find(struct asmst *st, const char *name, size_t len)
{
	if (!st->lcap)
		return NULL;
	for (size_t i = hash(name, len) & (st->lcap - 1);; i = (i + 1) & (st->lcap - 1)) {
		struct label *l = &st->labels[i];
		if (!l->name)
			return NULL;
		if (l->len == len && !memcmp(l->name, name, len))
			return l;
	}
}

static int label_add(struct asmst *st, const char *name, size_t len, long pc)
{
	if ((st->nlabels + 1) * 2 > st->lcap) {
		size_t ncap = st->lcap ? st->lcap * 2 : 64;
		struct label *nl = calloc(ncap, sizeof(*nl));
		if (!nl)
			return -1;
		for (size_t i = 0; i < st->lcap; i++) {
			struct label *l = &st->labels[i];
			if (!l->name)
				continue;
			size_t j = hash(l->name, l->len) & (ncap - 1);
			while (nl[j].name)
				j = (j + 1) & (ncap - 1);
			nl[j] = *l;
		}
		free(st->labels);
		st->labels = nl;
		st->lcap = ncap;
	}
	size_t j = hash(name, len) & (st->lcap - 1);
	while (st->labels[j].name)
		j = (j + 1) & (st->lcap - 1);
	st->labels[j] = (struct label){name, len, pc};
	st->nlabels++;
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* The first input character each template needs and, for templates that
 * start with a register, the punctuation that must follow it (0 when it
 * cannot be told cheaply), so most rows are skipped without running the
 * matcher. A skipped row could only have failed. */
static void build_first(struct asmst *st)
{
	for (int op = 0; op < BPFVM_OP__COUNT; op++)
		for (int syn = 0; syn < SYN__COUNT; syn++) {
			const char *t = syn == SYN_UBPF ? st->rows[op].ubpf : st->rows[op].llvm;
			char f = 0, a = 0;
			if (t && t[0] == '$' && t[1] && strchr("DSdsab", t[1])) {
				if (strchr("DSds", t[1]))
					f = syn == SYN_UBPF ? '%' : (t[1] == 'd' || t[1] == 's') ? 'w' : 'r';
				const char *u = t + 2;
				while (is_blank((unsigned char)*u))
					u++;
				if (*u && *u != '$' && *u != ',' && !is_ident((unsigned char)*u))
					a = *u;
			} else if (t && is_alpha((unsigned char)t[0]) && !(syn == SYN_UBPF && !strncmp(t, "bswap", 5))) {
				f = t[0];
				size_t k = 0;
				while (is_ident((unsigned char)t[k]))
					k++;
				st->word[op][syn] = k < 256 ? (uint8_t)k : 0;
			}
			st->first[op][syn] = f;
			st->after_reg[op][syn] = a;
		}
}

/* The first character after a leading register-like token and blanks, or
 * 0 when the line does not start with one. */
static char char_after_reg(const char *s, size_t len)
{
	size_t p = 0;
	if (p < len && s[p] == '%')
		p++;
	if (p >= len || (s[p] != 'r' && s[p] != 'w'))
		return 0;
	size_t q = ++p;
	while (q < len && is_digit((unsigned char)s[q]))
		q++;
	if (q == p || (q < len && is_ident((unsigned char)s[q])))
		return 0;
	q = skip_blanks(s, len, q);
	return q < len ? s[q] : 0;
}

/* Appends the instruction row op with operands o (s, line, col0: where it
 * was written, for label fixups). */
static int emit(struct asmst *st, int op, const struct ops *o, const char *s, int line, int col0)
{
	const struct isa_row *row = &st->rows[op];
	struct bpf_insn in;
	memset(&in, 0, sizeof(in));
	in.code = row->code;
	if (o->dst >= 0)
		in.dst_reg = o->dst & 0xf;
	if (o->src >= 0)
		in.src_reg = o->src & 0xf;
	if (o->have_off)
		in.off = o->off;
	if (o->have_imm)
		in.imm = o->imm;
	if (o->tgt_field && !o->tgt_is_label) {
		if (o->tgt_field == 'o')
			in.off = (int16_t)o->tgt_raw;
		else
			in.imm = (int32_t)o->tgt_raw;
	}
	/* the row's discriminator last: it decides what the instruction is */
	switch (row->disc_kind) {
	case D_OFF: in.off = (int16_t)row->disc_value; break;
	case D_IMM: in.imm = row->disc_value; break;
	case D_SRC: in.src_reg = row->disc_value & 0xf; break;
	default: break;
	}
	size_t slots = isa_is_lddw(op) ? 2 : 1;
	if (st->n + slots > BPFVM_MAX_INSNS)
		return asm_fail(st, line, col0, "program too long (more than %d slots)", BPFVM_MAX_INSNS);
	if (grow((void **)&st->insns, &st->cap, st->n + slots, sizeof(*st->insns)))
		return oom(st);
	if (o->tgt_field && o->tgt_is_label) {
		if (grow((void **)&st->fix, &st->fixcap, st->nfix + 1, sizeof(*st->fix)))
			return oom(st);
		st->fix[st->nfix++] =
			(struct fixup){st->n, o->tgt_field, s + o->tgt_pos, o->tgt_len, line, col0 + (int)o->tgt_pos};
	}
	if (o->have_map) {
		if (grow((void **)&st->fix, &st->fixcap, st->nfix + 1, sizeof(*st->fix)))
			return oom(st);
		st->fix[st->nfix++] = (struct fixup){st->n, 'm', s + o->map_pos, o->map_len, line, col0 + (int)o->map_pos};
	}
	if (row->shape == S_EXIT && st->implicit_exit < 0)
		st->implicit_exit = (long)st->n;
	st->insns[st->n++] = in;
	if (slots == 2) {
		struct bpf_insn hi;
		memset(&hi, 0, sizeof(hi));
		hi.imm = o->have_hi ? o->hi : 0;
		st->insns[st->n++] = hi;
	}
	return 0;
}

/* Spellings the assembler accepts besides the table's templates, tried after
 * every row. Each is another way to write an existing row (LLVM syntax). */
static const struct {
	int op;
	const char *llvm;
} extra_spellings[] = {
	/* clang -S prints LLVM's MOV_32_64 (a zero-extending 32-bit move, encoded
	 * as mov32) as "rD = wS"; llvm-objdump prints it "wD = wS". */
	{BPFVM_OP_MOV32_REG, "$D = $s"},
};

/* Which lddw rows take a map: 1 by index (a name is resolved to it), 2 by fd
 * (a name is an error), else 0. */
static int mapref_of(int op)
{
	if (op == BPFVM_OP_LDDW_MAP_IDX || op == BPFVM_OP_LDDW_MAP_IDX_VALUE)
		return 1;
	return op == BPFVM_OP_LDDW_MAP_FD || op == BPFVM_OP_LDDW_MAP_VALUE ? 2 : 0;
}

/* Assembles one instruction (s, len: comments, labels and blanks already
 * removed; col0: column of s[0]). */
static int asm_insn(struct asmst *st, const char *s, size_t len, int line, int col0)
{
	struct ops o;
	struct mres r, best;
	int have_best = 0, best_sem_full = 0;
	int syn_lo = st->syntax == BPFVM_SYNTAX_LLVM ? SYN_LLVM : SYN_UBPF;
	int syn_hi = st->syntax == BPFVM_SYNTAX_UBPF ? SYN_UBPF : SYN_LLVM;
	const int nextra = (int)(sizeof(extra_spellings) / sizeof(extra_spellings[0]));
	memset(&best, 0, sizeof(best));
	char after = char_after_reg(s, len);
	size_t w0 = word_end(s, len, 0); /* the line's leading word */

	/* candidates: every row in order (uBPF template, then LLVM), then the
	 * extra spellings */
	for (int c = 0; c < BPFVM_OP__COUNT + nextra; c++) {
		for (int syn = syn_lo; syn <= syn_hi; syn++) {
			int op;
			const char *tpl;
			if (c < BPFVM_OP__COUNT) {
				op = c;
				tpl = syn == SYN_UBPF ? st->rows[op].ubpf : st->rows[op].llvm;
				if (st->first[op][syn] && st->first[op][syn] != s[0])
					continue;
				if (st->after_reg[op][syn] && after && st->after_reg[op][syn] != after)
					continue;
				if (st->word[op][syn] && (st->word[op][syn] != w0 || memcmp(tpl, s, w0)))
					continue;
			} else {
				if (syn != SYN_LLVM)
					continue;
				op = extra_spellings[c - BPFVM_OP__COUNT].op;
				tpl = extra_spellings[c - BPFVM_OP__COUNT].llvm;
			}
			if (!tpl || !*tpl)
				continue;
			match(tpl, syn, st->rows[op].shape, mapref_of(op), s, len, &o, &r);
			if (r.full && !r.sem)
				return emit(st, op, &o, s, line, col0);
			/* keep the most telling failure: a full match with a range
			 * error first, else the one that got furthest */
			if (r.full) {
				if (!best_sem_full) {
					best = r;
					best_sem_full = have_best = 1;
				}
			} else if (!best_sem_full &&
				   (!have_best || r.fail > best.fail || (r.fail == best.fail && r.first_ok && !best.first_ok))) {
				best = r;
				have_best = 1;
			}
		}
	}

	char q[96], q2[48];
	quote(q, sizeof(q), s, len);
	if (best.sem)
		return asm_fail(st, line, col0 + (int)best.sem_pos, "%s", best.sem_msg);
	if (!have_best || !best.first_ok)
		return asm_fail(st, line, col0, "unknown instruction '%s'", q);
	if (best.tok >= len)
		return asm_fail(st, line, col0 + (int)len, "missing operand in '%s'", q);
	size_t e = best.tok;
	if (is_ident((unsigned char)s[e]))
		e = word_end(s, len, e);
	else if (s[e] == '%' || s[e] == '-' || s[e] == '+') {
		e++;
		while (e < len && is_ident((unsigned char)s[e]))
			e++;
	} else
		e++;
	quote(q2, sizeof(q2), s + best.tok, e - best.tok);
	return asm_fail(st, line, col0 + (int)best.tok, "unexpected '%s' in '%s' (expected %s)", q2, q,
			best.expect ? best.expect : "end of line");
}

/* Does s start with word (followed by a non-identifier character)? */
static int starts_word(const char *s, size_t len, const char *word)
{
	size_t k = strlen(word);
	return len >= k && !memcmp(s, word, k) && (len == k || !is_ident((unsigned char)s[k]));
}

static int define_label(struct asmst *st, const char *name, size_t n, int line, int col)
{
	char q[96];
	if (label_find(st, name, n))
		return asm_fail(st, line, col, "duplicate label '%s'", quote(q, sizeof(q), name, n));
	if (label_add(st, name, n, (long)st->n))
		return oom(st);
	return 0;
}

/* ---- map declarations ---- */

/* The .map directive's types (the kernel's numbering) and the key and value
 * sizes each accepts: '+' any size of at least 1, written out; '4' or '0'
 * exactly that (which is also the default when left out). */
static const struct {
	const char *name;
	uint32_t type;
	char key, value;
} map_types[] = {
	{"hash", 1, '+', '+'},       {"array", 2, '4', '+'},          {"prog_array", 3, '4', '4'},
	{"percpu_hash", 5, '+', '+'}, {"percpu_array", 6, '4', '+'},  {"lru_hash", 9, '+', '+'},
	{"lru_percpu_hash", 10, '+', '+'}, {"queue", 22, '0', '+'},   {"stack", 23, '0', '+'},
	{"ringbuf", 27, '0', '0'},
};
#define MAP_TYPES_LIST \
	"array, hash, percpu_array, percpu_hash, lru_hash, lru_percpu_hash, ringbuf, queue, stack or prog_array"
#define NMAP_TYPES (sizeof(map_types) / sizeof(map_types[0]))

int bpfvm_asm_map_type(const char *name, size_t len)
{
	for (size_t i = 0; name && i < NMAP_TYPES; i++)
		if (strlen(map_types[i].name) == len && !memcmp(map_types[i].name, name, len))
			return (int)map_types[i].type;
	return -1;
}

const char *bpfvm_asm_map_type_name(uint32_t type)
{
	for (size_t i = 0; i < NMAP_TYPES; i++)
		if (map_types[i].type == type)
			return map_types[i].name;
	return NULL;
}

static long map_find(const struct asmst *st, const char *name, size_t len)
{
	for (size_t i = 0; i < st->nmaps; i++)
		if (strlen(st->maps[i].name) == len && !memcmp(st->maps[i].name, name, len))
			return (long)i;
	return -1;
}

/* 1 for a valid map name: [A-Za-z_.][A-Za-z0-9_.]*, 1 to 15 characters. */
static int map_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 15 || !is_label_start((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!is_label_char((unsigned char)s[i]))
			return 0;
	return 1;
}

static size_t token_end(const char *s, size_t len, size_t p)
{
	while (p < len && !is_blank((unsigned char)s[p]))
		p++;
	return p;
}

/* Checks a key or value size against the type's rule ('+', '4' or '0');
 * given: whether it was written (at column col), else col is the end of the
 * line. Sets *v to the default when left out. */
static int map_size_rule(struct asmst *st, const char *mname, const char *tname, const char *what, char rule,
			 int given, uint32_t *v, int line, int col)
{
	if (rule == '+') {
		if (!given)
			return asm_fail(st, line, col, "map '%s': missing %s=N (the %s size in bytes)", mname, what, what);
		if (*v == 0)
			return asm_fail(st, line, col, "map '%s': %s maps need a %s size of at least 1", mname, tname, what);
		return 0;
	}
	uint32_t want = (uint32_t)(rule - '0');
	if (!given)
		*v = want;
	else if (*v != want)
		return want ? asm_fail(st, line, col, "map '%s': %s maps have %u-byte %ss, not %s=%u", mname, tname, want,
				       what, what, *v)
			    : asm_fail(st, line, col, "map '%s': %s maps take no %s (%s=0), not %s=%u", mname, tname, what,
				       what, what, *v);
	return 0;
}

/* ".map NAME TYPE key=K value=V entries=N [flags=F]": s[0, n) is the
 * directive without comment, col0 the column of s[0]. */
static int map_directive(struct asmst *st, const char *s, size_t n, int line, int col0)
{
	static const char *const params[] = {"key", "value", "entries", "flags"};
	char q[96];
	size_t p = 4;
	if (p < n && !is_blank((unsigned char)s[p]))
		return asm_fail(st, line, col0, "unsupported directive '%s'", quote(q, sizeof(q), s, n));
	p = skip_blanks(s, n, p);
	if (p >= n)
		return asm_fail(st, line, col0 + (int)p,
				"missing map name: expected '.map NAME TYPE key=K value=V entries=N [flags=F]'");
	size_t ns = p, ne = token_end(s, n, p);
	if (!map_name_ok(s + ns, ne - ns))
		return asm_fail(st, line, col0 + (int)ns,
				ne - ns > 15 && is_label_start((unsigned char)s[ns]) ? "map name '%s' is longer than 15 characters"
				: "bad map name '%s': use letters, digits, '_' and '.', not starting with a digit",
				quote(q, sizeof(q), s + ns, ne - ns));
	struct bpfvm_asm_map m;
	memset(&m, 0, sizeof(m));
	memcpy(m.name, s + ns, ne - ns);
	m.line = line;
	m.column = col0;
	long dup = map_find(st, s + ns, ne - ns);
	if (dup >= 0)
		return asm_fail(st, line, col0 + (int)ns, "duplicate map '%s' (first declared at line %d)", m.name,
				st->maps[dup].line);
	p = skip_blanks(s, n, ne);
	if (p >= n)
		return asm_fail(st, line, col0 + (int)p, "map '%s': missing type (expected %s)", m.name, MAP_TYPES_LIST);
	size_t ts = p, te = token_end(s, n, p);
	int ti = -1;
	for (size_t i = 0; i < NMAP_TYPES; i++)
		if (strlen(map_types[i].name) == te - ts && !memcmp(map_types[i].name, s + ts, te - ts))
			ti = (int)i;
	if (ti < 0)
		return asm_fail(st, line, col0 + (int)ts, "map '%s': unknown map type '%s' (expected %s)", m.name,
				quote(q, sizeof(q), s + ts, te - ts), MAP_TYPES_LIST);
	m.type = map_types[ti].type;

	uint32_t val[4] = {0, 0, 0, 0};
	int col[4] = {0, 0, 0, 0};
	for (p = skip_blanks(s, n, te); p < n; p = skip_blanks(s, n, p)) {
		size_t ws = p, we = word_end(s, n, p);
		int which = -1;
		for (int i = 0; i < 4; i++)
			if (strlen(params[i]) == we - ws && !memcmp(params[i], s + ws, we - ws))
				which = i;
		if (which < 0) {
			size_t e = ws;
			while (e < n && !is_blank((unsigned char)s[e]) && s[e] != '=')
				e++;
			return asm_fail(st, line, col0 + (int)ws,
					"map '%s': unknown parameter '%s' (expected key=, value=, entries= or flags=)", m.name,
					quote(q, sizeof(q), s + ws, e > ws ? e - ws : 1));
		}
		if (col[which])
			return asm_fail(st, line, col0 + (int)ws, "map '%s': %s= given twice", m.name, params[which]);
		p = skip_blanks(s, n, we);
		if (p >= n || s[p] != '=')
			return asm_fail(st, line, col0 + (int)p, "map '%s': expected '=' after '%s'", m.name, params[which]);
		p = skip_blanks(s, n, p + 1);
		struct num num;
		if (lex_num(s, n, p, 0, &num))
			return asm_fail(st, line, col0 + (int)p, "map '%s': %s= needs a number, got '%s'", m.name,
					params[which], quote(q, sizeof(q), s + p, token_end(s, n, p) - p));
		if (num.overflow || num.mag > UINT32_MAX)
			return asm_fail(st, line, col0 + (int)p, "map '%s': %s=%s is out of range (at most 4294967295)",
					m.name, params[which], quote(q, sizeof(q), s + p, num.end - p));
		val[which] = (uint32_t)num.mag;
		col[which] = col0 + (int)p;
		p = num.end;
	}
	int eol = col0 + (int)n;
	const char *tname = map_types[ti].name;
	int rc = map_size_rule(st, m.name, tname, "key", map_types[ti].key, col[0] != 0, &val[0], line,
			       col[0] ? col[0] : eol);
	if (!rc)
		rc = map_size_rule(st, m.name, tname, "value", map_types[ti].value, col[1] != 0, &val[1], line,
				   col[1] ? col[1] : eol);
	if (rc)
		return rc;
	if (!col[2])
		return asm_fail(st, line, eol, "map '%s': missing entries=N (the maximum number of entries)", m.name);
	if (val[2] == 0)
		return asm_fail(st, line, col[2], "map '%s': entries must be at least 1", m.name);
	m.key_size = val[0];
	m.value_size = val[1];
	m.max_entries = val[2];
	m.map_flags = val[3];
	if (grow((void **)&st->maps, &st->mapcap, st->nmaps + 1, sizeof(*st->maps)))
		return oom(st);
	st->maps[st->nmaps++] = m;
	return 0;
}

/* One line of input: comments, objdump decorations and labels, then at most
 * one instruction. */
static int asm_line(struct asmst *st, const char *line, size_t len, int lineno)
{
	/* comments: '#' and '//' to the end of the line */
	for (size_t i = 0; i < len; i++)
		if (line[i] == '#' || (line[i] == '/' && i + 1 < len && line[i + 1] == '/')) {
			len = i;
			break;
		}
	size_t b = skip_blanks(line, len, 0), e = len;
	while (e > b && is_blank((unsigned char)line[e - 1]))
		e--;
	if (b == e)
		return 0;
	const char *s = line + b;
	size_t n = e - b;

	/* llvm-objdump headers */
	if (starts_word(s, n, "Disassembly"))
		return 0;
	for (size_t i = 0; i + 11 <= n; i++)
		if (s[i] == ':' ) {
			size_t j = skip_blanks(s, n, i + 1);
			if (n - j >= 11 && !memcmp(s + j, "file format", 11))
				return 0;
			break;
		}
	if (is_xdigit((unsigned char)s[0])) {
		/* "0000000000000000 <name>:" defines name */
		size_t i = 0;
		while (i < n && is_xdigit((unsigned char)s[i]))
			i++;
		size_t j = skip_blanks(s, n, i);
		if (i >= 8 && j > i && j < n && s[j] == '<' && n >= 3 && s[n - 1] == ':' && s[n - 2] == '>' && n - 2 > j + 1) {
			const char *name = s + j + 1;
			size_t nl = n - 2 - (j + 1);
			int ok = is_label_start((unsigned char)name[0]);
			for (size_t k = 0; k < nl; k++)
				ok &= is_label_char((unsigned char)name[k]);
			if (ok)
				return define_label(st, name, nl, lineno, (int)(b + j + 2));
		}
	}
	/* "  12:\tb7 01 00 00 ...\tinsn": address column and raw bytes */
	if (is_digit((unsigned char)s[0])) {
		size_t i = 0;
		while (i < n && is_xdigit((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == ':' && (i + 1 == n || is_blank((unsigned char)s[i + 1]))) {
			size_t j = skip_blanks(s, n, i + 1);
			for (int k = 0; k < 16 && j + 2 <= n && is_xdigit((unsigned char)s[j]) &&
					is_xdigit((unsigned char)s[j + 1]) && (j + 2 == n || is_blank((unsigned char)s[j + 2]));
			     k++)
				j = skip_blanks(s, n, j + 2);
			if (j == n || (n - j > 6 && !memcmp(s + j, "R_BPF_", 6)))
				return 0;
			b += j;
			s += j;
			n -= j;
		}
	}
	/* labels: "name:" (possibly followed by an instruction) */
	while (n && is_label_start((unsigned char)s[0])) {
		size_t i = 1;
		while (i < n && is_label_char((unsigned char)s[i]))
			i++;
		size_t j = skip_blanks(s, n, i);
		if (j >= n || s[j] != ':')
			break;
		int rc = define_label(st, s, i, lineno, (int)b + 1);
		if (rc)
			return rc;
		j = skip_blanks(s, n, j + 1);
		b += j;
		s += j;
		n -= j;
	}
	if (!n)
		return 0;
	/* directives that do not change the code (as in clang -S output) */
	if (s[0] == '.') {
		static const char *const ignored[] = {
			".text", ".globl", ".global", ".p2align", ".align", ".type", ".size", ".file", ".addrsig",
		};
		size_t w = word_end(s, n, 1);
		if (w == 4 && !memcmp(s, ".map", 4))
			return map_directive(st, s, n, lineno, (int)b + 1);
		for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			if (strlen(ignored[i]) == w && !memcmp(s, ignored[i], w))
				return 0;
		char q[96];
		return asm_fail(st, lineno, (int)b + 1, "unsupported directive '%s'", quote(q, sizeof(q), s, n));
	}
	/* a trailing "<sym+0x18>" annotation (llvm-objdump) */
	if (s[n - 1] == '>') {
		size_t i = n - 1;
		while (i > 0 && s[i - 1] != '<' && !is_blank((unsigned char)s[i - 1]))
			i--;
		if (i >= 2 && s[i - 1] == '<' && is_blank((unsigned char)s[i - 2])) {
			n = i - 1;
			while (n && is_blank((unsigned char)s[n - 1]))
				n--;
		}
	}
	return asm_insn(st, s, n, lineno, (int)b + 1);
}

static int inval(struct bpfvm_error *err, const char *fmt, const char *arg)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = BPFVM_EINVAL;
		err->insn = -1;
		err->offset = -1;
		snprintf(err->msg, sizeof(err->msg), fmt, arg);
	}
	return BPFVM_EINVAL;
}

/* Appends the caller's maps after the text's declarations. */
static int add_caller_maps(struct asmst *st, const struct bpfvm_asm_map *maps, size_t nmaps)
{
	size_t nfile = st->nmaps;
	for (size_t i = 0; i < nmaps; i++) {
		const struct bpfvm_asm_map *m = &maps[i];
		size_t len = strnlen(m->name, sizeof(m->name));
		if (len == sizeof(m->name) || !map_name_ok(m->name, len))
			return inval(st->err, "bad name for a map given to the assembler: '%.15s'", m->name);
		long dup = map_find(st, m->name, len);
		if (dup >= 0 && (size_t)dup < nfile)
			return asm_fail(st, st->maps[dup].line, st->maps[dup].column,
					"duplicate map '%s': a map of that name is also given outside the text", m->name);
		if (dup >= 0)
			return inval(st->err, "map '%s' given twice to the assembler", m->name);
		if (grow((void **)&st->maps, &st->mapcap, st->nmaps + 1, sizeof(*st->maps)))
			return oom(st);
		st->maps[st->nmaps] = *m;
		st->maps[st->nmaps].line = st->maps[st->nmaps].column = 0;
		st->nmaps++;
	}
	return 0;
}

/* Patches label targets and map indices. */
static int resolve_fixups(struct asmst *st)
{
	for (size_t i = 0; i < st->nfix; i++) {
		struct fixup *f = &st->fix[i];
		char q[96];
		if (f->field == 'm') {
			long idx = map_find(st, f->name, f->len);
			if (idx < 0)
				return asm_fail(st, f->line, f->col, "undefined map '%s' (declare it with .map)",
						quote(q, sizeof(q), f->name, f->len));
			st->insns[f->slot].imm = (int32_t)idx;
			continue;
		}
		struct label *l = label_find(st, f->name, f->len);
		long target;
		if (l)
			target = l->pc;
		else if (f->len == 4 && !memcmp(f->name, "exit", 4) && st->implicit_exit >= 0)
			target = st->implicit_exit;
		else
			return asm_fail(st, f->line, f->col, "undefined label '%s'", quote(q, sizeof(q), f->name, f->len));
		long rel = target - ((long)f->slot + 1);
		if (f->field == 'o') {
			if (rel < INT16_MIN || rel > INT16_MAX)
				return asm_fail(st, f->line, f->col, "jump offset out of range: '%s' is %ld slots away",
						quote(q, sizeof(q), f->name, f->len), rel);
			st->insns[f->slot].off = (int16_t)rel;
		} else {
			st->insns[f->slot].imm = (int32_t)rel;
		}
	}
	return 0;
}

int bpfvm_asm_ex(const char *text, size_t len, const struct bpfvm_asm_opts *opts, struct bpfvm_asm_result *res,
		 struct bpfvm_error *err)
{
	struct asmst st;
	memset(&st, 0, sizeof(st));
	st.err = err;
	size_t osz = opts ? opts->sz : 0;
	int syntax = osz >= offsetof(struct bpfvm_asm_opts, syntax) + sizeof(opts->syntax) ? opts->syntax
											     : BPFVM_SYNTAX_AUTO;
	const struct bpfvm_asm_map *xmaps = NULL;
	size_t nxmaps = 0;
	if (osz >= offsetof(struct bpfvm_asm_opts, nmaps) + sizeof(opts->nmaps)) {
		xmaps = opts->maps;
		nxmaps = opts->nmaps;
	}
	if (!res || res->sz < offsetof(struct bpfvm_asm_result, nmaps) + sizeof(res->nmaps) || (!text && len) ||
	    (nxmaps && !xmaps) ||
	    (syntax != BPFVM_SYNTAX_AUTO && syntax != BPFVM_SYNTAX_LLVM && syntax != BPFVM_SYNTAX_UBPF))
		return inval(err, "invalid argument to %s", "bpfvm_asm");
	res->insns = NULL;
	res->n = 0;
	res->maps = NULL;
	res->nmaps = 0;
	st.text = text;
	st.syntax = syntax;
	st.implicit_exit = -1;
	st.rows = isa_table;
	build_first(&st);

	int rc = 0, lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		if (++lineno == 0x7fffffff) {
			rc = asm_fail(&st, lineno, 1, "too many lines");
			break;
		}
		if ((rc = asm_line(&st, text + pos, end - pos, lineno)))
			break;
		pos = end + 1;
	}
	if (!rc && st.n == 0)
		rc = asm_fail(&st, lineno ? lineno : 1, 1, "no instructions");
	if (!rc)
		rc = add_caller_maps(&st, xmaps, nxmaps);
	if (!rc)
		rc = resolve_fixups(&st);
	free(st.labels);
	free(st.fix);
	if (rc) {
		free(st.insns);
		free(st.maps);
		return rc;
	}
	res->insns = st.insns;
	res->n = st.n;
	res->maps = st.maps;
	res->nmaps = st.nmaps;
	return 0;
}

void bpfvm_asm_result_free(struct bpfvm_asm_result *res)
{
	if (!res)
		return;
	free(res->insns);
	free(res->maps);
	res->insns = NULL;
	res->maps = NULL;
	res->n = res->nmaps = 0;
}

int bpfvm_asm(const char *text, size_t len, int syntax, struct bpf_insn **out, size_t *n,
	      struct bpfvm_error *err)
{
	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!out || !n)
		return inval(err, "invalid argument to %s", "bpfvm_asm");
	struct bpfvm_asm_opts opts = {.sz = sizeof(opts), .syntax = syntax};
	struct bpfvm_asm_result res = {.sz = sizeof(res)};
	int rc = bpfvm_asm_ex(text, len, &opts, &res, err);
	if (rc)
		return rc;
	free(res.maps);
	*out = res.insns;
	*n = res.n;
	return 0;
}
