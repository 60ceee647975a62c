/* datarx.c: receiving chat lines and files, the data kind's frame sink
 * (see datarx.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bp/bp.h"
#include "datarx.h"
#include "i18n.h"
#include "proto_words.h"
#include "datatx.h"
#include "room_news.h"

void datarx_init(struct datarx *rx, const char *dir, FILE *out)
{
    memset(rx, 0, sizeof *rx);
    rx->dir = dir;
    rx->out = out;
    rx->err = stderr;
    rx->self_slot = -1;
    for (int i = 0; i < DATARX_MAX; i++)
        rx->t[i].fd = -1;
}

/* What became of a file, back to its sender (best effort: a full queue
 * loses the answer, never the file). */
static void answer(struct datarx *rx, uint8_t slot, uint32_t id, int code)
{
    if (rx->reply)
        datatx_add_answer(rx->reply, slot, id, code);
}

/* A refused file: the machine line, the person's sentence, the sender's answer. */
static void refused(struct datarx *rx, uint8_t slot, uint32_t id, const char *name, int code,
                    const char *why)
{
    answer(rx, slot, id, code);
    if (rx->out) {
        fprintf(rx->out, "[file] rejected name=%s: %s\n", name, why);
        fflush(rx->out);
    }
    if (rx->news)
        room_news_file_refused(rx->news, slot, name, why);
}

static void drop(struct datarx_transfer *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        unlink(t->tmp);
    } else if (t->complete) { /* closed, never named */
        unlink(t->tmp);
    }
    EVP_MD_CTX_free(t->md);
    memset(t, 0, sizeof *t);
    t->fd = -1;
}

static void reject(struct datarx *rx, struct datarx_transfer *t, int code, const char *why)
{
    refused(rx, t->slot, t->id, t->name, code, why);
    drop(t);
}

static struct datarx_transfer *find(struct datarx *rx, uint8_t slot, uint32_t id)
{
    for (int i = 0; i < DATARX_MAX; i++)
        if (rx->t[i].used && rx->t[i].slot == slot && rx->t[i].id == id)
            return &rx->t[i];
    return NULL;
}

