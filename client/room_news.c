/* room_news.c: what the room tells the person, in plain words (see
 * room_news.h). */
#include <stdarg.h>
#include <string.h>

#include "bp/data.h"
#include "bp/vocab.h"
#include "i18n.h"
#include "room_news.h"

void room_news_init(struct room_news *n, FILE *out, struct room_model *model)
{
    memset(n, 0, sizeof *n);
    n->out = out;
    n->model = model;
    n->my_slot = -1;
}

/* "12,5 Mo": sizes as a person reads them (a decimal comma in French,
 * whatever the C locale says). */
static void size_words(unsigned long long b, char *out, size_t cap)
{
    static const unsigned long long unit[] = {1000ULL, 1000000ULL, 1000000000ULL};
    const char *names[] = {_("ko"), _("Mo"), _("Go")};
    if (b < 1000) {
        snprintf(out, cap, _("%llu octets"), b);
        return;
    }
    int u = b < 1000000ULL ? 0 : b < 1000000000ULL ? 1 : 2;
    unsigned long long tenths = (b * 10 + unit[u] / 2) / unit[u];
    snprintf(out, cap, "%llu%s%llu %s", tenths / 10, i18n_english() ? "." : ",", tenths % 10,
             names[u]);
}

static int slot_ok(int slot)
{
    return slot >= 0 && slot < BP_MAX_MEMBERS;
}

void room_news_who(const struct room_news *n, int slot, enum room_who form, char *out, size_t cap)
{
    if (slot == n->my_slot && slot >= 0) {
        snprintf(out, cap, "%s", form == WHO_OBJECT ? _("vous") : _("Vous"));
        return;
    }
    const struct room_news_person *p = slot_ok(slot) ? &n->who[slot] : NULL;
    int role = p ? p->role : BP_ROLE_NONE;
    if (role == BP_ROLE_CONSULTANT) {
        /* The beneficiary's consultant is "votre" consultant; another
         * consultant (double regard) sees a colleague. */
        int mine = n->my_role == BP_ROLE_BENEFICIARY;
        const char *role_lower = mine ? _("votre consultante / votre consultant")
                                      : _("consultante / consultant");
        const char *role_upper = mine ? _("Votre consultante / votre consultant")
                                      : _("Consultante / consultant");
        if (p->name[0] && form == WHO_INTRO)
            snprintf(out, cap, "%s, %s", p->name, role_lower);
        else if (p->name[0])
            snprintf(out, cap, "%s", p->name);
        else
            snprintf(out, cap, "%s",
                     form == WHO_OBJECT || form == WHO_INTRO ? role_lower : role_upper);
        return;
    }
    if (role == BP_ROLE_BENEFICIARY) {
        snprintf(out, cap, "%s",
                 form == WHO_LABEL                            ? _("Bénéficiaire")
                 : form == WHO_OBJECT || form == WHO_INTRO ? _("le ou la bénéficiaire")
                                                           : _("Le ou la bénéficiaire"));
        return;
    }
    snprintf(out, cap, "%s", form == WHO_OBJECT ? _("un participant") : _("Un participant"));
}

/* "3 h 05", to the nearest minute (as the hours table rounds). */
static void duration(int64_t ms, char *out, size_t cap)
{
    if (ms < 0)
        ms = 0;
    long long min = (long long)((ms + 30000) / 60000);
    snprintf(out, cap, "%lld h %02lld", min / 60, min % 60);
}

static void emit(struct room_news *n, int kind, int slot, const char *text)
{
    if (n->out) {
        if (n->before)
            n->before(n->term_ctx);
        fprintf(n->out, "%s\n", text);
        fflush(n->out);
        if (n->after)
            n->after(n->term_ctx);
    }
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        room_model_add_line(s, kind, slot, text);
        room_model_done(n->model);
    }
}

