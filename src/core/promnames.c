#include "core/promnames.h"

#include <stdint.h>
#include <string.h>

static int is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int prom_metric_name_valid(const char *s, size_t n)
{
    if (n == 0 || !(is_alpha_(s[0]) || s[0] == ':'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(is_alpha_(s[i]) || is_digit(s[i]) || s[i] == ':'))
            return 0;
    return 1;
}

int prom_label_name_valid(const char *s, size_t n)
{
    if (n == 0 || !is_alpha_(s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(is_alpha_(s[i]) || is_digit(s[i])))
            return 0;
    return 1;
}

int prom_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* label values are mostly ASCII: skip eight bytes at a time */
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, sizeof w);
            if ((w & UINT64_C(0x8080808080808080)) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned min;
        if (c >= 0xc2 && c <= 0xdf)
            k = 1, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            k = 2, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3, min = 0x10000;
        else
            return 0;
        if (n - i <= k)
            return 0;
        unsigned cp = c & (0x3fu >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}
