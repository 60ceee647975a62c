/* cmd_testmedia.c: `bilan test-media`: what a person does before a
 * session. For a few seconds it reads the camera (pictures per second,
 * black or too dark, frozen) and the microphone (a level meter drawn in
 * place on the terminal: "parlez pour tester votre micro"), then plays a
 * test sound on the speaker and, when someone is there, asks whether they
 * heard it. Each problem comes with what to do. Non-interactive (standard
 * input not a terminal): no question, a summary, exit 0 when everything
 * asked for works and 1 otherwise; `--format json` for scripts.
 *
 * The measuring is media/mtest.c (threads, sources) over media/mcheck.c
 * (thresholds); this file owns the options, the meter's drawing and the
 * words. A window (client/ui/) can show the same test: mtest_picture and
 * mtest_level are what it needs.
 *
 * Must never: leave the terminal's line half drawn, wait for an answer
 * when nobody can give one, or call the test passed on a silent or black
 * device. */
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

#define TM_SOUND_MS 1500
#define TM_METER_CELLS 30
#define TM_LOW_FPS 10.0 /* below: the camera works, but poorly lit or overloaded */

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
       "  --help              cette aide\n"
       "\n"
       "Sans terminal (entrée standard redirigée), aucune question n'est posée ;\n"
       "code de sortie 0 quand tout ce qui est essayé marche, 1 sinon.\n");

struct tm_opts {
    const char *video, *audio, *out;
    int seconds, width, height, json, interactive, meter;
    char cam[256];
};

struct tm_speaker {
    int tried, played, asked, heard;
    char error[384];
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

/* Prints the text report; returns 1 when everything tried works. */
static int report_text(const struct tm_opts *o, const char *video, const char *verr,
                       const struct mtest_video_result *v, const char *aerr,
                       const struct mtest_audio_result *a, const struct tm_speaker *sp)
{
    int ok = 1;
    printf("\n%s\n", _("Résultat"));
    if (video) {
        printf(_("  Caméra %s : "), video);
        if (*verr) {
            printf("%s\n", verr);
            ok = 0;
        } else if (v->frames == 0) {
            printf("%s %s\n", _("aucune image reçue."), *v->error ? v->error : "");
            ok = 0;
        } else {
            printf(_("%dx%d, %.1f images par seconde."), v->width, v->height, v->fps);
            printf("\n");
            if (*v->error)
                printf("    %s\n", v->error), ok = 0;
            if (v->dark)
                printf("    %s\n", _("Image noire ou trop sombre : retirez le cache de "
                                     "l'objectif, ouvrez le volet de la caméra, allumez une "
                                     "lumière face à vous.")),
                    ok = 0;
            if (v->frozen)
                printf("    %s\n", _("L'image ne bouge pas : débranchez et rebranchez la "
                                     "caméra, ou fermez les autres applications vidéo.")),
                    ok = 0;
            if (v->fps > 0 && v->fps < TM_LOW_FPS)
                printf("    %s\n", _("Peu d'images par seconde : plus de lumière aide la "
                                     "caméra ; fermez les autres applications."));
            if (!v->dark && !v->frozen && !*v->error)
                printf("    %s\n", _("L'image est bonne."));
        }
    } else if (!is_none(o->video) || !o->video) {
        printf(_("  Caméra : %s\n"),
               _("Aucune caméra trouvée : branchez-la, ou vérifiez qu'une autre application ne "
                 "l'utilise pas ; sous Linux, votre compte doit être dans le groupe video."));
        ok = 0;
    }
    if (!is_none(o->audio)) {
        printf(_("  Micro %s : "), o->audio);
        if (*aerr) {
            printf("%s\n", aerr);
            ok = 0;
        } else if (a->heard) {
            printf(_("son entendu (jusqu'à %.0f dB)."), a->max_dbfs);
            printf("\n");
        } else {
            printf("%s\n", *a->error ? a->error
                                     : _("aucun son entendu : vérifiez que le micro n'est pas "
                                         "coupé (bouton ou touche du clavier), qu'il est bien "
                                         "choisi (bilan devices), et parlez plus près."));
            ok = 0;
        }
    }
    if (sp->tried) {
        printf(_("  Haut-parleur %s : "), o->out);
        if (!sp->played) {
            printf("%s\n", sp->error);
            ok = 0;
        } else if (sp->asked && !sp->heard) {
            printf("%s\n", _("son joué mais pas entendu : vérifiez le volume et que le son "
                             "n'est pas coupé, choisissez un autre haut-parleur "
                             "(bilan devices), ou branchez un casque."));
            ok = 0;
        } else {
            printf("%s\n", sp->asked ? _("son entendu.") : _("son d'essai joué."));
        }
    }
    printf("\n%s\n", ok ? _("Tout est prêt pour la séance.")
                        : _("À corriger avant la séance : voir ci-dessus."));
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
        case 'h':
            fputs(_(tm_usage), stdout);
            return -1;
        default:
            fputs(_(tm_usage), stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, _("argument inattendu « %s » (voir bilan test-media --help)."),
                        argv[optind]);
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
    run_capture(m, &o, video_on, audio_on);
    struct mtest_video_result v;
    struct mtest_audio_result ar;
    mtest_video_result(m, &v);
    mtest_audio_result(m, &ar);
    mtest_free(m);
    struct tm_speaker sp = {0};
    if (!is_none(o.out) && !tm_interrupted)
        run_speaker(&o, &sp);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (tm_interrupted && !o.json)
        printf("\n%s\n", _("Essai interrompu."));
    int ok = o.json ? report_json(&o, video, verr, &v, aerr, &ar, &sp)
                    : report_text(&o, video, verr, &v, aerr, &ar, &sp);
    return ok && !tm_interrupted ? 0 : 1;
}