void room_news_say(struct room_news *n, int kind, const char *fmt, ...)
{
    char text[ROOM_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    emit(n, kind, -1, text);
}

/* The model's view of who is here and whether the time counts. */
static void sync_people(struct room_news *n)
{
    if (!n->model)
        return;
    struct room_snapshot *s = room_model_edit(n->model);
    s->my_slot = n->my_slot;
    s->my_role = n->my_role;
    int consultants = 0, beneficiaries = 0;
    for (int k = 0; k < BP_MAX_MEMBERS; k++) {
        struct room_person *p = &s->people[k];
        const struct room_news_person *w = &n->who[k];
        int was_verified = p->present && p->verified;
        p->present = w->present;
        p->me = k == n->my_slot;
        p->role = w->role;
        snprintf(p->name, sizeof p->name, "%s", w->name);
        p->verified = w->present && (was_verified || p->me);
        if (w->present && w->role == BP_ROLE_CONSULTANT)
            consultants++;
        if (w->present && w->role == BP_ROLE_BENEFICIARY)
            beneficiaries++;
    }
    s->not_counted_notice = n->my_role == BP_ROLE_CONSULTANT && consultants && beneficiaries &&
                            !n->session_open && !n->auto_session;
    room_model_done(n->model);
}

/* A consultant with a beneficiary in the room and no session open: say
 * that this time is not counted, once per meeting. */
static void maybe_notice(struct room_news *n)
{
    if (n->my_role != BP_ROLE_CONSULTANT || n->session_open) {
        n->notice_said = 0;
        return;
    }
    if (n->auto_session)
        return;
    int beneficiary = 0;
    for (int k = 0; k < BP_MAX_MEMBERS; k++)
        beneficiary |= n->who[k].present && n->who[k].role == BP_ROLE_BENEFICIARY;
    if (!beneficiary || n->notice_said)
        return;
    n->notice_said = 1;
    if (n->model) /* a window: its button first */
        room_news_say(n, ROOM_LINE_WARNING, "%s",
                      _("Aucune séance ouverte : ce temps n'est pas compté. Pour compter les "
                        "heures, ouvrez une séance : bouton « Ouvrir une séance » (touche S)."));
    else
        room_news_say(n, ROOM_LINE_WARNING,
                      _("Aucune séance ouverte : ce temps n'est pas compté. Pour compter les "
                        "heures, ouvrez une séance : /seance PHASE (%s)."),
                      BP_PHASE_LIST);
}

void room_news_joined(struct room_news *n, int my_slot, int my_role)
{
    n->rejoined = n->reconnecting;
    if (n->rejoined)
        memcpy(n->prev, n->who, sizeof n->prev);
    memset(n->who, 0, sizeof n->who);
    n->my_slot = my_slot;
    n->my_role = my_role;
    n->notice_said = 0;
    if (slot_ok(my_slot)) {
        n->who[my_slot].present = 1;
        n->who[my_slot].role = my_role;
    }
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        s->conn = ROOM_IN;
        s->retry_left_s = 0;
        room_model_done(n->model);
    }
    sync_people(n);
    if (!n->rejoined)
        room_news_say(n, ROOM_LINE_NOTICE, "%s", _("Vous êtes dans la salle."));
}

/* After a reconnection: the person in slot was already here before it. */
static int seen_before(const struct room_news *n, int role, const char *name)
{
    if (!n->rejoined)
        return 0;
    for (int k = 0; k < BP_MAX_MEMBERS; k++)
        if (n->prev[k].present && n->prev[k].role == role && !strcmp(n->prev[k].name, name))
            return 1;
    return 0;
}

void room_news_member(struct room_news *n, int slot, int role, const char *name, int arrived)
{
    if (!slot_ok(slot) || slot == n->my_slot)
        return;
    struct room_news_person *p = &n->who[slot];
    p->present = 1;
    p->role = role;
    snprintf(p->name, sizeof p->name, "%s", name ? name : "");
    sync_people(n);
    if (!arrived && seen_before(n, role, p->name))
        return; /* still here after our reconnection: nothing new */
    char who[200];
    room_news_who(n, slot, WHO_INTRO, who, sizeof who);
    if (arrived)
        room_news_say(n, ROOM_LINE_NOTICE, _("Arrivée dans la salle : %s."), who);
    else
        room_news_say(n, ROOM_LINE_NOTICE, _("Dans la salle : %s."), who);
    maybe_notice(n);
}

void room_news_member_left(struct room_news *n, int slot, const char *reason)
{
    if (!slot_ok(slot) || slot == n->my_slot)
        return;
    char who[160];
    room_news_who(n, slot, WHO_SUBJECT, who, sizeof who);
    n->who[slot].present = 0;
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        if (s->code_pending && s->code_slot == slot)
            s->code_pending = 0;
        s->people[slot].verified = 0;
        room_model_done(n->model);
    }
    sync_people(n);
    if (!strcmp(reason, "left"))
        room_news_say(n, ROOM_LINE_NOTICE, _("%s a quitté la salle."), who);
    else if (!strcmp(reason, "replaced"))
        room_news_say(n, ROOM_LINE_NOTICE, _("%s revient avec une nouvelle connexion."), who);
    else
        room_news_say(n, ROOM_LINE_NOTICE,
                      _("%s a perdu la connexion ; sa place l'attend dans la salle."),
                      who);
}

