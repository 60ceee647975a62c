/* cmd_testmedia.c: `bilan test-media`: what a person does before a
 * session. With a display (or --window) a window shows the camera's
 * picture, a microphone level meter and a button for the test sound, then
 * the verdict, until the person closes it (ui/testwin.h). Without one (or
 * --headless), in the terminal: for a few seconds it reads the camera
 * (pictures per second, black or too dark, frozen) and the microphone (a
 * level meter drawn in place: "parlez pour tester votre micro"), then plays
 * a test sound on the speaker and, when someone is there, asks whether they
 * heard it. Each problem comes with what to do. Non-interactive (standard
 * input not a terminal): no question, a summary, exit 0 when everything
 * asked for works and 1 otherwise; `--format json` for scripts.
 *
 * The measuring is media/mtest.c (threads, sources) over media/mcheck.c
 * (thresholds); the verdict's sentences are testmedia_report.c (the same
 * for the terminal and the window); this file owns the options, the
 * terminal's meter, the window's loop (the sound is played here, never on
 * the window's thread) and the exit code.
 *
 * Must never: leave the terminal's line half drawn, wait for an answer
 * when nobody can give one, block the window on a device, or call the test
 * passed on a silent or black device. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "devlist.h"
#include "i18n.h"
#include "mtest.h"
#include "testmedia_report.h"
#include "ui/testwin.h"
#include "ui/window.h"

#define TM_SOUND_MS 1500
#define TM_METER_CELLS 30
#define TM_WINDOW_POLL_MS 50 /* the window's requests, the verdict's refresh */

static const char tm_usage[] =
    N_("Utilisation : bilan test-media [OPTIONS]\n"
       "\n"
       "Essaie la caméra, le micro et le haut-parleur avant une séance : pendant\n"
       "quelques secondes, la caméra filme (images par seconde, image noire ou\n"
       "figée) et le micro écoute (un niveau s'affiche : parlez pour tester votre\n"
       "micro) ; puis un son d'essai est joué, et la commande vous demande si vous\n"
       "l'avez entendu. Chaque problème est expliqué avec ce qu'il faut faire.\n"
       "Rien n'est enregistré ni envoyé.\n"
       "\n"
       "Quand un écran est là, l'essai se fait dans une fenêtre : votre image, le\n"
       "niveau du micro, un bouton « Jouer un son d'essai » (touche J), puis le\n"
       "résultat ; « Fermer » ou Échap la ferme. Le résultat est aussi écrit ici.\n"
       "\n"
       "Options :\n"
       "  --video SOURCE      la caméra (/dev/videoN), pattern, FICHIER.y4m ou none\n"
       "                      (par défaut : la première caméra de `bilan devices`)\n"
       "  --audio SOURCE      le micro : default, mic:NOM, tone, FICHIER.wav ou none\n"
       "                      (par défaut : default)\n"
       "  --audio-out SORTIE  le haut-parleur : default, speaker:NOM, FICHIER.wav ou none\n"
       "                      (par défaut : default)\n"
       "  --duration S        secondes d'essai de la caméra et du micro, 1 à 60 (5)\n"
       "  --size LxH          taille des images demandée à la caméra (640x480)\n"
       "  --format F          texte (par défaut) ou json (pour les scripts)\n"
       "  --window            une fenêtre (par défaut quand un écran est là)\n"
       "  --headless          pas de fenêtre : l'essai dans le terminal\n"
       "  --text-size PT      taille du texte de la fenêtre, de 16 à 32 points\n"
       "  --high-contrast     fenêtre en contraste élevé (touche F2)\n"
       "  --help              cette aide\n"
       "\n"
       "Sans terminal (entrée standard redirigée), aucune question n'est posée ;\n"
       "code de sortie 0 quand tout ce qui est essayé marche, 1 sinon.\n");

