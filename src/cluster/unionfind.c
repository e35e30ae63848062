/* unionfind.c - union-find with smallest-element roots (see unionfind.h). */
#include "unionfind.h"

#include <stdlib.h>

#include "wiredup.h"

void wd_uf_init(wd_uf *u)
{
    u->parent = NULL;
    u->n = u->cap = 0;
}

void wd_uf_free(wd_uf *u)
{
    free(u->parent);
    wd_uf_init(u);
}

int wd_uf_grow(wd_uf *u, uint64_t count)
{
    if (u->n + count > u->cap) {
        uint64_t cap = u->cap + u->cap / 2 + 1024;
        if (cap < u->n + count) cap = u->n + count;
        uint64_t *p = realloc(u->parent, cap * sizeof *p);
        if (!p) return WD_E_NOMEM;
        u->parent = p;
        u->cap = cap;
    }
    for (uint64_t i = 0; i < count; i++) u->parent[u->n + i] = u->n + i;
    u->n += count;
    return WD_OK;
}

uint64_t wd_uf_find(wd_uf *u, uint64_t x)
{
    while (u->parent[x] != x) {
        u->parent[x] = u->parent[u->parent[x]];
        x = u->parent[x];
    }
    return x;
}

void wd_uf_union(wd_uf *u, uint64_t x, uint64_t y)
{
    x = wd_uf_find(u, x);
    y = wd_uf_find(u, y);
    if (x == y) return;
    if (x < y) u->parent[y] = x;
    else u->parent[x] = y;
}
