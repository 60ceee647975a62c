/* sheet_pdf.c: a sheet as a PDF (sheet_pdf.h). Glue over cairo and pango.
 *
 * The document is laid out twice with the same code: once to count the
 * pages (nothing drawn), once to draw, so that every foot can say « Page 2
 * sur 5 ». Text is laid out by pango one block at a time and placed line by
 * line: a line that does not fit under the current one goes to the next
 * page whole. */
#include "sheet_pdf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "doc_file.h"
#include "i18n.h"

#define A4_W 595.2756  /* points: 210 mm */
#define A4_H 841.8898  /* 297 mm */
#define MARGIN 56.6929 /* 20 mm */
#define FONT "DejaVu Sans"

struct sizes {
    double title, section, body, foot;
};
static const struct sizes normal = {18, 14, 11, 9};
static const struct sizes large = {26, 22, 18, 14};

struct pdf {
    cairo_t *cr;
    PangoContext *pc;
    const struct sizes *sz;
    int draw;        /* 0: counting pages */
    int page;        /* 1-based */
    int pages;       /* known in the drawing pass */
    double y;        /* top of the next line */
    const char *tag; /* the next block's structure tag (tagged PDF); NULL: "P" */
};

static const double top = MARGIN, bottom = A4_H - MARGIN - 14; /* room for the foot */

static PangoLayout *layout(struct pdf *p, const char *text, double size, int bold, int italic,
                           double width)
{
    PangoLayout *l = pango_layout_new(p->pc);
    PangoFontDescription *fd = pango_font_description_from_string(FONT);
    /* Absolute: one unit is one PDF point, whatever the context's resolution. */
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    if (bold)
        pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
    if (italic)
        pango_font_description_set_style(fd, PANGO_STYLE_ITALIC);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    /* No ligatures: a reader's search or copy of "fi" finds the letters. */
    PangoAttrList *at = pango_attr_list_new();
    pango_attr_list_insert(at, pango_attr_font_features_new("liga=0, clig=0"));
    pango_layout_set_attributes(l, at);
    pango_attr_list_unref(at);
    pango_layout_set_text(l, text, -1);
    return l;
}

static void foot(struct pdf *p)
{
    if (!p->draw)
        return;
    char buf[80];
    snprintf(buf, sizeof buf, _("Page %d sur %d"), p->page, p->pages);
    PangoLayout *l = layout(p, buf, p->sz->foot, 0, 0, A4_W - 2 * MARGIN);
    pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
    cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
    cairo_move_to(p->cr, MARGIN, A4_H - MARGIN);
    pango_cairo_show_layout(p->cr, l);
    g_object_unref(l);
}

static void new_page(struct pdf *p)
{
    foot(p);
    if (p->draw)
        cairo_show_page(p->cr);
    p->page++;
    p->y = top;
}

/* Starts a new page unless h points fit under y (a page that is still
 * empty takes whatever comes: a block taller than a page is cut by lines). */
static void need(struct pdf *p, double h)
{
    if (p->y + h > bottom && p->y > top)
        new_page(p);
}

static double first_line_height(PangoLayout *l)
{
    PangoRectangle r;
    PangoLayoutIter *it = pango_layout_get_iter(l);
    pango_layout_iter_get_line_extents(it, NULL, &r);
    pango_layout_iter_free(it);
    return (double)r.height / PANGO_SCALE;
}

/* Places l's lines from y at x, each whole on a page; takes l. In the
 * drawing pass the block is marked with p->tag (then reset), so that a
 * screen reader finds the headings and paragraphs; a block cut by a page
 * ends its tag before the page's foot and opens it again after. */
static void flow(struct pdf *p, PangoLayout *l, double x, double grey)
{
    const char *tag = p->tag ? p->tag : "P";
    int open = 0;
    p->tag = NULL;
    PangoLayoutIter *it = pango_layout_get_iter(l);
    do {
        PangoRectangle r;
        pango_layout_iter_get_line_extents(it, NULL, &r);
        double h = (double)r.height / PANGO_SCALE;
        if (open && p->y + h > bottom && p->y > top) {
            cairo_tag_end(p->cr, tag);
            open = 0;
        }
        need(p, h);
        if (p->draw) {
            if (!open)
                cairo_tag_begin(p->cr, tag, NULL);
            open = 1;
            PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
            double base = (double)(pango_layout_iter_get_baseline(it) - r.y) / PANGO_SCALE;
            cairo_set_source_rgb(p->cr, grey, grey, grey);
            cairo_move_to(p->cr, x + (double)r.x / PANGO_SCALE, p->y + base);
            pango_cairo_show_layout_line(p->cr, line);
        }
        p->y += h;
    } while (pango_layout_iter_next_line(it));
    if (open)
        cairo_tag_end(p->cr, tag);
    pango_layout_iter_free(it);
    g_object_unref(l);
}

static void text(struct pdf *p, const char *s, double size, int bold, int italic, double grey)
{
    flow(p, layout(p, s, size, bold, italic, A4_W - 2 * MARGIN), MARGIN, grey);
}

/* A line of the title block; takes s (g_strdup_printf'd: never cut). */
static void line(struct pdf *p, char *s)
{
    text(p, s, p->sz->body, 0, 0, 0);
    g_free(s);
}

