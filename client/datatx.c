/* datatx.c: the sending side of chat and file transfer, the data kind's
 * frame source (see datatx.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bp/bp.h"
#include "datatx.h"
#include "i18n.h"
#include "room_news.h"

void datatx_init(struct datatx *tx)
{
    memset(tx, 0, sizeof *tx);
    tx->fd = -1;
    tx->next_transfer = 1;
    tx->out = stdout;
    tx->err = stderr;
}

void datatx_free(struct datatx *tx)
{
    FILE *out = tx->out, *err = tx->err;
    struct room_news *news = tx->news;
    for (int i = 0; i < tx->n; i++) {
        free(tx->items[i].text);
        free(tx->items[i].path);
    }
    if (tx->fd >= 0)
        close(tx->fd);
    datatx_init(tx);
    tx->out = out;
    tx->err = err;
    tx->news = news;
}

/* Items before cur are sent: an interactive join adds lines for hours, so
 * the finished ones make way for new ones (the list stays bounded). */
static void make_room(struct datatx *tx)
{
    if (tx->n < DATATX_MAX_ITEMS || tx->cur == 0)
        return;
    for (int i = 0; i < tx->cur; i++) {
        free(tx->items[i].text);
        free(tx->items[i].path);
    }
    memmove(tx->items, tx->items + tx->cur, (size_t)(tx->n - tx->cur) * sizeof tx->items[0]);
    tx->n -= tx->cur;
    tx->cur = 0;
}

int datatx_pending(const struct datatx *tx)
{
    return tx->n - tx->cur + tx->nanswers;
}

int datatx_add_answer(struct datatx *tx, int to_slot, uint32_t transfer, int answer)
{
    if (tx->nanswers >= DATATX_ANSWERS || to_slot < 0 || to_slot >= BP_MAX_MEMBERS)
        return BP_E_NOMEM;
    struct datatx_answer *a = &tx->answers[tx->nanswers++];
    a->to_slot = (uint8_t)to_slot;
    a->transfer = transfer;
    a->answer = (uint8_t)answer;
    return 0;
}

const struct datatx_item *datatx_find_transfer(const struct datatx *tx, uint32_t transfer)
{
    for (int i = 0; i < tx->n; i++)
        if (tx->items[i].is_file && tx->items[i].transfer == transfer && transfer)
            return &tx->items[i];
    return NULL;
}

int datatx_add_chat(struct datatx *tx, const char *text, const char **why)
{
    make_room(tx);
    size_t n = strlen(text);
    if (n < 1 || n > BP_CHAT_MAX || !bp_utf8_valid((const uint8_t *)text, n)) {
        *why = _("une ligne doit faire de 1 à 4096 octets de texte UTF-8");
        return BP_E_INVALID_FIELD;
    }
    if (tx->n >= DATATX_MAX_ITEMS) {
        *why = _("trop de lignes et de fichiers en attente d'envoi (256 au plus)");
        return BP_E_INVALID_FIELD;
    }
    struct datatx_item *it = &tx->items[tx->n];
    memset(it, 0, sizeof *it);
    if (!(it->text = strdup(text))) {
        *why = _("mémoire insuffisante");
        return BP_E_NOMEM;
    }
    tx->n++;
    return 0;
}

/* The wire name of a local path: its base name with bytes the protocol
 * forbids replaced, cut to 255 bytes on a UTF-8 boundary. */
static void wire_name(const char *path, char *out)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const uint8_t *b = (const uint8_t *)base;
    size_t n = strlen(base), i = 0, o = 0;
    while (i < n) {
        size_t l = b[i] < 0x80 ? 1 : b[i] >= 0xf0 ? 4 : b[i] >= 0xe0 ? 3 : 2;
        int valid = i + l <= n && bp_utf8_valid(b + i, l);
        size_t wl = valid ? l : 1;
        if (o + wl > BP_FILE_NAME_MAX)
            break;
        if (!valid || b[i] == '\\')
            out[o++] = '_';
        else
            memcpy(out + o, b + i, l), o += l;
        i += wl;
    }
    out[o] = '\0';
    if (o == 0 || !strcmp(out, ".") || !strcmp(out, ".."))
        strcpy(out, "file");
}