void room_news_flow(struct room_news *n, int paused)
{
    if (paused)
        room_news_say(n, ROOM_LINE_NOTICE, "%s",
                      _("Un participant reçoit lentement : vos messages et fichiers attendent, "
                        "rien n'est perdu."));
    else
        room_news_say(n, ROOM_LINE_NOTICE, "%s", _("Vos messages et fichiers repartent."));
}

void room_news_link(struct room_news *n, enum room_conn conn, int retry_left_s)
{
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        s->conn = conn;
        s->retry_left_s = retry_left_s;
        room_model_done(n->model);
    }
    if (conn == ROOM_RECONNECTING) {
        if (!n->reconnecting) /* said once per break, not at every try */
            room_news_say(n, ROOM_LINE_WARNING,
                          _("Connexion perdue. Reconnexion… (jusqu'à %d s avant d'abandonner)"),
                          retry_left_s);
        n->reconnecting = 1;
    } else if (conn == ROOM_IN && n->reconnecting) {
        n->reconnecting = 0;
        room_news_say(n, ROOM_LINE_NOTICE, "%s", _("Reconnecté : la réunion continue."));
    } else if (conn == ROOM_LEFT)
        room_news_say(n, ROOM_LINE_NOTICE, "%s", _("Vous avez quitté la salle."));
}

void room_news_code(struct room_news *n, int slot, const char *code, int ask)
{
    char who[160];
    room_news_who(n, slot, WHO_OBJECT, who, sizeof who);
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        if (!s->code_pending || s->code_slot == slot) {
            s->code_pending = ask;
            s->code_slot = slot;
            snprintf(s->code, sizeof s->code, "%s", code);
        }
        room_model_done(n->model);
    }
    room_news_say(n, ROOM_LINE_NOTICE, _("Code à lire à voix haute avec %s : %s"), who, code);
    if (ask)
        room_news_say(n, ROOM_LINE_NOTICE, "%s",
                      _("Si l'autre personne lit le même code, tapez /oui ; sinon tapez /non."));
}

static void code_answered(struct room_news *n, int slot, int verified)
{
    if (!n->model)
        return;
    struct room_snapshot *s = room_model_edit(n->model);
    if (s->code_pending && s->code_slot == slot)
        s->code_pending = 0;
    if (slot_ok(slot) && verified)
        s->people[slot].verified = 1;
    room_model_done(n->model);
}

void room_news_trust(struct room_news *n, int slot, enum room_trust how)
{
    if (n->rejoined && how != ROOM_TRUST_VERIFIED && slot_ok(slot) &&
        seen_before(n, n->who[slot].role, n->who[slot].name)) {
        if (how == ROOM_TRUST_KNOWN) /* known again after our reconnection: nothing to say */
            code_answered(n, slot, 1);
        return;
    }
    char who[160];
    room_news_who(n, slot, WHO_OBJECT, who, sizeof who);
    if (how == ROOM_TRUST_VERIFIED) {
        code_answered(n, slot, 1);
        room_news_say(n, ROOM_LINE_NOTICE,
                      _("Code confirmé : personne d'autre ne peut voir ni entendre votre échange "
                        "avec %s."),
                      who);
    } else if (how == ROOM_TRUST_INVITE) {
        room_news_say(n, ROOM_LINE_NOTICE,
                      _("Échange chiffré avec %s : l'invitation est reconnue. Lisez quand même le "
                        "code ensemble."),
                      who);
    } else {
        code_answered(n, slot, 1);
        room_news_say(n, ROOM_LINE_NOTICE,
                      _("Échange chiffré avec %s : appareil déjà vérifié lors d'une séance "
                        "précédente."),
                      who);
    }
}

