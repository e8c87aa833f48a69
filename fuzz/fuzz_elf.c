/* fuzz_elf.c - libFuzzer target for the ELF loader: every input is opened as
 * a BPF object twice, parse-only (BPFVM_OBJ_F_NO_LOAD, no env) and fully
 * loaded into a fresh env (maps created, programs loaded, prog arrays
 * filled); whatever loads is queried, disassembled and run once on a small
 * frame or buffer with a short instruction budget, then closed. Seed it with
 * clang-compiled objects (the .o files in build/examples/bpf).
 *
 *   cmake -DBPFVM_FUZZ=ON -DCMAKE_C_COMPILER=clang ... && make fuzz_elf
 *   ./fuzz_elf corpus/ build/examples/bpf */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bpfvm/bpfvm.h"

static void exercise(bpfvm_obj *obj)
{
	char buf[160];
	for (size_t i = 0; i < bpfvm_obj_map_count(obj); i++) {
		const struct bpfvm_obj_map_info *m = bpfvm_obj_map(obj, i);
		if (m->map && m->key_size == 4) {
			uint8_t value[256];
			uint32_t key = 0;
			if (m->value_size <= sizeof(value) && m->type != BPF_MAP_TYPE_PERCPU_HASH &&
			    m->type != BPF_MAP_TYPE_PERCPU_ARRAY && m->type != BPF_MAP_TYPE_LRU_PERCPU_HASH)
				bpfvm_map_lookup(m->map, &key, value);
		}
	}
	for (size_t i = 0; i < bpfvm_obj_reloc_count(obj); i++)
		(void)strlen(bpfvm_obj_reloc(obj, i)->target ? bpfvm_obj_reloc(obj, i)->target : "");
	for (size_t i = 0; i < bpfvm_obj_prog_count(obj); i++) {
		const struct bpfvm_obj_prog_info *p = bpfvm_obj_prog(obj, i);
		size_t total = strlen(p->name) + strlen(p->section) + strlen(p->load_msg);
		for (size_t k = 0; k < p->nlines; k++)
			total += strlen(p->lines[k].file) + strlen(p->lines[k].text);
		for (size_t k = 0; k < p->nfuncs; k++)
			total += strlen(p->funcs[k].name);
		(void)total;
		for (size_t pc = 0; p->insns && pc < p->ninsns && pc < 4096;) {
			int n = bpfvm_disasm_insn(p->insns, p->ninsns, pc, BPFVM_SYNTAX_LLVM, 0, buf, sizeof(buf));
			pc += n > 0 ? (size_t)n : 1;
		}
		if (!p->prog)
			continue;
		uint8_t frame[128];
		memset(frame, 0x45, sizeof(frame));
		frame[12] = 0x08, frame[13] = 0x00;
		struct bpfvm_run_opts ro = { .sz = sizeof(ro), .budget = 20000 };
		if (p->type == 0) {
			ro.mem = frame;
			ro.mem_len = sizeof(frame);
		} else {
			ro.frame = frame;
			ro.frame_len = sizeof(frame);
		}
		uint64_t r0;
		struct bpfvm_error err;
		bpfvm_prog_run(p->prog, &ro, &r0, &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpfvm_error err;
	bpfvm_obj *obj = NULL;
	struct bpfvm_obj_opts o = { .sz = sizeof(o), .flags = BPFVM_OBJ_F_NO_LOAD };
	if (bpfvm_obj_open_mem(NULL, data, size, &o, &obj, &err) == 0) {
		exercise(obj);
		bpfvm_obj_close(obj);
	}
	bpfvm_env *env = bpfvm_env_new();
	if (!env)
		return 0;
	o.flags = BPFVM_OBJ_F_KEEP_GOING | BPFVM_OBJ_F_RAW_UNKNOWN;
	o.prog_flags = BPFVM_PROG_F_NO_VERIFY; /* the loader here; fuzz_verify fuzzes the verifier */
	if (bpfvm_obj_open_mem(env, data, size, &o, &obj, &err) == 0) {
		exercise(obj);
		bpfvm_obj_close(obj);
	}
	bpfvm_env_free(env);
	return 0;
}
