/* cmd_sheet_edit.c: `bilan sheet edit ID`: the sheet as a French text form
 * (doc/sheet_text.h) in the person's editor ($VISUAL, $EDITOR, else
 * `editor`, else `vi`), read back and saved as one operation per changed
 * field (a change to a field in conflict resolves it: its parents are all
 * the heads). A text that does not read back reopens in the editor with
 * the error at the top and a pointer above the faulty line.
 *
 * Owns: the temporary file (0600, in $TMPDIR or /tmp) and the editor's
 * run. Must never: lose what the person typed (the file is kept, and its
 * path said, whenever it is not saved), or run the editor through a shell
 * with the file's name inside the command's text (the name is "$1"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_sheet_edit.h"
#include "doc/sheet_text.h"
#include "i18n.h"
#include "sheet_cli.h"

/* The editor's command: $VISUAL, $EDITOR, `editor` when on PATH, else vi. */
static const char *editor_cmd(void)
{
    const char *e = getenv("VISUAL");
    if (!e || !*e)
        e = getenv("EDITOR");
    if (e && *e)
        return e;
    const char *path = getenv("PATH");
    char dir[4096], probe[4200];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if (n && n < sizeof dir) {
            memcpy(dir, path, n);
            dir[n] = '\0';
            snprintf(probe, sizeof probe, "%s/editor", dir);
            if (access(probe, X_OK) == 0)
                return "editor";
        }
        path += n + (path[n] == ':');
    }
    return "vi";
}

/* Runs the editor on path (the command may hold arguments: `code --wait`).
 * 0, or -1 with why. */
static int run_editor(const char *path, char *why, size_t cap)
{
    const char *cmd = editor_cmd();
    char line[4200];
    snprintf(line, sizeof line, "%s \"$1\"", cmd);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, cap, _("impossible de lancer l'éditeur : %s"), i18n_strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", line, "sh", path, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            snprintf(why, cap, _("l'éditeur a disparu : %s"), i18n_strerror(errno));
            return -1;
        }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(why, cap,
                 WIFEXITED(st) && WEXITSTATUS(st) == 127
                     ? _("l'éditeur « %s » est introuvable : donnez-en un dans EDITOR (par "
                         "exemple EDITOR=nano)")
                     : _("l'éditeur « %s » s'est arrêté sur une erreur"),
                 cmd);
        return -1;
    }
    return 0;
}

