/*
 * rewrite.h - byte-level repairs before tokenizing (wiredup.h, "Text rules").
 *
 *   raw text --wd_rewrite--> repaired text --(tokenizer)--> "tok tok tok"
 *
 * Copies of one story pass through different layout and markup tools, which
 * break words and numbers apart in ways the tokenizer would keep:
 *
 *   digit grouping  "1250000"          -> "1 250 000" (as "1,250,000" reads)
 *   line-end hyphen "tele-\n  vision"  -> "television" (the break is dropped)
 *   HTML entities   "AT&amp;T" "&#39;" -> "AT T" "'"   (decoded)
 *   HTML tags       "<p>" "</p>" "<br>" "<br/>" "<br />" -> " "
 *
 * Every rule looks at the raw input only, never at what an earlier rule
 * wrote. Apart from a numeric entity, which becomes its character, rules
 * only remove ASCII punctuation and blanks or insert spaces: ASCII starters
 * that compose with nothing. wd_normalize() and wd_normalize_slow() both
 * start here, so the fast path and every SIMD path of the tokenizer see the
 * same bytes and need not know about the rules.
 */
#ifndef WD_TEXT_REWRITE_H
#define WD_TEXT_REWRITE_H

#include <stddef.h>

#include "../common/buf.h"

/* Applies the rules to s[0..n). Returns 0 when none fires (out untouched),
 * 1 when the repaired text is in out (out->len <= n + n / 3: only the
 * digit rule lengthens), or WD_E_NOMEM. */
int wd_rewrite(const char *s, size_t n, wd_buf *out);

#endif
