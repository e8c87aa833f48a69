/* cli_maps.h - maps on the bpfvm command line: --map specs, creating the
 * declared maps in index order (their fds start at 3), and printing every map
 * of an environment as a table or as JSON. */
#ifndef BPFVM_CLI_MAPS_H
#define BPFVM_CLI_MAPS_H

#include <stdio.h>

#include "bpfvm/bpfvm.h"

/* Parses "NAME:TYPE:KEY:VALUE:ENTRIES[:FLAGS]" (sizes decimal or 0x-hex,
 * TYPE a .map type name). Returns 0, or prints a usage error for cmd and
 * returns CLI_EXIT_USAGE. */
int cli_parse_map_spec(const char *cmd, const char *spec, struct bpfvm_asm_map *m);
/* Parses a --map spec and appends it to *maps (realloc'd; *n entries); a
 * name given twice is a usage error. Returns 0 or an exit code. */
int cli_add_map_spec(const char *cmd, const char *spec, struct bpfvm_asm_map **maps, size_t *n);

/* Creates maps[0..n) in env in order and stores their fds in fds[]. A map
 * that cannot be created is reported at its declaration (file:LINE:COL) or
 * as "--map NAME"; returns 0 or an exit code. */
int cli_create_maps(bpfvm_env *env, const char *file, const struct bpfvm_asm_map *maps, size_t n, int *fds);

/* Prints every map of env, in creation order: as text tables, or (json) as
 * the members of a JSON object `"NAME": [...]` separated by commas, without
 * the braces. final: the last report, which also drains queue and stack
 * maps (other reports only say how to see them). Ring buffer records are
 * consumed by every report, so each is printed once. */
void cli_maps_print(FILE *out, bpfvm_env *env, int json, int final);

/* Writes s as a JSON string (quotes included). */
void cli_json_string(FILE *out, const char *s);

#endif
