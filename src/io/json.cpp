/*
 * json.cpp - JSONL record fields through simdjson's DOM parser (see json.h).
 *
 * The DOM parser validates the whole record (structure, UTF-8, escapes,
 * numbers, nothing after the value), which On-Demand would not, so a broken
 * record is always reported. simdjson reads up to SIMDJSON_PADDING bytes past
 * the end of its input: a record with that much readable memory after it is
 * parsed in place, any other one (the last record of a mapped file, a record
 * in an exact-size buffer) is first copied into a padded scratch buffer.
 *
 * Memory: the DOM reserves about 14 bytes per input byte (tape, string buffer,
 * structural indexes). Capacity grows geometrically up to BIG_RECORD, then
 * exactly; after a record larger than BIG_RECORD the parser is dropped so one
 * huge record does not pin gigabytes for the rest of the run.
 *
 * Nothing throws across the C boundary: simdjson is used through its error
 * codes, and the only std::string work (the text of a double id) runs inside
 * a catch-all in wd_json_extract.
 */
#include "json.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include <simdjson.h>

static_assert(simdjson::SIMDJSON_PADDING == 64,
              "json.h promises no copy when 64 bytes follow a record");

namespace {

constexpr size_t MIN_CAPACITY = size_t(1) << 16;
constexpr size_t BIG_RECORD = size_t(1) << 24;

void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

bool all_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Room for n more bytes in b. */
bool reserve_more(wd_buf *b, size_t n)
{
    if (n > SIZE_MAX - b->len) return false;
    if (b->len + n <= b->cap) return true;
    return wd_buf_reserve(b, b->len + n) == 0;
}

void append(wd_buf *b, const char *s, size_t n)
{
    if (n) std::memcpy(b->data + b->len, s, n);
    b->len += n;
}

} // namespace

struct wd_json {
    simdjson::dom::parser parser;
    simdjson::ondemand::parser ondemand; /* only for the text of double ids */
    simdjson::dom::document doc;
    size_t capacity = 0;       /* bytes parser and doc are sized for */
    char *scratch = nullptr;   /* copy of an unpadded record, + padding */
    size_t scratch_cap = 0;    /* bytes of scratch usable for a record */
    const char *key_field = nullptr; /* extra field to extract, or none */
};

extern "C" wd_json *wd_json_new(void)
{
    return new (std::nothrow) wd_json();
}

extern "C" void wd_json_free(wd_json *j)
{
    if (!j) return;
    std::free(j->scratch);
    delete j;
}

/* Sizes the parser and document for len bytes, growing geometrically below
 * BIG_RECORD so a slowly rising record length does not reallocate each time. */
static simdjson::error_code ensure_capacity(wd_json *j, size_t len)
{
    if (len <= j->capacity) return simdjson::SUCCESS;
    size_t max = j->parser.max_capacity();
    if (len > max) return simdjson::CAPACITY;
    size_t want = len;
    if (len < BIG_RECORD) {
        size_t grown = j->capacity + j->capacity / 2;
        if (want < grown) want = grown;
        if (want < MIN_CAPACITY) want = MIN_CAPACITY;
        if (want > BIG_RECORD) want = BIG_RECORD;
    }
    if (want > max) want = max;
    simdjson::error_code e = j->parser.allocate(want);
    if (!e) e = j->doc.allocate(want);
    if (e) {
        j->capacity = 0;
        return e;
    }
    j->capacity = want;
    return simdjson::SUCCESS;
}

/* The message for a failed parse of rec[0..len). */
static void parse_error(simdjson::error_code e, const char *rec, size_t len,
                        char *err, size_t errlen)
{
    if (e == simdjson::MEMALLOC)
        set_err(err, errlen, "out of memory");
    else if (e == simdjson::CAPACITY)
        set_err(err, errlen, "record too large for the JSON parser");
    else if (e == simdjson::EMPTY || all_blank(rec, len))
        set_err(err, errlen, "malformed JSON: empty record");
    else
        set_err(err, errlen, "malformed JSON: %s", simdjson::error_message(e));
}

/* Drops the buffers a huge record made the parser allocate. */
static void shed(wd_json *j)
{
    j->parser = simdjson::dom::parser();
    j->doc = simdjson::dom::document();
    j->ondemand = simdjson::ondemand::parser();
    j->capacity = 0;
    std::free(j->scratch);
    j->scratch = nullptr;
    j->scratch_cap = 0;
}

