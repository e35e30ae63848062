/*
 * normalize_simd.h - the ASCII fast path of wd_normalize() per ISA.
 *
 * wd_ascii_run_*() fold a run of ASCII bytes s[0..m) into tokens at d[o]
 * exactly as the scalar loop in normalize.c does: letters lowercased,
 * digits kept, every other byte a separator, runs of separators written as
 * one space, and *kind (the state the output ends in) carried across
 * calls. They return the new length and may write up to 16 bytes past it
 * (the caller reserves WD_ASCII_RUN_SLACK extra bytes).
 *
 * The vector versions classify 32 or 64 bytes at once with compares, turn
 * "separator after separator" into a bit mask, and drop those bytes with
 * pshufb, eight bytes at a time through wd_compact8.
 */
#ifndef WD_TEXT_NORMALIZE_SIMD_H
#define WD_TEXT_NORMALIZE_SIMD_H

#include <stddef.h>
#include <stdint.h>

#define WD_ASCII_RUN_SLACK 32

/* What the output ends with (normalize.c's K_* values). */
enum { WD_K_SEP = 0, WD_K_WORD = 1, WD_K_SOLO = 2 };

size_t wd_ascii_run_avx2(const unsigned char *s, size_t m, char *d, size_t o, int *kind);
size_t wd_ascii_run_avx512(const unsigned char *s, size_t m, char *d, size_t o, int *kind);

/* Byte indices of the set bits of a mask byte, for pshufb (0x80 = zero). */
extern const uint64_t wd_compact8[256];

#endif