/* The file's content (malloc'd, *len bytes), or NULL with why. */
static char *slurp(const char *path, size_t *len, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, _("impossible de relire %s : %s"), path, i18n_strerror(errno));
        return NULL;
    }
    char *buf = malloc(SHEET_TEXT_MAX + 2); /* NUL-terminated too */
    size_t n = buf ? fread(buf, 1, SHEET_TEXT_MAX + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (!buf || err || n > SHEET_TEXT_MAX) {
        snprintf(why, cap, "%s",
                 !buf  ? _("mémoire insuffisante")
                 : err ? _("lecture impossible du texte enregistré")
                       : _("le texte enregistré est trop grand (1 Mio au plus)"));
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A conflicts object of sheets_conflicts (versions with authors) as
 * sheet_text_write takes it: field -> array of the values. */
static json_t *plain_conflicts(const json_t *cf)
{
    json_t *o = json_object();
    const char *k;
    json_t *a;
    json_object_foreach((json_t *)cf, k, a)
    {
        json_t *vals = json_array();
        for (size_t i = 0; vals && i < json_array_size(a); i++)
            json_array_append(vals, json_object_get(json_array_get(a, i), "value"));
        json_object_set_new(o, k, vals);
    }
    return o;
}

/* Writes the text form to path: 0 or -1 with why. */
static int write_form(const char *path, const struct sheets_info *info, const json_t *values,
                      const json_t *conflicts, int role, char *why, size_t cap)
{
    FILE *f = fopen(path, "w");
    int rc = f ? sheet_text_write(f, info->t, values, conflicts, info->id, role, NULL) : -1;
    if (f && fclose(f))
        rc = -1;
    if (rc)
        snprintf(why, cap, _("impossible d'écrire le texte de la fiche dans %s"), path);
    return rc;
}

/* Saves each change as a set; how many failed (each said). */
static int save_changes(struct sheet_cli *c, const struct sheets_info *info, json_t *changes)
{
    const char *k;
    json_t *v;
    int failed = 0;
    char why[2048];
    json_object_foreach(changes, k, v)
    {
        const struct bp_ws_field *f = bp_ws_template_field(info->t, k);
        if (sheets_set(c->s, info->id, k, v, why, sizeof why)) {
            cli_fail(EXIT_USAGE, "%s", why);
            failed++;
        } else {
            printf(_("« %s » mis à jour.\n"), f ? f->label : k);
        }
    }
    return failed;
}

int sheet_cmd_edit(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)o, (void)nargs;
    char id[SHEETS_ID_LEN + 1], why[2048], path[4200];
    struct sheets_info info;
    int rc = sheet_cli_find(c, args[0], id);
    if (rc)
        return rc;
    if (sheets_info(c->s, id, &info) || !info.t)
        return cli_fail(EXIT_USAGE,
                        _("la fiche %s suit un modèle que cet appareil ne connaît pas : mettez "
                          "bilan à jour"),
                        id);
    json_t *values = sheets_values(c->s, id), *cf = sheets_conflicts(c->s, id);
    json_t *conflicts = cf ? plain_conflicts(cf) : NULL;
    json_decref(cf);
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bilan-fiche-XXXXXX.txt", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(path, 4); /* 0600: a sheet belongs to the beneficiary */
    if (!values || !conflicts || fd < 0) {
        rc = cli_fail(EXIT_USAGE,
                      fd < 0 ? _("impossible de créer un fichier temporaire : %s") : "%s",
                      fd < 0 ? i18n_strerror(errno) : _("mémoire insuffisante"));
        goto done;
    }
    close(fd);
    if (write_form(path, &info, values, conflicts, c->role, why, sizeof why)) {
        rc = cli_fail(EXIT_USAGE, "%s", why);
        unlink(path);
        goto done;
    }
    size_t len = 0, shown_len = 0;
    char *shown = slurp(path, &shown_len, why, sizeof why), *buf = NULL;
    json_t *changes = NULL;
    for (;;) {
        free(buf);
        buf = NULL;
        if (!shown || run_editor(path, why, sizeof why) ||
            !(buf = slurp(path, &len, why, sizeof why))) {
            rc = cli_fail(EXIT_USAGE, _("%s ; rien n'est enregistré (le texte reste dans %s)"), why,
                          path);
            break;
        }
        if (len == shown_len && !memcmp(buf, shown, len)) {
            /* Saved as it was shown: nothing to do, or given up on an error. */
            rc = 0;
            if (strstr(shown, "# !! ")) {
                rc = cli_fail(EXIT_USAGE,
                              _("le texte n'a pas été corrigé : rien n'est enregistré (il reste "
                                "dans %s)"),
                              path);
            } else {
                printf("%s\n", _("Rien n'a changé."));
                unlink(path);
            }
            break;
        }
        int line = 0;
        if (sheet_text_read(buf, len, info.t, c->role, values, &changes, why, sizeof why, &line) ==
            0)
            break;
        /* Reopen on the person's own text, with the error at the top. */
        fprintf(stderr, _("bilan : ligne %d : %s (l'éditeur se rouvre)\n"), line, why);
        FILE *f = fopen(path, "w");
        int w = f ? sheet_text_reopen(f, buf, len, why, line) : -1;
        if (f && fclose(f))
            w = -1;
        free(shown);
        shown = w ? NULL : slurp(path, &shown_len, why, sizeof why);
        if (!shown)
            snprintf(why, sizeof why, _("impossible de réécrire %s"), path);
    }
    if (changes) {
        size_t n = json_object_size(changes);
        int failed = save_changes(c, &info, changes);
        if (!n)
            printf("%s\n", _("Rien n'a changé."));
        else if ((size_t)failed < n)
            sheet_cli_saved();
        rc = failed ? EXIT_USAGE : 0;
        if (!failed)
            unlink(path);
        else
            fprintf(stderr, _("bilan : votre texte reste dans %s\n"), path);
        json_decref(changes);
    }
    free(buf);
    free(shown);
done:
    json_decref(values);
    json_decref(conflicts);
    return rc;
}