/* A double id as the record wrote it ("1.50", "1e3"), re-read with
 * simdjson's On-Demand API, which can hand back a value's raw text; src has
 * SIMDJSON_PADDING bytes after len. False when the field cannot be found that
 * way (On-Demand compares keys as written, so a key spelled with escapes is
 * not found; DOM unescapes them). */
static bool raw_number(wd_json *j, const char *src, size_t len,
                       const char *field, std::string &out);

/* The JSON text of a number id: integers in decimal (the only way JSON writes
 * them, but for "-0"), doubles as written, or else as simdjson's minify
 * writes them (the shortest text that reads back the same). */
static bool number_text(wd_json *j, const char *src, size_t len,
                        const char *field, simdjson::dom::element v,
                        std::string &out)
{
    char tmp[32];
    switch (v.type()) {
    case simdjson::dom::element_type::INT64:
        std::snprintf(tmp, sizeof tmp, "%" PRId64, int64_t(v.get_int64().value_unsafe()));
        out = tmp;
        return true;
    case simdjson::dom::element_type::UINT64:
        std::snprintf(tmp, sizeof tmp, "%" PRIu64, uint64_t(v.get_uint64().value_unsafe()));
        out = tmp;
        return true;
    case simdjson::dom::element_type::DOUBLE:
        if (raw_number(j, src, len, field, out)) return true;
        try {
            out = simdjson::minify(v);
        } catch (...) {
            std::snprintf(tmp, sizeof tmp, "%.17g", v.get_double().value_unsafe());
            out = tmp;
        }
        return true;
    default:
        return false;
    }
}

static bool raw_number(wd_json *j, const char *src, size_t len,
                       const char *field, std::string &out)
{
    simdjson::ondemand::document doc;
    simdjson::ondemand::value v;
    std::string_view raw;
    if (j->ondemand.iterate(src, len, len + simdjson::SIMDJSON_PADDING).get(doc) ||
        doc.find_field(field).get(v))
        return false;
    raw = v.raw_json_token();
    /* the token runs up to the next one: drop the white space before it */
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' ||
                            raw.back() == '\r' || raw.back() == '\n'))
        raw.remove_suffix(1);
    if (raw.empty()) return false;
    out.assign(raw.data(), raw.size());
    return true;
}

/* An id-like field: a string, or a number as text. 1 found (in out), 0 absent
 * or null (or field NULL), -1 wrong type (err set). */
static int scalar_field(wd_json *j, const char *src, size_t len, simdjson::dom::object &obj,
                        const char *field, std::string_view &out, std::string &num,
                        char *err, size_t errlen)
{
    simdjson::dom::element v;
    if (!field || obj.at_key(field).get(v) || v.is_null()) return 0;
    if (v.is_string()) {
        out = v.get_string().value_unsafe();
        return 1;
    }
    if (number_text(j, src, len, field, v, num)) {
        out = num;
        return 1;
    }
    set_err(err, errlen, "field \"%s\" is not a string or a number", field);
    return -1;
}

static int extract(wd_json *j, const char *rec, size_t len, size_t readable,
                   const char *text_field, const char *id_field,
                   wd_buf *arena, wd_json_fields *out, char *err,
                   size_t errlen)
{
    simdjson::error_code e = ensure_capacity(j, len);
    if (e) {
        parse_error(e, rec, len, err, errlen);
        return -1;
    }

    const char *src = rec;
    if (readable < len || readable - len < simdjson::SIMDJSON_PADDING) {
        if (!j->scratch || len > j->scratch_cap) {
            size_t want = len < BIG_RECORD ? len + len / 2 : len;
            if (want < 4096) want = 4096;
            char *s = static_cast<char *>(
                std::realloc(j->scratch, want + simdjson::SIMDJSON_PADDING));
            if (!s) {
                set_err(err, errlen, "out of memory");
                return -1;
            }
            j->scratch = s;
            j->scratch_cap = want;
        }
        if (len) std::memcpy(j->scratch, rec, len);
        std::memset(j->scratch + len, 0, simdjson::SIMDJSON_PADDING);
        src = j->scratch;
    }

    simdjson::dom::element root;
    e = j->parser.parse_into_document(j->doc, src, len, false).get(root);
    if (e) {
        parse_error(e, rec, len, err, errlen);
        return -1;
    }

    simdjson::dom::object obj;
    if (root.get_object().get(obj)) {
        set_err(err, errlen, "record is not a JSON object");
        return -1;
    }

    simdjson::dom::element tv;
    if (obj.at_key(text_field).get(tv)) {
        set_err(err, errlen, "missing field \"%s\"", text_field);
        return -1;
    }
    std::string_view text;
    if (tv.get_string().get(text)) {
        set_err(err, errlen, "field \"%s\" is not a string", text_field);
        return -1;
    }

    std::string_view id, key;
    std::string id_num, key_num;
    int has_id = scalar_field(j, src, len, obj, id_field, id, id_num, err, errlen);
    if (has_id < 0) return -1;
    int has_key = scalar_field(j, src, len, obj, j->key_field, key, key_num, err, errlen);
    if (has_key < 0) return -1;

    /* +1: arena->data is never NULL after a success, even for "" */
    if (!reserve_more(arena, text.size() + id.size() + key.size() + 1)) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    out->text_off = arena->len;
    out->text_len = text.size();
    append(arena, text.data(), text.size());
    out->id_off = arena->len;
    out->id_len = id.size();
    append(arena, id.data(), id.size());
    out->has_id = has_id;
    out->key_off = arena->len;
    out->key_len = key.size();
    append(arena, key.data(), key.size());
    out->has_key = has_key;
    return 0;
}

