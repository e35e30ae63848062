/* features.c - one document's text to its exact hash and signature. */
#include "features.h"

#include <string.h>
#include <xxhash.h>

#include <math.h>
#include <stdlib.h>

#include "template.h"
#include "../index/docfreq.h"
#include "../sketch/simhash.h"
#include "../text/mask.h"
#include "../text/text.h"

int wd_scratch_init(wd_scratch *s, const wd_params *p)
{
    memset(s, 0, sizeof *s);
    if (!p->mask) return WD_OK;
    if (!(s->mask = malloc(sizeof *s->mask))) return WD_E_NOMEM;
    char err[256];
    int rc = wd_mask_rules_init(s->mask);
    if (rc) {
        free(s->mask);
        s->mask = NULL;
        return rc;
    }
    rc = wd_mask_rules_builtin(s->mask);
    if (!rc && p->mask_rules) rc = wd_mask_rules_load(p->mask_rules, s->mask, err, sizeof err);
    if (rc) {
        wd_mask_rules_free(s->mask);
        free(s->mask);
        s->mask = NULL;
        return rc == WD_E_NOMEM ? WD_E_NOMEM : WD_E_INVALID;
    }
    return WD_OK;
}

void wd_scratch_free(wd_scratch *s)
{
    wd_buf_free(&s->norm);
    wd_u64s_free(&s->sh);
    wd_buf_free(&s->masked);
    if (s->mask) wd_mask_rules_free(s->mask);
    free(s->mask);
    s->mask = NULL;
}

int wd_mask_check(const char *path, char *err, size_t errlen)
{
    wd_mask_rules r;
    if (!path) return WD_E_INVALID;
    int rc = wd_mask_rules_init(&r);
    if (rc) return rc;
    rc = wd_mask_rules_load(path, &r, err, errlen);
    wd_mask_rules_free(&r);
    return rc == WD_OK ? WD_OK : rc == WD_E_NOMEM ? WD_E_NOMEM : WD_E_INVALID;
}

int wd_sketcher_init(wd_sketcher *k, const wd_params *p)
{
    memset(k, 0, sizeof *k);
    k->kind = p->sketch;
    switch (p->sketch) {
    case WD_SKETCH_MINHASH: return wd_minhash_init(&k->mh, p->num_hashes, p->seed);
    case WD_SKETCH_OPH: return wd_oph_init(&k->oph, p->num_hashes, p->seed);
    case WD_SKETCH_SIMHASH: return WD_OK; /* nothing to prepare */
    default: return WD_E_UNSUPPORTED;
    }
}

void wd_sketcher_free(wd_sketcher *k)
{
    if (k->kind == WD_SKETCH_MINHASH) wd_minhash_free(&k->mh);
    if (k->kind == WD_SKETCH_OPH) wd_oph_free(&k->oph);
}

int wd_doc_shingles(const wd_params *p, wd_scratch *s, const char *text, size_t len,
                    uint8_t hash[16])
{
    int rc;
    if (s->mask && text && len) {
        if ((rc = wd_mask(s->mask, text, len, &s->masked))) return rc;
        text = s->masked.data;
        len = s->masked.len;
    }
    rc = wd_normalize(text ? text : "", text ? len : 0, &s->norm);
    if (rc) return rc;
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_withSeed(s->norm.data ? s->norm.data : "",
                                                       s->norm.len, p->seed));
    memcpy(hash, c.digest, 16);
    rc = wd_shingle_set(s->norm.data ? s->norm.data : "", s->norm.len, p->shingle,
                        p->shingle_size, p->seed, &s->sh);
    if (rc) return rc;
    return s->sh.len > UINT32_MAX ? WD_E_LIMIT : WD_OK;
}

int wd_features(const wd_params *p, const wd_sketcher *k, wd_scratch *s,
                const char *text, size_t len,
                uint8_t hash[16], uint32_t *sig, unsigned *shingles)
{
    int rc = wd_doc_shingles(p, s, text, len, hash);
    if (rc) return rc;
    if (s->count && (rc = wd_docfreq_add(s->count, s->sh.data, s->sh.len))) return rc;
    if (s->tmpl) {
        /* none kept: a pure template keeps every shingle (see wiredup.h) */
        size_t kept = wd_tmpl_filter(s->tmpl, s->sh.data, s->sh.len);
        if (kept) s->sh.len = kept;
    }
    *shingles = (unsigned)s->sh.len;
    if (k->kind == WD_SKETCH_SIMHASH) {
        uint64_t fp = s->sh.len ? wd_simhash(s->sh.data, s->sh.len, p->seed) : 0;
        sig[0] = (uint32_t)fp;
        sig[1] = (uint32_t)(fp >> 32);
    } else if (k->kind == WD_SKETCH_OPH)
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

double wd_simhash_jaccard(unsigned distance, unsigned na, unsigned nb)
{
    if (!na || !nb) return 0.0;
    double c = cos(3.14159265358979323846 * distance / 64.0);
    if (c <= 0) return 0.0;
    double inter = c * sqrt((double)na * nb);
    double lo = na < nb ? na : nb;
    if (inter > lo) inter = lo;
    double j = inter / ((double)na + nb - inter);
    return j > 1.0 ? 1.0 : j;
}

double wd_containment_est(double j, unsigned na, unsigned nb)
{
    unsigned lo = na < nb ? na : nb;
    if (lo == 0) return 0.0;
    double inter = j * ((double)na + nb) / (1.0 + j);
    double c = inter / lo;
    return c > 1.0 ? 1.0 : c;
}
