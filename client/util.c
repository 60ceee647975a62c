/* util.c: pure helpers of the client (see util.h). */
#include <string.h>
#include <time.h>

#include "bp/data.h"
#include "util.h"
#include "i18n.h"

#define DURATION_MAX_S (10LL * 365 * 86400)

static long long unit_seconds(char u)
{
    switch (u) {
    case 'd':
        return 86400;
    case 'h':
        return 3600;
    case 'm':
        return 60;
    case 's':
        return 1;
    }
    return 0;
}

static long long unit_below(long long u)
{
    return u == 86400 ? 3600 : u == 3600 ? 60 : u == 60 ? 1 : 0;
}

int cli_parse_duration(const char *s, long long *out_s, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!s || !*s) {
        *why = _("durée vide");
        return BP_E_INVALID_FIELD;
    }
    long long total = 0, last_unit = 0;
    const char *p = s;
    while (*p) {
        if (*p < '0' || *p > '9') {
            *why = _("un nombre est attendu (exemples : 16h, 90m, 1h30, 3600s, 7d, 3600)");
            return BP_E_INVALID_FIELD;
        }
        long long v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (++digits > 12) {
                *why = _("nombre trop grand");
                return BP_E_INVALID_FIELD;
            }
            v = v * 10 + (*p++ - '0');
        }
        long long unit;
        if (*p == '\0') {
            /* "3600" alone is seconds; "1h30" means 30 of the unit below hours. */
            unit = last_unit ? unit_below(last_unit) : 1;
            if (!unit) {
                *why = _("un nombre seul après les secondes n'a pas d'unité");
                return BP_E_INVALID_FIELD;
            }
        } else {
            unit = unit_seconds(*p);
            if (!unit) {
                *why = _("unité inconnue (utilisez d, h, m ou s)");
                return BP_E_INVALID_FIELD;
            }
            p++;
        }
        if (last_unit && unit >= last_unit) {
            *why = _("les unités vont de la plus grande à la plus petite (1h30m, pas 30m1h)");
            return BP_E_INVALID_FIELD;
        }
        last_unit = unit;
        if (v > DURATION_MAX_S / unit || total + v * unit > DURATION_MAX_S) {
            *why = _("durée de plus de dix ans");
            return BP_E_INVALID_FIELD;
        }
        total += v * unit;
    }
    *out_s = total;
    return 0;
}

int cli_parse_hostport(const char *s, char *host, uint16_t *port, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    const char *hs, *he, *p;
    if (!s || !*s) {
        *why = _("adresse du serveur vide");
        return BP_E_INVALID_FIELD;
    }
    if (*s == '[') {
        hs = s + 1;
        he = strchr(hs, ']');
        if (!he || he == hs) {
            *why = _("adresse IPv6 entre crochets mal formée (écrivez [::1]:8443)");
            return BP_E_INVALID_FIELD;
        }
        p = he + 1;
    } else {
        hs = s;
        he = strrchr(s, ':');
        if (he && strchr(s, ':') != he) {
            *why = _("une adresse IPv6 s'écrit entre crochets : [::1]:8443");
            return BP_E_INVALID_FIELD;
        }
        if (!he)
            he = s + strlen(s);
        p = he;
    }
    size_t hl = (size_t)(he - hs);
    if (hl == 0 || hl > BP_HOST_MAX) {
        *why = _("nom d'hôte vide ou trop long");
        return BP_E_INVALID_FIELD;
    }
    for (size_t i = 0; i < hl; i++) {
        char c = hs[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || (*s == '[' && c == ':'))) {
            *why = _("le nom d'hôte ne peut contenir que des lettres, des chiffres, « - » et « . »");
            return BP_E_INVALID_FIELD;
        }
    }
    unsigned long v = 443;
    if (*p == ':') {
        p++;
        v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 6)
            v = v * 10 + (unsigned long)(*p++ - '0'), digits++;
        if (!digits || *p || v == 0 || v > 65535) {
            *why = _("le port doit être un nombre de 1 à 65535");
            return BP_E_INVALID_FIELD;
        }
    } else if (*p) {
        *why = _("caractères en trop après l'hôte (écrivez HÔTE:PORT)");
        return BP_E_INVALID_FIELD;
    }
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (uint16_t)v;
    return 0;
}

/* Length of the UTF-8 sequence starting at s[0] (1 when invalid). */
static size_t utf8_seq(const uint8_t *s, size_t n, int *valid)
{
    size_t need = s[0] < 0x80 ? 0 : s[0] >= 0xf0 ? 3 : s[0] >= 0xe0 ? 2 : s[0] >= 0xc0 ? 1 : 9;
    *valid = need != 9 && need < n && bp_utf8_valid(s, need + 1);
    return *valid ? need + 1 : 1;
}

size_t cli_safe_name(const uint8_t *in, size_t n, char *out, size_t max)
{
    char tmp[1024];
    size_t i = 0, o = 0;
    if (n > sizeof tmp - 1)
        n = sizeof tmp - 1;
    /* A leading dot would hide the file (and ".NAME.part" files are ours). */
    while (i < n && (in[i] == '.' || in[i] == ' '))
        i++;
    while (i < n) {
        int valid;
        size_t l = utf8_seq(in + i, n - i, &valid);
        if (!valid || in[i] < 0x20 || in[i] == 0x7f || in[i] == '/' || in[i] == '\\' ||
            (l == 2 && in[i] == 0xc2 && in[i + 1] < 0xa0)) {
            tmp[o++] = '_';
        } else {
            memcpy(tmp + o, in + i, l);
            o += l;
        }
        i += l;
    }
    if (o > max) {
        /* Cut the body on a UTF-8 boundary and keep a short extension. */
        size_t ext = 0;
        char *dot = NULL;
        for (size_t k = 0; k < o; k++)
            if (tmp[k] == '.')
                dot = tmp + k;
        if (dot && dot != tmp && (size_t)(tmp + o - dot) <= 16)
            ext = (size_t)(tmp + o - dot);
        size_t body = max - ext;
        while (body > 0 && ((uint8_t)tmp[body] & 0xc0) == 0x80)
            body--;
        memmove(tmp + body, tmp + o - ext, ext);
        o = body + ext;
    }
    if (o == 0) {
        memcpy(tmp, "file", 4);
        o = 4;
    }
    memcpy(out, tmp, o);
    out[o] = '\0';
    return o;
}

void cli_printable(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    if (!cap)
        return;
    while (i < n && o + 1 < cap) {
        int valid;
        size_t l = utf8_seq(in + i, n - i, &valid);
        int ctl = !valid || in[i] < 0x20 || in[i] == 0x7f ||
                  (l == 2 && in[i] == 0xc2 && in[i + 1] < 0xa0);
        if (ctl || o + l + 1 > cap) {
            out[o++] = '?';
            i += l;
            continue;
        }
        memcpy(out + o, in + i, l);
        o += l, i += l;
    }
    out[o] = '\0';
}

int64_t cli_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cli_device_short(const char *device_b64, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t fp[BP_FP_LEN];
    if (bp_b64_decode_exact(device_b64, fp, sizeof fp)) {
        strcpy(out, "?");
        return;
    }
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[fp[i] >> 4];
        out[2 * i + 1] = hex[fp[i] & 15];
    }
    out[16] = '\0';
}