static void bullet(struct pdf *p, const char *s)
{
    double indent = p->sz->body; /* the bullet sits one em in */
    PangoLayout *b = layout(p, "• ", p->sz->body, 0, 0, -1);
    int bw, bh;
    pango_layout_get_size(b, &bw, &bh);
    g_object_unref(b);
    char *buf = g_strdup_printf("• %s", s); /* whole: a cut could split a UTF-8 character */
    PangoLayout *l = layout(p, buf, p->sz->body, 0, 0, A4_W - 2 * MARGIN - indent);
    g_free(buf);
    pango_layout_set_indent(l, -bw); /* hanging: wrapped lines align after the bullet */
    flow(p, l, MARGIN + indent, 0);
}

static void field(struct pdf *p, const struct bp_ws_field *f, const json_t *v)
{
    struct sheet_pieces pc;
    const struct sizes *z = p->sz;
    PangoLayout *lab = layout(p, f->label, z->body, 1, 0, A4_W - 2 * MARGIN);
    /* A label never ends a page alone: it needs its value's first line. */
    need(p, first_line_height(lab) * 2.2);
    p->tag = "H3";
    flow(p, lab, MARGIN, 0);
    p->y += z->body * 0.2;
    if (sheet_value_pieces(f, v, &pc)) {
        text(p, _("(valeur illisible)"), z->body, 0, 1, 0.45);
    } else {
        for (size_t k = 0; k < pc.n; k++) {
            if (pc.v[k].kind == SHEET_PARA)
                text(p, pc.v[k].text, z->body, 0, 0, 0);
            else if (pc.v[k].kind == SHEET_BULLET)
                bullet(p, pc.v[k].text);
            else
                text(p, pc.v[k].text, z->body, 0, 1, 0.45);
        }
        sheet_pieces_free(&pc);
    }
    p->y += z->body * 0.8;
}

static void document(struct pdf *p, const struct bp_ws_template *t, const json_t *values,
                     const struct sheet_doc_opts *o)
{
    const struct sizes *z = p->sz;
    char today[11];
    p->page = 1;
    p->y = top;
    p->tag = "H1";
    text(p, t->title, z->title, 1, 0, 0);
    p->y += z->body * 0.5;
    if (o && o->bilan_label) {
        line(p, g_strdup_printf(_("Bilan : %s"), o->bilan_label));
    }
    if (o && o->beneficiary) {
        line(p, g_strdup_printf(_("Bénéficiaire : %s"), o->beneficiary));
    }
    line(p, g_strdup_printf(_("Exporté le %s"), sheet_doc_date(o, today)));
    if (t->intro) {
        p->y += z->body * 0.5;
        text(p, t->intro, z->body, 0, 1, 0.3);
    }
    for (size_t s = 0; s < t->n_sections; s++) {
        const struct bp_ws_section *sec = &t->sections[s];
        p->y += z->body;
        PangoLayout *h = layout(p, sec->title, z->section, 1, 0, A4_W - 2 * MARGIN);
        /* A section's title never ends a page: it needs its first field. */
        need(p, first_line_height(h) + z->body * 3.5);
        p->tag = "H2";
        flow(p, h, MARGIN, 0);
        p->y += z->body * 0.6;
        for (size_t i = 0; i < sec->n_fields; i++)
            field(p, &sec->fields[i], values ? json_object_get(values, sec->fields[i].id) : NULL);
    }
    foot(p);
    if (p->draw)
        cairo_show_page(p->cr);
}

struct sink {
    FILE *f;
    int err;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    struct sink *s = closure;
    if (fwrite(data, 1, len, s->f) != len) {
        s->err = errno ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

int sheet_pdf_write(const char *path, const struct bp_ws_template *t, const json_t *values,
                    const struct sheet_doc_opts *o, char *why, size_t cap)
{
    struct doc_file d;
    if (doc_file_open(&d, path, why, cap))
        return -1;
    struct sink sk = {d.f, 0};
    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(sink_write, &sk, A4_W, A4_H);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, t->title);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "Bilan Remote");
    cairo_t *cr = cairo_create(surf);
    /* A font map of our own, freed below: pango's default one lives until
     * the process ends and keeps every font it loaded (a leak under ASan). */
    PangoFontMap *fm = pango_cairo_font_map_new();
    PangoContext *pc = pango_font_map_create_context(fm);
    pango_cairo_update_context(cr, pc);
    struct pdf p = {.cr = cr, .pc = pc, .sz = o && o->large_print ? &large : &normal};
    document(&p, t, values, o); /* counting */
    p.pages = p.page;
    p.draw = 1;
    document(&p, t, values, o);
    g_object_unref(pc);
    g_object_unref(fm);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        doc_file_abort(&d);
        if (sk.err)
            snprintf(why, cap, _("impossible d'écrire « %s » : %s."), path, i18n_strerror(sk.err));
        else
            snprintf(why, cap, _("le PDF « %s » n'a pas pu être fait (%s) : rien n'a été écrit."),
                     path, cairo_status_to_string(st));
        return -1;
    }
    return doc_file_commit(&d, why, cap);
}
