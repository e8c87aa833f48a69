/* error.c - error codes to text, and the one-line "where: what" rendering of
 * struct bpfvm_error that every tool prints. */
#include <stdio.h>

#include "bpfvm/bpfvm.h"

const char *bpfvm_strerror(int code)
{
	switch (code) {
	case BPFVM_OK: return "success";
	case BPFVM_EINVAL: return "invalid argument";
	case BPFVM_ENOMEM: return "out of memory";
	case BPFVM_EDECODE: return "invalid bytecode";
	case BPFVM_EASM: return "assembly error";
	case BPFVM_EFAULT: return "invalid memory access";
	case BPFVM_EBUDGET: return "instruction budget exhausted";
	case BPFVM_EHELPER: return "unknown helper";
	case BPFVM_ESTACK: return "call depth exceeded";
	case BPFVM_EIO: return "input/output error";
	case BPFVM_EUNSUPP: return "not supported";
	case BPFVM_EFORMAT: return "malformed input";
	default: return "unknown error";
	}
}

const char *bpfvm_error_format(const struct bpfvm_error *err, char *buf, size_t len)
{
	if (!buf || !len)
		return buf;
	const char *msg = err->msg[0] ? err->msg : bpfvm_strerror(err->code);
	if (err->line > 0)
		snprintf(buf, len, "line %d:%d: %s", err->line, err->column, msg);
	else if (err->insn >= 0)
		snprintf(buf, len, "insn %ld: %s", err->insn, msg);
	else if (err->offset >= 0)
		snprintf(buf, len, "offset %ld: %s", err->offset, msg);
	else
		snprintf(buf, len, "%s", msg);
	return buf;
}
