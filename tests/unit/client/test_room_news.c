/* test_room_news.c: what the room tells the person (room_news.c), the
 * window's model (room_model.c) and typed words (words.c). Sentences are
 * checked in French (the source language: no catalogue in unit tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "bp/vocab.h"
#include "room_model.h"
#include "room_news.h"
#include "words.h"

/* Everything said on the console since the last call, as one string. */
static char said[8192];
static FILE *mem;

static const char *take(void)
{
    fflush(mem);
    long n = ftell(mem);
    rewind(mem);
    size_t got = fread(said, 1, n < (long)sizeof said - 1 ? (size_t)n : sizeof said - 1, mem);
    said[got] = 0;
    rewind(mem);
    if (ftruncate(fileno(mem), 0)) {
    }
    return said;
}

static void test_words(void)
{
    char f[64];
    words_fold("Préliminaire", strlen("Préliminaire"), f, sizeof f);
    CHECK(!strcmp(f, "preliminaire"));
    words_fold("ŒUVRE Ça", strlen("ŒUVRE Ça"), f, sizeof f);
    CHECK(!strcmp(f, "oeuvre ca"));
    words_fold("abc", 3, f, 3); /* cut, always ended */
    CHECK(!strcmp(f, "ab"));
    CHECK_EQ_INT(words_distance("investigation", "investigation"), 0);
    CHECK_EQ_INT(words_distance("prelimnaire", "preliminaire"), 1);
    CHECK_EQ_INT(words_distance("sivui", "suivi"), 2);
    CHECK_EQ_INT(words_distance("suvi", "suivi"), 1);

    const char *wire, *near;
    CHECK(!words_phase("Préliminaire", strlen("Préliminaire"), &wire, &near) &&
          !strcmp(wire, "preliminaire"));
    CHECK(!words_phase("CONCLUSION", 10, &wire, &near) && !strcmp(wire, "conclusion"));
    CHECK(words_phase("prelimnaire", 11, &wire, &near) && !wire && near &&
          !strcmp(near, "preliminaire"));
    CHECK(words_phase("investigaton", 12, &wire, &near) && near && !strcmp(near, "investigation"));
    /* Too far from every phase: no suggestion rather than a wrong one. */
    CHECK(words_phase("bonjour", 7, &wire, &near) && !near);
    CHECK(words_phase("", 0, &wire, &near) && !near);
}

static void test_sentences(void)
{
    struct room_model *m = room_model_new(NULL, NULL);
    struct room_news n;
    room_news_init(&n, mem, m);
    room_news_joined(&n, 1, BP_ROLE_BENEFICIARY);
    CHECK(strstr(take(), "Vous êtes dans la salle."));
    room_news_member(&n, 0, BP_ROLE_CONSULTANT, "Marie Dupont", 0);
    CHECK(strstr(take(), "Dans la salle : Marie Dupont, votre consultante / votre consultant."));
    /* Nobody is ever named by a slot number or a fingerprint. */
    room_news_code(&n, 0, "482 913", 1);
    const char *t = take();
    CHECK(strstr(t, "Code à lire à voix haute avec Marie Dupont : 482 913") &&
          strstr(t, "/oui") && !strstr(t, "slot"));
    struct room_snapshot s;
    room_model_snapshot(m, &s);
    CHECK(s.code_pending && s.code_slot == 0 && !strcmp(s.code, "482 913"));
    CHECK(s.people[0].present && s.people[0].role == BP_ROLE_CONSULTANT &&
          !strcmp(s.people[0].name, "Marie Dupont") && !s.people[0].verified);
    CHECK(s.people[1].present && s.people[1].me && s.my_slot == 1);
    room_news_trust(&n, 0, ROOM_TRUST_VERIFIED);
    CHECK(strstr(take(), "Code confirmé"));
    room_model_snapshot(m, &s);
    CHECK(!s.code_pending && s.people[0].verified);

    /* Chat: the other's lines carry their name, ours are marked "Vous". */
    room_news_chat(&n, 0, "Bonjour");
    CHECK(!strcmp(take(), "Marie Dupont : Bonjour\n"));
    room_news_chat_mine(&n, "Bonjour à vous");
    CHECK(!strcmp(take(), "Vous : Bonjour à vous\n"));
    room_model_snapshot(m, &s);
    CHECK(s.nlines >= 2 && s.lines[s.nlines - 1].kind == ROOM_LINE_MINE &&
          s.lines[s.nlines - 2].kind == ROOM_LINE_CHAT && s.lines[s.nlines - 2].slot == 0);

    /* The hours are said when they change (to the minute), not on every update. */
    room_news_hours(&n, 3 * 3600000LL + 5 * 60000, 16 * 3600000LL, 12 * 3600000LL + 55 * 60000);
    CHECK(!strcmp(take(), "Heures en face à face : 3 h 05 sur 16 h 00, il reste 12 h 55.\n"));
    room_news_hours(&n, 3 * 3600000LL + 5 * 60000 + 20000, 16 * 3600000LL,
                    12 * 3600000LL + 55 * 60000 - 20000);
    CHECK(!strcmp(take(), ""));
    room_news_hours(&n, 3 * 3600000LL + 6 * 60000, 16 * 3600000LL, 12 * 3600000LL + 54 * 60000);
    CHECK(strstr(take(), "3 h 06"));
    room_model_snapshot(m, &s);
    CHECK(s.hours_known && s.used_ms == 3 * 3600000LL + 6 * 60000);

    /* A refused code says how to get a new one. */
    room_news_refused(&n, 0, ROOM_REFUSED_BY_US);
    t = take();
    CHECK(strstr(t, "Vous avez refusé le code") && strstr(t, "rejoignez la salle") &&
          strstr(t, "nouveau code"));
    room_news_member_left(&n, 0, "lost");
    CHECK(strstr(take(), "a perdu la connexion"));
    room_model_snapshot(m, &s);
    CHECK(!s.people[0].present);

    /* Without a console nothing is printed, the model still follows. */
    n.out = NULL;
    room_news_member(&n, 2, BP_ROLE_CONSULTANT, "", 1);
    CHECK(!strcmp(take(), ""));
    room_model_snapshot(m, &s);
    CHECK(s.people[2].present && !strcmp(s.lines[s.nlines - 1].text,
                                         "Arrivée dans la salle : votre consultante / votre "
                                         "consultant."));
    room_model_free(m);
}

