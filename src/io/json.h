/*
 * json.h - C interface to the JSON parser (simdjson) for JSONL records.
 *
 * One wd_json per thread. A record is fully validated (a malformed record is
 * an error even when the fields wanted are intact); the text field must be a
 * string, the id field may be a string or a number (an integer in decimal, a
 * double as written) and may be absent or null; id_field may be NULL when no
 * id is wanted. Integers beyond 64 bits anywhere in a record are rejected
 * by the parser (simdjson 3.0). On error the arena is unchanged.
 */
#ifndef WD_IO_JSON_H
#define WD_IO_JSON_H

#include <stddef.h>

#include "../common/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_json wd_json;

wd_json *wd_json_new(void);
void wd_json_free(wd_json *j);

/* Result of extracting fields from one record. */
typedef struct wd_json_fields {
    size_t text_off;   /* decoded text at arena->data + text_off */
    size_t text_len;
    size_t id_off;     /* decoded id at arena->data + id_off */
    size_t id_len;
    int has_id;        /* 0 when the id field is absent or null */
    size_t key_off;    /* decoded key field (see wd_json_set_key_field) */
    size_t key_len;
    int has_key;       /* 0 when there is no key field or it is absent or null */
} wd_json_fields;

/* Also extract this field (string, or number as text: the id rule) into
 * the key of each result, e.g. a date or outlet for --keep. NULL: none.
 * The string must outlive the parser's use. */
void wd_json_set_key_field(wd_json *j, const char *field);

/*
 * Parses rec[0..len) (readable must be >= len; when readable >= len + 64 no
 * copy is made) and appends the decoded text and id to arena. Returns 0, or
 * -1 with a one-line message in err such as
 *   "malformed JSON: <reason>", "missing field \"text\"",
 *   "field \"text\" is not a string", "record is not a JSON object".
 */
int wd_json_extract(wd_json *j, const char *rec, size_t len, size_t readable,
                    const char *text_field, const char *id_field,
                    wd_buf *arena, wd_json_fields *out,
                    char *err, size_t errlen);

/* Appends s[0..n) to out as a JSON string literal (with quotes), escaping
 * as JSON requires; invalid UTF-8 bytes become U+FFFD. 0 or -1 (no memory). */
int wd_json_quote(const char *s, size_t n, wd_buf *out);

#ifdef __cplusplus
}
#endif
#endif
