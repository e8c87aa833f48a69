/* testutil.h - shared helpers for the cmocka tests: where things are, reading
 * files, running a program through the library, skipping with a reason. */
#ifndef BPFVM_TESTUTIL_H
#define BPFVM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bpfvm/bpfvm.h"

/* Load options for the runtime-checked engines (no verifier): the tests
 * that exercise run-time checks and faults load with these. */
#define TU_UNVERIFIED (&(const struct bpfvm_prog_opts){ .sz = sizeof(struct bpfvm_prog_opts), \
							  .flags = BPFVM_PROG_F_NO_VERIFY })

/* Exit status that ctest reports as "skipped" (SKIP_RETURN_CODE). */
#define TU_SKIP_STATUS 77

/* The frames of an Ethernet capture as libpcap reads it: the tests'
 * reference view of a capture, independent of bpfvm's packet sources. */
struct tu_frame {
	uint8_t *data;
	uint32_t len, wire; /* captured and original length */
};
struct tu_frames {
	struct tu_frame *f;
	size_t n;
};
/* Reads path (asserting it opens and is Ethernet), leaving out frames with
 * fewer than min_len captured bytes. */
void tu_read_pcap(const char *path, uint32_t min_len, struct tu_frames *fs);
void tu_free_frames(struct tu_frames *fs);

const char *tu_source_dir(void);      /* repository root */
const char *tu_build_dir(void);       /* CMake build directory */
/* ../shared/conformance, or NULL when absent (a user's clone). */
const char *tu_conformance_dir(void);

/* Reads a whole file; returns malloc'd bytes (NUL-terminated) or NULL. */
char *tu_read_file(const char *path, size_t *len);

/* Prints the reason and exits with TU_SKIP_STATUS: for a test program whose
 * whole subject is missing on this machine. */
void tu_skip_all(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Loads insns in a fresh environment with the conformance helpers (id 5
 * returns r1, ...) and runs them once with a copy of mem. Returns the
 * library's status; on success *r0 is set. flags are bpfvm_prog_flags. */
int tu_run(const struct bpf_insn *insns, size_t n, const void *mem, size_t mem_len, uint32_t prog_flags,
	   uint64_t *r0, struct bpfvm_error *err);

/* Registers the helpers the conformance suite's programs expect (ids 0..5). */
void tu_register_conformance_helpers(bpfvm_env *env);

/* Decodes lowercase/uppercase hex (whitespace ignored) into a malloc'd buffer. */
uint8_t *tu_hex_decode(const char *hex, size_t *len);

#endif
