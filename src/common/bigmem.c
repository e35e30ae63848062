/* bigmem.c - zeroed allocations for large tables (see bigmem.h). */
#include "bigmem.h"

#include <stdlib.h>

#if defined(__linux__)
#include <sys/mman.h>
#define WD_HAVE_MMAP 1
#ifdef MAP_POPULATE
#define WD_MAP_POPULATE MAP_POPULATE
#else
#define WD_MAP_POPULATE 0
#endif
#endif

void *wd_bigmem_alloc(size_t n)
{
#ifdef WD_HAVE_MMAP
    if (n >= WD_BIGMEM_MIN) {
        /* Populated at once: a table read at random would otherwise take
         * two faults per page (the zero page on the first read, a copy on
         * the first write), each a trap into the kernel. */
        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | WD_MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED) return NULL;
        return p;
    }
#endif
    return calloc(1, n ? n : 1);
}

void wd_bigmem_free(void *p, size_t n)
{
    if (!p) return;
#ifdef WD_HAVE_MMAP
    if (n >= WD_BIGMEM_MIN) {
        munmap(p, n);
        return;
    }
#endif
    free(p);
}
