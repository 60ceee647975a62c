/* call_recv_audio.c: the audio path of the receive half of a call
 * (call_recv.h): per remote slot an audio jitter buffer and an Opus
 * decoder, ticked every 20 ms by the playout thread: a frame is decoded, a
 * lost one rebuilt from the next packet's FEC or guessed (PLC), a stall
 * concealed; the block goes to the .wav file at the sender's seq, its
 * capture time to lip sync, and the mix of all remotes to the speaker
 * (and, as the reference, to the echo canceller of our microphone).
 *
 * Must never: run on the loop thread, write a stall to the file (it has no
 * seq: the file keeps silence there), or wrap a mixed sample (saturating
 * add). */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "bp/err.h"
#include "aec.h"
#include "asink_sdl.h"
#include "call_recv_int.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The speaker ("default" or "speaker:NAME"): SDL2 through client/media/asink_sdl.h, which
 * keeps at most 200 ms queued so that a delay never grows in a call. */
int cr_speaker_open(struct call_recv *r, char *why, size_t why_cap)
{
    struct asink_sdl *k = NULL;
    const char *w = NULL;
    const char *device = NULL;
    asink_sdl_spec(r->audio_out, &device); /* "default" or "speaker:NAME" */
    int rc = asink_sdl_open(&k, device, &w);
    if (rc) {
        snprintf(why, why_cap, "%s", w ? w : _("le haut-parleur ne s'ouvre pas"));
        r->spk = NULL;
        return rc;
    }
    r->spk = k;
    r->spk_seq = 0;
    return 0;
}

void cr_speaker_close(struct call_recv *r)
{
    const char *w = NULL;
    asink_sdl_close(r->spk, &w);
    r->spk = NULL;
}

/* The mix of this tick, as the next block of the speaker's stream. A
 * speaker that went away (unplugged) is reported once and closed. What SDL
 * queued, and only that, is the echo canceller's reference, stamped with
 * the earliest instant it can be heard: the clock read BEFORE SDL's queue
 * size, plus that size (aec.c, Alignment). */
static void cr_speaker_play(struct call_recv *r, const int16_t mix[AFRAME_SAMPLES])
{
    const char *w = NULL;
    uint32_t ahead_us = 0;
    uint64_t now = cr_now_us();
    int rc = asink_sdl_play(r->spk, r->spk_seq++, mix, &ahead_us, &w);
    if (rc == 1 && r->aec)
        aec_far(r->aec, mix, (int64_t)(now + ahead_us));
    if (rc < 0) {
        cr_sink_error(r, rc, "default", w);
        cr_speaker_close(r);
    }
}

static void mix_add(int32_t *acc, const int16_t *pcm)
{
    for (unsigned i = 0; i < AFRAME_SAMPLES; i++)
        acc[i] += pcm[i];
}

void cr_audio_reset(struct cr_audio *a)
{
    jitter_free(a->jb);
    opc_dec_free(a->dec);
    memset(a, 0, sizeof *a);
}

void cr_audio_arrive(struct call_recv *r, const struct cr_item *it)
{
    struct cr_slot *s = &r->slot[it->h.slot];
    struct cr_audio *a = &s->a;
    const char *why = NULL;
    cr_series_bytes(r, &a->ser, it->len, it->arrival_us);
    if (!a->jb) {
        struct jitter_config jc;
        jitter_config_audio(&jc);
        if (jitter_new(&jc, &a->jb, &why) != 0 || opc_dec_new(&a->dec, &why) != 0) {
            cr_audio_reset(a);
            a->refused++;
            return;
        }
    }
    uint8_t buf[CR_AUDIO_PREFIX + BP_AUDIO_PACKET_MAX];
    buf[0] = (uint8_t)(it->h.capture_ms >> 24);
    buf[1] = (uint8_t)(it->h.capture_ms >> 16);
    buf[2] = (uint8_t)(it->h.capture_ms >> 8);
    buf[3] = (uint8_t)it->h.capture_ms;
    memcpy(buf + CR_AUDIO_PREFIX, it->data, it->len); /* len checked by bp_audio_check */
    int rc = jitter_push(a->jb, it->h.seq, it->h.media_ts, buf, CR_AUDIO_PREFIX + it->len,
                         it->arrival_us);
    if (rc == JITTER_STORED)
        a->received++;
    else if (rc < 0)
        a->refused++;
}

