/* web_embed.c: a build tool (never installed) that embeds the browser
 * client, assets/web/, into bilan-server as C arrays, so the server needs no
 * file at run time and serves exactly the bytes that were built.
 *
 *   web_embed OUT.c PAGE.html FILE...
 *
 * Every FILE becomes /web/<basename> (types by extension). PAGE.html is the
 * room page; two marks in it are filled here:
 *   <!--@PRELOADS@-->  one <link rel="modulepreload" href integrity> per .js
 *                      file, so that every module the page imports was
 *                      fetched under subresource integrity before any
 *                      import asks for it (imports themselves carry none);
 *   @SRI:name@         the integrity value of /web/name (sha384-<base64>).
 * A mark naming no file, or a file with a name outside [a-z0-9_.-], fails
 * the build: a page that loads something unchecked must not be made.
 * Hashes use OpenSSL EVP (SHA-384), base64 by EVP_EncodeBlock. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define MAX_FILES 128

struct asset {
    const char *name;   /* basename */
    unsigned char *data;
    size_t len;
    char sri[8 + 65];   /* "sha384-" + base64 of 48 bytes (64) + NUL */
};

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "web_embed: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
    exit(1);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open", path);
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            b = realloc(b, cap *= 2);
    }
    if (!b || ferror(f))
        die("cannot read", path);
    fclose(f);
    *len = n;
    return b;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int name_ok(const char *n)
{
    if (!*n || *n == '.')
        return 0;
    for (; *n; n++)
        if (!(islower((unsigned char)*n) || isdigit((unsigned char)*n) || *n == '_' || *n == '.' || *n == '-'))
            return 0;
    return 1;
}

static const char *type_of(const char *n)
{
    const char *dot = strrchr(n, '.');
    if (dot && !strcmp(dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (dot && !strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    if (dot && !strcmp(dot, ".json"))
        return "application/json";
    if (dot && !strcmp(dot, ".svg"))
        return "image/svg+xml";
    if (dot && !strcmp(dot, ".png"))
        return "image/png";
    die("no content type for", n);
    return NULL;
}

static void sri_of(struct asset *a)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(a->data, a->len, md, &mdlen, EVP_sha384(), NULL) || mdlen != 48)
        die("SHA-384 failed for", a->name);
    memcpy(a->sri, "sha384-", 7);
    EVP_EncodeBlock((unsigned char *)a->sri + 7, md, 48);
}

static void emit_bytes(FILE *o, const char *sym, const unsigned char *d, size_t n)
{
    fprintf(o, "static const unsigned char %s[] = {", sym);
    for (size_t i = 0; i < n; i++)
        fprintf(o, "%s0x%02x,", i % 16 ? "" : "\n", d[i]);
    fprintf(o, "0x00};\n");
}

/* The page with its marks filled, into a growing buffer. */
struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            die("out of memory", NULL);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static struct buf fill_page(const char *page, const struct asset *as, int nas)
{
    struct buf b = {0};
    const char *s = page;
    int preloads = 0;
    while (*s) {
        if (!strncmp(s, "<!--@PRELOADS@-->", 17)) {
            for (int i = 0; i < nas; i++) {
                const char *dot = strrchr(as[i].name, '.');
                if (!dot || strcmp(dot, ".js"))
                    continue;
                puts_(&b, "<link rel=\"modulepreload\" href=\"/web/");
                puts_(&b, as[i].name);
                puts_(&b, "\" integrity=\"");
                puts_(&b, as[i].sri);
                puts_(&b, "\">\n");
            }
            preloads++;
            s += 17;
        } else if (!strncmp(s, "@SRI:", 5)) {
            const char *end = strchr(s + 5, '@');
            if (!end || end - (s + 5) > 64)
                die("unterminated @SRI: mark in the page", NULL);
            char name[65];
            snprintf(name, sizeof name, "%.*s", (int)(end - (s + 5)), s + 5);
            int i = 0;
            while (i < nas && strcmp(as[i].name, name))
                i++;
            if (i == nas)
                die("the page names a file that is not embedded", name);
            puts_(&b, as[i].sri);
            s = end + 1;
        } else {
            put(&b, s, 1);
            s++;
        }
    }
    if (preloads != 1)
        die("the page needs exactly one <!--@PRELOADS@--> mark", NULL);
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die("usage: web_embed OUT.c PAGE.html FILE...", NULL);
    if (argc - 3 > MAX_FILES)
        die("too many files", NULL);
    struct asset as[MAX_FILES];
    int nas = 0;
    for (int i = 3; i < argc; i++) {
        struct asset *a = &as[nas++];
        a->name = base_name(argv[i]);
        if (!name_ok(a->name))
            die("a file name outside [a-z0-9_.-]", a->name);
        for (int j = 0; j < nas - 1; j++)
            if (!strcmp(as[j].name, a->name))
                die("two files with one name", a->name);
        a->data = slurp(argv[i], &a->len);
        type_of(a->name);
        sri_of(a);
    }
    size_t plen;
    char *page = (char *)slurp(argv[2], &plen);
    page = realloc(page, plen + 1);
    page[plen] = '\0';
    struct buf filled = fill_page(page, as, nas);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *o = fopen(tmp, "w");
    if (!o)
        die("cannot write", tmp);
    fprintf(o, "/* Generated by server/web_embed.c from assets/web/; do not edit. */\n"
               "#include \"webapp.h\"\n");
    for (int i = 0; i < nas; i++) {
        char sym[32];
        snprintf(sym, sizeof sym, "asset_%d", i);
        emit_bytes(o, sym, as[i].data, as[i].len);
    }
    emit_bytes(o, "page", (const unsigned char *)filled.p, filled.n);
    fprintf(o, "const struct web_asset web_assets[] = {\n");
    for (int i = 0; i < nas; i++)
        fprintf(o, "    {\"%s\", \"%s\", asset_%d, %zu, \"%s\"},\n", as[i].name, type_of(as[i].name), i,
                as[i].len, as[i].sri);
    fprintf(o, "    {0, 0, 0, 0, 0},\n};\n");
    fprintf(o, "const unsigned char *const web_page = page;\nconst size_t web_page_len = %zu;\n", filled.n);
    if (fclose(o))
        die("cannot write", tmp);
    if (rename(tmp, argv[1]))
        die("cannot rename into", argv[1]);
    /* Freed, though the process ends here: the sanitizer build runs this
     * tool too, and its leak check fails the build otherwise. */
    for (int i = 0; i < nas; i++)
        free(as[i].data);
    free(page);
    free(filled.p);
    return 0;
}