struct tm_opts {
    const char *video, *audio, *out;
    int seconds, width, height, json, interactive, meter;
    int window, headless, text_pt, high_contrast;
    char cam[256];
};

/* Ctrl-C: the test stops where it is, the meter's line is cleared and what
 * was measured so far is reported (as a failure: the test did not finish). */
static volatile sig_atomic_t tm_interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    tm_interrupted = 1;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int is_none(const char *s)
{
    return !s || !strcmp(s, "none");
}

/* The first camera `bilan devices` would list as usable, into o->cam. */
static int first_camera(struct tm_opts *o)
{
    static struct devlist d;
    devlist_cameras(&d);
    for (int i = 0; i < d.n_cams; i++)
        if (d.cams[i].state == DEVLIST_CAM_OK || d.cams[i].state == DEVLIST_CAM_BUSY) {
            snprintf(o->cam, sizeof o->cam, "%s", d.cams[i].path);
            return 1;
        }
    return 0;
}

/* One line of the meter, drawn over the previous one. */
static void draw_meter(const struct mtest_level *l)
{
    char bar[TM_METER_CELLS * 3 + 1];
    mcheck_bar(l->rms_dbfs, TM_METER_CELLS, bar, sizeof bar);
    printf("\r\033[K  %s [%s] %4.0f dB  %s", _("Micro"), bar, l->rms_dbfs,
           mcheck_heard(l->max_dbfs) ? _("je vous entends") : _("parlez pour tester votre micro"));
    fflush(stdout);
}

static void run_capture(struct mtest *m, const struct tm_opts *o, int video_on, int audio_on)
{
    if (!video_on && !audio_on)
        return;
    if (!o->json)
        printf(_("Essai pendant %d secondes…"), o->seconds), printf("\n");
    int64_t end = mono_ms() + (int64_t)o->seconds * 1000;
    while (mono_ms() < end && !tm_interrupted) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
        nanosleep(&ts, NULL);
        if (audio_on && o->meter) {
            struct mtest_level l;
            mtest_level(m, &l);
            draw_meter(&l);
        }
    }
    if (audio_on && o->meter)
        printf("\r\033[K");
    mtest_stop(m);
}

/* y/n from standard input: 1 yes, 0 no, -1 no answer (end of input). */
static int ask_heard(void)
{
    for (;;) {
        printf("%s ", _("Entendez-vous le son ? (o/n)"));
        fflush(stdout);
        char line[64];
        if (tm_interrupted || !fgets(line, sizeof line, stdin))
            return -1;
        char c = line[0];
        if (c == 'o' || c == 'O' || c == 'y' || c == 'Y')
            return 1;
        if (c == 'n' || c == 'N')
            return 0;
    }
}

static void run_speaker(const struct tm_opts *o, struct tm_speaker *sp)
{
    sp->tried = 1;
    if (!o->json)
        printf("%s\n", _("Son d'essai sur le haut-parleur…"));
    for (int round = 0; round < 3 && !tm_interrupted; round++) {
        if (mtest_play_sound(o->out, TM_SOUND_MS, sp->error, sizeof sp->error) != 0)
            return;
        sp->played = 1;
        if (!o->interactive)
            return;
        sp->asked = 1;
        int a = ask_heard();
        sp->heard = a == 1;
        if (a != 0 || round == 2)
            return;
        printf("%s\n", _("Montez le volume, vérifiez le haut-parleur choisi ; le son est rejoué."));
    }
}

static void results_of(struct tm_results *r, const struct tm_opts *o, const char *video,
                       const char *verr, const struct mtest_video_result *v, const char *aerr,
                       const struct mtest_audio_result *a, const struct tm_speaker *sp)
{
    *r = (struct tm_results){.video = video,
                             .video_wanted = !is_none(o->video) || !o->video,
                             .verr = verr,
                             .v = v,
                             .audio = is_none(o->audio) ? NULL : o->audio,
                             .aerr = aerr,
                             .a = a,
                             .out = o->out,
                             .sp = sp};
}