static void test_consultant_notice(void)
{
    struct room_model *m = room_model_new(NULL, NULL);
    struct room_news n;
    room_news_init(&n, mem, m);
    room_news_joined(&n, 0, BP_ROLE_CONSULTANT);
    take();
    room_news_member(&n, 1, BP_ROLE_BENEFICIARY, "", 1);
    const char *t = take();
    CHECK(strstr(t, "Arrivée dans la salle : le ou la bénéficiaire.") &&
          strstr(t, "Aucune séance ouverte : ce temps n'est pas compté"));
    struct room_snapshot s;
    room_model_snapshot(m, &s);
    CHECK(s.not_counted_notice);
    room_news_session_opened(&n, "investigation", 0, 1000);
    CHECK(strstr(take(), "Séance ouverte (Phase d'investigation)"));
    room_model_snapshot(m, &s);
    CHECK(!s.not_counted_notice && s.session_open && !strcmp(s.phase, "investigation"));
    /* Said once: a second update of an open session says nothing. */
    room_news_session_opened(&n, "investigation", 30000, 31000);
    CHECK(!strcmp(take(), ""));
    room_news_session_closed(&n, 3600000);
    t = take();
    CHECK(strstr(t, "Séance terminée : 1 h 00 en face à face.") &&
          strstr(t, "Aucune séance ouverte"));
    room_model_free(m);
}

static void test_model_queue(void)
{
    struct room_model *m = room_model_new(NULL, NULL);
    struct room_cmd c = {.kind = ROOM_CMD_MUTE_MIC, .on = 1};
    int posted = 0;
    while (!room_model_post(m, &c))
        posted++;
    CHECK_EQ_INT(posted, 32); /* bounded: a stuck loop never grows it */
    struct room_cmd out;
    int taken = 0;
    while (room_model_take(m, &out))
        taken++;
    CHECK_EQ_INT(taken, 32);
    CHECK(!room_model_take(m, &out));
    struct room_snapshot *s = room_model_edit(m);
    for (int i = 0; i < ROOM_LINES + 3; i++) {
        char t[16];
        snprintf(t, sizeof t, "l%d", i);
        room_model_add_line(s, ROOM_LINE_NOTICE, -1, t);
    }
    uint64_t v = s->version;
    room_model_done(m);
    struct room_snapshot c2;
    room_model_snapshot(m, &c2);
    CHECK(c2.version == v + 1 && c2.nlines == ROOM_LINES && !strcmp(c2.lines[0].text, "l3"));
    room_model_free(m);
}

int main(void)
{
    mem = tmpfile();
    if (!mem)
        return 1;
    test_words();
    test_sentences();
    test_consultant_notice();
    test_model_queue();
    return check_report();
}