/* Creates dir/.NAME.part, or .NAME.1.part ... if that exists. */
static int open_tmp(struct datarx *rx, struct datarx_transfer *t)
{
    for (int k = 0; k < 100; k++) {
        if (k == 0)
            snprintf(t->tmp, sizeof t->tmp, "%s/.%s.part", rx->dir, t->name);
        else
            snprintf(t->tmp, sizeof t->tmp, "%s/.%s.%d.part", rx->dir, t->name, k);
        int fd = open(t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Gives the checked file its name without replacing anything: link() fails
 * on an existing name where rename() would overwrite it. */
static int publish(struct datarx *rx, struct datarx_transfer *t, char *path, size_t cap)
{
    const char *dot = strrchr(t->name, '.');
    size_t stem = dot && dot != t->name ? (size_t)(dot - t->name) : strlen(t->name);
    for (int k = 0; k < 1000; k++) {
        if (k == 0)
            snprintf(path, cap, "%s/%s", rx->dir, t->name);
        else
            snprintf(path, cap, "%s/%.*s (%d)%s", rx->dir, (int)stem, t->name, k, t->name + stem);
        if (link(t->tmp, path) == 0) {
            unlink(t->tmp);
            return 0;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

static int on_begin(struct datarx *rx, uint8_t slot, const struct bp_data *d)
{
    struct datarx_transfer *t = find(rx, slot, d->transfer);
    if (t) /* a peer reusing an id in flight: the old transfer is broken */
        reject(rx, t, BP_FILE_INTERRUPTED, _("l'envoi a recommencé depuis le début"));
    for (int i = 0; i < DATARX_MAX && !t; i++)
        if (!rx->t[i].used)
            t = &rx->t[i];
    char name[CLI_SAFE_NAME_MAX + 1];
    cli_safe_name(d->bytes, d->len, name, CLI_SAFE_NAME_MAX);
    if (!t) {
        refused(rx, slot, d->transfer, name, BP_FILE_BUSY, _("trop de fichiers arrivent en même temps"));
        return 0;
    }
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->used = 1;
    t->slot = slot;
    t->id = d->transfer;
    t->size = d->size;
    memcpy(t->sha256, d->sha256, 32);
    memcpy(t->name, name, sizeof name);
    if (!rx->dir) {
        t->refused = 1;
        refused(rx, slot, t->id, t->name, BP_FILE_DECLINED,
                _("cet appareil n'accepte pas de fichiers : rejoignez la salle avec --recv-dir "
                  "DOSSIER pour les recevoir"));
        return 0;
    }
    if (d->size > DATARX_SIZE_MAX) {
        t->refused = 1;
        refused(rx, slot, t->id, t->name, BP_FILE_TOO_LARGE, _("plus de 4 Gio"));
        return 0;
    }
    t->md = EVP_MD_CTX_new();
    if (!t->md || EVP_DigestInit_ex(t->md, EVP_sha256(), NULL) != 1) {
        reject(rx, t, BP_FILE_NOT_STORED, _("calcul de l'empreinte SHA-256 impossible (OpenSSL)"));
        return 0;
    }
    t->fd = open_tmp(rx, t);
    if (t->fd < 0) {
        char why[300];
        snprintf(why, sizeof why, _("impossible de créer un fichier temporaire dans %s : %s"),
                 rx->dir, i18n_strerror(errno));
        reject(rx, t, BP_FILE_NOT_STORED, why);
        return 0;
    }
    if (rx->ask) { /* received meanwhile, named only once the person says yes */
        t->waiting = 1;
        if (rx->out) {
            fprintf(rx->out, "[file] offered name=%s bytes=%llu slot=%u\n", t->name,
                    (unsigned long long)t->size, slot);
            fflush(rx->out);
        }
        if (rx->news)
            room_news_file_offer(rx->news, slot, t->name, (unsigned long long)t->size, rx->dir);
    }
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

static int on_chunk(struct datarx *rx, struct datarx_transfer *t, const struct bp_data *d)
{
    (void)rx;
    if (t->refused)
        return 0;
    if (d->offset != t->got) {
        reject(rx, t, BP_FILE_DAMAGED, _("morceaux reçus dans le désordre"));
        return 0;
    }
    if (d->len > t->size - t->got) {
        reject(rx, t, BP_FILE_DAMAGED, _("plus de données que la taille annoncée"));
        return 0;
    }
    if (write_all(t->fd, d->bytes, d->len)) {
        char why[200];
        snprintf(why, sizeof why, _("écriture impossible : %s"), i18n_strerror(errno));
        reject(rx, t, BP_FILE_NOT_STORED, why);
        return 0;
    }
    if (EVP_DigestUpdate(t->md, d->bytes, d->len) != 1) {
        reject(rx, t, BP_FILE_NOT_STORED, _("calcul de l'empreinte SHA-256 impossible (OpenSSL)"));
        return 0;
    }
    t->got += d->len;
    return 0;
}

/* A checked, closed file gets its name in the folder. 1 if stored. */
static int finish(struct datarx *rx, struct datarx_transfer *t)
{
    char path[4352];
    if (publish(rx, t, path, sizeof path)) {
        char why[200];
        snprintf(why, sizeof why, _("impossible de nommer le fichier reçu : %s"),
                 i18n_strerror(errno));
        unlink(t->tmp);
        reject(rx, t, BP_FILE_NOT_STORED, why);
        return 0;
    }
    answer(rx, t->slot, t->id, BP_FILE_RECEIVED);
    if (rx->out) {
        fprintf(rx->out, "[file] received name=%s bytes=%llu sha256=ok path=%s\n", t->name,
                (unsigned long long)t->size, path);
        fflush(rx->out);
    }
    if (rx->news)
        room_news_file_received(rx->news, t->slot, t->name, (unsigned long long)t->size, path);
    drop(t);
    return 1;
}

int datarx_decide(struct datarx *rx, int yes, int *stored)
{
    int n = 0;
    *stored = 0;
    for (int i = 0; i < DATARX_MAX; i++) {
        struct datarx_transfer *t = &rx->t[i];
        if (!t->used || !t->waiting)
            continue;
        n++;
        if (!yes) {
            reject(rx, t, BP_FILE_DECLINED, _("vous l'avez refusé"));
            continue;
        }
        t->waiting = 0;
        if (t->complete)
            *stored += finish(rx, t);
    }
    rx->files += *stored;
    return n;
}

int datarx_waiting(const struct datarx *rx)
{
    int n = 0;
    for (int i = 0; i < DATARX_MAX; i++)
        n += rx->t[i].used && rx->t[i].waiting;
    return n;
}

static int on_end(struct datarx *rx, struct datarx_transfer *t)
{
    if (t->refused) {
        drop(t);
        return 0;
    }
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (t->got != t->size) {
        reject(rx, t, BP_FILE_DAMAGED, _("incomplet : moins d'octets que la taille annoncée"));
        return 0;
    }
    if (EVP_DigestFinal_ex(t->md, md, &mdlen) != 1 || mdlen != 32 || bp_ct_cmp(md, t->sha256, 32)) {
        reject(rx, t, BP_FILE_DAMAGED, _("l'empreinte SHA-256 ne correspond pas : le fichier a été abîmé en route"));
        return 0;
    }
    if (fsync(t->fd) || close(t->fd)) {
        t->fd = -1;
        unlink(t->tmp);
        char why[200];
        snprintf(why, sizeof why, _("écriture impossible : %s"), i18n_strerror(errno));
        reject(rx, t, BP_FILE_NOT_STORED, why);
        return 0;
    }
    t->fd = -1;
    if (t->waiting) { /* checked; named when the person says yes */
        t->complete = 1;
        return 0;
    }
    return finish(rx, t);
}

int datarx_on_data(struct datarx *rx, uint8_t slot, const struct bp_data *d)
{
    if (d->type == BP_DATA_FILE_BEGIN)
        return on_begin(rx, slot, d);
    struct datarx_transfer *t = find(rx, slot, d->transfer);
    if (!t)
        return 0; /* began before we joined, or already rejected: nothing to do */
    if (d->type == BP_DATA_FILE_CHUNK)
        return on_chunk(rx, t, d);
    if (d->type == BP_DATA_FILE_END)
        return on_end(rx, t);
    return 0;
}

#define ORPHAN_WHY _("envoi interrompu : l'expéditeur est parti")

void datarx_slot_gone(struct datarx *rx, uint8_t slot, uint64_t now_ms)
{
    for (int i = 0; i < DATARX_MAX; i++) {
        struct datarx_transfer *t = &rx->t[i];
        if (t->used && t->slot == slot && !t->orphan_deadline && !t->complete)
            t->orphan_deadline = now_ms + DATARX_GRACE_MS;
    }
}

void datarx_slot_taken(struct datarx *rx, uint8_t slot)
{
    for (int i = 0; i < DATARX_MAX; i++) {
        struct datarx_transfer *t = &rx->t[i];
        if (!t->used || t->slot != slot || !t->orphan_deadline || t->complete)
            continue;
        if (t->refused)
            drop(t);
        else
            reject(rx, t, BP_FILE_INTERRUPTED, ORPHAN_WHY);
    }
}

void datarx_tick(struct datarx *rx, uint64_t now_ms)
{
    for (int i = 0; i < DATARX_MAX; i++) {
        struct datarx_transfer *t = &rx->t[i];
        if (!t->used || !t->orphan_deadline || now_ms < t->orphan_deadline || t->complete)
            continue;
        if (t->refused)
            drop(t);
        else
            reject(rx, t, BP_FILE_INTERRUPTED, ORPHAN_WHY);
    }
}

void datarx_free(struct datarx *rx, const char *why)
{
    for (int i = 0; i < DATARX_MAX; i++) {
        struct datarx_transfer *t = &rx->t[i];
        if (!t->used)
            continue;
        if (t->refused)
            drop(t);
        else
            reject(rx, t, BP_FILE_INTERRUPTED, why);
    }
}

/* A receiver's answer about a file: only the sender's business. */
static void on_answer(struct datarx *rx, uint8_t from, const struct bp_data *d)
{
    static const char *const words[] = {"?", "received", "declined", "too_large", "damaged",
                                        "not_stored", "interrupted", "busy"};
    if (rx->self_slot < 0 || d->to_slot != rx->self_slot)
        return;
    const struct datatx_item *it = rx->reply ? datatx_find_transfer(rx->reply, d->transfer) : NULL;
    const char *name = it ? it->name : "?";
    if (rx->out) {
        fprintf(rx->out, "[file] answer name=%s slot=%u answer=%s\n", name, from,
                words[d->answer <= BP_FILE_ANSWER_MAX ? d->answer : 0]);
        fflush(rx->out);
    }
    if (rx->news)
        room_news_file_answer(rx->news, from, it ? it->name : NULL, d->answer);
}

static int sink_frame(void *ctx, const struct bp_hdr *h, const uint8_t *payload, size_t len,
                      uint64_t now_ms)
{
    struct datarx *rx = ctx;
    (void)now_ms;
    struct bp_data d;
    const char *why;
    if (bp_data_parse(payload, len, &d, &why)) {
        fprintf(rx->err, _("bilan : message illisible ignoré (appareil %u) : %s\n"), h->slot,
                proto_words(why));
        return 0;
    }
    rx->messages++;
    if (d.type == BP_DATA_CHAT) {
        char text[BP_CHAT_MAX + 1];
        cli_printable(d.bytes, d.len, text, sizeof text);
        if (rx->out) {
            fprintf(rx->out, "[chat] slot=%u: %s\n", h->slot, text);
            fflush(rx->out);
        }
        if (rx->news)
            room_news_chat(rx->news, h->slot, text);
        rx->chats++;
    } else if (d.type == BP_DATA_FILE_ANSWER) {
        on_answer(rx, h->slot, &d);
    } else {
        rx->files += datarx_on_data(rx, h->slot, &d);
    }
    return 1;
}

static void sink_taken(void *ctx, uint8_t slot)
{
    datarx_slot_taken(ctx, slot);
}

static void sink_gone(void *ctx, uint8_t slot, uint64_t now_ms)
{
    datarx_slot_gone(ctx, slot, now_ms);
}

static void sink_tick(void *ctx, uint64_t now_ms)
{
    datarx_tick(ctx, now_ms);
}

static void sink_stop(void *ctx, const char *why)
{
    datarx_free(ctx, why);
}

const struct mux_sink datarx_sink = {
    .frame = sink_frame,
    .slot_taken = sink_taken,
    .slot_gone = sink_gone,
    .tick = sink_tick,
    .stop = sink_stop,
};
