/* vsink_y4m.h: the .y4m file sink: writes received pictures so that the
 * sender's frame N lands at position N of the file, which lets a sent file
 * and a received file be compared frame by frame (PSNR).
 *
 * A picture whose index is past the next position first repeats the last
 * written picture for each missing position (the first picture itself if
 * the file starts late: there is nothing earlier to repeat); a picture whose
 * index was already written is ignored. Pictures of another size are scaled
 * to the sink's (libyuv).
 *
 * Owns: the FILE, a copy of the last written picture. Must never: write a
 * gap longer than VSINK_Y4M_MAX_GAP frames (a wild index would fill the
 * disk): such a picture is refused with an error. */
#ifndef CLIENT_MEDIA_VSINK_Y4M_H
#define CLIENT_MEDIA_VSINK_Y4M_H

#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

#define VSINK_Y4M_MAX_GAP 600 /* 20 s at 30 fps */

struct vsink_y4m;

struct vsink_y4m_stats {
    unsigned long written;  /* frames in the file, repeats included */
    unsigned long repeated; /* of which repeats filling gaps */
    unsigned long ignored;  /* pictures whose position was already written */
};

/* Creates (truncates) path and writes its header: w x h (even, 2..4096) at
 * fps_num:fps_den. 0 and *out, or VM_E_ARG / VM_E_IO / VM_E_NOMEM with why
 * naming the file. */
int vsink_y4m_open(struct vsink_y4m **out, const char *path, int width, int height,
                   int fps_num, int fps_den, char *why, size_t why_cap);

/* Writes pic at position pic->index (see above); pic is only read during the
 * call. 0, or VM_E_IO (write failed), VM_E_ARG (gap too long) with why. */
int vsink_y4m_write(struct vsink_y4m *k, const struct vframe *pic, char *why, size_t why_cap);

void vsink_y4m_stats(const struct vsink_y4m *k, struct vsink_y4m_stats *out);

/* Flushes and closes. 0, or VM_E_IO with why if the data did not reach the
 * file; k is freed either way. NULL is a no-op returning 0. */
int vsink_y4m_close(struct vsink_y4m *k, char *why, size_t why_cap);

#endif
