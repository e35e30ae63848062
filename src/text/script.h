/*
 * script.h - scripts whose characters are tokens of their own.
 *
 * Chinese, Japanese and Thai are written without spaces between words and
 * Korean syllables are short, so splitting them at separators would give one
 * giant "word" per sentence. Each letter or digit of these scripts is
 * therefore a token by itself (its following combining marks stay with it),
 * which gives character n-gram shingles in word mode.
 *
 * The test runs on NFKC-normalized code points, so halfwidth Katakana and
 * Hangul have already become their fullwidth / conjoining forms and CJK
 * compatibility ideographs their unified forms. Only letters and digits
 * reach this test (normalize.c checks the general category first), so the
 * ranges may include punctuation and unassigned code points harmlessly.
 */
#ifndef WD_TEXT_SCRIPT_H
#define WD_TEXT_SCRIPT_H

#include <stdint.h>

/* 1 when the code point is Han, Hiragana, Katakana, Hangul or Thai. */
static inline int wd_script_solo(int32_t cp)
{
    if (cp < 0x0E00) return 0;                     /* the common case: Latin, Greek, Cyrillic... */
    if (cp <= 0x0E7F) return 1;                    /* Thai */
    if (cp < 0x1100) return 0;
    if (cp <= 0x11FF) return 1;                    /* Hangul Jamo */
    if (cp < 0x3005) return 0;
    if (cp <= 0x3007) return 1;                    /* 々 〆 〇 (ideographic marks, Han) */
    if (cp >= 0x3021 && cp <= 0x3029) return 1;    /* Hangzhou numerals (Han) */
    if (cp >= 0x3038 && cp <= 0x303B) return 1;    /* more Han numerals, 〻 */
    if (cp >= 0x3040 && cp <= 0x30FF) return 1;    /* Hiragana, Katakana */
    if (cp >= 0x3130 && cp <= 0x318F) return 1;    /* Hangul Compatibility Jamo */
    if (cp >= 0x31F0 && cp <= 0x31FF) return 1;    /* Katakana Phonetic Extensions */
    if (cp >= 0x3400 && cp <= 0x4DBF) return 1;    /* CJK Extension A */
    if (cp >= 0x4E00 && cp <= 0x9FFF) return 1;    /* CJK Unified Ideographs */
    if (cp >= 0xA960 && cp <= 0xA97F) return 1;    /* Hangul Jamo Extended-A */
    if (cp >= 0xAC00 && cp <= 0xD7FF) return 1;    /* Hangul Syllables, Jamo Extended-B */
    if (cp >= 0xF900 && cp <= 0xFAFF) return 1;    /* CJK Compatibility Ideographs */
    if (cp >= 0x1B000 && cp <= 0x1B16F) return 1;  /* Kana Supplement / Extended-A / Small Kana */
    if (cp >= 0x20000 && cp <= 0x323AF) return 1;  /* CJK Extensions B-H, Compat. Supplement */
    return 0;
}

#endif