/* Prints the text report (testmedia_report.c's lines); returns 1 when
 * everything tried works. */
static int report_text(const struct tm_opts *o, const char *video, const char *verr,
                       const struct mtest_video_result *v, const char *aerr,
                       const struct mtest_audio_result *a, const struct tm_speaker *sp)
{
    struct tm_results r;
    struct testwin_verdict vd;
    results_of(&r, o, video, verr, v, aerr, a, sp);
    int ok = tm_verdict(&r, &vd);
    printf("\n%s\n", _("Résultat"));
    for (int i = 0; i < vd.n; i++) {
        enum testwin_kind k = vd.line[i].kind;
        if (k == TW_READY || k == TW_FIX)
            printf("\n%s\n", vd.line[i].text);
        else
            printf("%s%s\n", k == TW_DEVICE || k == TW_PROBLEM ? "  " : "    ", vd.line[i].text);
    }
    return ok;
}

static int report_json(const struct tm_opts *o, const char *video, const char *verr,
                       const struct mtest_video_result *v, const char *aerr,
                       const struct mtest_audio_result *a, const struct tm_speaker *sp)
{
    int vok = video && !*verr && v->frames > 0 && !v->dark && !v->frozen && !*v->error;
    int aok = !*aerr && a->heard;
    int sok = sp->played && (!sp->asked || sp->heard);
    int want_video = video || !is_none(o->video);
    int ok = (!want_video || vok) && (is_none(o->audio) || aok) && (!sp->tried || sok);
    json_t *jv = json_null(), *ja = json_null(), *js = json_null();
    if (want_video)
        jv = json_pack("{s:s?, s:b, s:i, s:i, s:i, s:f, s:f, s:b, s:b, s:s?}", "source", video,
                       "ok", vok, "width", v->width, "height", v->height, "frames", v->frames,
                       "fps", v->fps, "mean_luma", v->mean_luma, "dark", v->dark, "frozen",
                       v->frozen, "error",
                       !video      ? "no camera"
                       : *verr     ? verr
                       : *v->error ? v->error
                                   : NULL);
    if (!is_none(o->audio))
        ja = json_pack("{s:s, s:b, s:i, s:f, s:b, s:s?}", "source", o->audio, "ok", aok, "blocks",
                       a->blocks, "max_dbfs", a->max_dbfs, "heard", a->heard, "error",
                       *aerr       ? aerr
                       : *a->error ? a->error
                                   : NULL);
    if (sp->tried)
        js = json_pack("{s:s, s:b, s:b, s:o, s:s?}", "sink", o->out, "ok", sok, "played",
                       sp->played, "heard", sp->asked ? json_boolean(sp->heard) : json_null(),
                       "error", sp->played ? NULL : sp->error);
    json_t *doc =
        json_pack("{s:o, s:o, s:o, s:b, s:f, s:f}", "video", jv, "audio", ja, "speaker", js, "ok",
                  ok, "dark_luma", MCHECK_DARK_LUMA, "silence_dbfs", MCHECK_SILENCE_DBFS);
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(doc);
    return ok;
}

