/* link.c: invite and enrolment links (PROTOCOL.md §2.3). Pure and bounded.
 *   invite     https://HOST[:PORT]/j/<token>#<secret>[.<pin>]
 *   enrolment  https://HOST[:PORT]/e/<token>[#<pin>]
 *   bare token <token>
 * token, secret and pin are 32 bytes each in base64url (43 characters). The
 * fragment (after '#') is made by a client and must never be sent to the
 * server: only bp_link_parse's caller decides what goes on the wire. */
#include <stdio.h>
#include <string.h>

#include "bp/b64.h"
#include "bp/link.h"

#define LINK_MAX 1024

static int bad(const char **why, const char *reason)
{
    *why = reason;
    return BP_E_BAD_LINK;
}

static int host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
}

static int ipv6_char_ok(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
           c == ':' || c == '.';
}

/* Decodes exactly 43 base64url characters at s into 32 bytes. */
static int key43(const char *s, size_t n, uint8_t out[32])
{
    if (n != BP_B64_32)
        return -1;
    return bp_b64_decode(s, n, out, 32) == 32 ? 0 : -1;
}

int bp_host_usable(const char *host)
{
    size_t n = host ? strnlen(host, BP_HOST_MAX + 1) : 0;
    if (n == 0 || n > BP_HOST_MAX || !strcmp(host, "*"))
        return 0;
    /* Only zeros and separators (0.0.0.0, 0, ::, ::0, 0:0::0, ::0.0.0.0) is
     * an unspecified address, or nothing at all. */
    for (size_t i = 0; i < n; i++)
        if (host[i] != '0' && host[i] != '.' && host[i] != ':')
            return 1;
    return 0;
}

int bp_link_parse(const char *s, struct bp_link *l, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    memset(l, 0, sizeof *l);
    if (!s)
        return bad(why, "no link given");
    size_t n = strnlen(s, LINK_MAX + 1);
    if (n > LINK_MAX)
        return bad(why, "link is longer than 1024 characters");
    /* Tolerate the surrounding whitespace a copy-paste brings, nothing else. */
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n == BP_B64_32) {
        if (key43(s, n, l->token))
            return bad(why, "token is not 43 base64url characters");
        l->kind = BP_LINK_TOKEN;
        return 0;
    }
    static const char scheme[] = "https://";
    if (n < sizeof scheme - 1 || strncmp(s, scheme, sizeof scheme - 1))
        return bad(why, "link must start with https:// (or be a bare 43-character token)");
    const char *p = s + sizeof scheme - 1, *end = s + n;
    const char *hs, *he;
    if (p < end && *p == '[') {
        hs = ++p;
        while (p < end && ipv6_char_ok(*p))
            p++;
        if (p >= end || *p != ']' || p == hs)
            return bad(why, "bracketed IPv6 host is malformed");
        he = p++;
    } else {
        hs = p;
        while (p < end && host_char_ok(*p))
            p++;
        he = p;
    }
    if (he == hs || (size_t)(he - hs) > BP_HOST_MAX)
        return bad(why, "host is empty or too long");
    memcpy(l->host, hs, (size_t)(he - hs));
    l->host[he - hs] = '\0';
    if (!bp_host_usable(l->host))
        return bad(why, "the link names no server (0.0.0.0 or :: is 'every interface' on the "
                        "server's side): ask for a new link");
    l->port = 443;
    if (p < end && *p == ':') {
        unsigned long port = 0;
        const char *ps = ++p;
        while (p < end && *p >= '0' && *p <= '9' && p - ps < 6)
            port = port * 10 + (unsigned long)(*p++ - '0');
        if (p == ps || port == 0 || port > 65535)
            return bad(why, "port must be a number from 1 to 65535");
        l->port = (uint16_t)port;
    }
    if (end - p < 3 || p[0] != '/' || (p[1] != 'j' && p[1] != 'e') || p[2] != '/')
        return bad(why, "path must be /j/<token> (invite) or /e/<token> (enrolment)");
    l->kind = p[1] == 'j' ? BP_LINK_INVITE : BP_LINK_ENROL;
    p += 3;
    const char *hash = memchr(p, '#', (size_t)(end - p));
    const char *te = hash ? hash : end;
    if (key43(p, (size_t)(te - p), l->token))
        return bad(why, "token in the link is not 43 base64url characters");
    if (!hash) {
        if (l->kind == BP_LINK_INVITE)
            return bad(why, "invite link has no #secret part: copy the whole link");
        return 0;
    }
    const char *f = hash + 1;
    size_t fn = (size_t)(end - f);
    if (l->kind == BP_LINK_ENROL) {
        if (key43(f, fn, l->pin))
            return bad(why, "certificate fingerprint after # is not 43 base64url characters");
        l->has_pin = 1;
        return 0;
    }
    if (fn != BP_B64_32 && fn != 2 * BP_B64_32 + 1)
        return bad(why, "invite secret after # must be 43 characters, optionally .<fingerprint>");
    if (key43(f, BP_B64_32, l->secret))
        return bad(why, "invite secret is not base64url");
    l->has_secret = 1;
    if (fn > BP_B64_32) {
        if (f[BP_B64_32] != '.' || key43(f + BP_B64_32 + 1, BP_B64_32, l->pin))
            return bad(why, "certificate fingerprint after '.' is not 43 base64url characters");
        l->has_pin = 1;
    }
    return 0;
}

int bp_link_format(const struct bp_link *l, char *out, size_t cap)
{
    char tok[BP_B64_32 + 1], sec[BP_B64_32 + 1] = "", pin[BP_B64_32 + 1] = "";
    bp_b64_encode(l->token, BP_TOKEN_LEN, tok);
    if (l->kind == BP_LINK_TOKEN) {
        int n = snprintf(out, cap, "%s", tok);
        return n < 0 || (size_t)n >= cap ? BP_E_TOO_LARGE : n;
    }
    if (!bp_host_usable(l->host))
        return BP_E_BAD_LINK;
    if (l->has_secret)
        bp_b64_encode(l->secret, BP_SECRET_LEN, sec);
    if (l->has_pin)
        bp_b64_encode(l->pin, BP_FP_LEN, pin);
    int v6 = strchr(l->host, ':') != NULL;
    int n;
    if (l->kind == BP_LINK_INVITE)
        n = snprintf(out, cap, "https://%s%s%s:%u/j/%s#%s%s%s", v6 ? "[" : "", l->host,
                     v6 ? "]" : "", l->port, tok, sec, l->has_pin ? "." : "", pin);
    else
        n = snprintf(out, cap, "https://%s%s%s:%u/e/%s%s%s", v6 ? "[" : "", l->host,
                     v6 ? "]" : "", l->port, tok, l->has_pin ? "#" : "", pin);
    return n < 0 || (size_t)n >= cap ? BP_E_TOO_LARGE : n;
}
