/* native_env.c - the native side's stand-ins for what BPF programs get from
 * their runtime (declared in suite.h): maps are bpfvm's own map objects,
 * called directly (vm_map_lookup_elem / vm_map_update_elem, the functions
 * bpfvm's map helpers end in, without the helpers' argument checks), and
 * load_byte reads the frame set here. The runner binds every registered map
 * to the map of the same name the ELF loader created. */
#include "maps.h"
#include "suite.h"

const unsigned char *suite_native_pkt;
unsigned long suite_native_pkt_len;

struct suite_native_map *suite_native_maps; /* the registry, for the runner */

void suite_native_register(struct suite_native_map *m)
{
	m->next = suite_native_maps;
	suite_native_maps = m;
}

void *suite_native_lookup(void *map, const void *key)
{
	struct suite_native_map *m = map;
	return vm_map_lookup_elem(m->map, key, 0);
}

long suite_native_update(void *map, const void *key, const void *value, __u64 flags)
{
	struct suite_native_map *m = map;
	return vm_map_update_elem(m->map, key, value, flags, 0);
}
