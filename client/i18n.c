/* i18n.c: the language of this process and the catalogue (see i18n.h).
 *
 * French is the language of the source: in French nothing is looked up, so a
 * missing or broken catalogue can never turn French into English or garbage.
 * In English every sentence goes through dgettext() to the catalogue
 * share/locale/en/LC_MESSAGES/bilan.mo found NEXT TO THE PROGRAM
 * (<dir of the executable>/../share/locale): the same rule finds
 * build/share/locale from build/client/bilan and /usr/share/locale from
 * /usr/bin/bilan, so tests and the installed package need no configuration.
 * BILAN_LOCALEDIR overrides it (tests of a moved catalogue).
 *
 * English must work on a machine where no English locale is generated
 * (Debian often has only C.UTF-8): glibc translates nothing while
 * LC_MESSAGES is "C", but honours LANGUAGE for any other locale. So in
 * English, when setlocale() could not set the asked one, LC_MESSAGES falls
 * back to C.UTF-8 and LANGUAGE is set to "en" for this process.
 *
 * Owns: the `english` flag, written once by i18n_init() before any thread
 * starts, read-only afterwards. Never changes LC_NUMERIC away from "C":
 * machine lines and JSON print numbers with a dot whatever the locale. */
#include <errno.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"

#define I18N_DOMAIN "bilan"

static int english;

/* <dir of /proc/self/exe>/../share/locale into out; 0 or -1. */
static int locale_dir(char *out, size_t cap)
{
    const char *env = getenv("BILAN_LOCALEDIR");
    if (env && *env) {
        int n = snprintf(out, cap, "%s", env);
        return n > 0 && (size_t)n < cap ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    int m = snprintf(out, cap, "%s/../share/locale", exe);
    return m > 0 && (size_t)m < cap ? 0 : -1;
}

/* The language a person asked for: the first of these that is set, as
 * gettext reads them (LANGUAGE is a list: its first entry counts). */
static int asks_english(void)
{
    static const char *vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return !strncmp(v, "en", 2);
    }
    return 0;
}

void i18n_init(void)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    english = asks_english();
    if (!english)
        return;
    char dir[PATH_MAX + 32];
    if (locale_dir(dir, sizeof dir) == 0)
        bindtextdomain(I18N_DOMAIN, dir);
    /* The catalogue is UTF-8 and so is our French: never transliterate. */
    bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
    const char *msg = setlocale(LC_MESSAGES, NULL);
    if (!msg || !strcmp(msg, "C") || !strcmp(msg, "POSIX"))
        setlocale(LC_MESSAGES, "C.UTF-8");
    /* LANGUAGE wins over the locale's name in gettext's search; "en" is the
     * only catalogue we ship, whatever English variant was asked for. */
    setenv("LANGUAGE", "en", 1);
}

int i18n_english(void)
{
    return english;
}

const char *i18n_text(const char *french)
{
    if (!english)
        return french;
    return dgettext(I18N_DOMAIN, french);
}

const char *i18n_strerror(int err)
{
    /* strerror() speaks the C locale's English where no French locale is
     * generated: the usual causes in our words, the rest as the system
     * says them. */
    switch (err) {
    case ENOENT:
        return _("ce fichier ou dossier n'existe pas");
    case EACCES:
    case EPERM:
        return _("accès refusé (vérifiez les droits)");
    case EISDIR:
        return _("c'est un dossier, pas un fichier");
    case ENOTDIR:
        return _("un élément du chemin n'est pas un dossier");
    case ENOSPC:
        return _("le disque est plein");
    case EROFS:
        return _("le disque est en lecture seule");
    case ENAMETOOLONG:
        return _("le nom est trop long");
    }
    return strerror(err);
}
