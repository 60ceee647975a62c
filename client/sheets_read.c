/* sheets_read.c: what the CLI and the window read of a bilan's worksheets
 * (see sheets.h, "reading"): the list of sheets, finding a sheet by a
 * prefix a person typed, a sheet's current values and its conflicts.
 *
 * Owns: the shape of those answers (the label telling two copies apart, the
 * conflict objects). Must never: change the replica or the file (reading
 * only), or show a deleted sheet unless asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sheets.h"
#include "bp/vocab.h"
#include "i18n.h"
#include "sheets_int.h"

/* The first line of text, cut at cap - 1 bytes on a UTF-8 boundary. */
static void first_line(const char *text, char *out, size_t cap)
{
    size_t n = strcspn(text, "\n");
    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, text, n);
    out[n] = '\0';
}

static void fill_info(struct sheets *s, const struct sheets_ent *e, struct sheets_info *i)
{
    memset(i, 0, sizeof *i);
    snprintf(i->id, sizeof i->id, "%s", e->id);
    const char *tmpl = "";
    bp_ws_replica_sheet(s->r, e->id, &tmpl, &i->deleted);
    snprintf(i->tmpl, sizeof i->tmpl, "%s", tmpl);
    i->t = ws_templates_find(&s->tpl, tmpl);
    i->title = i->t ? i->t->title : i->tmpl;
    i->created_ms = e->has_create ? e->created.ms : 0;
    i->pending = e->pending;
    if (!i->t)
        return;
    for (size_t k = 0; k < i->t->n_sections; k++)
        for (size_t j = 0; j < i->t->sections[k].n_fields; j++) {
            const struct bp_ws_field *f = &i->t->sections[k].fields[j];
            const struct bp_ws_op *h[1];
            int conflict = 0;
            size_t n = bp_ws_replica_heads(s->r, e->id, f->id, h, 1, &conflict);
            if (conflict)
                i->conflicts++;
            if (!i->label[0] && n && f->kind == BP_WS_TEXT && json_is_string(h[0]->value))
                first_line(json_string_value(h[0]->value), i->label, 121);
        }
}

int sheets_info(struct sheets *s, const char *sheet_id, struct sheets_info *out)
{
    const struct sheets_ent *e = sheets__ent(s, sheet_id);
    if (!e)
        return KS_NOT_FOUND;
    fill_info(s, e, out);
    return 0;
}

