/* cmd_devices.c: `bilan devices`: the cameras, microphones and speakers of
 * this machine, in plain French, each with the exact option to give to
 * `bilan join` (or `bilan test-media`), and advice when a kind is missing.
 * `--format json` gives the same for scripts (keys never translated).
 *
 * The listing itself is media/devlist.c (V4L2 and SDL); this file owns only
 * the words. Must never open a device for longer than devlist does, or
 * print anything but names the system gives. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "devlist.h"
#include "i18n.h"
#include "vsrc_v4l2.h"

static const char devices_usage[] =
    N_("Utilisation : bilan devices [--format texte|json]\n"
       "\n"
       "Liste les caméras, les micros et les haut-parleurs de cet ordinateur, avec\n"
       "pour chacun l'option à donner à `bilan join` ou à `bilan test-media`\n"
       "(--video, --audio, --audio-out). Rien n'est enregistré ni envoyé.\n"
       "\n"
       "Options :\n"
       "  --format F   texte (par défaut, pour vous lire) ou json (pour les scripts)\n"
       "  --help       cette aide\n"
       "\n"
       "Variables : SDL_AUDIODRIVER choisit le système de son (pulseaudio, pipewire,\n"
       "alsa) ; BILAN_V4L2_DIR remplace /dev comme dossier des caméras (tests).\n");

/* s quoted for a POSIX shell when it needs it: 'it'\''s'. */
static void shell_quote(FILE *f, const char *s)
{
    if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:=,+@") ==
        strlen(s)) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

static const char *state_name(enum devlist_cam_state s)
{
    static const char *const names[] = {"ok",        "busy",      "not_camera",
                                        "no_format", "forbidden", "error"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "error";
}

static void print_formats(FILE *f, const struct devlist_camera *c)
{
    for (int i = 0; i < c->n_formats; i++) {
        const struct devlist_format *x = &c->formats[i];
        fprintf(f, _("      %s :"), x->fourcc == VSRC_V4L2_YUYV ? "YUYV" : "MJPEG");
        if (x->n_sizes == 0)
            fprintf(f, " %s", _("toutes tailles"));
        for (int k = 0; k < x->n_sizes; k++)
            fprintf(f, " %dx%d", x->sizes[k].width, x->sizes[k].height);
        fputc('\n', f);
    }
}

static void print_cameras(FILE *f, const struct devlist *d)
{
    fprintf(f, "%s\n", _("Caméras"));
    for (int i = 0; i < d->n_cams; i++) {
        const struct devlist_camera *c = &d->cams[i];
        const char *card = *c->card ? c->card : _("sans nom");
        switch (c->state) {
        case DEVLIST_CAM_OK:
        case DEVLIST_CAM_BUSY:
            fprintf(f, _("  %s : %s%s\n"), c->path, card,
                    c->state == DEVLIST_CAM_BUSY
                        ? _(" (occupée : une autre application l'utilise, fermez-la avant la "
                            "séance)")
                        : "");
            print_formats(f, c);
            fprintf(f, "      %s --video ", _("à utiliser avec :"));
            shell_quote(f, c->path);
            fputc('\n', f);
            break;
        case DEVLIST_CAM_NOT_CAMERA:
            fprintf(f, _("  %s : %s\n"), c->path,
                    _("pas une caméra qui filme (souvent la seconde entrée d'une même caméra) : "
                      "ignorée"));
            break;
        case DEVLIST_CAM_NO_FORMAT:
            fprintf(f, _("  %s : %s : %s\n"), c->path, card,
                    _("ne donne aucune image que Bilan sait lire (ni YUYV ni MJPEG)"));
            break;
        case DEVLIST_CAM_FORBIDDEN:
            fprintf(f, _("  %s : %s\n"), c->path,
                    _("accès refusé : ajoutez votre compte au groupe video "
                      "(sudo usermod -aG video $USER) puis reconnectez-vous"));
            break;
        default:
            fprintf(f, _("  %s : %s %s\n"), c->path, _("impossible à ouvrir :"),
                    i18n_strerror(c->err));
            break;
        }
    }
    if (devlist_camera_count(d) == 0)
        fprintf(f, "  %s\n",
                _("Aucune caméra trouvée : branchez-la, ou vérifiez qu'une autre application ne "
                  "l'utilise pas ; sous Linux, votre compte doit être dans le groupe video."));
}

static void print_audio(FILE *f, const char *title, const struct devlist_audio *a, int n,
                        const char *opt, const char *prefix, const char *none)
{
    fprintf(f, "%s\n", title);
    for (int i = 0; i < n; i++) {
        fputs("  ", f);
        fprintf(f, _("« %s »"), a[i].name);
        fprintf(f, "%s\n", a[i].is_default ? _(" (par défaut)") : "");
        fprintf(f, "      %s %s ", _("à utiliser avec :"), opt);
        char v[160];
        snprintf(v, sizeof v, "%s%s", prefix, a[i].name);
        shell_quote(f, v);
        if (a[i].is_default)
            fprintf(f, _(" (ou %s default)"), opt);
        fputc('\n', f);
    }
    if (n == 0)
        fprintf(f, "  %s\n", none);
}

int devices_print_text(FILE *f, const struct devlist *d)
{
    print_cameras(f, d);
    fputc('\n', f);
    if (!d->audio_ok) {
        fprintf(f, "%s\n  ", _("Micros et haut-parleurs"));
        fprintf(f,
                _("Le son ne démarre pas (%s). Vérifiez que PulseAudio ou PipeWire tourne "
                  "(pactl info), ou essayez SDL_AUDIODRIVER=alsa."),
                d->audio_why);
        fputc('\n', f);
        return 0;
    }
    print_audio(f, _("Micros"), d->mics, d->n_mics, "--audio", "mic:",
                _("Aucun micro trouvé : branchez un micro ou un casque avec micro ; vérifiez "
                  "que PulseAudio ou PipeWire tourne (pactl info)."));
    fputc('\n', f);
    print_audio(f, _("Haut-parleurs"), d->speakers, d->n_speakers, "--audio-out", "speaker:",
                _("Aucun haut-parleur trouvé : branchez un casque ou des enceintes ; vérifiez "
                  "que PulseAudio ou PipeWire tourne (pactl info)."));
    fprintf(f, "\n%s %s\n", _("Système de son :"), d->audio_driver);
    fprintf(f, "%s\n", _("Pour tout essayer avant la séance : bilan test-media"));
    return 0;
}

static json_t *audio_json(const struct devlist_audio *a, int n, const char *opt, const char *prefix)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        char v[160];
        snprintf(v, sizeof v, "%s%s", prefix, a[i].name);
        json_array_append_new(arr, json_pack("{s:s, s:b, s:s, s:s}", "name", a[i].name, "default",
                                             a[i].is_default, "option", opt, "value", v));
    }
    return arr;
}

