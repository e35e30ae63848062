/*
 * run.c - planning the corpus and writing it.
 *
 * The model (same as ../shared/datasets/syndication-dev, scaled up):
 *
 *   stories arrive one after another (exponential gaps; the corpus spans
 *   about 200 days, or more when it is large) --> a story is a base text,
 *   taken in a shuffled order; once every base has been used, bases are
 *   used again with reuse noise (edits.c) that makes each reuse a distinct
 *   story --> with probability --dup-rate the story is syndicated: 1 to
 *   --max-copies extra copies (P(k) ~ 0.6^k), each from a different outlet
 *   and dated 5 minutes to 3 days after the story (log-uniform) --> the
 *   first document is the verbatim wire story with probability 0.5 (else an
 *   outlet copy) --> documents are written in date order and numbered in
 *   that order, so ids say nothing about clusters.
 *
 * Labels follow the story: every copy of a story, and nothing else, carries
 * its cluster id. Near-duplicate bases are dropped when loading (base.c) and
 * reuse noise keeps reuses apart, so different labels never start out as
 * near duplicates.
 *
 * Streaming: stories are planned one at a time; a planned document is a
 * small recipe held in a min-heap on its date until no later story can come
 * before it (its date is older than the newest story's). Recipes leave the
 * heap in date order in batches; a batch's documents are made in parallel
 * (each from its own random stream, see gen_make_doc) and written in order.
 * Memory: the base texts, the heap (about 3 days of documents) and one batch
 * of output, whatever --docs is.
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli/progress.h"
#include "wiredup.h"
#include "gen_internal.h"
#include "../cli/cli.h"

#define BATCH 8192
#define MIN_DELAY 300.0        /* 5 minutes */
#define MAX_DELAY 259200.0     /* 3 days */
#define SPAN 17280000.0        /* 200 days */
#define WINDOW_STORIES 20000.0 /* at most about this many stories in 3 days */

void gen_config_default(gen_config *c)
{
    static const double rates[GEN_NEDITS] = {
        [GEN_HEADLINE] = 0.7, [GEN_DATELINE] = 0.8, [GEN_BYLINE] = 0.35,
        [GEN_TRAILER] = 0.6,  [GEN_TRUNCATE] = 0.3, [GEN_DROP] = 0.2,
        [GEN_COPYEDIT] = 0.5, [GEN_UNICODE] = 0.5,  [GEN_OCR] = 0.15, [GEN_WRAP] = 0.6
    };
    memset(c, 0, sizeof *c);
    c->text_field = "text";
    c->title_field = "title";
    c->seed = 1;
    c->docs = 10000;
    c->dup_rate = 0.35;
    c->max_copies = 8;
    memcpy(c->rate, rates, sizeof rates);
    c->ocr_chars = 0.005;
    c->reuse_noise = 0.35;
    c->wire_rate = 0.5;
    c->base_dedup = 0.3;
    c->title_in_text = 1;
    c->wire_name = "Reuters";
}

int gen_parse_edits(gen_config *c, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ','), *colon;
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (n == 0 || n >= sizeof item) {
            snprintf(err, errlen, "bad item in '%s'", list);
            return -1;
        }
        memcpy(item, p, n);
        item[n] = 0;
        double rate = 1.0;
        if ((colon = strchr(item, ':'))) {
            char *e;
            rate = strtod(colon + 1, &e);
            if (e == colon + 1 || *e || !(rate >= 0 && rate <= 1)) {
                snprintf(err, errlen, "rate of '%s' must be a number from 0 to 1", item);
                return -1;
            }
            item[colon - item] = 0;
        }
        if (!strcmp(item, "none")) {
            for (int e = 0; e < GEN_NEDITS; e++) c->rate[e] = 0;
        } else if (!strcmp(item, "all")) {
            for (int e = 0; e < GEN_NDEV; e++) c->rate[e] = rate;
        } else if (!strcmp(item, "heldout")) {
            /* copies: each held-out edit often enough to be measured on its
             * own; stories: about one hard negative per 8 stories */
            static const double preset[GEN_NEDITS] = {
                [GEN_REORDER] = 0.25, [GEN_RESPLIT] = 0.25, [GEN_LOCAL] = 0.25,
                [GEN_NUMBERS] = 0.3,  [GEN_CORRECTION] = 0.15, [GEN_HTML] = 0.15,
                [GEN_HYPHEN] = 0.2,   [GEN_TEMPLATE] = 1.0, [GEN_FOLLOWUP] = 0.08
            };
            for (int e = GEN_NDEV; e < GEN_NEDITS; e++) c->rate[e] = preset[e] * rate;
        } else {
            int found = -1;
            for (int e = 0; e < GEN_NEDITS; e++)
                if (!strcmp(item, gen_edit_names[e])) found = e;
            if (found < 0) {
                snprintf(err, errlen, "unknown edit '%s'", item);
                return -1;
            }
            c->rate[found] = rate;
        }
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * The recipe heap, ordered by (t, seq)
 * ------------------------------------------------------------------------- */
