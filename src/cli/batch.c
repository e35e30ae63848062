/* batch.c - parallel record parsing (see batch.h). */
#include "batch.h"

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int cli_parser_init(cli_parser *p, unsigned nthreads, const char *text_field,
                    const char *id_field)
{
    memset(p, 0, sizeof *p);
    p->nthreads = nthreads ? nthreads : 1;
    p->text_field = text_field;
    p->id_field = id_field;
    p->json = calloc(p->nthreads, sizeof *p->json);
    p->arena = calloc(p->nthreads, sizeof *p->arena);
    if (!p->json || !p->arena) return -1;
    for (unsigned t = 0; t < p->nthreads; t++)
        if (!(p->json[t] = wd_json_new())) return -1;
    return 0;
}

void cli_parser_free(cli_parser *p)
{
    for (unsigned t = 0; p->json && t < p->nthreads; t++) wd_json_free(p->json[t]);
    for (unsigned t = 0; p->arena && t < p->nthreads; t++) wd_buf_free(&p->arena[t]);
    free(p->json);
    free(p->arena);
    memset(p, 0, sizeof *p);
}

void cli_parse_batch(cli_parser *p, wd_format fmt, const cli_raw *in, size_t n,
                     cli_parsed *out)
{
    if (fmt != WD_FMT_JSONL) {
        for (size_t i = 0; i < n; i++) {
            out[i] = (cli_parsed){ .text = in[i].data, .text_len = in[i].len, .ok = 1 };
        }
        return;
    }
    /* Offsets first (arenas move while they grow), pointers after. */
    wd_json_fields *f = malloc(n * sizeof *f);
    uint16_t *slot = malloc(n * sizeof *slot);
    if (!f || !slot) {
        for (size_t i = 0; i < n; i++) {
            out[i].ok = 0;
            strcpy(out[i].err, "out of memory");
        }
        free(f);
        free(slot);
        return;
    }
    for (unsigned t = 0; t < p->nthreads; t++) p->arena[t].len = 0;
    unsigned nt = n < p->nthreads ? (unsigned)n : p->nthreads;
    #pragma omp parallel for num_threads(nt) schedule(dynamic, 64) if (n >= 64)
    for (size_t i = 0; i < n; i++) {
        int t = omp_get_thread_num();
        slot[i] = (uint16_t)t;
        out[i].ok = wd_json_extract(p->json[t], in[i].data, in[i].len, in[i].readable,
                                    p->text_field, p->id_field, &p->arena[t], &f[i],
                                    out[i].err, sizeof out[i].err) == 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!out[i].ok) continue;
        const char *a = p->arena[slot[i]].data;
        out[i].text = a + f[i].text_off;
        out[i].text_len = f[i].text_len;
        out[i].id = f[i].has_id ? a + f[i].id_off : NULL;
        out[i].id_len = f[i].has_id ? f[i].id_len : 0;
    }
    free(f);
    free(slot);
}
