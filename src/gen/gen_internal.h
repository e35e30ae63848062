/*
 * gen_internal.h - pieces shared by the generator's files: the random
 * number generator, byte buffers, the parsed base corpus and the edits.
 */
#ifndef WD_GEN_INTERNAL_H
#define WD_GEN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gen.h"
#include "../common/buf.h"

/* ---------------------------------------------------------------------------
 * Random numbers: splitmix64. Every document gets its own stream, seeded
 * from (seed, story, copy), so documents can be made in any order and on any
 * thread with the same result.
 * ------------------------------------------------------------------------- */
typedef struct gen_rng {
    uint64_t s;
} gen_rng;

static inline uint64_t gen_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline gen_rng gen_rng_make(uint64_t a, uint64_t b, uint64_t c)
{
    gen_rng r = { gen_mix(gen_mix(gen_mix(a ^ 0x5851f42d4c957f2dULL) + b) + c) };
    return r;
}

static inline uint64_t gen_next(gen_rng *r)
{
    return gen_mix(r->s += 0x9e3779b97f4a7c15ULL);
}

/* Uniform in [0, 1). */
static inline double gen_unif(gen_rng *r)
{
    return (double)(gen_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, n), n > 0. */
static inline uint64_t gen_below(gen_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)gen_next(r) * n) >> 64);
}

static inline int gen_chance(gen_rng *r, double p)
{
    return p > 0 && gen_unif(r) < p;
}

/* ---------------------------------------------------------------------------
 * Byte buffers (wd_buf) with appends; running out of memory ends the
 * program (exit 4) with a message: the generator has nothing to save.
 * ------------------------------------------------------------------------- */
void gen_oom(void) __attribute__((noreturn));

static inline char *gen_room(wd_buf *b, size_t n)
{
    if (b->len + n > b->cap && wd_buf_reserve(b, b->len + n)) gen_oom();
    return b->data + b->len;
}

static inline void gen_put(wd_buf *b, const char *s, size_t n)
{
    char *o = gen_room(b, n);
    if (n <= 8) {                 /* words and separators: no call */
        for (size_t k = 0; k < n; k++) o[k] = s[k];
    } else {
        memcpy(o, s, n);
    }
    b->len += n;
}

static inline void gen_puts(wd_buf *b, const char *s)
{
    gen_put(b, s, strlen(s));
}

static inline void gen_putc(wd_buf *b, char c)
{
    *gen_room(b, 1) = c;
    b->len++;
}

/* ---------------------------------------------------------------------------
 * The base corpus (base.c)
 * ------------------------------------------------------------------------- */
typedef struct gen_base {
    uint64_t title_off;    /* title in the arena (derived when the input has none) */
    uint32_t title_len;
    uint32_t clean_len;    /* body without dateline: paragraphs joined by '\n', */
    uint64_t clean_off;    /*   white space collapsed */
    uint64_t orig_off;     /* the text as given (dateline included), for the */
    uint32_t orig_len;     /*   verbatim wire copy */
    uint32_t city_len;     /* dateline city (0: no dateline) */
    uint64_t city_off;
    uint8_t month;         /* dateline month 1-12 (0: none) */
    uint8_t day;           /* dateline day */
} gen_base;

typedef struct gen_corpus {
    wd_buf arena;          /* all strings */
    gen_base *b;           /* bases, in input order */
    size_t n;
    char (*vocab)[16];     /* words for reuse noise: vocab[i][0] = length, then */
    size_t nvocab;         /*   the letters in lower case; by frequency, cache-sized */
    uint64_t read, too_short, too_long, near_dup; /* counts for stats */
} gen_corpus;

/* Loads and parses the base stories. 0, or an exit code after a message. */
int gen_corpus_load(gen_corpus *C, const gen_config *c);
void gen_corpus_free(gen_corpus *C);

/* ---------------------------------------------------------------------------
 * Outlets and edits (edits.c)
 * ------------------------------------------------------------------------- */
#define GEN_OUTLETS 20      /* outlets besides the wire service (index 0) */

