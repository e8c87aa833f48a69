/* cmd_run_packets.c - `bpfvm run PROGRAM --pcap FILE | --live IFACE`: runs
 * the program once per frame with one reusable execution context and the
 * context its type asks for (struct __sk_buff, struct xdp_md, or raw memory),
 * counts the return values, and reports them with the maps' contents at the
 * end and, on live runs, every --interval seconds; as text or as JSON.
 *
 * Return values: XDP programs are counted per action ((u32)r0: XDP_ABORTED,
 * XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT, others by number); socket
 * filters as accepted and dropped packets and bytes, where, as in the
 * kernel's packet sockets, (u32)r0 = 0 drops the packet and otherwise
 * min((u32)r0, length) bytes of it are kept; raw programs per r0 value. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_maps.h"
#include "cli_run.h"
#include "cli_util.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- counting return values ---- */

struct retslot {
	uint64_t value, count;
	int used;
};

struct returns {
	uint32_t type;
	uint64_t packets, bytes;
	uint64_t accepted, accepted_bytes, dropped, dropped_bytes; /* socket filters */
	struct retslot *tab; /* XDP and raw: open addressing, cap a power of 2 */
	size_t cap, n;
};

static size_t slot_hash(uint64_t v, size_t cap)
{
	return (size_t)((v * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static int count_value(struct returns *r, uint64_t v)
{
	if ((r->n + 1) * 2 > r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct retslot *nt = calloc(ncap, sizeof(*nt));
		if (!nt)
			return -1;
		for (size_t i = 0; i < r->cap; i++) {
			if (!r->tab[i].used)
				continue;
			size_t j = slot_hash(r->tab[i].value, ncap);
			while (nt[j].used)
				j = (j + 1) & (ncap - 1);
			nt[j] = r->tab[i];
		}
		free(r->tab);
		r->tab = nt;
		r->cap = ncap;
	}
	size_t j = slot_hash(v, r->cap);
	while (r->tab[j].used && r->tab[j].value != v)
		j = (j + 1) & (r->cap - 1);
	if (!r->tab[j].used) {
		r->tab[j].used = 1;
		r->tab[j].value = v;
		r->n++;
	}
	r->tab[j].count++;
	return 0;
}

static int count_return(struct returns *r, uint64_t r0, uint32_t len)
{
	r->packets++;
	r->bytes += len;
	if (r->type == BPF_PROG_TYPE_SOCKET_FILTER) {
		uint32_t keep = (uint32_t)r0;
		if (keep == 0) {
			r->dropped++;
			r->dropped_bytes += len;
		} else {
			r->accepted++;
			r->accepted_bytes += keep < len ? keep : len;
		}
		return 0;
	}
	return count_value(r, r->type == BPF_PROG_TYPE_XDP ? (uint32_t)r0 : r0);
}

static int slot_cmp(const void *a, const void *b)
{
	const struct retslot *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* The counted values in increasing order (malloc'd; NULL when none). */
static struct retslot *sorted_values(const struct returns *r)
{
	struct retslot *v = r->n ? malloc(r->n * sizeof(*v)) : NULL;
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < r->cap; i++)
		if (r->tab[i].used)
			v[k++] = r->tab[i];
	qsort(v, k, sizeof(*v), slot_cmp);
	return v;
}

static const char *xdp_action(uint64_t v)
{
	static const char *const names[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};
	return v < 5 ? names[v] : NULL;
}

static const char *type_name(uint32_t type)
{
	return type == BPF_PROG_TYPE_SOCKET_FILTER ? "socket_filter" : type == BPF_PROG_TYPE_XDP ? "xdp" : "raw";
}

/* ---- reports ---- */

static void report_text(const struct returns *r, bpfvm_env *env, int final)
{
	printf("packets: %" PRIu64 "\n", r->packets);
	printf("returns (%s):\n", r->type == BPF_PROG_TYPE_SOCKET_FILTER ? "socket filter" : type_name(r->type));
	if (r->type == BPF_PROG_TYPE_SOCKET_FILTER) {
		printf("  accepted  %10" PRIu64 " packets  %12" PRIu64 " bytes\n", r->accepted, r->accepted_bytes);
		printf("  dropped   %10" PRIu64 " packets  %12" PRIu64 " bytes\n", r->dropped, r->dropped_bytes);
	} else {
		struct retslot *v = sorted_values(r);
		for (size_t i = 0; v && i < r->n; i++) {
			char label[40];
			const char *name = r->type == BPF_PROG_TYPE_XDP ? xdp_action(v[i].value) : NULL;
			if (name)
				snprintf(label, sizeof(label), "%s", name);
			else if (r->type == BPF_PROG_TYPE_XDP)
				snprintf(label, sizeof(label), "%" PRIu64, v[i].value);
			else
				snprintf(label, sizeof(label), "r0 = 0x%" PRIx64, v[i].value);
			printf("  %-14s %10" PRIu64 "\n", label, v[i].count);
		}
		if (r->n && !v)
			printf("  (out of memory)\n");
		free(v);
	}
	if (bpfvm_env_maps(env, NULL, 0)) {
		putchar('\n');
		cli_maps_print(stdout, env, 0, final);
	}
}

static void report_json(const struct returns *r, bpfvm_env *env, int final, int live, double elapsed)
{
	printf("{\"packets\": %" PRIu64 ", \"type\": \"%s\", ", r->packets, type_name(r->type));
	if (live)
		printf("\"seconds\": %.3f, \"final\": %s, ", elapsed, final ? "true" : "false");
	printf("\"returns\": {");
	if (r->type == BPF_PROG_TYPE_SOCKET_FILTER) {
		printf("\"accepted\": %" PRIu64 ", \"accepted_bytes\": %" PRIu64 ", \"dropped\": %" PRIu64
		       ", \"dropped_bytes\": %" PRIu64,
		       r->accepted, r->accepted_bytes, r->dropped, r->dropped_bytes);
	} else {
		struct retslot *v = sorted_values(r);
		for (size_t i = 0; v && i < r->n; i++) {
			const char *name = r->type == BPF_PROG_TYPE_XDP ? xdp_action(v[i].value) : NULL;
			if (name)
				printf("%s\"%s\": %" PRIu64, i ? ", " : "", name, v[i].count);
			else if (r->type == BPF_PROG_TYPE_XDP)
				printf("%s\"%" PRIu64 "\": %" PRIu64, i ? ", " : "", v[i].value, v[i].count);
			else
				printf("%s\"0x%" PRIx64 "\": %" PRIu64, i ? ", " : "", v[i].value, v[i].count);
		}
		free(v);
	}
	printf("}, \"maps\": {");
	cli_maps_print(stdout, env, 1, final);
	printf("}}\n");
}

static int report(const struct cli_run_cfg *cfg, const struct returns *r, bpfvm_env *env, int final, double elapsed)
{
	if (cfg->json) {
		report_json(r, env, final, cfg->live != NULL, elapsed);
	} else {
		if (cfg->interval > 0)
			printf("--- %s after %.1f s ---\n", final ? "final report" : "report", elapsed);
		report_text(r, env, final);
		if (!final)
			putchar('\n');
	}
	if (fflush(stdout) != 0) {
		cli_error("<stdout>", NULL, "write error");
		return CLI_EXIT_INPUT;
	}
	return 0;
}

/* ---- the loop ---- */

/* A packet source error: its message without the source name it starts
 * with (the report line names it already), at err.offset. */
static int source_error(const char *what, const struct bpfvm_error *err)
{
	struct bpfvm_error e = *err;
	size_t wl = strlen(what);
	if (strncmp(e.msg, what, wl) == 0 && e.msg[wl] == ':' && e.msg[wl + 1] == ' ')
		memmove(e.msg, e.msg + wl + 2, strlen(e.msg + wl + 2) + 1);
	e.insn = -1;
	e.line = 0;
	cli_error_lib(what, &e);
	switch (err->code) {
	case BPFVM_EUNSUPP: return CLI_EXIT_UNSUPP;
	default: return CLI_EXIT_INPUT;
	}
}

struct progress {
	int on;        /* stderr is a terminal and the source a file */
	int shown;
	double start, next;
};

static void progress_update(struct progress *p, const bpfvm_pktsrc *src, const char *name, uint64_t frames,
			    double t)
{
	if (!p->on || t < p->next)
		return;
	uint64_t done, total;
	bpfvm_pktsrc_progress(src, &done, &total);
	if (total)
		fprintf(stderr, "\rbpfvm: %s: %3d%% (%" PRIu64 " frames)", name,
			(int)(done >= total ? 100 : done * 100 / total), frames);
	else
		fprintf(stderr, "\rbpfvm: %s: %" PRIu64 " frames", name, frames);
	fflush(stderr);
	p->shown = 1;
	p->next = t + 0.25;
}

static void progress_clear(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

int cli_run_packets(const struct cli_run_cfg *cfg, bpfvm_env *env, const bpfvm_prog *prog)
{
	const char *what = cfg->live ? cfg->live : (strcmp(cfg->pcap, "-") == 0 ? "<stdin>" : cfg->pcap);
	struct bpfvm_error err;
	memset(&err, 0, sizeof(err));
	err.insn = err.offset = -1;
	bpfvm_pktsrc *src = NULL;
	int rc = cfg->live ? bpfvm_pktsrc_open_live(cfg->live, &src, &err)
			   : bpfvm_pktsrc_open_file(cfg->pcap, &src, &err);
	if (rc < 0)
		return source_error(what, &err);

	bpfvm_exec *ex = bpfvm_exec_new(env);
	uint8_t *rawbuf = NULL;
	size_t rawcap = 0;
	struct returns ret;
	memset(&ret, 0, sizeof(ret));
	ret.type = cfg->type;
	if (!ex) {
		cli_error(cfg->name, NULL, "out of memory");
		bpfvm_pktsrc_close(src);
		return CLI_EXIT_INPUT;
	}

	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_requested = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (cfg->live) {
		/* as tcpdump says it: from here on frames are captured and Ctrl-C
		 * ends the run with its report (scripts wait for this line) */
		fprintf(stderr, "bpfvm: listening on %s\n", cfg->live);
		fflush(stderr);
	}

	double t0 = now_s(), t = t0, next_report = t0 + cfg->interval;
	struct progress prog_state = {.on = !cfg->live && isatty(STDERR_FILENO), .start = t0, .next = t0 + 0.5};
	int need_clock = cfg->live || cfg->seconds > 0 || prog_state.on;
	uint32_t ifindex = bpfvm_pktsrc_ifindex(src);
	rc = 0;
	while (!stop_requested) {
		if (cfg->count && ret.packets >= cfg->count)
			break;
		if (need_clock)
			t = now_s();
		if (cfg->seconds > 0 && t - t0 >= cfg->seconds)
			break;
		if (cfg->interval > 0 && t >= next_report) {
			if ((rc = report(cfg, &ret, env, 0, t - t0)))
				break;
			while (next_report <= t)
				next_report += cfg->interval;
		}
		progress_update(&prog_state, src, what, ret.packets, t);

		struct bpfvm_frame f;
		memset(&err, 0, sizeof(err));
		err.insn = err.offset = -1;
		int got = bpfvm_pktsrc_next(src, &f, 100, &err);
		if (got == 0) {
			if (cfg->live)
				continue;
			break;
		}
		if (got < 0) {
			progress_clear(&prog_state);
			rc = source_error(what, &err);
			break;
		}
		struct bpfvm_run_opts ro = {
			.sz = sizeof(ro),
			.engine = cfg->engine, /* unchecked when the program was verified */
			.budget = cfg->budget,
			.wire_len = f.wire_len,
			.ifindex = ifindex,
		};
		if (cfg->type == BPFVM_PROG_TYPE_RAW) {
			/* r1 = a writable copy of the frame, r2 = its length */
			if (f.caplen > rawcap) {
				uint8_t *nb = realloc(rawbuf, f.caplen);
				if (!nb) {
					cli_error(cfg->name, NULL, "out of memory");
					rc = CLI_EXIT_INPUT;
					break;
				}
				rawbuf = nb;
				rawcap = f.caplen;
			}
			if (f.caplen)
				memcpy(rawbuf, f.data, f.caplen);
			ro.mem = f.caplen ? rawbuf : NULL;
			ro.mem_len = f.caplen;
		} else {
			ro.frame = f.data;
			ro.frame_len = f.caplen;
		}
		uint64_t r0 = 0;
		memset(&err, 0, sizeof(err));
		err.insn = err.offset = -1;
		int xrc = bpfvm_exec_run(ex, prog, &ro, &r0, &err);
		if (xrc < 0) {
			progress_clear(&prog_state);
			char where[48] = "";
			if (err.insn >= 0)
				snprintf(where, sizeof(where), "insn %ld", err.insn);
			cli_error(cfg->name, where, "frame %" PRIu64 " of %s: %s", f.index, what,
				  err.msg[0] ? err.msg : bpfvm_strerror(xrc));
			rc = xrc == BPFVM_EINVAL || xrc == BPFVM_ENOMEM ? CLI_EXIT_INPUT : cli_exit_for(xrc, 0);
			break;
		}
		if (count_return(&ret, r0, f.caplen)) {
			cli_error(cfg->name, NULL, "out of memory");
			rc = CLI_EXIT_INPUT;
			break;
		}
	}
	progress_clear(&prog_state);
	/* the handlers stay until the final report is out: a second Ctrl-C (or
	 * `timeout`, which signals the command and then its process group) must
	 * not kill the run while it reports */
	if (rc == 0)
		rc = report(cfg, &ret, env, 1, now_s() - t0);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(ret.tab);
	free(rawbuf);
	bpfvm_exec_free(ex);
	bpfvm_pktsrc_close(src);
	return rc;
}
