/* aframe.h: the block of PCM audio that flows between the audio sources,
 * the Opus codec and the sinks: 20 ms of 48 kHz mono signed 16-bit samples,
 * with its sequence index and capture time.
 *
 * Why these numbers: 48 kHz is Opus's native rate (no resampling inside the
 * codec); 20 ms is the Opus frame we send (one packet per block, the usual
 * compromise between header overhead and latency); mono because this is a
 * voice call: a second channel doubles the bits for no intelligibility, and
 * the encoder is then opened for one channel.
 *
 * Must never: hold a pointer (a block is copied by value, so queues between
 * threads later can move it without ownership questions). */
#ifndef BILAN_AFRAME_H
#define BILAN_AFRAME_H

#include <stdint.h>

#define AFRAME_RATE 48000                       /* samples per second */
#define AFRAME_SAMPLES 960                      /* 20 ms at 48 kHz, one channel */
#define AFRAME_US 20000                         /* duration of one block, µs */
#define AFRAME_BYTES (AFRAME_SAMPLES * 2)       /* size of the PCM as s16 */

struct aframe {
    uint64_t seq;        /* block index from the start of the stream: 0, 1, 2... */
    int64_t capture_us;  /* capture time of the first sample, µs; a file or
                            tone source has no clock: it gives seq * AFRAME_US
                            (media time), the capture thread later stamps
                            its own clock */
    int16_t pcm[AFRAME_SAMPLES];
};

#endif