int datatx_add_file(struct datatx *tx, const char *path, char *why, size_t cap)
{
    make_room(tx);
    if (tx->n >= DATATX_MAX_ITEMS) {
        snprintf(why, cap, "%s", _("trop de lignes et de fichiers en attente d'envoi (256 au plus)"));
        return BP_E_INVALID_FIELD;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb)) {
        snprintf(why, cap, _("impossible d'ouvrir %s : %s"), path, i18n_strerror(errno));
        if (fd >= 0)
            close(fd);
        return BP_E_INVALID_FIELD;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(why, cap, _("%s n'est pas un fichier ordinaire (un dossier ?)"), path);
        close(fd);
        return BP_E_INVALID_FIELD;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t buf[65536];
    uint64_t total = 0;
    ssize_t r = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    while (ok && (r = read(fd, buf, sizeof buf)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        total += (uint64_t)r;
        ok = EVP_DigestUpdate(md, buf, (size_t)r) == 1;
    }
    struct datatx_item *it = &tx->items[tx->n];
    memset(it, 0, sizeof *it);
    unsigned int mdlen = 0;
    ok = ok && r == 0 && EVP_DigestFinal_ex(md, it->sha256, &mdlen) == 1 && mdlen == 32;
    int rerr = errno;
    EVP_MD_CTX_free(md);
    close(fd);
    if (!ok) {
        snprintf(why, cap, _("impossible de lire %s : %s"), path,
                 r < 0 ? i18n_strerror(rerr) : _("calcul de l'empreinte impossible"));
        return BP_E_INVALID_FIELD;
    }
    if (total > 4ULL << 30) {
        snprintf(why, cap, _("%s fait plus de 4 Gio, le plus qu'un autre appareil accepte"), path);
        return BP_E_INVALID_FIELD;
    }
    return datatx_add_hashed(tx, path, total, it->sha256, why, cap);
}

int datatx_add_hashed(struct datatx *tx, const char *path, uint64_t size, const uint8_t sha256[32],
                      char *why, size_t cap)
{
    make_room(tx);
    if (tx->n >= DATATX_MAX_ITEMS) {
        snprintf(why, cap, "%s", _("trop de lignes et de fichiers en attente d'envoi (256 au plus)"));
        return BP_E_INVALID_FIELD;
    }
    struct datatx_item *it = &tx->items[tx->n];
    uint8_t digest[32];
    memcpy(digest, sha256, 32); /* sha256 may be it->sha256 itself */
    memset(it, 0, sizeof *it);
    if (!(it->path = strdup(path))) {
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    memcpy(it->sha256, digest, 32);
    it->is_file = 1;
    it->size = size;
    wire_name(path, it->name);
    tx->n++;
    return 0;
}

int datatx_done(const struct datatx *tx)
{
    return tx->cur >= tx->n && !tx->nanswers;
}

int datatx_next(struct datatx *tx, uint8_t *out, size_t cap, enum datatx_event *ev,
                const struct datatx_item **item)
{
    *ev = DATATX_NONE;
    *item = NULL;
    if (tx->nanswers) { /* a few bytes: never behind a long file */
        const struct datatx_answer *a = &tx->answers[0];
        int len = bp_data_encode_file_answer(a->to_slot, a->transfer, a->answer, out, cap);
        if (len < 0)
            return len;
        memmove(tx->answers, tx->answers + 1, (size_t)(tx->nanswers - 1) * sizeof tx->answers[0]);
        tx->nanswers--;
        return len;
    }
    if (tx->cur >= tx->n)
        return 0;
    struct datatx_item *it = &tx->items[tx->cur];
    *item = it;
    if (!it->is_file) {
        int len = bp_data_encode_chat(it->text, strlen(it->text), out, cap);
        tx->cur++;
        *ev = DATATX_CHAT;
        return len;
    }
    uint32_t id = tx->next_transfer;
    if (tx->phase == 0) {
        it->transfer = id;
        tx->fd = open(it->path, O_RDONLY | O_CLOEXEC);
        tx->offset = 0;
        tx->phase = tx->fd >= 0 && it->size > 0 ? 1 : 2;
        return bp_data_encode_file_begin(id, it->size, it->sha256, it->name, strlen(it->name), out,
                                         cap);
    }
    if (tx->phase == 1) {
        int h = bp_data_encode_chunk_hdr(id, tx->offset, out, cap);
        uint64_t left = it->size - tx->offset;
        size_t want = left < BP_CHUNK_MAX ? (size_t)left : BP_CHUNK_MAX;
        if (h < 0 || cap < (size_t)h + want)
            return BP_E_TOO_LARGE;
        ssize_t r;
        do
            r = pread(tx->fd, out + h, want, (off_t)tx->offset);
        while (r < 0 && errno == EINTR);
        if (r > 0) {
            tx->offset += (uint64_t)r;
            if (tx->offset >= it->size)
                tx->phase = 2;
            return h + (int)r;
        }
        tx->phase = 3; /* shrank or unreadable: end it, the receiver will reject */
    }
    int len = bp_data_encode_file_end(id, out, cap);
    *ev = tx->phase == 3 || tx->fd < 0 ? DATATX_FILE_FAILED : DATATX_FILE_SENT;
    if (tx->fd >= 0)
        close(tx->fd);
    tx->fd = -1;
    tx->phase = 0;
    tx->next_transfer++;
    tx->cur++;
    return len;
}

static int source_next(void *ctx, uint8_t *out, size_t cap, struct mux_meta *meta, uint64_t now_ms)
{
    struct datatx *tx = ctx;
    (void)meta, (void)now_ms;
    if (cap < BP_DATA_MAX)
        return 0;
    enum datatx_event ev;
    const struct datatx_item *it;
    int n = datatx_next(tx, out, cap, &ev, &it);
    if (n <= 0)
        return n;
    if (ev == DATATX_FILE_SENT) {
        if (tx->out) {
            fprintf(tx->out, "[file] sent name=%s bytes=%llu\n", it->name,
                    (unsigned long long)it->size);
            fflush(tx->out);
        }
        if (tx->news)
            room_news_file_sent(tx->news, it->name, (unsigned long long)it->size);
    } else if (ev == DATATX_FILE_FAILED) {
        fprintf(tx->err,
                _("bilan : %s a changé ou n'a plus pu être lu pendant l'envoi ; le destinataire "
                  "le refusera. Envoyez-le de nouveau.\n"),
                it->path);
    }
    return n;
}

static int source_pending(void *ctx)
{
    return datatx_pending(ctx) > 0;
}

const struct mux_source datatx_source = {.next = source_next, .pending = source_pending};
