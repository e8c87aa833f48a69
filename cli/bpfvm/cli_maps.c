/* cli_maps.c - maps on the bpfvm command line: parsing --map specs, creating
 * declared maps in order, and printing map contents.
 *
 * What a report shows (docs/cli.md): array maps their non-zero entries, hash
 * maps every entry sorted by key, queue and stack maps their elements in pop
 * order (final report only: reading them empties them), ring buffers the
 * records committed since the previous report, prog_array maps the occupied
 * slots. Keys and values of 1, 2, 4 or 8 bytes print as unsigned integers
 * (host byte order), others as hex bytes. Per-CPU maps print the sum of the
 * CPUs' values when the value is an integer, and every CPU's value in JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_maps.h"
#include "cli_util.h"

/* Kernel numbering (what the .map types name). */
enum {
	T_HASH = 1, T_ARRAY = 2, T_PROG_ARRAY = 3, T_PERCPU_HASH = 5, T_PERCPU_ARRAY = 6,
	T_LRU_HASH = 9, T_LRU_PERCPU_HASH = 10, T_QUEUE = 22, T_STACK = 23, T_RINGBUF = 27,
};
#define KERNEL_ENOTSUPP 524 /* the kernel's internal "not supported" */

/* ---- --map specs ---- */

static int parse_u32(const char *s, size_t len, uint32_t *v)
{
	uint64_t x = 0;
	size_t i = 0;
	unsigned base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, i = 2;
	if (i >= len)
		return -1;
	for (; i < len; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		x = x * base + (unsigned)d;
		if (x > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 15)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int cli_parse_map_spec(const char *cmd, const char *spec, struct bpfvm_asm_map *m)
{
	static const char *const field[] = {"name", "type", "key size", "value size", "entries", "flags"};
	const char *part[6];
	size_t plen[6], n = 0;
	const char *p = spec;
	memset(m, 0, sizeof(*m));
	for (;;) {
		const char *c = strchr(p, ':');
		if (n == 6)
			return cli_usage_error(cmd, "--map '%.80s': too many fields (expected NAME:TYPE:KEY:VALUE:ENTRIES[:FLAGS])",
					       spec);
		part[n] = p;
		plen[n] = c ? (size_t)(c - p) : strlen(p);
		n++;
		if (!c)
			break;
		p = c + 1;
	}
	if (n < 5)
		return cli_usage_error(cmd, "--map '%.80s': expected NAME:TYPE:KEY:VALUE:ENTRIES[:FLAGS]", spec);
	if (!name_ok(part[0], plen[0]))
		return cli_usage_error(cmd, "--map '%.80s': bad map name '%.*s' (1-15 letters, digits, '_' or '.', "
				       "not starting with a digit)", spec, (int)(plen[0] > 64 ? 64 : plen[0]), part[0]);
	memcpy(m->name, part[0], plen[0]);
	int t = bpfvm_asm_map_type(part[1], plen[1]);
	if (t < 0)
		return cli_usage_error(cmd, "--map '%.80s': unknown map type '%.*s' (expected array, hash, percpu_array, "
				       "percpu_hash, lru_hash, lru_percpu_hash, ringbuf, queue, stack or prog_array)",
				       spec, (int)(plen[1] > 64 ? 64 : plen[1]), part[1]);
	m->type = (uint32_t)t;
	uint32_t *dst[] = {NULL, NULL, &m->key_size, &m->value_size, &m->max_entries, &m->map_flags};
	for (size_t i = 2; i < n; i++)
		if (parse_u32(part[i], plen[i], dst[i]))
			return cli_usage_error(cmd, "--map '%.80s': %s '%.*s' is not a number from 0 to 4294967295", spec,
					       field[i], (int)(plen[i] > 64 ? 64 : plen[i]), part[i]);
	return 0;
}

int cli_add_map_spec(const char *cmd, const char *spec, struct bpfvm_asm_map **maps, size_t *n)
{
	struct bpfvm_asm_map m;
	int rc = cli_parse_map_spec(cmd, spec, &m);
	if (rc)
		return rc;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*maps)[i].name, m.name) == 0)
			return cli_usage_error(cmd, "--map '%.80s': map '%s' is given twice", spec, m.name);
	struct bpfvm_asm_map *nm = realloc(*maps, (*n + 1) * sizeof(*nm));
	if (!nm) {
		cli_error(NULL, cmd, "out of memory");
		return CLI_EXIT_INPUT;
	}
	*maps = nm;
	nm[(*n)++] = m;
	return 0;
}

/* ---- creation ---- */

static const char *errno_text(int e)
{
	return e == KERNEL_ENOTSUPP ? "operation not supported" : strerror(e);
}

