/* env.c - the environment: the helper registry (any u32 id, a cookie per
 * helper) and the hook that resolves lddw pseudo sources. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "vm.h"
#include "maps.h"

bpfvm_env *bpfvm_env_new(void)
{
	bpfvm_env *env = calloc(1, sizeof(struct bpfvm_env));
	if (!env)
		return NULL;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	env->ncpus = n > 0 ? (uint32_t)n : 1;
	pthread_mutex_init(&env->lock, NULL);
	return env;
}

uint32_t bpfvm_env_ncpus(const bpfvm_env *env)
{
	return env->ncpus;
}

void bpfvm_env_set_ncpus(bpfvm_env *env, uint32_t ncpus)
{
	if (ncpus > 0)
		env->ncpus = ncpus;
}

int vm_env_add_obj(bpfvm_env *env, int kind, void *ptr)
{
	pthread_mutex_lock(&env->lock);
	if (env->nobjs == env->cap_objs) {
		size_t cap = env->cap_objs ? env->cap_objs * 2 : 16;
		struct vm_obj *o = realloc(env->objs, cap * sizeof(*o));
		if (!o) {
			pthread_mutex_unlock(&env->lock);
			return -ENOMEM;
		}
		env->objs = o;
		env->cap_objs = cap;
	}
	env->objs[env->nobjs] = (struct vm_obj){ kind, ptr };
	int fd = (int)env->nobjs++ + VM_FD_BASE;
	pthread_mutex_unlock(&env->lock);
	return fd;
}

void vm_env_remove_obj(bpfvm_env *env, int fd)
{
	pthread_mutex_lock(&env->lock);
	if (fd >= VM_FD_BASE && (size_t)(fd - VM_FD_BASE) < env->nobjs)
		env->objs[fd - VM_FD_BASE] = (struct vm_obj){ VM_OBJ_NONE, NULL };
	pthread_mutex_unlock(&env->lock);
}

void *vm_env_obj(const bpfvm_env *env, int fd, int kind)
{
	bpfvm_env *e = (bpfvm_env *)env; /* the lock is not part of the env's value */
	void *ptr = NULL;
	pthread_mutex_lock(&e->lock);
	if (fd >= VM_FD_BASE && (size_t)(fd - VM_FD_BASE) < e->nobjs && e->objs[fd - VM_FD_BASE].kind == kind)
		ptr = e->objs[fd - VM_FD_BASE].ptr;
	pthread_mutex_unlock(&e->lock);
	return ptr;
}

static void helper_free(struct vm_helper *h)
{
	free(h->name);
	free(h);
}

void bpfvm_env_free(bpfvm_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->nobjs; i++)
		if (env->objs[i].kind == VM_OBJ_MAP)
			vm_map_destroy(env->objs[i].ptr);
	free(env->objs);
	pthread_mutex_destroy(&env->lock);
	for (size_t i = 0; i < VM_HELPER_DIRECT; i++)
		if (env->direct[i])
			helper_free(env->direct[i]);
	for (struct vm_helper *h = env->overflow, *next; h; h = next) {
		next = h->next;
		helper_free(h);
	}
	free(env);
}

struct vm_helper *vm_env_helper(const bpfvm_env *env, uint32_t id)
{
	if (id < VM_HELPER_DIRECT)
		return env->direct[id];
	for (struct vm_helper *h = env->overflow; h; h = h->next)
		if (h->id == id)
			return h;
	return NULL;
}

int bpfvm_env_register_helper(bpfvm_env *env, uint32_t id, const char *name, bpfvm_helper_fn fn, void *cookie)
{
	/* No prototype: any values in r1..r5. */
	static const struct bpfvm_helper_proto anything = {
		BPFVM_RET_INTEGER,
		{ BPFVM_ARG_ANYTHING, BPFVM_ARG_ANYTHING, BPFVM_ARG_ANYTHING, BPFVM_ARG_ANYTHING, BPFVM_ARG_ANYTHING },
	};
	return bpfvm_env_register_helper_proto(env, id, name, fn, cookie, &anything);
}

