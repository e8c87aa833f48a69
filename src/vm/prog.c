/* prog.c - loading a program (validate, copy, pre-decode for the engines,
 * resolve helpers and lddw pseudo sources) and running it once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "jit/jit.h"

static int set_err(struct bpfvm_error *err, int code, long insn, const char *fmt, ...)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		err->insn = insn;
		err->offset = -1;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void bpfvm_prog_free(bpfvm_prog *prog)
{
	if (!prog)
		return;
	if (prog->fd >= VM_FD_BASE)
		vm_env_remove_obj(prog->env, prog->fd);
	free(prog->fd_array);
	free(prog->name);
	free(prog->insns);
	free(prog->ops);
	vm_jit_free(prog->jit[0]); /* JIT hook */
	vm_jit_free(prog->jit[1]);
	free(prog);
}

/* Fills ops[] from insns[]: absolute jump targets, sign-extended immediates,
 * full lddw values, helper entries, and the trusted interpreter's handler
 * addresses. */
static int predecode(bpfvm_prog *p, struct bpfvm_error *err)
{
	for (size_t pc = 0; pc < p->n; pc++) {
		const struct bpf_insn *in = &p->insns[pc];
		struct vm_op *o = &p->ops[pc];
		int op = isa_lookup(in);
		const struct isa_row *r = &isa_table[op];
		long target;
		o->op = (uint16_t)op;
		o->dst = in->dst_reg;
		o->src = in->src_reg;
		o->off = in->off;
		o->imm = (uint64_t)(int64_t)in->imm;
		if (isa_is_jump(op) || r->shape == S_CALL_LOCAL) {
			isa_jump_target(op, in, (long)pc, &target);
			o->off = (int32_t)target;
		}
		switch (r->shape) {
		case S_LDDW:
			if (in->src_reg == 0) {
				o->imm = (uint64_t)(uint32_t)in->imm | ((uint64_t)(uint32_t)p->insns[pc + 1].imm << 32);
			} else {
				int rc = vm_resolve_lddw(p->env, p, pc, &o->imm, err ? err : &(struct bpfvm_error){ 0 });
				if (rc)
					return rc;
			}
			p->ops[pc + 1] = (struct vm_op){ .op = (uint16_t)op };
			pc++;
			break;
		case S_CALL: {
			const char *why = NULL;
			const struct vm_helper *h = vm_resolve_helper(p->env, p->type, (uint32_t)in->imm, &why);
			if (!h) {
				const char *name = isa_helper_name((uint32_t)in->imm);
				return set_err(err, BPFVM_EHELPER, (long)pc, "%s %s#%u", why, name ? name : "",
					       (uint32_t)in->imm);
			}
			o->imm = (uint64_t)(uintptr_t)h;
			break;
		}
		case S_CALL_KFUNC:
			return set_err(err, BPFVM_EUNSUPP, (long)pc, "kernel function calls (call src=2, BTF id %d) are not available outside the kernel", in->imm);
		default:
			break;
		}
	}
	vm_interp_predecode(p); /* the trusted interpreter's handlers (ops[].fast) */
	return 0;
}

