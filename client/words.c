/* words.c: matching typed words as a person types them (see words.h). */
#include <string.h>

#include "bp/vocab.h"
#include "words.h"

/* Two-byte UTF-8 letters of French (Latin-1 supplement and Latin
 * Extended-A's œ), lower or upper case, and their folded form. */
static const struct {
    unsigned cp;
    const char *to;
} fold_table[] = {
    {0xe0, "a"}, {0xe2, "a"}, {0xe4, "a"}, {0xc0, "a"}, {0xc2, "a"}, {0xc4, "a"},
    {0xe7, "c"}, {0xc7, "c"}, {0xe8, "e"}, {0xe9, "e"}, {0xea, "e"}, {0xeb, "e"},
    {0xc8, "e"}, {0xc9, "e"}, {0xca, "e"}, {0xcb, "e"}, {0xee, "i"}, {0xef, "i"},
    {0xce, "i"}, {0xcf, "i"}, {0xf4, "o"}, {0xf6, "o"}, {0xd4, "o"}, {0xd6, "o"},
    {0xf9, "u"}, {0xfb, "u"}, {0xfc, "u"}, {0xd9, "u"}, {0xdb, "u"}, {0xdc, "u"},
    {0xff, "y"}, {0x153, "oe"}, {0x152, "oe"}, {0xe6, "ae"}, {0xc6, "ae"},
};

void words_fold(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return;
    for (size_t i = 0; i < len && o + 1 < cap;) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x80) {
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            i++;
            continue;
        }
        const char *to = NULL;
        if ((c & 0xe0) == 0xc0 && i + 1 < len) {
            unsigned cp = ((c & 0x1fu) << 6) | ((unsigned char)in[i + 1] & 0x3fu);
            for (size_t k = 0; k < sizeof fold_table / sizeof fold_table[0]; k++)
                if (fold_table[k].cp == cp)
                    to = fold_table[k].to;
        }
        size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
        if (to) {
            for (; *to && o + 1 < cap; to++)
                out[o++] = *to;
        } else {
            for (size_t k = 0; k < n && i + k < len && o + 1 < cap; k++)
                out[o++] = in[i + k];
        }
        i += n;
    }
    out[o] = '\0';
}

int words_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

int words_lookup(const char *typed, size_t len, const char *const *cand, int n, int *suggest)
{
    char f[128];
    words_fold(typed, len, f, sizeof f);
    *suggest = -1;
    int best = 99, ties = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(f, cand[i]))
            return i;
        int dist = words_distance(f, cand[i]);
        if (dist < best) {
            best = dist;
            *suggest = i;
            ties = 0;
        } else if (dist == best) {
            ties = 1;
        }
    }
    if (best > 2 || ties || !f[0])
        *suggest = -1;
    return -1;
}

int words_phase(const char *typed, size_t len, const char **wire, const char **suggest)
{
    const char *names[BP_PHASE_COUNT];
    for (int p = 0; p < BP_PHASE_COUNT; p++)
        names[p] = bp_phase_name(p);
    int s;
    int i = words_lookup(typed, len, names, BP_PHASE_COUNT, &s);
    *wire = i >= 0 ? names[i] : NULL;
    *suggest = s >= 0 ? names[s] : NULL;
    return i >= 0 ? 0 : -1;
}
