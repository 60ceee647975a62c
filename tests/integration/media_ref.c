/* media_ref.c: writes what a media source sends, for the media tests to
 * compare received files with (an outside judge, ffmpeg, does the
 * comparing):
 *   media_ref video SPEC W H N OUT.y4m   pictures 0..N-1 of a video source
 *                                         ("pattern": the same index gives
 *                                         the same pixels on every device)
 * Exit 0, or 1 with the reason on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsink_y4m.h"
#include "vsource.h"

int main(int argc, char **argv)
{
    if (argc != 7 || strcmp(argv[1], "video") != 0) {
        fprintf(stderr, "usage: media_ref video SPEC W H N OUT.y4m\n");
        return 1;
    }
    int w = atoi(argv[3]), h = atoi(argv[4]), n = atoi(argv[5]);
    char why[400];
    struct vsource_params p = {.width = w, .height = h, .fps = 30};
    struct vsource *src;
    struct vsink_y4m *sink;
    struct vframe pic;
    if (n <= 0 || vsource_open(&src, argv[2], &p, why, sizeof why)) {
        fprintf(stderr, "media_ref: %s\n", n <= 0 ? "N must be positive" : why);
        return 1;
    }
    if (vframe_alloc(&pic, w, h) || vsink_y4m_open(&sink, argv[6], w, h, 30, 1, why, sizeof why)) {
        fprintf(stderr, "media_ref: %s\n", why);
        return 1;
    }
    for (int i = 0; i < n; i++)
        if (vsource_next(src, &pic, why, sizeof why) || vsink_y4m_write(sink, &pic, why, sizeof why)) {
            fprintf(stderr, "media_ref: %s\n", why);
            return 1;
        }
    int rc = vsink_y4m_close(sink, why, sizeof why);
    if (rc)
        fprintf(stderr, "media_ref: %s\n", why);
    vframe_free(&pic);
    vsource_close(src);
    return rc ? 1 : 0;
}
