/* opus_codec.c: libopus behind opus_codec.h. Owns one OpusEncoder or
 * OpusDecoder per object and the decoder's concealment counters.
 *
 * Why these settings:
 * - OPUS_APPLICATION_VOIP: tuned for speech intelligibility (SILK for low
 *   bands, in-band FEC available); AUDIO would spend bits on music fidelity.
 * - 32 kbit/s by default: Opus reaches full-band (20 kHz) speech with
 *   margin at this rate in hybrid mode, and it leaves room for the FEC copy
 *   (the LBRR layer takes bits from the same budget); it is ~1 % of the
 *   video's share, so it is never worth saving on. Rate control lowers it.
 * - In-band FEC on, expected loss 10 %: the encoder only codes the FEC layer
 *   when told to expect loss (OPUS_SET_PACKET_LOSS_PERC > 0); a lost packet
 *   can then be rebuilt from the next one at the cost of one packet of delay.
 * - DTX off: with DTX the encoder sends nothing (or 1-byte packets) during
 *   silence, so the receiver could not tell a silent block from a lost one,
 *   and our receipts count decoded audio blocks: every 20 ms must produce
 *   one packet.
 *
 * Must never: allocate after construction, or trust a packet's bytes (libopus
 * checks them; we also bound the length and insist on 20 ms). */
#include "opus_codec.h"

#include <opus.h>
#include <stdlib.h>

#include "bp/err.h"
#include "i18n.h"

struct opc_enc {
    OpusEncoder *enc;
};

struct opc_dec {
    OpusDecoder *dec;
    struct opc_dec_stats st;
};

static int set_why(const char **why, const char *msg, int err)
{
    if (why)
        *why = msg;
    return err;
}

int opc_enc_new(struct opc_enc **out, int bitrate_bps, int loss_pct, const char **why)
{
    *out = NULL;
    if (bitrate_bps == 0)
        bitrate_bps = OPC_BITRATE_DEFAULT;
    if (loss_pct < 0)
        loss_pct = OPC_LOSS_DEFAULT;
    if (bitrate_bps < OPC_BITRATE_MIN || bitrate_bps > OPC_BITRATE_MAX)
        return set_why(why, _("débit du son (Opus) hors de 6000..128000 bit/s"),
                       BP_E_INVALID_FIELD);
    if (loss_pct > 100)
        return set_why(why, _("taux de perte attendu (Opus) hors de 0..100 %"), BP_E_INVALID_FIELD);
    struct opc_enc *e = calloc(1, sizeof *e);
    if (!e)
        return set_why(why, _("mémoire insuffisante pour l'encodeur du son (Opus)"), BP_E_NOMEM);
    int oerr = 0;
    e->enc = opus_encoder_create(AFRAME_RATE, 1, OPUS_APPLICATION_VOIP, &oerr);
    if (!e->enc || oerr != OPUS_OK) {
        set_why(why, _("l'encodeur du son (Opus) n'a pas démarré"), BP_E_INTERNAL);
        goto fail;
    }
    if (opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate_bps)) != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(1)) != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(loss_pct)) != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_DTX(0)) != OPUS_OK ||
        /* Constant bitrate: every packet the same size. The server sees
         * sizes (PROTOCOL.md §8.7); with variable bitrate, packet sizes
         * follow the speech closely enough to guess words from them. */
        opus_encoder_ctl(e->enc, OPUS_SET_VBR(0)) != OPUS_OK) {
        set_why(why, _("l'encodeur du son (Opus) a refusé un réglage"), BP_E_INTERNAL);
        goto fail;
    }
    *out = e;
    return 0;
fail:
    opc_enc_free(e);
    return BP_E_INTERNAL;
}

int opc_enc_set_bitrate(struct opc_enc *e, int bitrate_bps, const char **why)
{
    if (bitrate_bps < OPC_BITRATE_MIN || bitrate_bps > OPC_BITRATE_MAX)
        return set_why(why, _("débit du son (Opus) hors de 6000..128000 bit/s"),
                       BP_E_INVALID_FIELD);
    if (opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate_bps)) != OPUS_OK)
        return set_why(why, _("l'encodeur du son (Opus) a refusé le débit"), BP_E_INTERNAL);
    return 0;
}

int opc_enc_set_loss(struct opc_enc *e, int loss_pct, const char **why)
{
    if (loss_pct < 0 || loss_pct > 100)
        return set_why(why, _("taux de perte attendu (Opus) hors de 0..100 %"), BP_E_INVALID_FIELD);
    if (opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(loss_pct)) != OPUS_OK)
        return set_why(why, _("l'encodeur du son (Opus) a refusé le taux de perte"), BP_E_INTERNAL);
    return 0;
}