typedef struct heap {
    gen_recipe *a;
    size_t n, cap;
} heap;

static int before(const gen_recipe *x, const gen_recipe *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void heap_push(heap *h, const gen_recipe *r)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4096;
        gen_recipe *a = realloc(h->a, cap * sizeof *a);
        if (!a) gen_oom();
        h->a = a;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(r, &h->a[p])) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = *r;
}

static gen_recipe heap_pop(heap *h)
{
    gen_recipe top = h->a[0], last = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < h->n && before(&h->a[l], &last)) m = l;
        if (l + 1 < h->n && before(&h->a[l + 1], m == i ? &last : &h->a[l])) m = l + 1;
        if (m == i) break;
        h->a[i] = h->a[m];
        i = m;
    }
    if (h->n) h->a[i] = last;
    return top;
}

/* ---------------------------------------------------------------------------
 * Writing batches
 * ------------------------------------------------------------------------- */
typedef struct writer {
    const gen_ctx *X;
    gen_scratch *S;        /* one per thread */
    wd_buf *out, *lab, *edl; /* one per thread */
    unsigned threads;
    FILE *docs, *labels, *edits; /* edits: NULL unless held-out edits are on */
    gen_recipe *batch;
    size_t nb;
    uint64_t written, bytes;
    int err;               /* errno of the first failed write */
    progress pg;           /* on stderr when it is a terminal */
} writer;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void flush_batch(writer *W)
{
    if (!W->nb) return;
    const size_t nb = W->nb;
    const uint64_t first = W->written;
    #pragma omp parallel num_threads(W->threads)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t lo = nb * (size_t)t / (size_t)nt, hi = nb * (size_t)(t + 1) / (size_t)nt;
        W->out[t].len = W->lab[t].len = W->edl[t].len = 0;
        for (size_t i = lo; i < hi; i++)
            gen_make_doc(W->X, &W->batch[i], first + i, &W->S[t], &W->out[t], &W->lab[t],
                         W->edits ? &W->edl[t] : NULL);
    }
    for (unsigned t = 0; t < W->threads; t++) {
        if (W->out[t].len && fwrite(W->out[t].data, 1, W->out[t].len, W->docs) != W->out[t].len && !W->err)
            W->err = errno ? errno : EIO;
        if (W->lab[t].len && fwrite(W->lab[t].data, 1, W->lab[t].len, W->labels) != W->lab[t].len && !W->err)
            W->err = errno ? errno : EIO;
        if (W->edl[t].len && fwrite(W->edl[t].data, 1, W->edl[t].len, W->edits) != W->edl[t].len && !W->err)
            W->err = errno ? errno : EIO;
        W->bytes += W->out[t].len;
    }
    W->written += nb;
    W->nb = 0;
    progress_update(&W->pg, W->written);
}

static void emit(writer *W, const gen_recipe *r)
{
    W->batch[W->nb++] = *r;
    if (W->nb == BATCH) flush_batch(W);
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t plen)
{
    snprintf(path, plen, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) cli_error("%s: %s", path, strerror(errno));
    return f;
}