static int parse_opts(struct tm_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"video", required_argument, NULL, 'v'},
        {"audio", required_argument, NULL, 'a'},
        {"audio-out", required_argument, NULL, 'o'},
        {"duration", required_argument, NULL, 'd'},
        {"size", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"window", no_argument, NULL, 'W'},
        {"headless", no_argument, NULL, 'H'},
        {"text-size", required_argument, NULL, 'T'},
        {"high-contrast", no_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "v:a:o:d:s:f:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'v':
            o->video = optarg;
            break;
        case 'a':
            o->audio = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'd': {
            long s = strtol(optarg, &end, 10);
            if (*end || end == optarg || s < 1 || s > 60)
                return cli_fail(EXIT_USAGE,
                                _("--duration %s : donnez un nombre de secondes "
                                  "de 1 à 60."),
                                optarg);
            o->seconds = (int)s;
            break;
        }
        case 's':
            if (sscanf(optarg, "%dx%d", &o->width, &o->height) != 2 || o->width < 16 ||
                o->height < 16 || o->width > 1920 || o->height > 1088 || (o->width & 1) ||
                (o->height & 1))
                return cli_fail(EXIT_USAGE,
                                _("--size %s : donnez LARGEURxHAUTEUR, chaque côté "
                                  "pair, de 16 à 1920x1088."),
                                optarg);
            break;
        case 'f':
            if (!strcmp(optarg, "json"))
                o->json = 1;
            else if (strcmp(optarg, "texte") && strcmp(optarg, "text"))
                return cli_fail(EXIT_USAGE, _("--format %s : choisissez texte ou json."), optarg);
            break;
        case 'W':
            o->window = 1;
            break;
        case 'H':
            o->headless = 1;
            break;
        case 'T': {
            long pt = strtol(optarg, &end, 10);
            if (*end || end == optarg || pt < 16 || pt > 32)
                return cli_fail(EXIT_USAGE, _("--text-size %s : de 16 à 32 points"), optarg);
            o->text_pt = (int)pt;
            break;
        }
        case 'C':
            o->high_contrast = 1;
            break;
        case 'h':
            fputs(_(tm_usage), stdout);
            return -1;
        default:
            fputs(_(tm_usage), stderr);
            return EXIT_USAGE;
        }
    }
    if (o->window && o->headless)
        return cli_fail(EXIT_USAGE, "%s", _("--window et --headless : choisissez l'un ou l'autre."));
    if (optind < argc)
        return cli_fail(EXIT_USAGE, _("argument inattendu « %s » (voir bilan test-media --help)."),
                        argv[optind]);
    return 0;
}

/* The verdict so far, shown in the window. */
static void window_verdict(struct testwin *t, struct mtest *m, const struct tm_opts *o,
                           const char *video, const char *verr, const char *aerr,
                           const struct tm_speaker *sp)
{
    struct mtest_video_result v;
    struct mtest_audio_result ar;
    mtest_video_result(m, &v);
    mtest_audio_result(m, &ar);
    struct tm_results r;
    struct testwin_verdict vd;
    results_of(&r, o, video, verr, &v, aerr, &ar, sp);
    tm_verdict(&r, &vd);
    testwin_set_verdict(t, &vd);
}

/* The test in the window, until the person closes it (or Ctrl-C). The
 * sound is played here, on the command's thread, while the window goes on
 * drawing on its own; the verdict comes after --duration seconds and is
 * kept up to date. */
