/* utf8.c - whole-buffer UTF-8 helpers (see utf8.h). */
#include "utf8.h"

int wd_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        int32_t cp;
        int len = wd_utf8_decode(p + i, n - i, &cp);
        if (len == 0) return 0;
        i += (size_t)len;
    }
    return 1;
}

size_t wd_utf8_count(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cont = 0;
    /* A branch-free count that the compiler vectorizes. */
    for (size_t i = 0; i < n; i++) cont += (p[i] & 0xC0) == 0x80;
    return n - cont + (n > 0 && (p[0] & 0xC0) == 0x80);
}
