/* i18n.c: the language of this process and the catalogue (see i18n.h). */
#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

#define I18N_DOMAIN "bilan"

static int english;

void i18n_init(void)
{
    static const char *vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    setlocale(LC_ALL, "");
    english = 0;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            english = !strncmp(v, "en", 2);
            break;
        }
    }
    /* The catalogue itself is found by the full version (i18n helper). */
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