static int by_created(const void *a, const void *b)
{
    const struct sheets_info *x = a, *y = b;
    if (x->created_ms != y->created_ms)
        return x->created_ms < y->created_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

int sheets_list(struct sheets *s, int with_deleted,
                int (*cb)(void *arg, const struct sheets_info *i), void *arg)
{
    struct sheets_info *v = s->n_sh ? calloc(s->n_sh, sizeof *v) : NULL;
    if (s->n_sh && !v)
        return BP_E_NOMEM;
    size_t n = 0;
    for (size_t k = 0; k < s->n_sh; k++) {
        fill_info(s, &s->sh[k], &v[n]);
        if (with_deleted || !v[n].deleted)
            n++;
    }
    if (n)
        qsort(v, n, sizeof *v, by_created);
    for (size_t k = 0; k < n; k++)
        if (cb(arg, &v[k]))
            break;
    free(v);
    return 0;
}

int sheets_find(struct sheets *s, const char *prefix, char out[SHEETS_ID_LEN + 1], char *why,
                size_t cap)
{
    size_t len = strlen(prefix);
    if (len < 4 || len > SHEETS_ID_LEN) {
        snprintf(why, cap,
                 _("« %s » n'est pas un identifiant de fiche : donnez-en au moins 4 caractères "
                   "(`bilan sheet list` les montre)"),
                 prefix);
        return -1;
    }
    size_t live = 0, dead = 0;
    const char *hit = NULL;
    for (size_t k = 0; k < s->n_sh; k++) {
        if (strncmp(s->sh[k].id, prefix, len))
            continue;
        const char *tmpl;
        int deleted = 0;
        bp_ws_replica_sheet(s->r, s->sh[k].id, &tmpl, &deleted);
        if (deleted) {
            dead++;
        } else {
            live++;
            hit = s->sh[k].id;
        }
    }
    if (live == 1) {
        snprintf(out, SHEETS_ID_LEN + 1, "%s", hit);
        return 0;
    }
    if (live > 1)
        snprintf(why, cap,
                 _("plusieurs fiches commencent par « %s » : donnez plus de caractères "
                   "(`bilan sheet list` les montre)"),
                 prefix);
    else if (dead)
        snprintf(why, cap, _("la fiche « %s » a été supprimée"), prefix);
    else
        snprintf(why, cap, _("aucune fiche « %s » dans ce bilan : `bilan sheet list` les montre"),
                 prefix);
    return -1;
}

json_t *sheets_values(struct sheets *s, const char *sheet_id)
{
    const char *tmpl;
    int deleted;
    if (!bp_ws_replica_sheet(s->r, sheet_id, &tmpl, &deleted))
        return NULL;
    json_t *o = json_object();
    const struct bp_ws_template *t = ws_templates_find(&s->tpl, tmpl);
    for (size_t k = 0; o && t && k < t->n_sections; k++)
        for (size_t j = 0; j < t->sections[k].n_fields; j++) {
            const struct bp_ws_field *f = &t->sections[k].fields[j];
            const struct bp_ws_op *h[1];
            if (bp_ws_replica_heads(s->r, sheet_id, f->id, h, 1, NULL) && h[0]->value &&
                !json_is_null(h[0]->value) && json_object_set(o, f->id, h[0]->value)) {
                json_decref(o);
                return NULL;
            }
        }
    return o;
}

/* The versions of one field in conflict, winner first, as sheets.h says. */
static json_t *versions(struct sheets *s, const char *sheet_id, const char *field, size_t n)
{
    const struct bp_ws_op **h = calloc(n, sizeof *h);
    json_t *a = json_array();
    if (!h || !a)
        goto fail;
    n = bp_ws_replica_heads(s->r, sheet_id, field, h, n, NULL);
    for (size_t i = 0; i < n; i++) {
        int role = sheets__device_role(s, h[i]->device);
        json_t *v = json_pack("{s:O, s:s, s:s, s:s, s:I, s:b}", "value",
                              h[i]->value ? h[i]->value : json_null(), "op", h[i]->id, "device",
                              h[i]->device, "role", role ? bp_role_name(role) : "", "ms",
                              (json_int_t)h[i]->hlc.ms, "self", !strcmp(h[i]->device, s->self_b64));
        if (!v || json_array_append_new(a, v))
            goto fail;
    }
    free(h);
    return a;
fail:
    free(h);
    json_decref(a);
    return NULL;
}

json_t *sheets_conflicts(struct sheets *s, const char *sheet_id)
{
    const char *tmpl;
    int deleted;
    if (!bp_ws_replica_sheet(s->r, sheet_id, &tmpl, &deleted))
        return NULL;
    json_t *o = json_object();
    const struct bp_ws_template *t = ws_templates_find(&s->tpl, tmpl);
    for (size_t k = 0; o && t && k < t->n_sections; k++)
        for (size_t j = 0; j < t->sections[k].n_fields; j++) {
            const char *f = t->sections[k].fields[j].id;
            int conflict = 0;
            size_t n = bp_ws_replica_heads(s->r, sheet_id, f, NULL, 0, &conflict);
            if (!conflict)
                continue;
            json_t *a = versions(s, sheet_id, f, n);
            if (!a || json_object_set_new(o, f, a)) {
                json_decref(o);
                return NULL;
            }
        }
    return o;
}

size_t sheets_heads(struct sheets *s, const char *sheet_id, const char *field,
                    const struct bp_ws_op **heads, size_t cap, int *conflict)
{
    return bp_ws_replica_heads(s->r, sheet_id, field, heads, cap, conflict);
}
