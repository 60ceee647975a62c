/* join_opts.c: `bilan join`'s usage text and options (see join_opts.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hours.h"
#include "i18n.h"
#include "join_opts.h"
#include "words.h"

/* French source: i18n.h gives the English when the locale asks. */
static const char join_usage[] = N_(
    "Utilisation : bilan join LIEN-OU-BILAN [options]\n"
    "\n"
    "Entre dans la salle d'un bilan : avec le lien d'invitation reçu (entre\n"
    "guillemets), ou avec l'identifiant d'un bilan que cet appareil connaît déjà\n"
    "(voir `bilan bilan list`).\n"
    "\n"
    "Dans la salle, tapez une ligne puis Entrée pour l'envoyer aux autres, ou une\n"
    "commande :\n"
    "  /oui [N]             l'autre personne lit le même code : le confirmer\n"
    "  /non [N]             les codes sont différents : le refuser\n"
    "  /qui                 qui est dans la salle\n"
    "  /seance PHASE        (consultant) ouvrir une séance : preliminaire,\n"
    "                       investigation, conclusion ou suivi\n"
    "  /fin                 (consultant) terminer la séance\n"
    "  /heures              les heures en face à face utilisées et restantes\n"
    "  /quitter             quitter la salle (comme Ctrl-C ou Ctrl-D)\n"
    "  /aide                la liste des commandes\n"
    "Les commandes anglaises (/yes, /no, /who, /session, /close, /hours, /quit,\n"
    "/help) marchent aussi.\n"
    "\n"
    "Tout ce qui passe dans la salle est chiffré de bout en bout : le serveur le\n"
    "transmet sans pouvoir le lire. Pour chaque autre appareil, un code de 6\n"
    "chiffres s'affiche : lisez-le à voix haute l'un à l'autre, puis tapez /oui si\n"
    "c'est le même code, /non s'il est différent. Chaque entrée dans la salle tire\n"
    "de nouvelles clés : le code change à chaque fois.\n"
    "\n"
    "Le temps en face à face n'est compté que pendant une séance, que la\n"
    "consultante ou le consultant ouvre et termine. À la fin d'une séance, chaque\n"
    "appareil présent signe le relevé du serveur (une attestation de présence ;\n"
    "voir `bilan receipt verify`).\n"
    "\n"
    "Options :\n"
    "  --headless           pas de fenêtre : la salle en mode texte\n"
    "  --window             une fenêtre (par défaut quand un écran est là)\n"
    "  --text-size PT       taille du texte de la fenêtre, de 16 à 32 points\n"
    "  --high-contrast      fenêtre en contraste élevé (touche F2)\n"
    "  --machine            lignes pour les scripts (« [room] slot=1 ... ») au lieu\n"
    "                       des phrases\n"
    "  --recv-dir DOSSIER   accepter les fichiers des autres dans DOSSIER\n"
    "                       (sinon ils sont refusés)\n"
    "  --send-file FICHIER  envoyer FICHIER aux autres dès que quelqu'un est là\n"
    "                       (peut être répété)\n"
    "  --say TEXTE          envoyer une ligne dès que quelqu'un est là (répétable)\n"
    "  --server HÔTE:PORT   quel serveur, si le bilan est connu sur plusieurs\n"
    "  --reconnect-for DURÉE  si la connexion tombe, réessayer pendant ce temps\n"
    "                       (0,5, 1, 2, 4, puis 8 s d'écart) avant d'abandonner\n"
    "                       (code 3) ; 120 s par défaut, 0 : jamais\n"
    "\n"
    "Image et son (aucun par défaut dans cette version) :\n"
    "  --video SOURCE       pattern (une mire animée), FICHIER.y4m (en boucle),\n"
    "                       /dev/videoN (une caméra), ou none\n"
    "  --audio SOURCE       tone[:HZ], FICHIER.wav (en boucle), default (le micro),\n"
    "                       mic:NOM, ou none\n"
    "  --video-out FICHIER.y4m  enregistrer l'image de l'autre personne\n"
    "  --audio-out SORTIE   FICHIER.wav (le son de l'autre personne), default (le\n"
    "                       haut-parleur), ou speaker:NOM (voir bilan devices)\n"
    "  --size LxH           taille de l'image envoyée, 640x480 par défaut\n"
    "  --fps N              images par seconde envoyées, 30 par défaut (5 à 60)\n"
    "\n"
    "  --no-echo-cancel     couper l'annulation d'écho (avec un casque, ou pour\n"
    "                       comparer) : avec le micro et le haut-parleur, le son du\n"
    "                       micro passe par une annulation d'écho et une réduction\n"
    "                       du bruit, pour que l'autre personne ne s'entende pas\n"
    "\n"
    "Séances (consultant) :\n"
    "  --open-session PHASE ouvrir une séance dès qu'une autre personne est là\n"
    "  --close-session      terminer la séance avant de partir\n"
    "\n"
    "Pour les essais et les scripts :\n"
    "  --confirm-sas        confirmer chaque code dès qu'il s'affiche (seulement\n"
    "                       après avoir comparé les codes, ou pour des essais)\n"
    "  --reject-sas         refuser chaque code\n"
    "  --expect-files N     partir après avoir reçu N fichiers\n"
    "  --expect-chat N      partir après avoir reçu N lignes\n"
    "  --expect-members N   partir quand la salle a eu N personnes à la fois\n"
    "  --duration DURÉE     partir après ce temps dans la salle (code 0)\n"
    "  --timeout DURÉE      abandonner (code 4) si les attentes ne sont pas remplies\n"
    "  --stats FICHIER.json écrire les compteurs (chiffrement, relais, image, son)\n"
    "Les durées s'écrivent en secondes ou 90s, 5m, 1h30.\n");