/* The file gets one sender: the video's when known, else the first heard. */
static void write_block(struct call_recv *r, unsigned slot, uint32_t seq, const int16_t *pcm)
{
    if (!r->wav)
        return;
    if (r->audio_slot < 0)
        r->audio_slot = r->video_slot >= 0 ? r->video_slot : (int)slot;
    if ((unsigned)r->audio_slot != slot)
        return;
    const char *why = NULL;
    int rc = asink_wav_write(r->wav, seq, pcm, &why);
    if (rc)
        cr_sink_error(r, rc, r->audio_out, why);
}

/* One tick of one slot: 1 when pcm holds a block to hear. */
static int tick_slot(struct call_recv *r, unsigned slot, uint64_t now_us,
                     int16_t pcm[AFRAME_SAMPLES])
{
    struct cr_slot *s = &r->slot[slot];
    struct cr_audio *a = &s->a;
    struct jitter_out o;
    const char *why = NULL;
    if (jitter_tick(a->jb, now_us, &o) != 0 || o.kind == JITTER_NONE)
        return 0;
    int concealed = 1;
    if (o.kind == JITTER_FRAME && o.len > CR_AUDIO_PREFIX) {
        uint32_t cap = be32(o.payload);
        if (opc_dec_decode(a->dec, o.payload + CR_AUDIO_PREFIX, o.len - CR_AUDIO_PREFIX, pcm,
                           &why) == AFRAME_SAMPLES) {
            concealed = 0;
            a->played++;
            atomic_fetch_add(&r->audio_ms[slot], 20);
            if (s->av)
                avsync_audio_played(s->av, cap, now_us);
            cr_latency_sample(r, &a->ser, cap, now_us);
        } else {
            a->decode_errors++;
            opc_dec_conceal(a->dec, NULL, 0, pcm, &why);
            a->plc++;
        }
        write_block(r, slot, o.seq, pcm);
    } else if (o.kind == JITTER_LOST && o.fec && o.len > CR_AUDIO_PREFIX) {
        /* The lost block began 20 ms before the next one. */
        uint32_t cap = be32(o.payload) - 20u;
        opc_dec_conceal(a->dec, o.payload + CR_AUDIO_PREFIX, o.len - CR_AUDIO_PREFIX, pcm, &why);
        a->fec++;
        if (s->av)
            avsync_audio_played(s->av, cap, now_us);
        write_block(r, slot, o.seq, pcm);
    } else {
        opc_dec_conceal(a->dec, NULL, 0, pcm, &why);
        if (o.kind == JITTER_STALL) {
            a->stalls++; /* no seq: the file keeps silence there */
        } else {
            a->plc++;
            write_block(r, slot, o.seq, pcm);
        }
    }
    struct cr_tl_pt *p = cr_tl_now(r, slot, now_us);
    if (p) {
        if (!concealed)
            p->a_played++;
        else if (o.kind == JITTER_STALL)
            p->a_stalls++;
        else if (o.kind == JITTER_LOST && o.fec)
            p->a_fec++;
        else
            p->a_plc++;
    }
    if (!concealed) {
        a->conceal_run = 0;
    } else if (++a->conceal_run == CR_GAP_TICKS) {
        a->gaps_over_60ms++;
    }
    return 1;
}

void cr_audio_tick(struct call_recv *r, uint64_t now_us)
{
    int32_t acc[AFRAME_SAMPLES];
    int heard = 0;
    memset(acc, 0, sizeof acc);
    for (unsigned slot = 0; slot < BP_MAX_MEMBERS; slot++) {
        if (!r->slot[slot].a.jb)
            continue;
        int16_t pcm[AFRAME_SAMPLES];
        if (tick_slot(r, slot, now_us, pcm)) {
            mix_add(acc, pcm);
            heard = 1;
        }
    }
    if (!heard || !r->spk)
        return;
    int16_t mix[AFRAME_SAMPLES];
    for (unsigned i = 0; i < AFRAME_SAMPLES; i++)
        mix[i] = (int16_t)(acc[i] > INT16_MAX   ? INT16_MAX
                           : acc[i] < INT16_MIN ? INT16_MIN
                                                : acc[i]);
    cr_speaker_play(r, mix);
}