int bpfvm_env_register_helper_proto(bpfvm_env *env, uint32_t id, const char *name, bpfvm_helper_fn fn,
				    void *cookie, const struct bpfvm_helper_proto *proto)
{
	if (!env || !fn)
		return BPFVM_EINVAL;
	char *copy = NULL;
	if (name && !(copy = strdup(name)))
		return BPFVM_ENOMEM;
	struct vm_helper *h = vm_env_helper(env, id);
	if (h) { /* replace in place: loaded programs keep pointing here */
		free(h->name);
		h->name = copy;
		h->fn = fn;
		h->cookie = cookie;
		if (proto)
			h->proto = *proto;
		return 0;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		free(copy);
		return BPFVM_ENOMEM;
	}
	h->id = id;
	h->fn = fn;
	h->cookie = cookie;
	h->name = copy;
	if (proto)
		h->proto = *proto;
	if (id < VM_HELPER_DIRECT) {
		env->direct[id] = h;
	} else {
		h->next = env->overflow;
		env->overflow = h;
	}
	return 0;
}

const struct vm_helper *vm_resolve_helper(const bpfvm_env *env, uint32_t prog_type, uint32_t id, const char **why)
{
	const struct vm_helper *h = vm_env_helper(env, id);
	if (h)
		return h;
	int allowed = 0;
	h = vm_builtin_helper(id, prog_type, &allowed);
	if (h && allowed)
		return h;
	*why = h ? "program of this type cannot use helper" : "unknown helper";
	return NULL;
}

int vm_resolve_lddw(const bpfvm_env *env, const bpfvm_prog *prog, size_t pc, uint64_t *value,
		    struct bpfvm_error *err)
{
	const struct bpf_insn *in = &prog->insns[pc];
	int code = BPFVM_EUNSUPP;
	memset(err, 0, sizeof(*err));
	err->insn = (long)pc;
	err->offset = -1;
	int fd = in->imm;
	switch (in->src_reg) {
	case BPF_PSEUDO_FUNC:
		/* A code address: an opaque handle on the target's pre-decoded op,
		 * which helpers that take callbacks hand back to the engine. */
		*value = (uint64_t)(uintptr_t)&prog->ops[pc + 1 + (long)in->imm];
		return 0;
	case BPF_PSEUDO_MAP_IDX:
	case BPF_PSEUDO_MAP_IDX_VALUE:
		if (in->imm < 0 || (size_t)in->imm >= prog->fd_array_len) {
			snprintf(err->msg, sizeof(err->msg), "lddw refers to map index %d, but the program was given %zu maps",
				 in->imm, prog->fd_array_len);
			code = BPFVM_EDECODE;
			break;
		}
		fd = prog->fd_array[in->imm];
		/* fall through */
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_VALUE: {
		bpfvm_map *m = vm_env_obj(env, fd, VM_OBJ_MAP);
		if (!m) {
			snprintf(err->msg, sizeof(err->msg), "lddw refers to map fd %d, which is not a map of this environment", fd);
			code = BPFVM_EDECODE;
			break;
		}
		if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX) {
			*value = (uint64_t)(uintptr_t)m;
			return 0;
		}
		uint32_t off = (uint32_t)prog->insns[pc + 1].imm;
		if (vm_map_direct_value_addr(m, off, value) == 0)
			return 0;
		snprintf(err->msg, sizeof(err->msg),
			 "lddw of a map value needs an array map with one entry and offset %u inside its value", off);
		code = BPFVM_EDECODE;
		break;
	}
	case BPF_PSEUDO_BTF_ID:
		snprintf(err->msg, sizeof(err->msg), "lddw of kernel variable (BTF id %d) is not available outside the kernel",
			 in->imm);
		break;
	default:
		snprintf(err->msg, sizeof(err->msg), "lddw pseudo source %d is not supported", in->src_reg);
		break;
	}
	err->code = code;
	return code;
}
