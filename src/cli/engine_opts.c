/* engine_opts.c - options that set wd_params (see engine_opts.h). */
#include "engine_opts.h"

#include <string.h>

#include "cli.h"

enum {
    E_SHINGLE = CLI_ENGINE_BASE, E_NUM_HASHES, E_THRESHOLD, E_CONTAINMENT, E_BANDS, E_ROWS,
    E_SEED, E_THREADS, E_SKETCH, E_CLUSTER, E_MAX_DISTANCE, E_NO_MASK, E_MASK_RULES,
    E_TEMPLATE_SHARE
};

const cli_opt cli_engine_tab[] = {
    { E_SHINGLE, 0, "shingle", "KIND:K", "word:K or char:K shingles (default: word:5)" },
    { E_NUM_HASHES, 0, "num-hashes", "N", "MinHash signature length (default: 128)" },
    { E_THRESHOLD, 't', "threshold", "T", "estimated Jaccard for a duplicate (default: 0.3)" },
    { E_CONTAINMENT, 'c', "containment", "C", "also a duplicate when the shorter is this contained; 0 = off (default: 0.5)" },
    { E_SEED, 0, "seed", "N", "hash seed (default: 24301)" },
    { E_SKETCH, 0, "sketch", "KIND", "minhash, oph (one-permutation) or simhash (default: minhash)" },
    { E_MAX_DISTANCE, 0, "max-distance", "K", "simhash: largest Hamming distance of a duplicate (default: 3)" },
    { E_NO_MASK, 0, "no-mask", NULL, "keep wire boilerplate (datelines, bylines, credits, trailers) in the text" },
    { E_MASK_RULES, 0, "mask-rules", "FILE", "more boilerplate rules: 'head|tail|line|inline REGEX' per line" },
    { E_TEMPLATE_SHARE, 0, "template-share", "F", "drop shingles found in this share of the documents (templates; not for compare); 0 = off (default: 0)" },
    { 0, 0, NULL, NULL, NULL }
};

const cli_opt cli_index_tab[] = {
    { E_BANDS, 0, "bands", "B", "LSH bands (default: chosen from --threshold)" },
    { E_ROWS, 0, "rows", "R", "LSH rows per band (default: chosen from --threshold)" },
    { E_CLUSTER, 0, "cluster", "MODE", "components (union-find) or leader (no chaining) (default: components)" },
    { E_THREADS, 'j', "threads", "N", "worker threads (default: all cores)" },
    { 0, 0, NULL, NULL, NULL }
};

int cli_engine_opt(const char *cmd, wd_params *p, int id, const char *v)
{
    unsigned long u;
    double d;
    switch (id) {
    case E_SHINGLE: {
        const char *colon = strchr(v, ':');
        size_t n = colon ? (size_t)(colon - v) : strlen(v);
        if (n == 4 && !strncmp(v, "word", 4)) p->shingle = WD_SHINGLE_WORD;
        else if (n == 4 && !strncmp(v, "char", 4)) p->shingle = WD_SHINGLE_CHAR;
        else return cli_bad_value(cmd, "shingle", v, "word:K or char:K");
        if (colon) {
            if (cli_uint(colon + 1, 1, WD_MAX_SHINGLE, &u))
                return cli_bad_value(cmd, "shingle", v, "K from 1 to 64");
            p->shingle_size = (unsigned)u;
        }
        return 0;
    }
    case E_NUM_HASHES:
        if (cli_uint(v, 1, WD_MAX_HASHES, &u)) return cli_bad_value(cmd, "num-hashes", v, "1 to 1024");
        p->num_hashes = (unsigned)u;
        return 0;
    case E_THRESHOLD:
        if (cli_double(v, 1e-9, 1.0, &d)) return cli_bad_value(cmd, "threshold", v, "a number in (0, 1]");
        p->threshold = d;
        return 0;
    case E_CONTAINMENT:
        if (cli_double(v, 0.0, 1.0, &d)) return cli_bad_value(cmd, "containment", v, "a number in [0, 1]");
        p->containment = d;
        return 0;
    case E_BANDS:
        if (cli_uint(v, 1, WD_MAX_HASHES, &u)) return cli_bad_value(cmd, "bands", v, "1 to 1024");
        p->bands = (unsigned)u;
        return 0;
    case E_ROWS:
        if (cli_uint(v, 1, WD_MAX_HASHES, &u)) return cli_bad_value(cmd, "rows", v, "1 to 1024");
        p->rows = (unsigned)u;
        return 0;
    case E_SEED:
        if (cli_uint(v, 0, ~0UL, &u)) return cli_bad_value(cmd, "seed", v, "a non-negative integer");
        p->seed = u;
        return 0;
    case E_SKETCH:
        if (!strcmp(v, "minhash")) p->sketch = WD_SKETCH_MINHASH;
        else if (!strcmp(v, "oph")) p->sketch = WD_SKETCH_OPH;
        else if (!strcmp(v, "simhash")) p->sketch = WD_SKETCH_SIMHASH;
        else return cli_bad_value(cmd, "sketch", v, "minhash, oph or simhash");
        return 0;
    case E_CLUSTER:
        if (!strcmp(v, "components")) p->cluster = WD_CLUSTER_COMPONENTS;
        else if (!strcmp(v, "leader")) p->cluster = WD_CLUSTER_LEADER;
        else return cli_bad_value(cmd, "cluster", v, "components or leader");
        return 0;
    case E_MAX_DISTANCE:
        if (cli_uint(v, 0, 63, &u)) return cli_bad_value(cmd, "max-distance", v, "0 to 63");
        p->max_distance = (unsigned)u;
        return 0;
    case E_NO_MASK:
        p->mask = 0;
        return 0;
    case E_MASK_RULES: {
        char err[512];
        int st = wd_mask_check(v, err, sizeof err);
        if (st == WD_E_NOMEM) {
            cli_error("%s: out of memory", cmd);
            return WD_EXIT_INTERNAL;
        }
        if (st) {
            cli_error("%s", err);
            return WD_EXIT_USAGE;
        }
        p->mask_rules = v;
        return 0;
    }
    case E_TEMPLATE_SHARE:
        if (cli_double(v, 0.0, 1.0, &d)) return cli_bad_value(cmd, "template-share", v, "a number in [0, 1]");
        p->template_share = d;
        return 0;
    case E_THREADS:
        if (cli_uint(v, 1, 1024, &u)) return cli_bad_value(cmd, "threads", v, "1 to 1024");
        p->threads = (unsigned)u;
        return 0;
    }
    return 0;
}

int cli_engine_check(const char *cmd, const wd_params *p)
{
    if (wd_params_check(p) == WD_E_UNSUPPORTED) {
        cli_error("%s: --sketch=%s is not available in this build yet", cmd,
                  p->sketch == WD_SKETCH_OPH ? "oph" : "simhash");
        return WD_EXIT_USAGE;
    }
    if ((p->bands == 0) != (p->rows == 0)) {
        cli_error("%s: --bands and --rows go together", cmd);
        return WD_EXIT_USAGE;
    }
    if (p->bands && (unsigned long)p->bands * p->rows > p->num_hashes) {
        cli_error("%s: --bands x --rows (%u x %u) exceeds --num-hashes %u", cmd, p->bands,
                  p->rows, p->num_hashes);
        return WD_EXIT_USAGE;
    }
    return 0;
}
