/* testutil.c - shared helpers for the cmocka tests (see testutil.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H /* its struct bpf_insn is classic BPF's */
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "testutil.h"
#include "vm.h"

const char *tu_source_dir(void)
{
	const char *d = getenv("BPFVM_SOURCE_DIR");
	return d ? d : ".";
}

const char *tu_build_dir(void)
{
	const char *d = getenv("BPFVM_BUILD_DIR");
	return d ? d : "build";
}

const char *tu_conformance_dir(void)
{
	static char buf[4096];
	const char *d = getenv("BPFVM_CONFORMANCE_DIR");
	if (!d) {
		snprintf(buf, sizeof(buf), "%s/../shared/conformance", tu_source_dir());
		d = buf;
	}
	struct stat st;
	char probe[4200];
	snprintf(probe, sizeof(probe), "%s/tests", d);
	if (stat(probe, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return d;
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

void tu_skip_all(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("SKIP: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(TU_SKIP_STATUS);
}

void tu_register_conformance_helpers(bpfvm_env *env)
{
	vm_register_conformance_helpers(env);
}

int tu_run(const struct bpf_insn *insns, size_t n, const void *mem, size_t mem_len, uint32_t prog_flags,
	   uint64_t *r0, struct bpfvm_error *err)
{
	bpfvm_env *env = bpfvm_env_new();
	if (!env)
		return BPFVM_ENOMEM;
	tu_register_conformance_helpers(env);
	/* without TRUSTED or VERIFY the tests mean the runtime-checked engines */
	if (!(prog_flags & (BPFVM_PROG_F_TRUSTED | BPFVM_PROG_F_VERIFY)))
		prog_flags |= BPFVM_PROG_F_NO_VERIFY;
	struct bpfvm_prog_opts po = { .sz = sizeof(po), .flags = prog_flags };
	bpfvm_prog *prog = NULL;
	int rc = bpfvm_prog_load(env, insns, n, &po, &prog, err);
	if (rc == 0) {
		void *copy = NULL;
		if (mem_len) {
			copy = malloc(mem_len);
			memcpy(copy, mem, mem_len);
		}
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .mem = copy, .mem_len = mem_len };
		rc = bpfvm_prog_run(prog, &ro, r0, err);
		free(copy);
	}
	bpfvm_prog_free(prog);
	bpfvm_env_free(env);
	return rc;
}

uint8_t *tu_hex_decode(const char *hex, size_t *len)
{
	size_t cap = strlen(hex) / 2 + 1, n = 0;
	uint8_t *out = malloc(cap);
	int hi = -1;
	for (const char *p = hex; out && *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		int v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
		if (v < 0 || v > 15) {
			free(out);
			return NULL;
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (out && hi >= 0) {
		free(out);
		return NULL;
	}
	if (len)
		*len = n;
	return out;
}

void tu_read_pcap(const char *path, uint32_t min_len, struct tu_frames *fs)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	if (!p)
		printf("pcap_open_offline %s: %s\n", path, errbuf);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	struct pcap_pkthdr *h;
	const u_char *d;
	memset(fs, 0, sizeof(*fs));
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (h->caplen < min_len)
			continue;
		fs->f = realloc(fs->f, (fs->n + 1) * sizeof(*fs->f));
		assert_non_null(fs->f);
		struct tu_frame *fr = &fs->f[fs->n++];
		fr->data = malloc(h->caplen ? h->caplen : 1);
		assert_non_null(fr->data);
		memcpy(fr->data, d, h->caplen);
		fr->len = h->caplen;
		fr->wire = h->len;
	}
	pcap_close(p);
}

void tu_free_frames(struct tu_frames *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->f[i].data);
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}
