#include "core/fmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* A finite double split into its shortest significant digits and the decimal
 * exponent of the first one: v = 0.d1d2d3... × 10^(exp10 + 1). */
typedef struct decimal {
    char digits[20];
    int ndigits;
    int exp10;
    int negative;
}
decimal;

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

/* v < 10^8 as exactly eight digits; the four pairs do not wait on each
 * other, unlike a divide-by-100 loop. */
static void put_8_digits(char *p, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(p, digit_pairs + 2 * (hi / 100), 2);
    memcpy(p + 2, digit_pairs + 2 * (hi % 100), 2);
    memcpy(p + 4, digit_pairs + 2 * (lo / 100), 2);
    memcpy(p + 6, digit_pairs + 2 * (lo % 100), 2);
}

/* The decimal digits of u (no leading zeros) into out, from the last,
 * eight and then two at a time; returns their count (1 to 20). */
static int put_digits(char *out, uint64_t u)
{
    static const uint64_t p10[20] = {
        1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
        1000000000u, 10000000000u, 100000000000u, 1000000000000u,
        10000000000000u, 100000000000000u, 1000000000000000u,
        10000000000000000u, 100000000000000000u, 1000000000000000000u,
        10000000000000000000u};
    /* floor(log10(u)) from the bit length (1233/4096 ~ log10(2)), then one
     * compare */
    int t = ((64 - __builtin_clzll(u | 1)) * 1233) >> 12;
    int n = t - (u < p10[t]) + 1;
    if (n < 1)
        n = 1;
    char *p = out + n;
    while (u >= 100000000) {
        p -= 8;
        put_8_digits(p, (uint32_t)(u % 100000000));
        u /= 100000000;
    }
    uint32_t r = (uint32_t)u;
    while (r >= 100) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * (r % 100), 2);
        r /= 100;
    }
    if (r >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * r, 2);
    } else {
        *--p = (char)('0' + r);
    }
    return n;
}

static void decimal_trim(decimal *d)
{
    while (d->ndigits > 1 && d->digits[d->ndigits - 1] == '0')
        d->ndigits--;
}

/* Integers below 2^53 print exactly, without the printf round trip. */
static int decimal_from_integer(decimal *d, double v)
{
    double a = fabs(v);
    if (a >= 9007199254740992.0 || a != floor(a))
        return 0;
    int n = put_digits(d->digits, (uint64_t)a);
    d->ndigits = n;
    d->exp10 = n - 1;
    d->negative = signbit(v) != 0;
    decimal_trim(d);
    return 1;
}

/* Values with at most six decimals below 2^32 (latencies, ratios, Unix
 * times in ms): the digits come from one multiplication. x / 10^k == v
 * proves that the decimal x·10^-k reads back as v (both are correctly
 * rounded from the same exact quotient), and below 2^32 an ulp is smaller
 * than 10^-6, so no other decimal with k places does. */
static int decimal_from_short_fraction(decimal *d, double v)
{
    static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
    if (!(fabs(v) < 4294967296.0))
        return 0;
    /* v·10^6 of such a value lies within a few ulps of an integer; most
     * measured values (sines, ratios) are far from one, and one test
     * spares them the six tries. Only speed depends on this filter: the
     * exact path finds the same shortest digits. */
    double x6 = v * 1e6, frac = fabs(x6 - (double)(int64_t)x6);
    double tol = fabs(x6) * 0x1p-50 + 0x1p-60;
    if (frac > tol && frac < 1 - tol)
        return 0;
    for (int k = 1; k <= 6; k++) {
        double x = v * p10[k];
        if (x != trunc(x) || x / p10[k] != v)
            continue;
        decimal_from_integer(d, x);
        d->exp10 -= k;
        d->negative = signbit(v) != 0;
        return 1;
    }
    return 0;
}

