/* cli_elf.h - ELF objects (clang -target bpf) on the bpfvm command line:
 * recognising them, opening them with one-line errors, choosing a program
 * (--program), the per-program disassembly with relocation annotations
 * (`bpfvm disasm OBJ.o`) and the `bpfvm info` command. */
#ifndef BPFVM_CLI_ELF_H
#define BPFVM_CLI_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "bpfvm/bpfvm.h"

/* 1 when path is to be read as an ELF object: format is CLI_FMT_ELF, or
 * format is CLI_FMT_AUTO and the file (not stdin) starts with the ELF magic. */
int cli_elf_is_object(const char *path, int format);

/* Opens the object at path ("-": stdin) into env (NULL with
 * BPFVM_OBJ_F_NO_LOAD) with flags (enum bpfvm_obj_flags) and prog_flags for
 * every program. Prints a one-line error and returns an exit code on
 * failure (malformed object: exit 3, with the file offset). */
int cli_elf_open(const char *path, bpfvm_env *env, uint32_t flags, uint32_t prog_flags, bpfvm_obj **out);

/* The fds of the object's maps in index order (what its programs' lddw
 * map_idx refer to, the fd_array for bpfvm_verify); malloc'd, NULL when out
 * of memory. */
int *cli_elf_map_fds(const bpfvm_obj *obj);

/* --set NAME=VALUE, collected in order (at most CLI_MAX_SETS; the strings
 * are the caller's). Returns 0 or a usage error's exit code. */
#define CLI_MAX_SETS 64
int cli_add_set(const char *cmd, const char *val, const char **sets, size_t *nsets);

/* The same as cli_elf_open, giving global variables new values before the maps are created
 * and the programs verified (--set NAME=VALUE: a variable of .data, .rodata
 * or .bss of 1, 2, 4 or 8 bytes, VALUE decimal, negative or 0x hex). cmd
 * names the subcommand for usage errors (a bad or unknown --set: exit 2). */
int cli_elf_open_set(const char *cmd, const char *path, bpfvm_env *env, uint32_t flags, uint32_t prog_flags,
		     const char *const *sets, size_t nsets, bpfvm_obj **out);

/* The program called want (function or section name), or, when want is
 * NULL, the only program that loaded. Otherwise prints one line listing the
 * programs (name, section, type) and returns CLI_EXIT_USAGE. */
int cli_elf_pick(const char *file, const bpfvm_obj *obj, const char *want, size_t *idx);

/* "map", "map_value", "call", "func", "core", "prog_slot". */
const char *cli_elf_reloc_kind_name(int kind);

/* `bpfvm disasm OBJ.o`: every program (or only want) with its header,
 * function labels and relocation annotations. Returns an exit code. */
int cli_elf_disasm(const char *path, const char *want, int syntax);

int cli_cmd_info(int argc, char **argv);

#endif
