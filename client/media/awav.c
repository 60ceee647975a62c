/* awav.c: parse and write RIFF/WAVE headers (layout in awav.h). Pure: bytes
 * in, a struct out; every read is bounds-checked against len first. */
#include "awav.h"

#include <string.h>

#include "aframe.h"
#include "bp/err.h"
#include "i18n.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned rd16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static int bad(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return BP_E_INVALID_FIELD;
}

/* Checks the fmt chunk's body (p, n). */
static int parse_fmt(const uint8_t *p, uint32_t n, struct awav_info *info, const char **why)
{
    if (n < 16)
        return bad(why, _("bloc fmt de moins de 16 octets"));
    unsigned format = rd16(p), channels = rd16(p + 2), align = rd16(p + 12),
             bits = rd16(p + 14);
    uint32_t rate = rd32(p + 4);
    if (format == 0xFFFE) { /* WAVE_FORMAT_EXTENSIBLE: the sub-format says */
        if (n < 40)
            return bad(why, _("bloc fmt étendu de moins de 40 octets"));
        format = rd16(p + 24);
    }
    if (format == 3)
        return bad(why, _("échantillons en virgule flottante ; seul le PCM entier 16 bits est lu"));
    if (format != 1)
        return bad(why, _("le format des échantillons n'est pas PCM (l'audio compressé n'est pas lu)"));
    if (bits == 8)
        return bad(why, _("échantillons sur 8 bits (8-bit) ; seul le PCM 16 bits est lu"));
    if (bits != 16)
        return bad(why, _("échantillons qui ne sont pas sur 16 bits ; seul le PCM 16 bits est lu"));
    if (channels != 1 && channels != 2)
        return bad(why, _("seuls les fichiers mono ou stéréo sont lus"));
    if (align != channels * 2)
        return bad(why, _("le block_align du bloc fmt ne vaut pas canaux * 2 octets"));
    if (rate < AWAV_RATE_MIN || rate > AWAV_RATE_MAX)
        return bad(why, _("fréquence d'échantillonnage hors de 8000 à 192000 Hz"));
    info->channels = channels;
    info->rate = rate;
    return 0;
}

int awav_parse(const uint8_t *buf, size_t len, struct awav_info *info, const char **why)
{
    memset(info, 0, sizeof *info);
    if (len < 12)
        return bad(why, _("en-tête tronqué (plus court que les 12 octets de l'en-tête RIFF)"));
    if (memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
        return bad(why, _("ce n'est pas un fichier RIFF/WAVE"));
    if (len > AWAV_HEAD_MAX)
        len = AWAV_HEAD_MAX;
    size_t off = 12;
    int have_fmt = 0;
    while (off < len) {
        if (len - off < 8)
            return bad(why, _("en-tête tronqué (un en-tête de bloc est coupé)"));
        const uint8_t *id = buf + off;
        uint32_t n = rd32(buf + off + 4);
        off += 8;
        if (memcmp(id, "fmt ", 4) == 0) {
            if (have_fmt)
                return bad(why, _("deux blocs fmt"));
            if (n > len - off)
                return bad(why, _("en-tête tronqué (le bloc fmt est coupé)"));
            int r = parse_fmt(buf + off, n, info, why);
            if (r)
                return r;
            have_fmt = 1;
        } else if (memcmp(id, "data", 4) == 0) {
            if (!have_fmt)
                return bad(why, _("bloc data avant le bloc fmt"));
            info->data_off = off;
            info->data_len = n;
            return 0;
        }
        /* skip the body and its pad byte, without overflowing size_t */
        uint64_t next = (uint64_t)off + n + (n & 1);
        if (next > len) {
            if (len < AWAV_HEAD_MAX) /* we hold the whole file: it is cut */
                return bad(why, _("en-tête tronqué (un bloc dépasse la fin du fichier)"));
            return bad(why, _("aucun bloc data dans les 64 premiers Kio"));
        }
        off = (size_t)next;
    }
    if (!have_fmt)
        return bad(why, _("aucun bloc fmt"));
    return bad(why, _("aucun bloc data"));
}

void awav_header_put(uint8_t out[AWAV_HEADER_LEN], uint32_t data_len)
{
    memcpy(out, "RIFF", 4);
    wr32(out + 4, 36 + data_len);
    memcpy(out + 8, "WAVEfmt ", 8);
    wr32(out + 16, 16);
    wr16(out + 20, 1); /* PCM */
    wr16(out + 22, 1); /* mono */
    wr32(out + 24, AFRAME_RATE);
    wr32(out + 28, AFRAME_RATE * 2);
    wr16(out + 32, 2);
    wr16(out + 34, 16);
    memcpy(out + 36, "data", 4);
    wr32(out + 40, data_len);
}