int cli_create_maps(bpfvm_env *env, const char *file, const struct bpfvm_asm_map *maps, size_t n, int *fds)
{
	for (size_t i = 0; i < n; i++) {
		const struct bpfvm_asm_map *d = &maps[i];
		struct bpfvm_map_opts o = {
			.sz = sizeof(o), .name = d->name, .type = d->type, .key_size = d->key_size,
			.value_size = d->value_size, .max_entries = d->max_entries, .map_flags = d->map_flags,
		};
		int fd = bpfvm_map_create(env, &o);
		if (fd >= 0) {
			fds[i] = fd;
			continue;
		}
		const char *tname = bpfvm_asm_map_type_name(d->type);
		char desc[160];
		snprintf(desc, sizeof(desc), "%s, key %u, value %u, %u entries, flags 0x%x", tname ? tname : "?",
			 d->key_size, d->value_size, d->max_entries, d->map_flags);
		if (d->line > 0) {
			char where[48];
			snprintf(where, sizeof(where), "%d:%d", d->line, d->column > 0 ? d->column : 1);
			cli_error(file, where, "map '%s' (%s): cannot create: %s", d->name, desc, errno_text(-fd));
		} else {
			cli_error("--map", d->name, "map '%s' (%s): cannot create: %s", d->name, desc, errno_text(-fd));
		}
		return CLI_EXIT_INPUT;
	}
	return 0;
}

/* ---- printing ---- */

void cli_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static int is_int_size(uint32_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t read_uint(const uint8_t *p, uint32_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

/* A key or value as text: an unsigned integer, or hex bytes (sep between
 * bytes). Returns buf. */
static const char *fmt_bytes(char *buf, size_t len, const uint8_t *p, uint32_t size, const char *sep)
{
	if (is_int_size(size)) {
		snprintf(buf, len, "%" PRIu64, read_uint(p, size));
		return buf;
	}
	size_t j = 0, sl = strlen(sep);
	buf[0] = 0;
	for (uint32_t i = 0; i < size && j + 3 + sl < len; i++) {
		if (i && sl) {
			memcpy(buf + j, sep, sl);
			j += sl;
		}
		snprintf(buf + j, len - j, "%02x", p[i]);
		j += 2;
	}
	if (size && j + 3 + sl >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

/* One entry of a map: key (NULL for queues and stacks) and the host-side
 * value (every CPU's copy for per-CPU maps). */
struct entry {
	uint8_t *key;
	uint8_t *val;
};

struct mapview {
	bpfvm_map *map;
	struct bpfvm_map_info info;
	int percpu;
	uint32_t stride;  /* per-CPU value stride */
	size_t vbytes;    /* host value size */
	struct entry *e;
	size_t n, cap;
	int truncated;    /* out of memory while collecting */
};

static int view_add(struct mapview *v, const void *key, const void *val)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 16;
		struct entry *ne = realloc(v->e, ncap * sizeof(*ne));
		if (!ne)
			return -1;
		v->e = ne;
		v->cap = ncap;
	}
	struct entry *e = &v->e[v->n];
	e->key = key ? malloc(v->info.key_size ? v->info.key_size : 1) : NULL;
	e->val = malloc(v->vbytes ? v->vbytes : 1);
	if ((key && !e->key) || !e->val) {
		free(e->key);
		free(e->val);
		return -1;
	}
	if (key)
		memcpy(e->key, key, v->info.key_size);
	memcpy(e->val, val, v->vbytes);
	v->n++;
	return 0;
}

static void view_free(struct mapview *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->e[i].key);
		free(v->e[i].val);
	}
	free(v->e);
}

static uint32_t sort_key_size;

static int key_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (is_int_size(sort_key_size)) {
		uint64_t u = read_uint(x->key, sort_key_size), w = read_uint(y->key, sort_key_size);
		return u < w ? -1 : u > w;
	}
	return memcmp(x->key, y->key, sort_key_size);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Reads the entries a report shows (see the file comment). */
