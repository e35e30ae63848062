/* exact.c - exact-duplicate set (see exact.h). */
#include "exact.h"

/* Judy's macros print and exit() on failure unless told not to; the library
 * never exits, so failures come back as PJERR / JERR and are returned. */
#define JUDYERROR_NOTEST 1
#include <Judy.h>

#include "wiredup.h"

void wd_exact_init(wd_exact *e)
{
    e->judy = NULL;
}

void wd_exact_free(wd_exact *e)
{
    Word_t bytes;
    JHSFA(bytes, e->judy);
    (void)bytes;
}

int wd_exact_add(wd_exact *e, const uint8_t hash[16], uint64_t doc, uint64_t *first)
{
    PWord_t pv;
    JHSI(pv, e->judy, (void *)hash, 16);
    if (pv == PJERR) return WD_E_NOMEM;
    if (*pv) {
        *first = *pv - 1;
        return 1;
    }
    *pv = (Word_t)(doc + 1);
    *first = doc;
    return 0;
}

int wd_exact_find(const wd_exact *e, const uint8_t hash[16], uint64_t *first)
{
    PWord_t pv;
    JHSG(pv, e->judy, (void *)hash, 16);
    if (!pv) return 0;
    *first = *pv - 1;
    return 1;
}

int wd_exact_remove(wd_exact *e, const uint8_t hash[16], uint64_t doc)
{
    PWord_t pv;
    JHSG(pv, e->judy, (void *)hash, 16);
    if (!pv || *pv != (Word_t)(doc + 1)) return 0;
    int rc;
    JHSD(rc, e->judy, (void *)hash, 16);
    return rc == JERR ? WD_E_NOMEM : 1;
}