extern "C" void wd_json_set_key_field(wd_json *j, const char *field)
{
    j->key_field = field;
}

extern "C" int wd_json_extract(wd_json *j, const char *rec, size_t len,
                               size_t readable, const char *text_field,
                               const char *id_field, wd_buf *arena,
                               wd_json_fields *out, char *err, size_t errlen)
{
    int rc;
    try {
        rc = extract(j, rec, len, readable, text_field, id_field, arena, out,
                     err, errlen);
    } catch (...) {
        set_err(err, errlen, "out of memory");
        rc = -1;
    }
    if (len > BIG_RECORD) shed(j);
    return rc;
}

/* ------------------------------------------------------------------------
 * wd_json_quote
 * ---------------------------------------------------------------------- */

/* Length of the valid, shortest-form UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0; /* continuation byte, C0, C1, F5..FF */
}

/* 1 for the bytes JSON needs escaped (and, on the checked path, non-ASCII). */
static inline bool special(unsigned char c, bool check_utf8)
{
    return c < 0x20 || c == '"' || c == '\\' || (check_utf8 && c >= 0x80);
}

/* Bytes at the start of s[0..n) that need no attention. Eight at a time:
 * the has-less / has-zero word tricks tell exactly whether some byte in the
 * word is < 0x20, '"', '\\' or (check_utf8) >= 0x80; the byte loop then
 * finds which. */
static size_t plain_run(const unsigned char *s, size_t n, bool check_utf8)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    size_t i = 0;
    for (;;) {
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            std::memcpy(&w, s + i, 8);
            uint64_t q = w ^ (ones * '"');
            uint64_t bs = w ^ (ones * '\\');
            uint64_t hit = ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
                           ((bs - ones) & ~bs);
            if (check_utf8) hit |= w;
            if (hit & high) break;
        }
        size_t stop = n - i > 8 ? i + 8 : n;
        for (; i < stop; i++)
            if (special(s[i], check_utf8)) return i;
        if (i == n) return n;
    }
}

extern "C" int wd_json_quote(const char *str, size_t n, wd_buf *out)
{
    const unsigned char *s = reinterpret_cast<const unsigned char *>(str);
    const size_t start = out->len;
    /* Valid UTF-8 (the usual case) passes through: only ASCII is looked at. */
    const bool check_utf8 = !simdjson::validate_utf8(str, n);

    if (!reserve_more(out, n + 2)) return -1;
    out->data[out->len++] = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = plain_run(s + i, n - i, check_utf8);
        if (!reserve_more(out, run + 7)) { /* run + one escape + '"' */
            out->len = start;
            return -1;
        }
        append(out, str + i, run);
        i += run;
        if (i == n) break;

        unsigned char c = s[i];
        char *w = out->data + out->len;
        if (c >= 0x80) { /* only when check_utf8 */
            size_t k = utf8_seq(s + i, n - i);
            if (k) {
                append(out, str + i, k);
                i += k;
            } else {
                std::memcpy(w, "\\ufffd", 6);
                out->len += 6;
                i++;
            }
            continue;
        }
        const char *esc = nullptr;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        }
        if (esc) {
            w[0] = esc[0];
            w[1] = esc[1];
            out->len += 2;
        } else {
            static const char hex[] = "0123456789abcdef";
            std::memcpy(w, "\\u00", 4);
            w[4] = hex[c >> 4];
            w[5] = hex[c & 15];
            out->len += 6;
        }
        i++;
    }
    if (!reserve_more(out, 1)) {
        out->len = start;
        return -1;
    }
    out->data[out->len++] = '"';
    return 0;
}
