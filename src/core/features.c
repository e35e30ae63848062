/* features.c - one document's text to its exact hash and signature. */
#include "features.h"

#include <string.h>
#include <xxhash.h>

#include "../text/text.h"

void wd_scratch_free(wd_scratch *s)
{
    wd_buf_free(&s->norm);
    wd_u64s_free(&s->sh);
}

int wd_sketcher_init(wd_sketcher *k, const wd_params *p)
{
    memset(k, 0, sizeof *k);
    k->kind = p->sketch;
    switch (p->sketch) {
    case WD_SKETCH_MINHASH: return wd_minhash_init(&k->mh, p->num_hashes, p->seed);
    case WD_SKETCH_OPH: return wd_oph_init(&k->oph, p->num_hashes, p->seed);
    default: return WD_E_UNSUPPORTED;
    }
}

void wd_sketcher_free(wd_sketcher *k)
{
    if (k->kind == WD_SKETCH_MINHASH) wd_minhash_free(&k->mh);
    if (k->kind == WD_SKETCH_OPH) wd_oph_free(&k->oph);
}

int wd_features(const wd_params *p, const wd_sketcher *k, wd_scratch *s,
                const char *text, size_t len,
                uint8_t hash[16], uint32_t *sig, unsigned *shingles)
{
    int rc = wd_normalize(text ? text : "", text ? len : 0, &s->norm);
    if (rc) return rc;
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_withSeed(s->norm.data ? s->norm.data : "",
                                                       s->norm.len, p->seed));
    memcpy(hash, c.digest, 16);
    rc = wd_shingle_set(s->norm.data ? s->norm.data : "", s->norm.len, p->shingle,
                        p->shingle_size, p->seed, &s->sh);
    if (rc) return rc;
    if (s->sh.len > UINT32_MAX) return WD_E_LIMIT;
    *shingles = (unsigned)s->sh.len;
    if (k->kind == WD_SKETCH_OPH)
        wd_oph_sign(&k->oph, s->sh.data, s->sh.len, sig);
    else
        wd_minhash_sign(&k->mh, s->sh.data, s->sh.len, sig);
    return WD_OK;
}

int wd_pair_accept(const wd_params *p, unsigned agree, double jaccard, double containment)
{
    return jaccard >= p->threshold ||
           (p->containment > 0 && agree >= WD_MIN_AGREE_CONTAINMENT &&
            containment >= p->containment);
}

double wd_containment_est(double j, unsigned na, unsigned nb)
{
    unsigned lo = na < nb ? na : nb;
    if (lo == 0) return 0.0;
    double inter = j * ((double)na + nb) / (1.0 + j);
    double c = inter / lo;
    return c > 1.0 ? 1.0 : c;
}