static int parse_count(const char *opt, const char *v, int max, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > max)
        return cli_fail(EXIT_USAGE, _("%s %s : un nombre entier de 0 à %d est attendu"), opt, v,
                        max);
    *out = (int)n;
    return 0;
}

/* WxH, even sides from 16 to 1920 x 1088 (what VP8 and the sinks take). */
static int parse_size(const char *v, int *w, int *h)
{
    char *end;
    long a = strtol(v, &end, 10), b = 0;
    if (end != v && (*end == 'x' || *end == 'X')) {
        const char *p = end + 1;
        b = strtol(p, &end, 10);
        if (end != p && !*end && a >= 16 && b >= 16 && a <= 1920 && b <= 1088 && a % 2 == 0 &&
            b % 2 == 0) {
            *w = (int)a;
            *h = (int)b;
            return 0;
        }
    }
    return cli_fail(EXIT_USAGE,
                    _("--size %s : taille attendue LARGEURxHAUTEUR, nombres pairs de 16 à "
                      "1920x1088, par exemple 640x480"),
                    v);
}

static int parse_seconds(const char *opt, const char *v, uint64_t *out_ms)
{
    long long s;
    if (!cli_parse_duration(v, &s, NULL) && s > 0) {
        *out_ms = (uint64_t)s * 1000;
        return 0;
    }
    char *end;
    double d = strtod(v, &end);
    if (*v && !*end && d > 0 && d < 10.0 * 365 * 86400) {
        *out_ms = (uint64_t)(d * 1000.0);
        return 0;
    }
    return cli_fail(EXIT_USAGE,
                    _("%s %s : une durée positive est attendue, en secondes ou 90s, 5m, 1h30"), opt,
                    v);
}

/* --open-session PHASE as a person types it (capitals, accents, a typo). */
static int phase_arg(const char *v, char out[BP_PHASE_MAX + 1])
{
    const char *wire, *near;
    if (!words_phase(v, strlen(v), &wire, &near)) {
        snprintf(out, BP_PHASE_MAX + 1, "%s", wire);
        return 0;
    }
    if (near)
        return cli_fail(EXIT_USAGE,
                        _("--open-session %s : cette phase n'existe pas. Vouliez-vous dire « %s » ?"),
                        v, near);
    return cli_fail(EXIT_USAGE, _("--open-session %s : la phase est l'une de : %s"), v,
                    BP_PHASE_LIST);
}

