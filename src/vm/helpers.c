/* helpers.c - the registry of bpfvm's builtin kernel helpers, built from
 * helpers.def: one static entry per helper (what loaded programs call), the
 * program types allowed to call it, and the public lookup of names and
 * prototypes. Names are the kernel's function names, "bpf_" and the row's
 * name ("bpf_map_lookup_elem"), as the verifier and isa_helper_name print
 * them. The implementations live in helpers_*.c. */
#include <stddef.h>

#include "helpers_impl.h"

/* The table's rows in order: VM_BUILTIN_<name> indexes the arrays below. */
enum {
#define HELPER(id, name, ...) VM_BUILTIN_##name,
#include "helpers.def"
#undef HELPER
	VM_BUILTIN__COUNT
};

#define HELPER(id_, name_, impl_, ret_, a1, a2, a3, a4, a5, progs)                                    \
	[VM_BUILTIN_##name_] = {                                                                       \
		.id = (id_),                                                                           \
		.fn = impl_,                                                                           \
		.name = "bpf_" #name_,                                                                      \
		.proto = { .ret = BPFVM_RET_##ret_,                                                   \
			   .args = { BPFVM_ARG_##a1, BPFVM_ARG_##a2, BPFVM_ARG_##a3, BPFVM_ARG_##a4,   \
				     BPFVM_ARG_##a5 } },                                               \
	},
static const struct vm_helper builtins[VM_BUILTIN__COUNT] = {
#include "helpers.def"
};
#undef HELPER

#define HELPER(id, name, impl, ret, a1, a2, a3, a4, a5, progs) [VM_BUILTIN_##name] = VM_PROGS_##progs,
static const uint64_t builtin_progs[VM_BUILTIN__COUNT] = {
#include "helpers.def"
};
#undef HELPER

/* The row of id, or -1. */
static int builtin_index(uint32_t id)
{
	switch (id) {
#define HELPER(id, name, ...) \
	case id:              \
		return VM_BUILTIN_##name;
#include "helpers.def"
#undef HELPER
	default:
		return -1;
	}
}

const struct vm_helper *vm_builtin_helper(uint32_t id, uint32_t prog_type, int *allowed)
{
	int i = builtin_index(id);
	if (i < 0) {
		*allowed = 0;
		return NULL;
	}
	uint64_t progs = builtin_progs[i];
	*allowed = prog_type < 64 ? (int)((progs >> prog_type) & 1) : progs == VM_PROGS_ALL;
	return &builtins[i];
}

const char *bpfvm_builtin_helper(uint32_t id, struct bpfvm_helper_proto *proto)
{
	int i = builtin_index(id);
	if (i < 0)
		return NULL;
	if (proto)
		*proto = builtins[i].proto;
	return builtins[i].name;
}

void bpfvm_env_set_printk(bpfvm_env *env, void (*fn)(void *cookie, const char *line), void *cookie)
{
	if (!env)
		return;
	env->printk = fn;
	env->printk_cookie = fn ? cookie : NULL;
}