static void collect(struct mapview *v, int final)
{
	bpfvm_map *m = v->map;
	const struct bpfvm_map_info *in = &v->info;
	uint8_t *key = calloc(1, in->key_size + 8), *val = calloc(1, v->vbytes + 8);
	uint8_t *next = calloc(1, in->key_size + 8);
	if (!key || !val || !next) {
		v->truncated = 1;
		goto out;
	}
	switch (in->type) {
	case T_ARRAY: case T_PERCPU_ARRAY: case T_PROG_ARRAY:
		for (uint32_t i = 0; i < in->max_entries; i++) {
			memcpy(key, &i, 4);
			if (bpfvm_map_lookup(m, key, val) != 0)
				continue;
			if (in->type != T_PROG_ARRAY && all_zero(val, v->vbytes))
				continue;
			if (view_add(v, key, val)) {
				v->truncated = 1;
				break;
			}
		}
		break;
	case T_QUEUE: case T_STACK:
		if (!final)
			break;
		for (uint32_t i = 0; i < in->max_entries && bpfvm_map_lookup_and_delete(m, NULL, val) == 0; i++)
			if (view_add(v, NULL, val)) {
				v->truncated = 1;
				break;
			}
		break;
	case T_RINGBUF:
		break;
	default: { /* hash maps: every key, then sorted */
		int rc = bpfvm_map_get_next_key(m, NULL, next);
		for (uint32_t i = 0; rc == 0 && i <= in->max_entries; i++) {
			memcpy(key, next, in->key_size);
			if (bpfvm_map_lookup(m, key, val) == 0 && view_add(v, key, val)) {
				v->truncated = 1;
				break;
			}
			rc = bpfvm_map_get_next_key(m, key, next);
		}
		sort_key_size = in->key_size;
		if (v->n > 1)
			qsort(v->e, v->n, sizeof(*v->e), key_cmp);
		break;
	}
	}
out:
	free(key);
	free(val);
	free(next);
}

/* The value column of a text row. */
static const char *text_value(const struct mapview *v, const struct entry *e, char *buf, size_t len)
{
	uint32_t vs = v->info.value_size;
	if (v->info.type == T_PROG_ARRAY)
		vs = 4;
	if (!v->percpu)
		return fmt_bytes(buf, len, e->val, vs, " ");
	if (is_int_size(vs)) {
		uint64_t sum = 0;
		for (uint32_t c = 0; c < v->info.ncpus; c++)
			sum += read_uint(e->val + (size_t)c * v->stride, vs);
		snprintf(buf, len, "%" PRIu64, sum);
		return buf;
	}
	size_t j = 0;
	buf[0] = 0;
	for (uint32_t c = 0; c < v->info.ncpus && j + 16 < len; c++) {
		char one[256];
		int k = snprintf(buf + j, len - j, "%scpu%u: %s", c ? " | " : "", c,
				 fmt_bytes(one, sizeof(one), e->val + (size_t)c * v->stride, vs, " "));
		if (k < 0)
			break;
		j += (size_t)k;
	}
	return buf;
}

struct rb_print {
	FILE *out;
	int json;
	size_t count;
};

static int rb_record(void *cookie, const void *data, size_t size)
{
	struct rb_print *r = cookie;
	const uint8_t *p = data;
	if (r->json) {
		fprintf(r->out, "%s{\"size\": %zu, \"data\": \"", r->count ? ", " : "", size);
		for (size_t i = 0; i < size; i++)
			fprintf(r->out, "%02x", p[i]);
		fputs("\"}", r->out);
	} else {
		fprintf(r->out, "  [%zu bytes]", size);
		for (size_t i = 0; i < size; i++)
			fprintf(r->out, " %02x", p[i]);
		fputc('\n', r->out);
	}
	r->count++;
	return 0;
}

static void print_text(FILE *out, struct mapview *v, int final)
{
	const struct bpfvm_map_info *in = &v->info;
	const char *tname = bpfvm_asm_map_type_name(in->type);
	fprintf(out, "map %s: %s", in->name && *in->name ? in->name : "(unnamed)", tname ? tname : "?");
	if (in->type == T_RINGBUF) {
		fprintf(out, ", %u bytes\n", in->max_entries);
		struct rb_print r = {out, 0, 0};
		int rc = bpfvm_ringbuf_consume(v->map, rb_record, &r);
		if (rc < 0)
			fprintf(out, "  (cannot read the records: %s)\n", errno_text(-rc));
		else if (r.count == 0)
			fprintf(out, "  (no records)\n");
		return;
	}
	if (in->type != T_QUEUE && in->type != T_STACK)
		fprintf(out, ", key %u", in->key_size);
	fprintf(out, ", value %u, %u entries", in->value_size, in->max_entries);
	if (v->percpu)
		fprintf(out, ", %u CPUs%s", in->ncpus, is_int_size(in->value_size) ? " (values summed)" : "");
	if ((in->type == T_QUEUE || in->type == T_STACK) && !final) {
		fprintf(out, ": elements are shown in the final report\n");
		return;
	}
	int one = v->n == 1;
	const char *what = in->type == T_ARRAY || in->type == T_PERCPU_ARRAY ? (one ? "non-zero entry" : "non-zero entries")
			   : in->type == T_QUEUE || in->type == T_STACK ? (one ? "element" : "elements")
			   : in->type == T_PROG_ARRAY ? (one ? "program" : "programs")
			   : (one ? "entry" : "entries");
	fprintf(out, ": %zu %s%s\n", v->n, what, v->truncated ? " (out of memory: list incomplete)" : "");
	if (!v->n)
		return;
	/* two columns, right-aligned to the widest cell */
	char kb[160], vb[1024];
	int kw = 3, vw = 5;
	for (size_t i = 0; i < v->n; i++) {
		int kl = v->e[i].key ? (int)strlen(fmt_bytes(kb, sizeof(kb), v->e[i].key, in->key_size, " ")) : 0;
		int vl = (int)strlen(text_value(v, &v->e[i], vb, sizeof(vb)));
		kw = kl > kw ? kl : kw;
		vw = vl > vw ? vl : vw;
	}
	int keyed = in->type != T_QUEUE && in->type != T_STACK;
	if (keyed)
		fprintf(out, "  %*s  %*s\n", kw, "key", vw, "value");
	else
		fprintf(out, "  %*s\n", vw, "value");
	for (size_t i = 0; i < v->n; i++) {
		text_value(v, &v->e[i], vb, sizeof(vb));
		if (keyed)
			fprintf(out, "  %*s  %*s\n", kw, fmt_bytes(kb, sizeof(kb), v->e[i].key, in->key_size, " "), vw, vb);
		else
			fprintf(out, "  %*s\n", vw, vb);
	}
}

