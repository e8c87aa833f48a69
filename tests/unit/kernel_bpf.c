/* kernel_bpf.c - the bpf(2) wrapper of kernel_bpf.h: program load with the
 * verifier log, BPF_PROG_TEST_RUN, and an availability probe. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel_bpf.h"

#if defined(__linux__) && defined(BPFVM_HAVE_LINUX_BPF_H)
#include <sys/syscall.h>

long kbpf_sys(int cmd, void *attr, size_t size)
{
#ifdef __NR_bpf
	long rc = syscall(__NR_bpf, cmd, attr, (unsigned long)size);
	return rc < 0 ? -errno : rc;
#else
	(void)cmd, (void)attr, (void)size;
	return -ENOSYS;
#endif
}

static int load_once(uint32_t prog_type, const struct bpf_insn *insns, size_t n, char *log, size_t log_len,
		     uint32_t log_level)
{
	static const char license[] = "GPL";
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = prog_type;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)license;
	if (log_level && log && log_len) {
		attr.log_level = log_level;
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = log_len > UINT32_MAX ? UINT32_MAX : (uint32_t)log_len;
	}
	long rc;
	int tries = 0;
	do /* EAGAIN: the verifier was interrupted; libbpf retries a few times too */
		rc = kbpf_sys(BPF_PROG_LOAD, &attr, sizeof(attr));
	while (rc == -EAGAIN && ++tries < 5);
	return (int)rc;
}

int kbpf_prog_load(uint32_t prog_type, const struct bpf_insn *insns, size_t n, char *log, size_t log_len)
{
	if (!insns || n == 0 || n > UINT32_MAX)
		return -EINVAL;
	if (log && log_len)
		log[0] = 0;
	int fd = load_once(prog_type, insns, n, NULL, 0, 0);
	if (fd >= 0 || !log || log_len < 2)
		return fd;
	int again = load_once(prog_type, insns, n, log, log_len, 1);
	if (again >= 0) { /* accepted the second time (should not happen): keep this one */
		log[0] = 0;
		return again;
	}
	log[log_len - 1] = 0;
	return fd;
}

int kbpf_test_run(int prog_fd, const void *data, size_t len, uint32_t repeat, uint32_t *retval,
		  uint32_t *duration)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog_fd;
	attr.test.data_in = (uint64_t)(uintptr_t)data;
	attr.test.data_size_in = (uint32_t)len;
	attr.test.repeat = repeat;
	long rc = kbpf_sys(BPF_PROG_TEST_RUN, &attr, sizeof(attr));
	if (rc < 0)
		return (int)rc;
	if (retval)
		*retval = attr.test.retval;
	if (duration)
		*duration = attr.test.duration;
	return 0;
}

int kbpf_available(char *why, size_t why_len)
{
	char dummy[1];
	if (!why || !why_len) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	why[0] = 0;
	/* r0 = 7; exit */
	const struct bpf_insn prog[] = { BPF_MOV64_IMM(BPF_REG_0, 7), BPF_EXIT_INSN() };
	char log[512];
	int fd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, prog, 2, log, sizeof(log));
	if (fd < 0) {
		if (fd == -ENOSYS)
			snprintf(why, why_len, "bpf(2) is not available (ENOSYS)");
		else if (fd == -EPERM || fd == -EACCES)
			snprintf(why, why_len, "bpf(2) is not permitted (%s); run as root or with CAP_BPF",
				 strerror(-fd));
		else
			snprintf(why, why_len, "loading a trivial socket filter failed: %s%s%.200s", strerror(-fd),
				 log[0] ? ": " : "", log);
		return 0;
	}
	uint8_t frame[64] = { 0 };
	uint32_t ret = 0;
	int rc = kbpf_test_run(fd, frame, sizeof(frame), 1, &ret, NULL);
	close(fd);
	if (rc < 0) {
		snprintf(why, why_len, "BPF_PROG_TEST_RUN on a socket filter failed: %s", strerror(-rc));
		return 0;
	}
	if (ret != 7) {
		snprintf(why, why_len, "BPF_PROG_TEST_RUN returned %u for a program returning 7", ret);
		return 0;
	}
	return 1;
}

#else /* no Linux bpf(2) */

long kbpf_sys(int cmd, void *attr, size_t size)
{
	(void)cmd, (void)attr, (void)size;
	return -ENOSYS;
}

int kbpf_prog_load(uint32_t prog_type, const struct bpf_insn *insns, size_t n, char *log, size_t log_len)
{
	(void)prog_type, (void)insns, (void)n;
	if (log && log_len)
		log[0] = 0;
	return -ENOSYS;
}

int kbpf_test_run(int prog_fd, const void *data, size_t len, uint32_t repeat, uint32_t *retval,
		  uint32_t *duration)
{
	(void)prog_fd, (void)data, (void)len, (void)repeat, (void)retval, (void)duration;
	return -ENOSYS;
}

int kbpf_available(char *why, size_t why_len)
{
	if (why && why_len)
		snprintf(why, why_len, "not Linux, or <linux/bpf.h> is missing: no bpf(2)");
	return 0;
}

#endif
