/* compare.c - exact and estimated similarity of two documents. */
#include <stdlib.h>
#include <string.h>

#include "wiredup.h"
#include "features.h"
#include "../text/text_internal.h"

/* Size of the intersection of two sorted, distinct arrays. */
static size_t intersect(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else { k++; i++; j++; }
    }
    return k;
}

int wd_compare(const wd_params *p, const char *a, size_t a_len,
               const char *b, size_t b_len, wd_similarity *out)
{
    if (!out || (!a && a_len) || (!b && b_len)) return WD_E_INVALID;
    int rc = wd_params_check(p);
    if (rc) return rc;
    wd_sketcher sk;
    if (wd_sketcher_init(&sk, p)) {
        wd_sketcher_free(&sk);
        return WD_E_NOMEM;
    }
    wd_scratch sa = {0}, sb = {0};
    const size_t W = wd_sig_words(p);
    uint32_t *sig = malloc(2 * W * sizeof *sig);
    uint8_t ha[16], hb[16];
    unsigned na = 0, nb = 0;
    rc = sig ? WD_OK : WD_E_NOMEM;
    if (!rc) rc = wd_scratch_init(&sa, p);
    if (!rc) rc = wd_scratch_init(&sb, p);
    if (!rc) rc = wd_features(p, &sk, &sa, a, a_len, ha, sig, &na);
    if (!rc) rc = wd_features(p, &sk, &sb, b, b_len, hb, sig + W, &nb);
    /* The intersection below merges sorted sets; wd_features() leaves them
     * unsorted, with room for the sort after them. */
    if (!rc && (wd_u64s_reserve(&sa.sh, 2 * (size_t)na) || wd_u64s_reserve(&sb.sh, 2 * (size_t)nb)))
        rc = WD_E_NOMEM;
    if (!rc) {
        wd_sort_unique_u64(sa.sh.data, na, sa.sh.data + na);
        wd_sort_unique_u64(sb.sh.data, nb, sb.sh.data + nb);
        memset(out, 0, sizeof *out);
        out->shingles_a = na;
        out->shingles_b = nb;
        out->shared = intersect(sa.sh.data, na, sb.sh.data, nb);
        size_t uni = na + nb - out->shared;
        size_t lo = na < nb ? na : nb;
        out->jaccard = uni ? (double)out->shared / uni : 0.0;
        out->containment = lo ? (double)out->shared / lo : 0.0;
        out->exact = na > 0 && nb > 0 && sa.norm.len == sb.norm.len &&
                     memcmp(sa.norm.data, sb.norm.data, sa.norm.len) == 0;
        if (na && nb) {
            unsigned agree;
            if (p->sketch == WD_SKETCH_SIMHASH) {
                unsigned dist = (unsigned)__builtin_popcountll(wd_sig_fp(sig) ^ wd_sig_fp(sig + W));
                out->jaccard_est = wd_simhash_jaccard(dist, na, nb);
                agree = dist <= p->max_distance ? ~0u : 0; /* the SimHash verdict */
            } else {
                agree = wd_sig_agree(sig, sig + W, p->num_hashes);
                out->jaccard_est = (double)agree / p->num_hashes;
            }
            out->containment_est = wd_containment_est(out->jaccard_est, na, nb);
            out->duplicate = out->exact ||
                             (p->sketch == WD_SKETCH_SIMHASH
                                  ? agree != 0
                                  : wd_pair_accept(p, agree, out->jaccard_est, out->containment_est));
        }
    }
    free(sig);
    wd_scratch_free(&sa);
    wd_scratch_free(&sb);
    wd_sketcher_free(&sk);
    return rc;
}
