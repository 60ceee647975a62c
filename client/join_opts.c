/* join_opts.c: `bilan join`'s usage text and options (see join_opts.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hours.h"
#include "join_opts.h"

static const char join_usage[] =
    "Usage: bilan join LINK-OR-BILAN-ID [options]\n"
    "\n"
    "Joins the room of a bilan: with the invite link you were given (quote it),\n"
    "or with the id of a bilan this device already knows (`bilan bilan list`).\n"
    "\n"
    "  --send-file FILE     send FILE to the others once someone is in the room (repeatable)\n"
    "  --say TEXT           send a chat line once someone is in the room (repeatable)\n"
    "  --recv-dir DIR       accept files from the others into DIR (otherwise refused)\n"
    "  --expect-files N     leave after receiving N files\n"
    "  --expect-chat N      leave after receiving N chat lines\n"
    "  --expect-members N   leave after the room had N members at once (you included;\n"
    "                       more than 4 never happens: stay until --duration/--timeout)\n"
    "  --duration SECONDS   leave after this long in the room (exit 0)\n"
    "  --reconnect-for SECONDS  when the connection drops, try again for this long\n"
    "                       (0.5, 1, 2, 4, 8 s apart) before giving up with exit 3\n"
    "                       (default 120; 0: never)\n"
    "  --timeout SECONDS    give up (exit 4) if expectations are not met by then\n"
    "  --server HOST:PORT   which server, if the bilan id is known on several\n"
    "  --headless           no window (this version has no window yet)\n"
    "\n"
    "Video and sound (none by default in this version):\n"
    "  --video SOURCE       pattern (a moving test picture), FILE.y4m (looped),\n"
    "                       /dev/videoN (a camera), or none\n"
    "  --audio SOURCE       tone[:HZ], FILE.wav (looped), default (the microphone),\n"
    "                       mic:NAME, or none\n"
    "  --video-out FILE.y4m write the other person's video (frame N at position N)\n"
    "  --audio-out OUT      FILE.wav (the other person's sound), or default (speaker)\n"
    "  --size WxH           picture size sent, 640x480 by default (e.g. 1280x720)\n"
    "  --fps N              pictures per second sent, 30 by default (5..60)\n"
    "  --confirm-sas        confirm every security code as soon as it is shown: only\n"
    "                       after you compared the codes with the other person (or tests)\n"
    "  --reject-sas         reject every security code (ends those pairs)\n"
    "  --stats FILE.json    write end-to-end, relay and media counters to FILE.json\n"
    "                       at exit (frames, losses, latency, bitrate over time)\n"
    "  --open-session PHASE (consultant) open a session as soon as someone else is in\n"
    "                       the room; PHASE: preliminaire, investigation, conclusion, suivi\n"
    "  --close-session      (consultant) close the open session before leaving (when\n"
    "                       expectations are met, at --duration's end, on Ctrl-C or /quit)\n"
    "\n"
    "In the room, type a line and Enter to send it to the others, or a command:\n"
    "  /oui, /yes [SLOT]    the other person reads the same code: confirm it\n"
    "  /non, /no [SLOT]     the codes differ: reject it (ends that pair)\n"
    "  /qui, /who           who is in the room\n"
    "  /seance, /session PHASE  (consultant) open a session of that phase\n"
    "  /fin, /close         (consultant) close the session\n"
    "  /heures, /hours      face-to-face hours used and left in this bilan\n"
    "  /quitter, /quit      leave the room (like Ctrl-C)\n"
    "  /aide, /help         the list of commands\n"
    "Lines typed before the encryption allows sending wait (64 at most).\n"
    "\n"
    "Everything sent in the room is encrypted end to end: the server relays it\n"
    "without being able to read it. For each other device a 6-digit code is shown\n"
    "(\"[e2e] slot=N code=482 913\"): read it aloud to each other, then type /oui\n"
    "if the codes are the same, /non if they differ (without a SLOT, the answer\n"
    "goes to every code shown and not answered yet). Devices that joined with the\n"
    "invite link are authenticated by it and exchange at once (confirming the code\n"
    "makes them verified); a device authenticated neither by the invite nor by an\n"
    "earlier confirmed code gets nothing until its code is confirmed. Without a\n"
    "person at the keyboard, --confirm-sas accepts every code as soon as it is\n"
    "shown (compare them aloud at once and leave if they differ) and --reject-sas\n"
    "rejects them. Each join draws new keys, so the code changes every time. A\n"
    "confirmed code is remembered for the bilan.\n"
    "\n"
    "With --say, --send-file or --expect-*, join leaves once everything is sent\n"
    "and every expectation is met; otherwise it stays until --duration, /quit or\n"
    "Ctrl-C. The end of standard input (Ctrl-D, /dev/null) does not leave.\n"
    "Durations also accept 90s, 5m, 1h30.\n"
    "\n"
    "Sessions: the server counts face-to-face time only inside a session, which a\n"
    "consultant opens and closes. Lines \"[hours] ...\" show the time used and left;\n"
    "at the close every device present signs the server's record of the session (an\n"
    "attendance receipt, \"[receipt] session=... signed\"; see `bilan receipt verify`).\n"
    "A receipt that could not be sent goes out at the next `bilan join` to that server.\n";

static int parse_count(const char *opt, const char *v, int max, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > max)
        return cli_fail(EXIT_USAGE, "%s %s: expected a whole number from 0 to %d", opt, v, max);
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
                    "--size %s : taille attendue LARGEURxHAUTEUR, nombres pairs de 16 \xc3\xa0 "
                    "1920x1088, par exemple 640x480 (expected WxH, even, 16 to 1920x1088)",
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
    return cli_fail(EXIT_USAGE, "%s %s: expected a positive number of seconds (or 90s, 5m, 1h30)",
                    opt, v);
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
                rc = cli_fail(EXIT_USAGE, "--send-file: %s", why);
            break;
        case 'S':
            if (datatx_add_chat(&o->tx, optarg, &w))
                rc = cli_fail(EXIT_USAGE, "--say: %s", w);
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
            break; /* no window in this version: headless is the only mode */
        case 1001:
        case 1002:
            if (o->policy != E2E_SAS_ASK)
                rc = cli_fail(EXIT_USAGE, "--confirm-sas and --reject-sas exclude each other");
            o->policy = c == 1001 ? E2E_SAS_CONFIRM : E2E_SAS_REJECT;
            break;
        case 1003:
            o->stats_file = optarg;
            break;
        case 1004:
            if (!hours_phase_ok(optarg))
                rc = cli_fail(EXIT_USAGE, "--open-session %s: the phase is one of %s", optarg,
                              hours_phases);
            else
                snprintf(o->open_phase, sizeof o->open_phase, "%s", optarg);
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
                rc = cli_fail(EXIT_USAGE, "--fps %s: expected 5 to 60", optarg);
            break;
        case 1099: {
            uint64_t ms = 0;
            if (strcmp(optarg, "0") && !(rc = parse_seconds("--reconnect-for", optarg, &ms)) && ms > 86400000)
                rc = cli_fail(EXIT_USAGE, "--reconnect-for %s: at most one day", optarg);
            o->reconnect_s = (int)(ms / 1000);
            break;
        }
        case 'h':
            fputs(join_usage, stdout);
            datatx_free(&o->tx);
            return -1;
        default:
            fputs(join_usage, stderr);
            rc = EXIT_USAGE;
            break;
        }
        if (rc)
            break;
    }
    if (!rc && argc - optind != 1) {
        fputs(join_usage, stderr);
        rc = EXIT_USAGE;
    }
    struct stat sb;
    if (!rc && o->recv_dir && (stat(o->recv_dir, &sb) || !S_ISDIR(sb.st_mode)))
        rc = cli_fail(EXIT_USAGE, "--recv-dir %s: not an existing folder", o->recv_dir);
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
