/* opus_codec.h: the Opus encoder and decoder of our audio, one 20 ms mono
 * block (aframe.h) per packet, and the decoder's loss concealment.
 *
 * Settings (why, see opus_codec.c): 48 kHz, 20 ms, OPUS_APPLICATION_VOIP, constant bitrate,
 * in-band FEC on with an expected loss (default 10 %), 32 kbit/s by
 * default, DTX off.
 *
 * Must never: allocate per packet, keep a pointer to a caller's buffer, or
 * crash on the bytes of a packet (a corrupt packet is an error; the caller
 * then conceals). Names are opc_* because opus_* belongs to libopus. */
#ifndef BILAN_OPUS_CODEC_H
#define BILAN_OPUS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "aframe.h"

#define OPC_BITRATE_DEFAULT 32000 /* bit/s */
#define OPC_BITRATE_MIN 6000      /* Opus's own floor */
#define OPC_BITRATE_MAX 128000    /* far above what one voice needs */
#define OPC_LOSS_DEFAULT 10       /* expected loss, %: FEC is only coded when > 0 */
#define OPC_MAX_PACKET 1275       /* largest Opus frame (RFC 6716 §3.4) */

struct opc_enc;
struct opc_dec;

/* Counters of a decoder: every block it handed out is counted in exactly
 * one of decoded, fec and plc. */
struct opc_dec_stats {
    uint64_t decoded; /* packets decoded normally */
    uint64_t fec;     /* lost blocks rebuilt from the next packet's FEC */
    uint64_t plc;     /* lost blocks guessed by packet loss concealment */
    uint64_t errors;  /* packets refused (corrupt); the caller concealed them */
};

/* New encoder at bitrate_bps (0: OPC_BITRATE_DEFAULT) expecting loss_pct %
 * loss (-1: OPC_LOSS_DEFAULT). Returns 0 and *out (free with opc_enc_free),
 * or a negative BP_E_* and a static *why. */
int opc_enc_new(struct opc_enc **out, int bitrate_bps, int loss_pct, const char **why);
/* Change the bitrate (OPC_BITRATE_MIN..MAX) or the expected loss (0..100)
 * from the next block on. 0 or BP_E_INVALID_FIELD with *why. */
int opc_enc_set_bitrate(struct opc_enc *e, int bitrate_bps, const char **why);
int opc_enc_set_loss(struct opc_enc *e, int loss_pct, const char **why);
/* Encode one block of AFRAME_SAMPLES into out (cap bytes; OPC_MAX_PACKET is
 * always enough). Returns the packet length (> 0) or a negative BP_E_*. */
int opc_enc_encode(struct opc_enc *e, const int16_t pcm[AFRAME_SAMPLES], uint8_t *out,
                   size_t cap, const char **why);
void opc_enc_free(struct opc_enc *e); /* NULL is fine */

/* New decoder (48 kHz mono). 0 and *out, or a negative BP_E_* and *why. */
int opc_dec_new(struct opc_dec **out, const char **why);
/* Decode one packet (pkt, len; only read during the call) into pcm.
 * Returns AFRAME_SAMPLES, or BP_E_BAD_FRAME for a corrupt, empty or
 * over-long packet or one that does not hold exactly 20 ms (pcm is then
 * undefined and the caller calls opc_dec_conceal for this block). */
int opc_dec_decode(struct opc_dec *d, const uint8_t *pkt, size_t len,
                   int16_t pcm[AFRAME_SAMPLES], const char **why);
/* Produce the block of a missing packet. If the packet after it is at hand
 * (next, next_len; read only), rebuild from its in-band FEC, else (next ==
 * NULL) guess by PLC. The caller then decodes `next` itself with
 * opc_dec_decode. Returns AFRAME_SAMPLES; if `next` is corrupt it falls
 * back to PLC (counted as plc). A negative BP_E_* only for our bugs. */
int opc_dec_conceal(struct opc_dec *d, const uint8_t *next, size_t next_len,
                    int16_t pcm[AFRAME_SAMPLES], const char **why);
void opc_dec_stats(const struct opc_dec *d, struct opc_dec_stats *out);
void opc_dec_free(struct opc_dec *d); /* NULL is fine */

#endif
