/* jit_mem.c - executable memory for JIT images: private anonymous pages,
 * written while read + write, then flipped to read + execute. No page is
 * ever writable and executable at the same time. */
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit.h"

static size_t page_round(size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t p = pg > 0 ? (size_t)pg : 4096;
	return (len + p - 1) / p * p;
}

void *vm_jit_mem_alloc(size_t len, size_t *map_len)
{
	size_t n = page_round(len ? len : 1);
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*map_len = n;
	return p;
}

int vm_jit_mem_seal(void *mem, size_t map_len)
{
	if (mprotect(mem, map_len, PROT_READ | PROT_EXEC) != 0)
		return -1;
	/* x86 keeps instruction fetches coherent with stores; other hosts
	 * would need their caches flushed here. */
	__builtin___clear_cache((char *)mem, (char *)mem + map_len);
	return 0;
}

void vm_jit_mem_free(void *mem, size_t map_len)
{
	if (mem)
		munmap(mem, map_len);
}
