/* desk_errors.h: errors of a command started by a click (the desktop entry
 * runs `bilan open %u` with no terminal): what the command says on stderr
 * is kept, passed on to the real stderr (the session's journal) when it
 * ends, and if it failed, its last sentences are shown in a box
 * (ui/msgbox.h), so that a person who clicked a link and sees nothing
 * happen is told what went wrong and what to do.
 *
 * Only when stderr is not a terminal and a display is announced: at a
 * terminal the person reads stderr as usual.
 *
 * Owns: stderr's descriptor between begin and end (a temporary file stands
 * in for it). Must never: lose a line of stderr, or show anything but what
 * the command printed for a person (which never holds a secret). */
#ifndef CLIENT_DESK_ERRORS_H
#define CLIENT_DESK_ERRORS_H

struct desk_errors {
    int active;     /* begin took stderr over */
    int saved_fd;   /* the real stderr */
    int kept_fd;    /* the temporary file that stands in for it */
};

/* Takes stderr over when the command runs from a desktop (see above) and
 * the person did not ask for --headless (argv is scanned for it). */
void desk_errors_begin(struct desk_errors *d, int argc, char **argv);
/* Gives stderr back with everything written meanwhile, and, when rc is not
 * 0, shows the last of it in a box titled "Bilan". Returns rc. */
int desk_errors_end(struct desk_errors *d, int rc);

#endif
