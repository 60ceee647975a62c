/* main.c: `bilan`, the Bilan Remote client. Parses the global options and
 * hands over to one subcommand (cmd_*.c). Everything else lives in the
 * bilanclient library so that tests and benchmarks can reuse it. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "i18n.h"

/* The usage, French in the source (English in po/en.po). */
static const char usage[] = N_(
    "Utilisation : bilan [--data DOSSIER] COMMANDE [ARGUMENTS...]\n"
    "\n"
    "Client Bilan Remote : les bilans de compétences à distance.\n"
    "\n"
    "Commandes :\n"
    "  identity show        montre l'empreinte de cet appareil, ses clés et ses serveurs\n"
    "  enrol LIEN           inscrit cet appareil avec un lien d'inscription (consultants)\n"
    "  bilan create|invite|list\n"
    "                       crée un bilan et son lien d'invitation, en donne un nouveau,\n"
    "                       liste les bilans\n"
    "  join LIEN-OU-BILAN   entre dans la salle d'un bilan (messages, fichiers, séances)\n"
    "  open LIEN            ouvre un lien d'invitation ou d'inscription (https: ou\n"
    "                       bilan:), comme un clic\n"
    "  hours [BILAN]        heures de face-à-face d'un bilan ; `hours declare DURÉE` :\n"
    "                       déclarer du travail personnel (bénéficiaire)\n"
    "  sheet COMMANDE       les fiches de travail d'un bilan (programme, synthèse...) :\n"
    "                       `bilan sheet --help`\n"
    "  receipt verify FICHIER\n"
    "                       vérifie un relevé de présence, sans réseau\n"
    "  devices              liste les caméras, micros et haut-parleurs, avec l'option\n"
    "                       à donner pour chacun\n"
    "  test-media           essaie la caméra, le micro et le haut-parleur avant la séance\n"
    "\n"
    "Options :\n"
    "  --data DOSSIER       dossier des données (par défaut $BILAN_HOME, sinon\n"
    "                       $XDG_DATA_HOME/bilan, sinon ~/.local/share/bilan)\n"
    "  --help               cette aide ; `bilan COMMANDE --help` pour une commande\n"
    "  --version            affiche la version\n"
    "\n"
    "Langue : français ; en anglais si la langue demandée (LANGUAGE, LC_ALL,\n"
    "LC_MESSAGES ou LANG) commence par « en ».\n"
    "\n"
    "Codes de sortie : 0 réussi, 1 commande ou données incorrectes, 2 refusé par\n"
    "le serveur, 3 réseau ou TLS, 4 délai dépassé (`receipt verify` : 5 invalide,\n"
    "6 incomplet, 7 refusé).\n");

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL;
    int c;
    /* Our files hold keys: nothing we create is for others to read. */
    umask(077);
    i18n_init();
    /* A peer that vanishes must give a clear "connection lost", not kill us
     * through a write on its closed socket (OpenSSL writes with write()). */
    signal(SIGPIPE, SIG_IGN);
    /* '+': stop at the command, its options are its own. */
    opterr = 0; /* our message, in the reader's words (cli_bad_option) */
    while ((c = getopt_long(argc, argv, "+d:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'h':
            fputs(_(usage), stdout);
            return 0;
        case 'V':
            printf(_("bilan %s (protocole %d)\n"), CLI_VERSION, BP_PROTOCOL_VERSION);
            return 0;
        default:
            return cli_bad_option(argv, _(usage));
        }
    }
    opterr = 1; /* commands that still rely on getopt's message */
    if (optind >= argc) {
        fputs(_(usage), stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    if (!strcmp(cmd, "help")) {
        fputs(_(usage), stdout);
        return 0;
    }
    int (*fn)(struct app *, int, char **) = NULL;
    if (!strcmp(cmd, "identity"))
        fn = cmd_identity;
    else if (!strcmp(cmd, "enrol") || !strcmp(cmd, "enroll"))
        fn = cmd_enrol;
    else if (!strcmp(cmd, "bilan"))
        fn = cmd_bilan;
    else if (!strcmp(cmd, "join"))
        fn = cmd_join;
    else if (!strcmp(cmd, "open"))
        fn = cmd_open;
    else if (!strcmp(cmd, "hours"))
        fn = cmd_hours;
    else if (!strcmp(cmd, "sheet"))
        fn = cmd_sheet;
    else if (!strcmp(cmd, "receipt"))
        return cmd_receipt(NULL, sub_argc, sub_argv); /* offline: no data folder */
    else if (!strcmp(cmd, "devices"))
        return cmd_devices(NULL, sub_argc, sub_argv); /* offline: no data folder */
    else if (!strcmp(cmd, "test-media"))
        return cmd_testmedia(NULL, sub_argc, sub_argv); /* offline: no data folder */
    if (!fn)
        return cli_fail(EXIT_USAGE, _("commande inconnue « %s » : les commandes sont dans bilan --help"), cmd);
    static struct app app;
    if (app_resolve_dir(&app, data))
        return EXIT_USAGE;
    int rc = fn(&app, sub_argc, sub_argv);
    app_close(&app);
    return rc;
}
