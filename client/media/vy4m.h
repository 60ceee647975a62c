/* vy4m.h: the YUV4MPEG2 (.y4m) format, pure: parsing a stream header and a
 * frame header from bytes, and writing a stream header. Shared by the file
 * source (vsrc_y4m.c) and the file sink (vsink_y4m.c).
 *
 * The format: a text line "YUV4MPEG2" followed by space-separated tags
 * (W width, H height, F num:den rate, I interlacing, A aspect, C colour
 * space, X comments) and '\n'; then per frame a line "FRAME" (maybe with X
 * tags) and '\n', then the Y, U and V planes packed, no padding.
 *
 * Must never: allocate, read files or clocks; it reads at most len bytes. */
#ifndef CLIENT_MEDIA_VY4M_H
#define CLIENT_MEDIA_VY4M_H

#include <stddef.h>

#define VY4M_HEADER_MAX 512 /* longest stream or frame header line we accept */

struct vy4m_header {
    int width, height;
    int fps_num, fps_den;
    size_t header_len; /* bytes up to and including the '\n' */
    size_t frame_len;  /* bytes of one picture (planes only) */
};

/* Parses a stream header at the start of buf[0..len). Accepts C420,
 * C420jpeg, C420paldv, C420mpeg2 or no C (420jpeg is the default); W and H
 * 1..VFRAME_MAX_SIDE with W x H <= VFRAME_MAX_PIXELS; F required, both
 * numbers positive. 0, or VM_E_FORMAT with a static reason in *why. */
int vy4m_header_parse(const char *buf, size_t len, struct vy4m_header *h, const char **why);

/* Length of a frame header line at buf ("FRAME...\n"), or VM_E_FORMAT with
 * *why (not "FRAME", or no '\n' within VY4M_HEADER_MAX bytes of len). */
int vy4m_frame_header_len(const char *buf, size_t len, size_t *out, const char **why);

/* Writes a stream header for w x h at num:den fps, C420jpeg, progressive,
 * square pixels, into out (cap bytes). Its length, or VM_E_ARG if it does
 * not fit. */
int vy4m_header_write(char *out, size_t cap, int width, int height, int fps_num, int fps_den);

#endif