int join_opts_parse(struct join_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"send-file", required_argument, NULL, 'f'},
        {"say", required_argument, NULL, 'S'},
        {"recv-dir", required_argument, NULL, 'r'},
        {"expect-files", required_argument, NULL, 'F'},
        {"expect-chat", required_argument, NULL, 'C'},
        {"expect-members", required_argument, NULL, 'M'},
        {"duration", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"server", required_argument, NULL, 's'},
        {"headless", no_argument, NULL, 'H'},
        {"confirm-sas", no_argument, NULL, 1001},
        {"reject-sas", no_argument, NULL, 1002},
        {"stats", required_argument, NULL, 1003},
        {"open-session", required_argument, NULL, 1004},
        {"close-session", no_argument, NULL, 1005},
        {"video", required_argument, NULL, 1006},
        {"audio", required_argument, NULL, 1007},
        {"video-out", required_argument, NULL, 1008},
        {"audio-out", required_argument, NULL, 1009},
        {"size", required_argument, NULL, 1010},
        {"fps", required_argument, NULL, 1011},
        {"machine", no_argument, NULL, 1012},
        {"window", no_argument, NULL, 1013},
        {"text-size", required_argument, NULL, 1014},
        {"high-contrast", no_argument, NULL, 1015},
        {"no-echo-cancel", no_argument, NULL, 1100},
        {"reconnect-for", required_argument, NULL, 1099},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    datatx_init(&o->tx);
    o->policy = E2E_SAS_ASK;
    o->reconnect_s = RECONNECT_WINDOW_DEFAULT_S;
    int c, rc = 0;
    optind = 0; /* 0, not 1: glibc then resets its state and permutes (options after operands) */
    while ((c = getopt_long(argc, argv, "f:S:r:F:C:M:d:t:s:Hh", opts, NULL)) != -1) {
        char why[600];
        const char *w;
        switch (c) {
        case 'f':
            if (datatx_add_file(&o->tx, optarg, why, sizeof why))
                rc = cli_fail(EXIT_USAGE, "--send-file : %s", why);
            break;
        case 'S':
            if (datatx_add_chat(&o->tx, optarg, &w))
                rc = cli_fail(EXIT_USAGE, "--say : %s", w);
            break;
        case 'r':
            o->recv_dir = optarg;
            break;
        case 'F':
            rc = parse_count("--expect-files", optarg, 1000000, &o->expect_files);
            break;
        case 'C':
            rc = parse_count("--expect-chat", optarg, 1000000, &o->expect_chat);
            break;
        case 'M':
            rc = parse_count("--expect-members", optarg, 1000000, &o->expect_members);
            break;
        case 'd':
            rc = parse_seconds("--duration", optarg, &o->duration_ms);
            break;
        case 't':
            rc = parse_seconds("--timeout", optarg, &o->timeout_ms);
            break;
        case 's':
            o->opt_server = optarg;
            break;
        case 'H':
            o->headless = 1;
            break;
        case 1001:
        case 1002:
            if (o->policy != E2E_SAS_ASK)
                rc = cli_fail(EXIT_USAGE,
                              _("--confirm-sas et --reject-sas ne vont pas ensemble : choisissez "
                                "l'un des deux"));
            o->policy = c == 1001 ? E2E_SAS_CONFIRM : E2E_SAS_REJECT;
            break;
        case 1003:
            o->stats_file = optarg;
            break;
        case 1004:
            rc = phase_arg(optarg, o->open_phase);
            break;
        case 1005:
            o->close_on_leave = 1;
            break;
        case 1006:
            o->video = optarg;
            break;
        case 1007:
            o->audio = optarg;
            break;
        case 1008:
            o->video_out = optarg;
            break;
        case 1009:
            o->audio_out = optarg;
            break;
        case 1010:
            rc = parse_size(optarg, &o->width, &o->height);
            break;
        case 1011:
            rc = parse_count("--fps", optarg, 60, &o->fps);
            if (!rc && o->fps < 5)
                rc = cli_fail(EXIT_USAGE, _("--fps %s : de 5 à 60 images par seconde"), optarg);
            break;
        case 1012:
            o->machine = 1;
            break;
        case 1013: /* the window (client/ui/window.h) */
            o->window = 1;
            break;
        case 1014:
            rc = parse_count("--text-size", optarg, 32, &o->text_pt);
            if (!rc && o->text_pt < 16)
                rc = cli_fail(EXIT_USAGE, _("--text-size %s : de 16 à 32 points"), optarg);
            break;
        case 1015:
            o->high_contrast = 1;
            break;
        case 1100:
            o->no_echo_cancel = 1;
            break;
        case 1099: {
            uint64_t ms = 0;
            if (strcmp(optarg, "0") && !(rc = parse_seconds("--reconnect-for", optarg, &ms)) && ms > 86400000)
                rc = cli_fail(EXIT_USAGE, _("--reconnect-for %s : au plus un jour"), optarg);
            o->reconnect_s = (int)(ms / 1000);
            break;
        }
        case 'h':
            fputs(_(join_usage), stdout);
            datatx_free(&o->tx);
            return -1;
        default:
            fputs(_(join_usage), stderr);
            rc = EXIT_USAGE;
            break;
        }
        if (rc)
            break;
    }
    if (!rc && argc - optind != 1) {
        fputs(_(join_usage), stderr);
        rc = EXIT_USAGE;
    }
    struct stat sb;
    if (!rc && o->recv_dir && (stat(o->recv_dir, &sb) || !S_ISDIR(sb.st_mode)))
        rc = cli_fail(EXIT_USAGE, _("--recv-dir %s : ce dossier n'existe pas"), o->recv_dir);
    if (rc) {
        datatx_free(&o->tx);
        return rc;
    }
    o->arg = argv[optind];
    return 0;
}

void join_opts_free(struct join_opts *o)
{
    datatx_free(&o->tx);
}