void room_news_refused(struct room_news *n, int slot, enum room_refusal why)
{
    char who[160], subject[160];
    room_news_who(n, slot, WHO_OBJECT, who, sizeof who);
    room_news_who(n, slot, WHO_SUBJECT, subject, sizeof subject);
    code_answered(n, slot, 0);
    if (why == ROOM_REFUSED_OTHER) {
        room_news_say(n, ROOM_LINE_WARNING,
                      _("La liaison chiffrée avec %s a échoué : rien n'est échangé avec cet "
                        "appareil. Quittez (/quitter) puis rejoignez la salle pour réessayer."),
                      who);
        return;
    }
    if (why == ROOM_REFUSED_BY_US)
        room_news_say(n, ROOM_LINE_WARNING,
                      _("Vous avez refusé le code : rien n'est échangé avec %s."), who);
    else
        room_news_say(n, ROOM_LINE_WARNING,
                      _("%s a refusé le code : rien n'est échangé entre vous."), subject);
    room_news_say(n, ROOM_LINE_NOTICE, "%s",
                  _("Si c'était une erreur, quittez (/quitter) puis rejoignez la salle : un "
                    "nouveau code sera affiché. Si les codes étaient vraiment différents, "
                    "prévenez votre consultante ou votre consultant par téléphone."));
}

void room_news_session_opened(struct room_news *n, const char *phase, int64_t elapsed_ms,
                              uint64_t now)
{
    int was_open = n->session_open;
    n->session_open = 1;
    n->notice_said = 0;
    n->auto_session = 0; /* opened: from now on the person opens them */
    int p = bp_phase_parse(phase, strlen(phase));
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        s->session_open = 1;
        snprintf(s->phase, sizeof s->phase, "%s", phase);
        s->session_start_ms = now;
        s->session_elapsed_ms = elapsed_ms;
        room_model_done(n->model);
    }
    sync_people(n);
    if (!was_open)
        room_news_say(n, ROOM_LINE_NOTICE,
                      _("Séance ouverte (%s) : le temps passé ensemble est compté."),
                      bp_phase_label(p, i18n_english()));
}

void room_news_session_closed(struct room_news *n, int64_t face_to_face_ms)
{
    n->session_open = 0;
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        s->session_open = 0;
        s->phase[0] = 0;
        room_model_done(n->model);
    }
    sync_people(n);
    char d[32];
    duration(face_to_face_ms, d, sizeof d);
    room_news_say(n, ROOM_LINE_NOTICE, _("Séance terminée : %s en face à face."), d);
    maybe_notice(n);
}

void room_news_hours(struct room_news *n, int64_t used_ms, int64_t budget_ms, int64_t left_ms)
{
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        s->hours_known = 1;
        s->used_ms = used_ms;
        s->budget_ms = budget_ms;
        s->left_ms = left_ms;
        room_model_done(n->model);
    }
    char used[32], budget[32], left[32], text[sizeof n->hours_said];
    duration(used_ms, used, sizeof used);
    duration(budget_ms, budget, sizeof budget);
    duration(left_ms, left, sizeof left);
    snprintf(text, sizeof text, _("Heures en face à face : %s sur %s, il reste %s."), used, budget,
             left);
    if (!strcmp(text, n->hours_said))
        return; /* said when it changes, not on every update */
    snprintf(n->hours_said, sizeof n->hours_said, "%s", text);
    emit(n, ROOM_LINE_NOTICE, -1, text);
}

void room_news_budget(struct room_news *n, int pct, int64_t used_ms, int64_t budget_ms)
{
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        s->budget_warn_pct = pct;
        room_model_done(n->model);
    }
    char used[32], budget[32];
    duration(used_ms, used, sizeof used);
    duration(budget_ms, budget, sizeof budget);
    room_news_say(n, ROOM_LINE_WARNING,
                  _("Attention : %d %% du budget d'heures est utilisé (%s sur %s)."), pct, used,
                  budget);
}

void room_news_chat(struct room_news *n, int slot, const char *text)
{
    char who[160], line[ROOM_LINE_MAX];
    room_news_who(n, slot, WHO_LABEL, who, sizeof who);
    snprintf(line, sizeof line, "%s : %s", who, text);
    emit(n, ROOM_LINE_CHAT, slot, line);
}

void room_news_chat_mine(struct room_news *n, const char *text)
{
    char line[ROOM_LINE_MAX];
    snprintf(line, sizeof line, "%s : %s", _("Vous"), text);
    emit(n, ROOM_LINE_MINE, n->my_slot, line);
}