static void run_window(struct testwin *t, struct mtest *m, const struct tm_opts *o,
                       const char *video, const char *verr, const char *aerr,
                       struct tm_speaker *sp)
{
    int64_t verdict_at = mono_ms() + (int64_t)o->seconds * 1000, next = verdict_at;
    if (is_none(o->out))
        testwin_set_sound(t, TW_SOUND_NONE, NULL);
    while (!tm_interrupted) {
        enum testwin_req r = testwin_take(t);
        if (r == TW_REQ_CLOSE)
            break;
        int changed = 1;
        if (r == TW_REQ_PLAY && !is_none(o->out)) {
            testwin_set_sound(t, TW_SOUND_PLAYING, NULL);
            sp->tried = 1;
            sp->asked = sp->heard = 0;
            sp->played = mtest_play_sound(o->out, TM_SOUND_MS, sp->error, sizeof sp->error) == 0;
            testwin_set_sound(t, sp->played ? TW_SOUND_ASK : TW_SOUND_FAILED, sp->error);
            printf("[test-media] sound=%s\n", sp->played ? "played" : "failed");
            fflush(stdout);
        } else if ((r == TW_REQ_HEARD_YES || r == TW_REQ_HEARD_NO) && sp->played) {
            sp->asked = 1;
            sp->heard = r == TW_REQ_HEARD_YES;
            /* The verdict first: a window that shows the answer shows the
             * verdict that counts it. */
            if (mono_ms() >= verdict_at)
                window_verdict(t, m, o, video, verr, aerr, sp);
            testwin_set_sound(t, sp->heard ? TW_SOUND_HEARD : TW_SOUND_NOT_HEARD, NULL);
        } else {
            changed = 0;
            if (r == TW_REQ_NONE) {
                struct timespec ts = {.tv_sec = 0, .tv_nsec = TM_WINDOW_POLL_MS * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
        int64_t now = mono_ms();
        if (now >= verdict_at && (changed || now >= next)) {
            window_verdict(t, m, o, video, verr, aerr, sp);
            next = now + 500;
        }
    }
}

/* 1 when the test runs in a window (t then open), 0 in the terminal (said
 * on stderr in one line, unless asked for). */
static int open_window(struct testwin **t, struct mtest *m, const struct tm_opts *o,
                       int video_on, int audio_on, const char *verr, const char *aerr)
{
    *t = NULL;
    if (o->headless || (o->json && !o->window))
        return 0;
    char why[300] = "";
    if (o->window || window_display_announced()) {
        struct testwin_config c = {.mtest = m,
                                   .video = video_on,
                                   .audio = audio_on,
                                   .video_error = verr,
                                   .audio_error = aerr,
                                   .text_pt = o->text_pt,
                                   .high_contrast = o->high_contrast};
        if (testwin_open(t, &c, why, sizeof why) == 0)
            return 1;
    }
    if (why[0])
        fprintf(stderr, "bilan: %s (%s)\n", _("Pas d'écran disponible : l'essai se fait dans le terminal."),
                why);
    else
        fprintf(stderr, "bilan: %s\n", _("Pas d'écran disponible : l'essai se fait dans le terminal."));
    return 0;
}

int cmd_testmedia(struct app *a, int argc, char **argv)
{
    (void)a;
    struct tm_opts o = {.audio = "default", .out = "default", .seconds = 5};
    int rc = parse_opts(&o, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    o.interactive = !o.json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    o.meter = !o.json && isatty(STDOUT_FILENO);
    const char *video = NULL;
    if (!o.video)
        video = first_camera(&o) ? o.cam : NULL;
    else if (!is_none(o.video))
        video = o.video;
    struct mtest *m;
    if (mtest_new(&m))
        return cli_fail(1, "%s", _("mémoire insuffisante."));
    char verr[384] = "", aerr[384] = "";
    int video_on = video && mtest_video_start(m, video, o.width, o.height, verr, sizeof verr) == 0;
    int audio_on = !is_none(o.audio) && mtest_audio_start(m, o.audio, aerr, sizeof aerr) == 0;
    /* No SA_RESTART: the question's read returns at Ctrl-C. */
    struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct tm_speaker sp = {0};
    struct testwin *t;
    int windowed = open_window(&t, m, &o, video_on, audio_on, verr, aerr);
    if (windowed) {
        run_window(t, m, &o, video, verr, aerr, &sp);
        testwin_close(t);
        mtest_stop(m);
    } else {
        run_capture(m, &o, video_on, audio_on);
    }
    struct mtest_video_result v;
    struct mtest_audio_result ar;
    mtest_video_result(m, &v);
    mtest_audio_result(m, &ar);
    mtest_free(m);
    if (!windowed && !is_none(o.out) && !tm_interrupted)
        run_speaker(&o, &sp);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (tm_interrupted && !o.json)
        printf("\n%s\n", _("Essai interrompu."));
    int ok = o.json ? report_json(&o, video, verr, &v, aerr, &ar, &sp)
                    : report_text(&o, video, verr, &v, aerr, &ar, &sp);
    return ok && !tm_interrupted ? 0 : 1;
}
