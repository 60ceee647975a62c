/* msgbox.h: one message for a person who has no terminal: a small window
 * with a sentence and a "Fermer" button (SDL's message box), for a command
 * started by a click on the desktop whose errors would otherwise go nowhere.
 *
 * Owns: nothing past the call. Must never: be given a secret (what it shows
 * is on screen for anyone in the room), or be called while the room's window
 * thread runs (SDL wants one thread on video at a time). */
#ifndef CLIENT_UI_MSGBOX_H
#define CLIENT_UI_MSGBOX_H

/* Shows title and text (UTF-8) and waits until the person closes it.
 * 0 when shown, -1 when no box could be shown (no display). */
int msgbox_show(const char *title, const char *text);

#endif