int bpfvm_prog_load(bpfvm_env *env, const struct bpf_insn *insns, size_t n, const struct bpfvm_prog_opts *opts,
		    bpfvm_prog **out, struct bpfvm_error *err)
{
	if (!env || !out || (!insns && n))
		return set_err(err, BPFVM_EINVAL, -1, "invalid argument to bpfvm_prog_load");
	*out = NULL;
	int rc = isa_validate(insns, n, err);
	if (rc)
		return rc;
	bpfvm_prog *p = calloc(1, sizeof(*p));
	if (!p)
		return set_err(err, BPFVM_ENOMEM, -1, "out of memory");
	p->env = env;
	p->n = n;
	size_t opts_sz = opts ? opts->sz : 0;
	if (opts_sz >= offsetof(struct bpfvm_prog_opts, flags) + sizeof(opts->flags))
		p->flags = opts->flags;
	const char *name = (opts_sz >= offsetof(struct bpfvm_prog_opts, name) + sizeof(opts->name) && opts->name)
				   ? opts->name : "prog";
	p->name = strdup(name);
	p->insns = malloc(n * sizeof(*insns));
	p->ops = calloc(n, sizeof(*p->ops));
	if (!p->name || !p->insns || !p->ops) {
		bpfvm_prog_free(p);
		return set_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	memcpy(p->insns, insns, n * sizeof(*insns));
	if (opts_sz >= offsetof(struct bpfvm_prog_opts, type) + sizeof(opts->type))
		p->type = opts->type;
	if (!vm_ctx_supported(p->type)) {
		uint32_t type = p->type;
		bpfvm_prog_free(p);
		return set_err(err, BPFVM_EUNSUPP, -1, "program type %u is not supported", type);
	}
	if (opts_sz >= offsetof(struct bpfvm_prog_opts, fd_array_len) + sizeof(opts->fd_array_len) &&
	    opts->fd_array_len) {
		if (!opts->fd_array) {
			bpfvm_prog_free(p);
			return set_err(err, BPFVM_EINVAL, -1, "fd_array_len without fd_array");
		}
		p->fd_array = malloc(opts->fd_array_len * sizeof(int));
		if (!p->fd_array) {
			bpfvm_prog_free(p);
			return set_err(err, BPFVM_ENOMEM, -1, "out of memory");
		}
		memcpy(p->fd_array, opts->fd_array, opts->fd_array_len * sizeof(int));
		p->fd_array_len = opts->fd_array_len;
	}
	/* the loader's resolution first (maps, helpers: its messages), then
	 * the verifier, then the JIT, which compiles an unchecked image for a
	 * verified program */
	rc = predecode(p, err);
	if (rc) {
		bpfvm_prog_free(p);
		return rc;
	}
	/* the verifier (src/verifier) proves the program safe unless the
	 * caller skips it; a verified program runs unchecked, as a trusted one */
	if (!(p->flags & (BPFVM_PROG_F_TRUSTED | BPFVM_PROG_F_NO_VERIFY))) {
		struct bpfvm_verify_opts vo = { .sz = sizeof(vo), .prog_type = p->type, .fd_array = p->fd_array,
						.fd_array_len = p->fd_array_len };
		char *log = NULL;
		size_t log_len = 0;
		if (opts_sz >= offsetof(struct bpfvm_prog_opts, raw_mem_size) + sizeof(opts->raw_mem_size)) {
			log = opts->log_buf;
			log_len = log ? opts->log_len : 0;
			vo.log_level = log_len ? opts->log_level : 0;
			vo.raw_mem_size = opts->raw_mem_size;
		}
		if (opts_sz >= offsetof(struct bpfvm_prog_opts, nglobal_funcs) + sizeof(opts->nglobal_funcs)) {
			vo.global_funcs = opts->global_funcs;
			vo.nglobal_funcs = opts->global_funcs ? opts->nglobal_funcs : 0;
		}
		rc = bpfvm_verify(env, p->insns, n, &vo, NULL, log, log_len, err);
		if (rc) {
			bpfvm_prog_free(p);
			return rc;
		}
		p->flags |= BPFVM_PROG_F_TRUSTED | BPFVM_PROG_F_VERIFY;
		p->raw_mem_size = vo.raw_mem_size;
	}
	rc = vm_jit_load(p, err); /* JIT hook: native images when flags ask for them */
	if (rc) {
		bpfvm_prog_free(p);
		return rc;
	}
	p->fd = vm_env_add_obj(env, VM_OBJ_PROG, p);
	if (p->fd < 0) {
		bpfvm_prog_free(p);
		return set_err(err, BPFVM_ENOMEM, -1, "out of memory");
	}
	*out = p;
	return 0;
}

const struct bpf_insn *bpfvm_prog_insns(const bpfvm_prog *prog, size_t *n)
{
	if (n)
		*n = prog->n;
	return prog->insns;
}

const char *bpfvm_prog_name(const bpfvm_prog *prog)
{
	return prog->name;
}

uint32_t bpfvm_prog_type(const bpfvm_prog *prog)
{
	return prog->type;
}

int bpfvm_prog_fd(const bpfvm_prog *prog)
{
	return prog->fd;
}

