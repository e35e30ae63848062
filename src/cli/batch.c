/* batch.c - parallel record parsing and annotated output (see batch.h). */
#include "batch.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

int cli_parser_init(cli_parser *p, unsigned nthreads, const char *text_field,
                    const char *id_field, const char *key_field)
{
    memset(p, 0, sizeof *p);
    p->nthreads = nthreads ? nthreads : 1;
    p->text_field = text_field;
    p->id_field = id_field;
    p->slot = aligned_alloc(64, p->nthreads * sizeof *p->slot);
    if (!p->slot) return -1;
    memset(p->slot, 0, p->nthreads * sizeof *p->slot);
    for (unsigned t = 0; t < p->nthreads; t++) {
        if (!(p->slot[t].json = wd_json_new())) return -1;
        wd_json_set_key_field(p->slot[t].json, key_field);
    }
    return 0;
}

void cli_parser_free(cli_parser *p)
{
    for (unsigned t = 0; p->slot && t < p->nthreads; t++) {
        wd_json_free(p->slot[t].json);
        wd_buf_free(&p->slot[t].arena);
    }
    free(p->slot);
    free(p->f);
    free(p->who);
    memset(p, 0, sizeof *p);
}

int cli_parse_batch(cli_parser *p, wd_format fmt, const cli_raw *in, size_t n,
                    cli_parsed *out)
{
    if (fmt != WD_FMT_JSONL) {
        for (size_t i = 0; i < n; i++)
            out[i] = (cli_parsed){ .text = in[i].data, .text_len = in[i].len, .ok = 1 };
        return 0;
    }
    if (n > p->cap) {   /* offsets first (arenas move while they grow), pointers after */
        wd_json_fields *f = realloc(p->f, n * sizeof *f);
        if (f) p->f = f;
        uint16_t *who = realloc(p->who, n * sizeof *who);
        if (who) p->who = who;
        if (!f || !who) return -1;
        p->cap = n;
    }
    for (unsigned t = 0; t < p->nthreads; t++) p->slot[t].arena.len = 0;
    unsigned nt = n < p->nthreads ? (unsigned)n : p->nthreads;
    #pragma omp parallel for num_threads(nt) schedule(dynamic, 64) if (n >= 64)
    for (size_t i = 0; i < n; i++) {
        int t = omp_get_thread_num();
        p->who[i] = (uint16_t)t;
        out[i].ok = wd_json_extract(p->slot[t].json, in[i].data, in[i].len, in[i].readable,
                                    p->text_field, p->id_field, &p->slot[t].arena, &p->f[i],
                                    out[i].err, sizeof out[i].err) == 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!out[i].ok) continue;
        const char *a = p->slot[p->who[i]].arena.data;
        const wd_json_fields *f = &p->f[i];
        out[i].text = a + f->text_off;
        out[i].text_len = f->text_len;
        out[i].id = f->has_id ? a + f->id_off : NULL;
        out[i].id_len = f->has_id ? f->id_len : 0;
        out[i].key = f->has_key ? a + f->key_off : NULL;
        out[i].key_len = f->has_key ? f->key_len : 0;
    }
    return 0;
}

void cli_write_object_open(wd_out *o, wd_buf *tmp, const char *raw, size_t len, int is_json,
                           const char *id, size_t id_len)
{
    if (is_json) {              /* the object up to its closing brace */
        size_t end = len;
        while (end && raw[end - 1] != '}') end--;
        if (!end) return;       /* not an object: callers pass parsed objects only */
        size_t k = end - 1;
        while (k && strchr(" \t\r\n", raw[k - 1])) k--;
        wd_out_write(o, raw, end - 1);
        if (k && raw[k - 1] != '{') wd_out_write(o, ",", 1);
        return;
    }
    tmp->len = 0;
    wd_out_write(o, "{\"id\":", 6);
    wd_json_quote(id, id_len, tmp);
    wd_out_write(o, tmp->data, tmp->len);
    tmp->len = 0;
    wd_out_write(o, ",\"text\":", 8);
    wd_json_quote(raw, len, tmp);
    wd_out_write(o, tmp->data, tmp->len);
    wd_out_write(o, ",", 1);
}