/* The shortest digits that read back as v, for 1e-4 < |v| < 1e21, with
 * exact 128-bit integers and no printf: the interval of reals that round
 * to v is scaled by 10^k so that v·10^k has 17 or 18 integer digits, then
 * digits are dropped while a shorter decimal still lies inside it, and the
 * last one is rounded to nearest (ties to even), as Go's shortest
 * formatting (Ryu) chooses. Returns 0 outside that range. */
__extension__ typedef unsigned __int128 fmt_u128;

static int decimal_from_double_exact(decimal *d, double v)
{
    double a = fabs(v);
    if (!(a > 1e-4 && a < 1e21))
        return 0;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int bexp = (int)((bits >> 52) & 0x7ff);
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int e = bexp - 1075 - 2; /* v = 4m · 2^e */
    /* floor(log10(2^(bexp-1023))) from the binary exponent; v·10^k then
     * lies in [1e17, 2e18), enough digits and below 2^64 */
    int k = 17 - (int)(((int64_t)(bexp - 1023) * 78913) >> 18);
    if (k > 21) /* 4m·10^k must stay below 2^128 */
        return 0;
    int accept = (m & 1) == 0;
    uint64_t x[3] = {4 * m - ((m == UINT64_C(1) << 52 && bexp > 1) ? 1 : 2),
                     4 * m, 4 * m + 2}; /* low bound, v, high bound */
    uint64_t q[3];
    int exact[3];
    static const uint64_t pow10[20] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
        1000000000, 10000000000, 100000000000, 1000000000000,
        10000000000000, 100000000000000, 1000000000000000,
        10000000000000000, 100000000000000000, 1000000000000000000,
        10000000000000000000u};
    int ak = k < 0 ? -k : k;
    fmt_u128 p10 = ak <= 19 ? (fmt_u128)pow10[ak] : (fmt_u128)pow10[19] * pow10[ak - 19];
    for (int i = 0; i < 3; i++) {
        fmt_u128 n = x[i], rem = 0;
        if (e >= 0) {
            n <<= e;
            if (k >= 0) {
                n *= p10;
            } else {
                rem = n % p10;
                n /= p10;
            }
        } else {
            n *= p10; /* k > 0 here: |v| < 2^53 */
            rem = n & (((fmt_u128)1 << -e) - 1);
            n >>= -e;
        }
        q[i] = (uint64_t)n;
        exact[i] = rem == 0;
    }
    uint64_t vm = q[0], vr = q[1], vp = q[2];
    if (exact[2] && !accept)
        vp--;
    int vm_tz = accept && exact[0], vr_tz = exact[1], removed = 0;
    unsigned last = 0;
    while (vp / 10 > vm / 10) {
        vm_tz &= vm % 10 == 0;
        vr_tz &= last == 0;
        last = (unsigned)(vr % 10);
        vr /= 10, vp /= 10, vm /= 10, removed++;
    }
    if (vm_tz) {
        while (vm % 10 == 0) {
            vr_tz &= last == 0;
            last = (unsigned)(vr % 10);
            vr /= 10, vp /= 10, vm /= 10, removed++;
        }
    }
    if (vr_tz && last == 5 && vr % 2 == 0)
        last = 4;
    uint64_t out = vr + ((vr == vm && !vm_tz) || last >= 5);
    int n = put_digits(d->digits, out);
    d->ndigits = n;
    d->exp10 = n - 1 + removed - k;
    d->negative = signbit(v) != 0;
    decimal_trim(d);
    return 1;
}

/* The shortest of 15, 16 or 17 significant digits that round-trips. For a
 * normal double, %e at 15 digits already yields the shortest form when it is
 * that short: decimals of 15 digits are spaced wider than one ulp, so a
 * shorter decimal that round-trips is the only 15-digit one, padded.
 * Subnormals have fewer bits, so there every precision is tried. */
static void decimal_from_double(decimal *d, double v)
{
    char s[40];
    for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(s, NULL) == v)
            break;
    }
    const char *p = s;
    d->negative = (*p == '-');
    if (d->negative)
        p++;
    d->ndigits = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            d->digits[d->ndigits++] = *p;
    d->exp10 = atoi(p + 1);
    decimal_trim(d);
}

