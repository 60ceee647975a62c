/* test_testmedia_report.c: tests of client/testmedia_report.c, the verdict
 * of `bilan test-media` in words (the terminal prints it, the window shows
 * it): which lines, of which kind (a device that does not work is a
 * TW_PROBLEM, the window shows those first), and the conclusion. French:
 * this test runs without i18n_init. */
#include <string.h>

#include "../check.h"
#include "testmedia_report.h"

static struct mtest_video_result good_video(void)
{
    struct mtest_video_result v = {.started = 1, .frames = 150, .width = 640, .height = 480,
                                   .fps = 30.0, .mean_luma = 120};
    return v;
}

static struct mtest_audio_result heard_audio(void)
{
    struct mtest_audio_result a = {.started = 1, .blocks = 250, .max_dbfs = -15, .heard = 1};
    return a;
}

static void test_all_good(void)
{
    struct mtest_video_result v = good_video();
    struct mtest_audio_result a = heard_audio();
    struct tm_speaker sp = {.tried = 1, .played = 1, .asked = 1, .heard = 1};
    struct tm_results r = {.video = "pattern", .video_wanted = 1, .verr = "", .v = &v,
                           .audio = "tone", .aerr = "", .a = &a, .out = "x.wav", .sp = &sp};
    struct testwin_verdict vd;
    CHECK_EQ_INT(tm_verdict(&r, &vd), 1);
    CHECK_EQ_INT(vd.n, 5);
    CHECK_STR(vd.line[0].text, "Caméra pattern : 640x480, 30.0 images par seconde.");
    CHECK_EQ_INT(vd.line[0].kind, TW_DEVICE);
    CHECK_STR(vd.line[1].text, "L'image est bonne.");
    CHECK_EQ_INT(vd.line[1].kind, TW_NOTE);
    CHECK_STR(vd.line[2].text, "Micro tone : son entendu (jusqu'à -15 dB).");
    CHECK_EQ_INT(vd.line[2].kind, TW_DEVICE);
    CHECK_STR(vd.line[3].text, "Haut-parleur x.wav : son entendu.");
    CHECK_STR(vd.line[4].text, "Tout est prêt pour la séance.");
    CHECK_EQ_INT(vd.line[4].kind, TW_READY);
    /* Played, nobody asked (the window before an answer, a script). */
    sp.asked = sp.heard = 0;
    CHECK_EQ_INT(tm_verdict(&r, &vd), 1);
    CHECK_STR(vd.line[3].text, "Haut-parleur x.wav : son d'essai joué.");
    /* Not tried (the window before J): no line, not a failure. */
    sp.tried = sp.played = 0;
    CHECK_EQ_INT(tm_verdict(&r, &vd), 1);
    CHECK_EQ_INT(vd.n, 4);
}

static void test_problems(void)
{
    struct mtest_video_result v = good_video();
    v.dark = v.frozen = 1;
    v.mean_luma = 16;
    struct mtest_audio_result a = {.started = 1, .blocks = 250, .max_dbfs = -90};
    struct tm_speaker sp = {.tried = 1, .played = 1, .asked = 1, .heard = 0};
    struct tm_results r = {.video = "/dev/video0", .video_wanted = 1, .verr = "", .v = &v,
                           .audio = "default", .aerr = "", .a = &a, .out = "default", .sp = &sp};
    struct testwin_verdict vd;
    CHECK_EQ_INT(tm_verdict(&r, &vd), 0);
    CHECK_EQ_INT(vd.n, 6);
    CHECK_EQ_INT(vd.line[0].kind, TW_PROBLEM);
    CHECK_EQ_INT(vd.line[1].kind, TW_ADVICE);
    CHECK(!strncmp(vd.line[1].text, "Image noire ou trop sombre", 26));
    CHECK_EQ_INT(vd.line[2].kind, TW_ADVICE);
    CHECK(!strncmp(vd.line[2].text, "L'image ne bouge pas", 20));
    CHECK_EQ_INT(vd.line[3].kind, TW_PROBLEM);
    CHECK(strstr(vd.line[3].text, "Micro default : aucun son entendu") == vd.line[3].text);
    CHECK_EQ_INT(vd.line[4].kind, TW_PROBLEM);
    CHECK(strstr(vd.line[4].text, "son joué mais pas entendu") != NULL);
    CHECK_STR(vd.line[5].text, "À corriger avant la séance : voir ci-dessus.");
    CHECK_EQ_INT(vd.line[5].kind, TW_FIX);
    /* A camera looked for and not found; no microphone asked. */
    struct tm_speaker none = {0};
    struct tm_results r2 = {.video = NULL, .video_wanted = 1, .verr = "", .v = &v, .audio = NULL,
                            .aerr = "", .a = &a, .out = "none", .sp = &none};
    CHECK_EQ_INT(tm_verdict(&r2, &vd), 0);
    CHECK_EQ_INT(vd.n, 2);
    CHECK_EQ_INT(vd.line[0].kind, TW_PROBLEM);
    CHECK(!strncmp(vd.line[0].text, "Caméra : Aucune caméra trouvée", 31));
    /* A microphone that did not open: its sentence, a problem. */
    struct tm_results r3 = {.video = NULL, .video_wanted = 0, .verr = "", .v = &v,
                            .audio = "mic:X", .aerr = "micro introuvable", .a = &a, .out = "none",
                            .sp = &none};
    CHECK_EQ_INT(tm_verdict(&r3, &vd), 0);
    CHECK_STR(vd.line[0].text, "Micro mic:X : micro introuvable");
    CHECK_EQ_INT(vd.line[0].kind, TW_PROBLEM);
}

int main(void)
{
    test_all_good();
    test_problems();
    return check_report();
}