/* House style of an outlet, drawn from the seed. */
typedef struct gen_style {
    const char *name;
    uint8_t dateline;      /* dateline form */
    uint8_t byline;        /* byline form */
    uint8_t trailer;       /* trailer form */
    uint8_t headline;      /* bit set of headline rewrites it uses */
    uint8_t para;          /* paragraph break: 0 blank line, 1 newline, 2 indent */
    uint8_t width;         /* wrap width, 0 = unwrapped */
    uint32_t copyedit;     /* 2 bits per substitution pair: 0 none, 1 forward, 2 back */
} gen_style;

/* One planned document. */
typedef struct gen_recipe {
    int64_t t;             /* seconds after the corpus epoch */
    uint64_t seq;          /* planning order: breaks ties of t */
    uint64_t story;        /* cluster number */
    uint32_t base;         /* base story */
    uint32_t reuse;        /* how many times the base was used before (0: as is) */
    uint16_t member;       /* 0 for the first document of the cluster */
    uint8_t outlet;        /* 0 = the wire story verbatim */
    uint8_t kind;          /* 0 a story; GEN_TEMPLATE or GEN_FOLLOWUP: a hard */
    uint32_t other;        /*   negative made from story base/reuse; other: the */
} gen_recipe;              /*   follow-up's own base */

/* Everything a worker needs to make documents; read-only while they run. */
typedef struct gen_ctx {
    const gen_config *cfg;
    const gen_corpus *C;
    gen_style style[GEN_OUTLETS + 1];
    int64_t epoch;         /* time_t of t = 0 */
    int id_width;          /* digits of document and cluster ids */
} gen_ctx;

/* A sentence of the story body, for truncation and drops. */
typedef struct gen_sent {
    uint32_t off, len;     /* in the story body */
    uint32_t par;          /* paragraph number */
    uint32_t words;
} gen_sent;

/* Per-thread scratch space, reused for every document. */
typedef struct gen_scratch {
    wd_buf title, body, b1, b2, text, json;
    wd_buf neg_title, neg_body; /* a hard negative's story */
    gen_sent *sent;
    size_t nsent, cap_sent;
    uint64_t edits[GEN_NEDITS]; /* documents that got each edit */
    uint64_t wire;              /* verbatim wire copies */
} gen_scratch;

void gen_styles_init(gen_ctx *X);

/* Appends document number doc made from recipe r as one JSONL line to
 * out, its label line to labels and, when edits is not NULL, a line
 * id<TAB>held-out edits ("-" for none) to edits. */
void gen_make_doc(const gen_ctx *X, const gen_recipe *r, uint64_t doc, gen_scratch *S,
                  wd_buf *out, wd_buf *labels, wd_buf *edits);

/* Reuse noise (edits.c): a share noise of the words replaced. */
void gen_perturb(wd_buf *dst, const char *str, size_t n, const gen_corpus *C, gen_rng *P,
                 double noise);

/* Held-out edits (heldout.c): each appends s changed to dst and returns 1,
 * or 0 when the text does not allow the edit (dst then holds nothing useful). */
int gen_reorder(wd_buf *dst, const char *s, size_t n, gen_rng *R);
int gen_resplit(wd_buf *dst, const char *s, size_t n, gen_rng *R);
int gen_local(wd_buf *dst, const char *s, size_t n, gen_rng *R);
int gen_numbers(wd_buf *dst, const char *s, size_t n);
int gen_correct(wd_buf *dst, const char *s, size_t n, gen_rng *R);
int gen_html(wd_buf *dst, const char *s, size_t n, gen_rng *R);
int gen_hyphenate(wd_buf *dst, const char *s, size_t n, gen_rng *R);
int gen_is_table(const char *s, size_t n);
int gen_paragraphs(const char *s, size_t n);
void gen_template(wd_buf *title, wd_buf *body, const char *t, size_t tl, const char *s,
                  size_t n, const gen_corpus *C, gen_rng *R);
int gen_followup(wd_buf *body, const char *other, size_t on, const char *s, size_t n, gen_rng *R);

void gen_scratch_free(gen_scratch *S);

#endif
