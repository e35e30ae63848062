/* oph.c - one-permutation hashing, optimal densification (see oph.h). */
#include "oph.h"

#include <stdlib.h>
#include <string.h>

#include "wiredup.h"

_Static_assert(WD_OPH_PROBES % 8 == 0, "probes are tested eight at a time");

/* splitmix64's finalizer: a bijection with full avalanche. */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Lemire's multiply-shift range reduction of the top 32 bits to [0, n). */
static inline unsigned to_bin(uint64_t f, unsigned n)
{
    return (unsigned)(((f >> 32) * (uint64_t)n) >> 32);
}

/* j(i, t) of oph.h. */
static inline unsigned probe_bin(const wd_oph *o, unsigned i, uint64_t t)
{
    return to_bin(mix64(o->key2 ^ ((uint64_t)i << 32 | t)), o->n);
}

int wd_oph_init(wd_oph *o, unsigned n, uint64_t seed)
{
    o->n = n;
    o->key = mix64(seed ^ 0x6f7068ULL);         /* "oph" */
    o->key2 = mix64(seed ^ 0x64656e7365ULL);    /* "dense" */
    o->probe = malloc((size_t)n * WD_OPH_PROBES * sizeof *o->probe);
    if (!o->probe) return WD_E_NOMEM;
    for (unsigned i = 0; i < n; i++)
        for (unsigned t = 0; t < WD_OPH_PROBES; t++)
            o->probe[(size_t)i * WD_OPH_PROBES + t] = (uint16_t)probe_bin(o, i, t + 1);
    return WD_OK;
}

void wd_oph_free(wd_oph *o)
{
    free(o->probe);
    o->probe = NULL;
    o->n = 0;
}

/* Eight precomputed probes at once: byte t of the result is filled[pr[t]]. */
static inline uint64_t probe8(const uint8_t *filled, const uint16_t *pr)
{
    uint64_t w = 0;
    for (int t = 0; t < 8; t++) w |= (uint64_t)filled[pr[t]] << (8 * t);
    return w;
}

void wd_oph_sign(const wd_oph *o, const uint64_t *sh, size_t count, uint32_t *sig)
{
    const unsigned n = o->n;
    const uint64_t key = o->key;
    /* One byte per bin, set with a plain store: a bitmap's read-modify-write
     * would chain every shingle to the one before through memory. */
    uint8_t filled[WD_MAX_HASHES];
    memset(filled, 0, n);
    for (unsigned i = 0; i < n; i++) sig[i] = UINT32_MAX;
    if (count == 0) return;
    for (size_t k = 0; k < count; k++) {
        uint64_t f = mix64(sh[k] ^ key);
        unsigned b = to_bin(f, n);
        uint32_t v = (uint32_t)f;
        sig[b] = v < sig[b] ? v : sig[b];
        filled[b] = 1;
    }
    /* Optimal densification. Probes read the filled set only, never a bin
     * filled here, so the order in which bins are filled does not matter. */
    for (unsigned i = 0; i < n; i++) {
        if (filled[i]) continue;
        const uint16_t *pr = o->probe + (size_t)i * WD_OPH_PROBES;
        unsigned j = n;
        for (unsigned t = 0; t < WD_OPH_PROBES; t += 8) {
            uint64_t w = probe8(filled, pr + t);
            if (w) {
                j = pr[t + ((unsigned)__builtin_ctzll(w) >> 3)];
                break;
            }
        }
        for (uint64_t t = WD_OPH_PROBES + 1; j == n; t++) {
            unsigned c = probe_bin(o, i, t);
            if (filled[c]) j = c;
        }
        sig[i] = sig[j];
    }
}