static size_t put_exponent(char *o, int x)
{
    return (size_t)sprintf(o, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
}

/* Mantissa "d" or "d.ddd" followed by the exponent. */
static size_t render_scientific(char *out, const decimal *d)
{
    char *o = out;
    if (d->negative)
        *o++ = '-';
    *o++ = d->digits[0];
    if (d->ndigits > 1) {
        *o++ = '.';
        memcpy(o, d->digits + 1, (size_t)d->ndigits - 1);
        o += d->ndigits - 1;
    }
    o += put_exponent(o, d->exp10);
    return (size_t)(o - out);
}

/* Python's repr: "123.0", "0.001", "12.5". */
static size_t render_fixed(char *out, const decimal *d)
{
    char *o = out;
    if (d->negative)
        *o++ = '-';
    if (d->exp10 < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > d->exp10; i--)
            *o++ = '0';
        memcpy(o, d->digits, (size_t)d->ndigits);
        o += d->ndigits;
    } else {
        int int_digits = d->exp10 + 1;
        for (int i = 0; i < int_digits; i++)
            *o++ = i < d->ndigits ? d->digits[i] : '0';
        *o++ = '.';
        if (d->ndigits > int_digits) {
            memcpy(o, d->digits + int_digits, (size_t)(d->ndigits - int_digits));
            o += d->ndigits - int_digits;
        } else {
            *o++ = '0';
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

static size_t format_double(char *out, double v, int go_exponents)
{
    if (isnan(v))
        return (size_t)sprintf(out, "NaN");
    if (isinf(v))
        return (size_t)sprintf(out, v > 0 ? "+Inf" : "-Inf");
    decimal d;
    if (!decimal_from_integer(&d, v) && !decimal_from_short_fraction(&d, v) &&
        !decimal_from_double_exact(&d, v))
        decimal_from_double(&d, v);
    if (v == 0) {
        d.exp10 = 0;
        d.ndigits = 1;
    }
    /* Python repr switches to exponents below 1e-4 and from 1e16; the client
     * then also uses them for positive values from 1e6, as Go does. */
    if (d.exp10 < -4 || d.exp10 >= 16 || (go_exponents && v > 0 && d.exp10 >= 6))
        return render_scientific(out, &d);
    return render_fixed(out, &d);
}

size_t fmt_double(char *out, double v)
{
    return format_double(out, v, 1);
}

size_t fmt_double_repr(char *out, double v)
{
    return format_double(out, v, 0);
}

size_t fmt_double_fixed(char *out, double v)
{
    if (isnan(v) || isinf(v))
        return fmt_double(out, v);
    decimal d;
    if (!decimal_from_integer(&d, v) && !decimal_from_short_fraction(&d, v) &&
        !decimal_from_double_exact(&d, v))
        decimal_from_double(&d, v);
    char *o = out;
    if (d.negative) /* Go writes -0 as "-0" */
        *o++ = '-';
    if (v == 0) {
        *o++ = '0';
    } else if (d.exp10 < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > d.exp10; i--)
            *o++ = '0';
        memcpy(o, d.digits, (size_t)d.ndigits);
        o += d.ndigits;
    } else {
        int whole = d.exp10 + 1, copied = d.ndigits < whole ? d.ndigits : whole;
        memcpy(o, d.digits, (size_t)copied);
        memset(o + copied, '0', (size_t)(whole - copied));
        o += whole;
        if (d.ndigits > d.exp10 + 1) {
            *o++ = '.';
            memcpy(o, d.digits + d.exp10 + 1, (size_t)(d.ndigits - d.exp10 - 1));
            o += d.ndigits - d.exp10 - 1;
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

size_t fmt_int64(char *out, int64_t v)
{
    return (size_t)sprintf(out, "%lld", (long long)v);
}
