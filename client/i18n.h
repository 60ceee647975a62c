/* i18n.h: the words a person reads, French first (English when the locale
 * asks), through gettext.
 *
 * Every sentence a person reads is written in French in the source and
 * wrapped: _("Vous avez quitté la salle.") in code, N_("...") in a static
 * table (then _() where it is printed). The English catalogue
 * (po/en.po, compiled to share/locale/en/LC_MESSAGES/bilan.mo) translates
 * them; a test checks that it translates every one.
 *
 * What is NOT wrapped: the machine lines ("[room] slot=1 ..."), wire names,
 * JSON keys, file formats for scripts. Those never change with the locale.
 *
 * Owns: the language choice of this process. */
#ifndef CLIENT_I18N_H
#define CLIENT_I18N_H

/* Picks the language from LANGUAGE, LC_ALL, LC_MESSAGES, LANG (English when
 * the first that is set starts with "en", else French) and finds the
 * catalogue next to the program. Call once, first thing in main(). */
void i18n_init(void);
/* 1 when the person reads English (i18n_init decided so). */
int i18n_english(void);
/* The text to show for a French source sentence. */
const char *i18n_text(const char *french) __attribute__((format_arg(1)));

/* What errno err means, in the reader's words for the usual causes
 * (ENOENT, EACCES...), strerror() for the rest. The text is static. */
const char *i18n_strerror(int err);

#define _(s) i18n_text(s)
#define N_(s) (s)

#endif
