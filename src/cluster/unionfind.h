/*
 * unionfind.h - connected components with a deterministic representative.
 *
 * Union always links the larger root under the smaller, so a component's
 * root is its smallest (earliest) document whatever the order of unions.
 * Path halving keeps finds near-constant.
 */
#ifndef WD_CLUSTER_UNIONFIND_H
#define WD_CLUSTER_UNIONFIND_H

#include <stdint.h>

typedef struct wd_uf {
    uint64_t *parent;  /* parent[i] <= i; roots have parent[i] == i */
    uint64_t n;        /* elements */
    uint64_t cap;      /* allocated */
} wd_uf;

void wd_uf_init(wd_uf *u);
void wd_uf_free(wd_uf *u);

/* Appends count singletons. WD_OK or WD_E_NOMEM. */
int wd_uf_grow(wd_uf *u, uint64_t count);

/* The root (smallest element) of x's component. */
uint64_t wd_uf_find(wd_uf *u, uint64_t x);

/* Joins the components of x and y. */
void wd_uf_union(wd_uf *u, uint64_t x, uint64_t y);

#endif
