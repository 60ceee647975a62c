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

static const char usage[] =
    "Usage: bilan [--data DIR] COMMAND [ARGS...]\n"
    "\n"
    "Bilan Remote client: remote career assessments (bilans de compétences).\n"
    "\n"
    "Commands:\n"
    "  identity show        show this device's fingerprint, keys and servers\n"
    "  enrol LINK           enrol this device with an enrolment link (consultants)\n"
    "  bilan create|invite|list\n"
    "                       create a bilan and its invite link, reprint it, list bilans\n"
    "  join LINK-OR-ID      join a bilan's room (chat and file transfer, sessions)\n"
    "  open LINK            open an invite or enrolment link (https: or bilan:), as a click does\n"
    "  hours [BILAN]        face-to-face hours of a bilan; `hours declare DURATION`:\n"
    "                       personal work (beneficiary)\n"
    "  receipt verify FILE  check an attendance receipt offline\n"
    "  devices              caméras, micros et haut-parleurs, avec l'option pour chacun\n"
    "  test-media           essayer caméra, micro et haut-parleur avant la séance\n"
    "\n"
    "Options:\n"
    "  --data DIR           data folder (default $BILAN_HOME, else $XDG_DATA_HOME/bilan,\n"
    "                       else ~/.local/share/bilan)\n"
    "  --help               this help; `bilan COMMAND --help` for a command\n"
    "  --version            print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 usage or bad input, 2 refused by the server,\n"
    "3 network or TLS failure, 4 timed out (`receipt verify`: 5 invalid, 6 incomplete, 7 refused).\n";

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
    while ((c = getopt_long(argc, argv, "+d:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'V':
            printf("bilan %s (protocol %d)\n", CLI_VERSION, BP_PROTOCOL_VERSION);
            return 0;
        default:
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    if (!strcmp(cmd, "help")) {
        fputs(usage, stdout);
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
    else if (!strcmp(cmd, "receipt"))
        return cmd_receipt(NULL, sub_argc, sub_argv); /* offline: no data folder */
    else if (!strcmp(cmd, "devices"))
        return cmd_devices(NULL, sub_argc, sub_argv); /* offline: no data folder */
    else if (!strcmp(cmd, "test-media"))
        return cmd_testmedia(NULL, sub_argc, sub_argv); /* offline: no data folder */
    if (!fn)
        return cli_fail(EXIT_USAGE, "unknown command '%s' (see bilan --help)", cmd);
    static struct app app;
    if (app_resolve_dir(&app, data))
        return EXIT_USAGE;
    int rc = fn(&app, sub_argc, sub_argv);
    app_close(&app);
    return rc;
}
