/* minhash.c - classic MinHash (see minhash.h for the hash family). */
#include "minhash.h"

#include <stdlib.h>

#include "wiredup.h"

uint64_t wd_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int wd_minhash_init(wd_minhash *m, unsigned n, uint64_t seed)
{
    m->n = n;
    m->a = malloc(n * sizeof *m->a);
    m->b = malloc(n * sizeof *m->b);
    if (!m->a || !m->b) {
        wd_minhash_free(m);
        return WD_E_NOMEM;
    }
    uint64_t st = seed ^ 0x6d696e68617368ULL; /* "minhash" */
    for (unsigned i = 0; i < n; i++) {
        m->a[i] = wd_splitmix64(&st) | 1;
        m->b[i] = wd_splitmix64(&st);
    }
    return WD_OK;
}

void wd_minhash_free(wd_minhash *m)
{
    free(m->a);
    free(m->b);
    m->a = m->b = NULL;
    m->n = 0;
}

/*
 * Shingle-major order: one pass over the shingles, each updating all n
 * minima, keeps the signature in L1 and lets the compiler vectorize the
 * inner loop over i.
 */
void wd_minhash_sign(const wd_minhash *m, const uint64_t *sh, size_t count, uint32_t *sig)
{
    const unsigned n = m->n;
    const uint64_t *a = m->a, *b = m->b;
    for (unsigned i = 0; i < n; i++) sig[i] = UINT32_MAX;
    for (size_t k = 0; k < count; k++) {
        uint64_t x = (uint32_t)sh[k];
        for (unsigned i = 0; i < n; i++) {
            uint32_t h = (uint32_t)((a[i] * x + b[i]) >> 32);
            sig[i] = h < sig[i] ? h : sig[i];
        }
    }
}

unsigned wd_sig_agree(const uint32_t *x, const uint32_t *y, unsigned n)
{
    unsigned eq = 0;
    for (unsigned i = 0; i < n; i++) eq += x[i] == y[i];
    return eq;
}