int devices_print_json(FILE *f, const struct devlist *d)
{
    json_t *cams = json_array();
    char fc[5];
    for (int i = 0; i < d->n_cams; i++) {
        const struct devlist_camera *c = &d->cams[i];
        json_t *fmts = json_array();
        for (int k = 0; k < c->n_formats; k++) {
            json_t *sizes = json_array();
            for (int s = 0; s < c->formats[k].n_sizes; s++)
                json_array_append_new(sizes, json_pack("[i,i]", c->formats[k].sizes[s].width,
                                                       c->formats[k].sizes[s].height));
            json_array_append_new(fmts, json_pack("{s:s, s:o}", "fourcc",
                                                  v4l2_fourcc_str(c->formats[k].fourcc, fc),
                                                  "sizes", sizes));
        }
        int usable = c->state == DEVLIST_CAM_OK || c->state == DEVLIST_CAM_BUSY;
        json_array_append_new(
            cams, json_pack("{s:s, s:s, s:s, s:b, s:o, s:s, s:s?}", "path", c->path, "card",
                            c->card, "state", state_name(c->state), "usable", usable, "formats",
                            fmts, "option", "--video", "value", usable ? c->path : NULL));
    }
    json_t *doc =
        json_pack("{s:s, s:o, s:b, s:s, s:s?, s:o, s:o}", "camera_dir", d->cam_dir, "cameras", cams,
                  "audio_ok", d->audio_ok, "audio_driver", d->audio_driver, "audio_error",
                  d->audio_ok ? NULL : d->audio_why, "microphones",
                  audio_json(d->mics, d->n_mics, "--audio", "mic:"), "speakers",
                  audio_json(d->speakers, d->n_speakers, "--audio-out", "speaker:"));
    if (!doc)
        return -1;
    int rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    json_decref(doc);
    return rc;
}

int cmd_devices(struct app *a, int argc, char **argv)
{
    (void)a;
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "json"))
                json = 1;
            else if (strcmp(optarg, "texte") && strcmp(optarg, "text"))
                return cli_fail(EXIT_USAGE, _("--format %s : choisissez texte ou json."), optarg);
            break;
        case 'h':
            fputs(_(devices_usage), stdout);
            return 0;
        default:
            fputs(_(devices_usage), stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, _("argument inattendu « %s » (voir bilan devices --help)."),
                        argv[optind]);
    static struct devlist d;
    devlist_cameras(&d);
    devlist_audio(&d);
    if (json ? devices_print_json(stdout, &d) : devices_print_text(stdout, &d))
        return cli_fail(1, "%s", _("impossible d'écrire la liste."));
    return 0;
}