/* ---------------------------------------------------------------------------
 * The run
 * ------------------------------------------------------------------------- */
int gen_run(const gen_config *c)
{
    double t_start = now();
    gen_corpus C;
    int rc = gen_corpus_load(&C, c);
    if (rc) {
        gen_corpus_free(&C);
        return rc;
    }
    if (mkdir(c->out_dir, 0777) && errno != EEXIST) {
        cli_error("%s: %s", c->out_dir, strerror(errno));
        gen_corpus_free(&C);
        return WD_EXIT_INTERNAL;
    }
    char pdocs[4096], plabels[4096], pstats[4096], pedits[4096];
    int heldout = 0; /* held-out edits on: which document got which goes to edits.tsv */
    for (int e = GEN_NDEV; e < GEN_NEDITS; e++) heldout |= c->rate[e] > 0;
    FILE *fd = open_out(c->out_dir, "docs.jsonl", pdocs, sizeof pdocs);
    FILE *fl = fd ? open_out(c->out_dir, "labels.tsv", plabels, sizeof plabels) : NULL;
    FILE *fe = fl && heldout ? open_out(c->out_dir, "edits.tsv", pedits, sizeof pedits) : NULL;
    if (!fd || !fl || (heldout && !fe)) {
        if (fd) fclose(fd);
        if (fl) fclose(fl);
        gen_corpus_free(&C);
        return WD_EXIT_INTERNAL;
    }

    gen_ctx X;
    memset(&X, 0, sizeof X);
    X.cfg = c;
    X.C = &C;
    struct tm e0 = { .tm_year = 87, .tm_mon = 1, .tm_mday = 26 }; /* 1987-02-26 */
    X.epoch = (int64_t)timegm(&e0);
    X.id_width = 6;
    for (uint64_t v = c->docs > 1 ? c->docs - 1 : 1, w = 0; v; v /= 10)
        if (++w > (uint64_t)X.id_width) X.id_width = (int)w;
    gen_styles_init(&X);

    unsigned threads = c->threads ? c->threads : (unsigned)omp_get_num_procs();
    writer W;
    memset(&W, 0, sizeof W);
    W.X = &X;
    W.threads = threads;
    W.S = calloc(threads, sizeof *W.S);
    W.out = calloc(threads, sizeof *W.out);
    W.lab = calloc(threads, sizeof *W.lab);
    W.edl = calloc(threads, sizeof *W.edl);
    W.batch = malloc(BATCH * sizeof *W.batch);
    if (!W.S || !W.out || !W.lab || !W.edl || !W.batch) gen_oom();
    W.docs = fd;
    W.labels = fl;
    W.edits = fe;
    progress_start(&W.pg, "gen", "docs", c->docs, c->quiet);
    static char vbuf_d[1 << 20], vbuf_l[1 << 16];
    setvbuf(fd, vbuf_d, _IOFBF, sizeof vbuf_d);
    setvbuf(fl, vbuf_l, _IOFBF, sizeof vbuf_l);

    /* base order and the size distribution */
    gen_rng plan = gen_rng_make(c->seed, 0x504c414eULL, 0);
    uint32_t *order = malloc(C.n * sizeof *order);
    if (!order) gen_oom();
    for (size_t i = 0; i < C.n; i++) order[i] = (uint32_t)i;
    for (size_t i = C.n; i > 1; i--) {
        size_t j = gen_below(&plan, i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    double cdf[256], sum = 0, mean_copies = 0;
    unsigned maxc = c->max_copies < 255 ? c->max_copies : 255;
    for (unsigned k = 1; k <= maxc; k++) {
        double w = pow(0.6, k - 1);
        sum += w;
        mean_copies += k * w;
        cdf[k] = sum;
    }
    if (maxc) mean_copies /= sum;
    double est_stories = (double)c->docs / (1.0 + c->dup_rate * mean_copies);
    double gap = fmax(MAX_DELAY / WINDOW_STORIES, SPAN / fmax(est_stories, 1.0));

    heap H = {0};
    uint64_t planned = 0, story = 0, seq = 0, reused = 0, hist[258] = {0}, negatives = 0;
    double t = 0;
    uint8_t pool[GEN_OUTLETS];
    while (planned < c->docs) {
        t += -log1p(-gen_unif(&plan)) * gap;
        int64_t ts = (int64_t)t;
        while (H.n && H.a[0].t < ts) {
            gen_recipe r = heap_pop(&H);
            emit(&W, &r);
        }
        unsigned size = 1;
        if (maxc && gen_chance(&plan, c->dup_rate)) {
            double u = gen_unif(&plan) * sum;
            unsigned k = 1;
            while (k < maxc && cdf[k] <= u) k++;
            size += k;
        }
        if (size > c->docs - planned) size = (unsigned)(c->docs - planned);
        hist[size < 257 ? size : 257]++;
        gen_recipe r = { .story = story, .base = order[story % C.n],
                         .reuse = (uint32_t)(story / C.n) };
        reused += r.reuse > 0;
        int o0 = gen_chance(&plan, c->wire_rate) ? 0 : 1 + (int)gen_below(&plan, GEN_OUTLETS);
        unsigned left = 0;
        for (unsigned m = 0; m < size; m++) {
            r.member = (uint16_t)m;
            r.seq = seq++;
            if (m == 0) {
                r.outlet = (uint8_t)o0;
                r.t = ts;
            } else {
                if (left == 0) { /* a fresh pool of outlets, the first copy's excluded */
                    left = 0;
                    for (int o = 1; o <= GEN_OUTLETS; o++)
                        if (o != o0) pool[left++] = (uint8_t)o;
                }
                size_t j = gen_below(&plan, left);
                r.outlet = pool[j];
                pool[j] = pool[--left];
                double d = exp(log(MIN_DELAY) + gen_unif(&plan) * (log(MAX_DELAY) - log(MIN_DELAY)));
                r.t = ts + (int64_t)d;
            }
            heap_push(&H, &r);
        }
        planned += size;
        story++;

        /* hard negatives (held-out): a new story, its own cluster, that
         * looks like this one; dated after it. No draw when the rates are 0,
         * so other options give the same bytes as before. */
        const gen_base *sb = &C.b[r.base];
        const char *sbody = C.arena.data + sb->clean_off;
        for (int kind = GEN_TEMPLATE; kind <= GEN_FOLLOWUP && planned < c->docs; kind++) {
            if (!gen_chance(&plan, c->rate[kind])) continue;
            if (kind == GEN_TEMPLATE ? !gen_is_table(sbody, sb->clean_len)
                                     : gen_paragraphs(sbody, sb->clean_len) < 3)
                continue;
            gen_recipe n = { .story = story++, .base = r.base, .reuse = r.reuse,
                             .kind = (uint8_t)kind, .seq = seq++ };
            if (kind == GEN_FOLLOWUP) { /* its own text: another base, twice as long */
                unsigned tries = 0;
                do n.other = (uint32_t)gen_below(&plan, C.n);
                while ((n.other == r.base || C.b[n.other].clean_len < 2 * sb->clean_len) && ++tries < 16);
                if (tries == 16) { story--; seq--; continue; }
            }
            n.outlet = gen_chance(&plan, c->wire_rate) ? 0 : (uint8_t)(1 + gen_below(&plan, GEN_OUTLETS));
            n.t = ts + (int64_t)(3600.0 + gen_unif(&plan) * (MAX_DELAY - 3600.0));
            heap_push(&H, &n);
            planned++;
            hist[1]++;
            negatives++;
        }
    }
    while (H.n) {
        gen_recipe r = heap_pop(&H);
        emit(&W, &r);
    }
    flush_batch(&W);
    progress_end(&W.pg);

    int e1 = fclose(fd) ? errno : 0, e2 = fclose(fl) ? errno : 0;
    int e3 = fe && fclose(fe) ? errno : 0;
    if (!W.err) W.err = e1 ? e1 : e2 ? e2 : e3;
    if (W.err) {
        cli_error("%s: write failed: %s", c->out_dir, strerror(W.err));
        rc = WD_EXIT_INTERNAL;
    }

    /* stats.txt */
    uint64_t edits[GEN_NEDITS] = {0}, wire = 0, singletons = hist[1];
    for (unsigned th = 0; th < threads; th++) {
        for (int e = 0; e < GEN_NEDITS; e++) edits[e] += W.S[th].edits[e];
        wire += W.S[th].wire;
    }
    double secs = now() - t_start;
    FILE *fs = rc ? NULL : open_out(c->out_dir, "stats.txt", pstats, sizeof pstats);
    if (!rc && !fs) rc = WD_EXIT_INTERNAL;
    if (fs) {
        fprintf(fs, "# wiredup gen: labeled syndication corpus\n");
        fprintf(fs, "base\t%s\nseed\t%llu\ndocs\t%llu\nclusters\t%llu\nsingletons\t%llu\n",
                c->base_path, (unsigned long long)c->seed, (unsigned long long)W.written,
                (unsigned long long)story, (unsigned long long)singletons);
        fprintf(fs, "syndicated_clusters\t%llu\n", (unsigned long long)(story - singletons));
        fprintf(fs, "bases_read\t%llu\nbases_too_short\t%llu\nbases_too_long\t%llu\n"
                    "bases_near_duplicate\t%llu\nbases_usable\t%llu\nstories_on_reused_bases\t%llu\n",
                (unsigned long long)C.read, (unsigned long long)C.too_short,
                (unsigned long long)C.too_long, (unsigned long long)C.near_dup,
                (unsigned long long)C.n, (unsigned long long)reused);
        fprintf(fs, "bytes\t%llu\nwire_verbatim_docs\t%llu\n", (unsigned long long)W.bytes,
                (unsigned long long)wire);
        fprintf(fs, "cluster_size_histogram\t");
        for (unsigned k = 1, first = 1; k < 258; k++)
            if (hist[k]) {
                fprintf(fs, "%s%u:%llu", first ? "" : " ", k, (unsigned long long)hist[k]);
                first = 0;
            }
        fprintf(fs, "\n");
        for (int e = 0; e < GEN_NEDITS; e++)
            if (e < GEN_NDEV || heldout) /* the dev model's stats stay as they were */
                fprintf(fs, "edit\t%s\trate\t%.3f\tdocs\t%llu\n", gen_edit_names[e], c->rate[e],
                        (unsigned long long)edits[e]);
        if (heldout) fprintf(fs, "hard_negative_stories\t%llu\n", (unsigned long long)negatives);
        fprintf(fs, "options\tdup_rate=%.3f max_copies=%u ocr_chars=%.4f reuse_noise=%.3f "
                    "wire_rate=%.3f base_dedup=%.3f min_chars=%u max_chars=%u title_in_text=%d\n",
                c->dup_rate, c->max_copies, c->ocr_chars, c->reuse_noise, c->wire_rate,
                c->base_dedup, c->min_chars, c->max_chars, c->title_in_text);
        if (fclose(fs)) {
            cli_error("%s: %s", pstats, strerror(errno));
            rc = WD_EXIT_INTERNAL;
        }
    }
    if (!rc && !c->quiet)
        fprintf(stderr, "gen: %llu docs, %llu clusters (%llu syndicated), %.1f MB in %.2f s "
                        "(%.0f MB/s) -> %s\n",
                (unsigned long long)W.written, (unsigned long long)story,
                (unsigned long long)(story - singletons), W.bytes / 1e6, secs,
                secs > 0 ? W.bytes / 1e6 / secs : 0.0, c->out_dir);

    for (unsigned th = 0; th < threads; th++) {
        gen_scratch_free(&W.S[th]);
        wd_buf_free(&W.out[th]);
        wd_buf_free(&W.lab[th]);
        wd_buf_free(&W.edl[th]);
    }
    free(W.edl);
    free(W.S);
    free(W.out);
    free(W.lab);
    free(W.batch);
    free(H.a);
    free(order);
    gen_corpus_free(&C);
    return rc;
}