void room_news_file_received(struct room_news *n, int slot, const char *name,
                             unsigned long long bytes, const char *path)
{
    char who[160];
    room_news_who(n, slot, WHO_OBJECT, who, sizeof who);
    char size[32];
    size_words(bytes, size, sizeof size);
    room_news_say(n, ROOM_LINE_NOTICE, _("Fichier reçu, envoyé par %s : « %s » (%s), enregistré ici : %s"),
                  who, name, size, path);
}

void room_news_file_sent(struct room_news *n, const char *name, unsigned long long bytes)
{
    char size[32];
    size_words(bytes, size, sizeof size);
    room_news_say(n, ROOM_LINE_NOTICE, _("Fichier envoyé : « %s » (%s)."), name, size);
}

void room_news_file_refused(struct room_news *n, int slot, const char *name, const char *why)
{
    char who[160];
    room_news_who(n, slot, WHO_OBJECT, who, sizeof who);
    room_news_say(n, ROOM_LINE_WARNING, _("Fichier « %s » (envoyé par %s) non enregistré : %s."),
                  name, who, why);
}

void room_news_file_offer(struct room_news *n, int slot, const char *name, unsigned long long bytes,
                          const char *dir)
{
    char who[160], size[32];
    room_news_who(n, slot, WHO_SUBJECT, who, sizeof who);
    size_words(bytes, size, sizeof size);
    if (n->model) {
        struct room_snapshot *s = room_model_edit(n->model);
        s->files_waiting++;
        snprintf(s->file_name, sizeof s->file_name, "%s", name);
        s->file_slot = slot;
        s->file_bytes = bytes;
        room_model_done(n->model);
    }
    room_news_say(n, ROOM_LINE_NOTICE,
                  _("%s vous envoie « %s » (%s). Tapez /accepter pour l'enregistrer dans %s, ou "
                    "/refuser."),
                  who, name, size, dir);
}

void room_news_files_decided(struct room_news *n, int waiting)
{
    if (!n->model)
        return;
    struct room_snapshot *s = room_model_edit(n->model);
    s->files_waiting = waiting;
    if (!waiting)
        s->file_name[0] = 0;
    room_model_done(n->model);
}

void room_news_file_answer(struct room_news *n, int slot, const char *name, int answer)
{
    char who[160], file[300];
    room_news_who(n, slot, WHO_SUBJECT, who, sizeof who);
    if (name)
        snprintf(file, sizeof file, _("« %s »"), name);
    else
        snprintf(file, sizeof file, "%s", _("votre fichier"));
    switch (answer) {
    case BP_FILE_RECEIVED:
        room_news_say(n, ROOM_LINE_NOTICE, _("%s a bien reçu %s."), who, file);
        return;
    case BP_FILE_DECLINED:
        room_news_say(n, ROOM_LINE_WARNING,
                      _("%s n'a pas accepté %s (refusé, ou son appareil ne prend pas de "
                        "fichiers)."),
                      who, file);
        return;
    case BP_FILE_TOO_LARGE:
        room_news_say(n, ROOM_LINE_WARNING, _("%s n'a pas pu recevoir %s : il est trop gros."),
                      who, file);
        return;
    case BP_FILE_DAMAGED:
        room_news_say(n, ROOM_LINE_WARNING,
                      _("%s a reçu %s abîmé et l'a supprimé : envoyez-le de nouveau (/envoyer)."),
                      who, file);
        return;
    case BP_FILE_NOT_STORED:
        room_news_say(n, ROOM_LINE_WARNING,
                      _("%s n'a pas pu enregistrer %s (disque plein ou dossier inaccessible)."),
                      who, file);
        return;
    case BP_FILE_INTERRUPTED:
        room_news_say(n, ROOM_LINE_WARNING,
                      _("%s : l'envoi de %s a été interrompu ; envoyez-le de nouveau (/envoyer)."),
                      who, file);
        return;
    default:
        room_news_say(n, ROOM_LINE_WARNING,
                      _("%s n'a pas pu recevoir %s tout de suite (trop de fichiers à la fois) : "
                        "réessayez dans un moment."),
                      who, file);
        return;
    }
}

void room_news_file_sending(struct room_news *n, const char *name, unsigned long long bytes)
{
    char size[32];
    size_words(bytes, size, sizeof size);
    room_news_say(n, ROOM_LINE_NOTICE, _("Envoi de « %s » (%s)…"), name, size);
}