int opc_enc_encode(struct opc_enc *e, const int16_t pcm[AFRAME_SAMPLES], uint8_t *out,
                   size_t cap, const char **why)
{
    if (cap > OPC_MAX_PACKET)
        cap = OPC_MAX_PACKET;
    int n = opus_encode(e->enc, pcm, AFRAME_SAMPLES, out, (opus_int32)cap);
    if (n == OPUS_BUFFER_TOO_SMALL)
        return set_why(why, _("place insuffisante pour le paquet de son (Opus)"), BP_E_TOO_LARGE);
    if (n <= 0)
        return set_why(why, _("l'encodage du son (Opus) a échoué"), BP_E_INTERNAL);
    return n;
}

void opc_enc_free(struct opc_enc *e)
{
    if (!e)
        return;
    if (e->enc)
        opus_encoder_destroy(e->enc);
    free(e);
}

int opc_dec_new(struct opc_dec **out, const char **why)
{
    *out = NULL;
    struct opc_dec *d = calloc(1, sizeof *d);
    if (!d)
        return set_why(why, _("mémoire insuffisante pour le décodeur du son (Opus)"), BP_E_NOMEM);
    int oerr = 0;
    d->dec = opus_decoder_create(AFRAME_RATE, 1, &oerr);
    if (!d->dec || oerr != OPUS_OK) {
        opc_dec_free(d);
        return set_why(why, _("le décodeur du son (Opus) n'a pas démarré"), BP_E_INTERNAL);
    }
    *out = d;
    return 0;
}

/* The packet's own claim of its duration, checked before decoding: a packet
 * of 10 or 40 ms would desynchronise our block count. */
static int check_packet(const uint8_t *pkt, size_t len, const char **why)
{
    if (!pkt || len == 0)
        return set_why(why, _("paquet de son (Opus) vide"), BP_E_BAD_FRAME);
    if (len > OPC_MAX_PACKET)
        return set_why(why, _("paquet de son (Opus) de plus de 1275 octets"), BP_E_BAD_FRAME);
    int n = opus_packet_get_nb_samples(pkt, (opus_int32)len, AFRAME_RATE);
    if (n < 0)
        return set_why(why, _("paquet de son (Opus) abîmé (en-tête invalide)"), BP_E_BAD_FRAME);
    if (n != AFRAME_SAMPLES)
        return set_why(why, _("le paquet de son (Opus) ne fait pas 20 ms"), BP_E_BAD_FRAME);
    return 0;
}

int opc_dec_decode(struct opc_dec *d, const uint8_t *pkt, size_t len,
                   int16_t pcm[AFRAME_SAMPLES], const char **why)
{
    int r = check_packet(pkt, len, why);
    if (r == 0) {
        int n = opus_decode(d->dec, pkt, (opus_int32)len, pcm, AFRAME_SAMPLES, 0);
        if (n == AFRAME_SAMPLES) {
            d->st.decoded++;
            return AFRAME_SAMPLES;
        }
        r = set_why(why, _("paquet de son (Opus) abîmé (refusé par le décodeur)"), BP_E_BAD_FRAME);
    }
    d->st.errors++;
    return r;
}

int opc_dec_conceal(struct opc_dec *d, const uint8_t *next, size_t next_len,
                    int16_t pcm[AFRAME_SAMPLES], const char **why)
{
    const char *ignored;
    /* FEC: decode_fec=1 on the NEXT packet with one block's length yields
     * the block before it, from the low-bitrate copy the encoder put in. If
     * that packet carries no FEC layer, libopus falls back to PLC itself;
     * libopus 1.3 cannot tell us which (opus_packet_has_lbrr is 1.5), so the
     * counter says "rebuilt through the FEC path". */
    if (next && check_packet(next, next_len, &ignored) == 0 &&
        opus_decode(d->dec, next, (opus_int32)next_len, pcm, AFRAME_SAMPLES, 1) ==
            AFRAME_SAMPLES) {
        d->st.fec++;
        return AFRAME_SAMPLES;
    }
    int n = opus_decode(d->dec, NULL, 0, pcm, AFRAME_SAMPLES, 0);
    if (n != AFRAME_SAMPLES)
        return set_why(why, _("le masquage d'un paquet de son (Opus) perdu a échoué"),
                       BP_E_INTERNAL);
    d->st.plc++;
    return AFRAME_SAMPLES;
}

void opc_dec_stats(const struct opc_dec *d, struct opc_dec_stats *out)
{
    *out = d->st;
}

void opc_dec_free(struct opc_dec *d)
{
    if (!d)
        return;
    if (d->dec)
        opus_decoder_destroy(d->dec);
    free(d);
}
