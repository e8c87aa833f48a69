/* kernel_bpf.h - a small wrapper around the Linux bpf(2) system call for the
 * tests that use the running kernel as the reference: load a program (with the
 * verifier's log on failure) and run it once or many times with
 * BPF_PROG_TEST_RUN. Plain syscalls, no libbpf.
 *
 * Every function returns 0 (or a file descriptor) on success and -errno on
 * failure; none prints. On systems without <linux/bpf.h> every call fails
 * with -ENOSYS and kbpf_available says why. */
#ifndef BPFVM_KERNEL_BPF_H
#define BPFVM_KERNEL_BPF_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvm/insn.h"

/* 1 when this process can load and run a trivial socket filter (bpf(2)
 * exists, is permitted, and TEST_RUN works); 0 otherwise, with a one-line
 * reason in why (may be NULL). */
int kbpf_available(char *why, size_t why_len);

/* Loads n instruction slots as a program of the given BPF_PROG_TYPE_*, with
 * licence "GPL". Returns the program's fd (close() it) or -errno. When the
 * load fails and log is not NULL, the program is loaded again with the
 * verifier log enabled and log receives the log (NUL-terminated, cut to
 * log_len - 1 characters); on success log is left empty. */
int kbpf_prog_load(uint32_t prog_type, const struct bpf_insn *insns, size_t n, char *log, size_t log_len);

/* Runs the program fd repeat times (0 counts as 1) on data[0..len) with
 * BPF_PROG_TEST_RUN. For a socket filter the kernel treats data as an Ethernet
 * frame and the program sees it from byte 14 on (len must be >= 14). Stores
 * the program's 32-bit return value and the average duration in nanoseconds
 * (either pointer may be NULL). */
int kbpf_test_run(int prog_fd, const void *data, size_t len, uint32_t repeat, uint32_t *retval,
		  uint32_t *duration);

/* The raw system call for callers that need another command: attr points at
 * a union bpf_attr of size bytes. Returns the syscall's value or -errno. */
long kbpf_sys(int cmd, void *attr, size_t size);

#endif