static void json_bytes(FILE *out, const uint8_t *p, uint32_t size)
{
	char buf[32];
	if (is_int_size(size)) {
		fputs(fmt_bytes(buf, sizeof(buf), p, size, ""), out);
		return;
	}
	fputc('"', out);
	for (uint32_t i = 0; i < size; i++)
		fprintf(out, "%02x", p[i]);
	fputc('"', out);
}

static void print_json(FILE *out, struct mapview *v)
{
	const struct bpfvm_map_info *in = &v->info;
	cli_json_string(out, in->name ? in->name : "");
	fputs(": [", out);
	if (in->type == T_RINGBUF) {
		struct rb_print r = {out, 1, 0};
		bpfvm_ringbuf_consume(v->map, rb_record, &r);
		fputc(']', out);
		return;
	}
	uint32_t vs = in->type == T_PROG_ARRAY ? 4 : in->value_size;
	for (size_t i = 0; i < v->n; i++) {
		const struct entry *e = &v->e[i];
		fputs(i ? ", {" : "{", out);
		if (e->key) {
			fputs("\"key\": ", out);
			json_bytes(out, e->key, in->key_size);
			fputs(", ", out);
		}
		if (!v->percpu) {
			fputs("\"value\": ", out);
			json_bytes(out, e->val, vs);
		} else {
			if (is_int_size(vs)) {
				uint64_t sum = 0;
				for (uint32_t c = 0; c < in->ncpus; c++)
					sum += read_uint(e->val + (size_t)c * v->stride, vs);
				fprintf(out, "\"value\": %" PRIu64 ", ", sum);
			}
			fputs("\"cpus\": [", out);
			for (uint32_t c = 0; c < in->ncpus; c++) {
				if (c)
					fputs(", ", out);
				json_bytes(out, e->val + (size_t)c * v->stride, vs);
			}
			fputc(']', out);
		}
		fputc('}', out);
	}
	fputc(']', out);
}

void cli_maps_print(FILE *out, bpfvm_env *env, int json, int final)
{
	size_t n = bpfvm_env_maps(env, NULL, 0);
	bpfvm_map **maps = n ? calloc(n, sizeof(*maps)) : NULL;
	if (n && !maps) {
		cli_error(NULL, NULL, "out of memory while printing the maps");
		return;
	}
	n = bpfvm_env_maps(env, maps, n);
	for (size_t i = 0; i < n; i++) {
		struct mapview v;
		memset(&v, 0, sizeof(v));
		v.map = maps[i];
		bpfvm_map_get_info(v.map, &v.info);
		v.percpu = v.info.type == T_PERCPU_ARRAY || v.info.type == T_PERCPU_HASH ||
			   v.info.type == T_LRU_PERCPU_HASH;
		v.stride = (v.info.value_size + 7u) & ~7u;
		if (v.percpu && v.info.ncpus == 0)
			v.info.ncpus = 1;
		v.vbytes = v.percpu ? (size_t)v.info.ncpus * v.stride
			   : v.info.type == T_PROG_ARRAY ? 4 : v.info.value_size;
		collect(&v, final);
		if (json) {
			if (i)
				fputs(", ", out);
			print_json(out, &v);
		} else {
			if (i)
				fputc('\n', out);
			print_text(out, &v, final);
		}
		view_free(&v);
	}
	free(maps);
}
