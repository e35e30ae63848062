/*
 * bigmem.h - zeroed allocations for large tables.
 *
 * Allocations from WD_BIGMEM_MIN bytes up are mapped directly (on Linux),
 * populated in one go (MAP_POPULATE): pages come zeroed from the kernel, so
 * a table whose empty state is all zeros needs no memset, a table read and
 * written at random takes no page fault per page, and freeing returns the
 * memory at once. Smaller ones use calloc. (Transparent huge pages were tried for
 * the LSH table: fewer TLB misses, but on the development VM the kernel's
 * first touch of a huge page cost more than the misses saved.)
 */
#ifndef WD_COMMON_BIGMEM_H
#define WD_COMMON_BIGMEM_H

#include <stddef.h>

#define WD_BIGMEM_MIN ((size_t)4 << 20)

/* n zeroed bytes, or NULL. Free with wd_bigmem_free(p, n). */
void *wd_bigmem_alloc(size_t n);
void wd_bigmem_free(void *p, size_t n);

#endif
