/* dialog_hours.h: sessions, hours and receipts in a dialog (PROTOCOL.md
 * §9): the "[hours]" and "[receipt]" lines, this device's own account of
 * each session it takes part in (attend.h: its presence, the roster, the
 * durations by its own clock, handed to dialog_app.on_attend for the
 * store), and the record the server sends at a session's close, signed with
 * the identity key only if it agrees with that account (a copy goes to
 * dialog_app.on_receipt); otherwise the device sends a signed refusal
 * saying why. A record sent on a later join (we were gone at the close) is
 * checked against the account dialog_app.attend_load gives back.
 *
 * Owns d->hours. Updates state, prints, sends; what follows an hours wait
 * (a leave that waited for the record) is settled by dialog.c. */
#ifndef CLIENT_DIALOG_HOURS_H
#define CLIENT_DIALOG_HOURS_H

#include "dialog_core.h"

/* Server messages. */
void dialog_hours_opened(struct dialog *d, const json_t *m, uint64_t now);
void dialog_hours_closed(struct dialog *d, const json_t *m, uint64_t now);
void dialog_hours_update(struct dialog *d, const json_t *m, uint64_t now);
void dialog_hours_budget_warning(struct dialog *d, const json_t *m);
void dialog_hours_record(struct dialog *d, const json_t *m, uint64_t now);
void dialog_hours_receipt_ok(struct dialog *d, const json_t *m);
void dialog_hours_receipt_refused(struct dialog *d, const json_t *m);
/* The report asked for in the room (/heures): one "[hours] report" line. */
void dialog_hours_report_line(struct dialog *d, const json_t *m);
/* An error whose ref is one of ours (a receipt, a refusal, our close
 * before leaving): handled here and 1, else 0. fatal: the error's flag. */
int dialog_hours_error(struct dialog *d, const char *ref, int fatal);

/* The roster changed (lost: a member was `lost`); we are out of the room;
 * time passes (the open session's account is kept now and then). */
void dialog_hours_roster(struct dialog *d, int lost, uint64_t now);
void dialog_hours_out(struct dialog *d, uint64_t now);
void dialog_hours_tick(struct dialog *d, uint64_t now);
/* ms of the others' audio were decoded (not concealed) just now: counted
 * for the open session, if any, while we are in the room (what our receipt
 * attests as received_audio_ms). */
void dialog_hours_audio(struct dialog *d, int64_t ms);

/* Our close, the record of a closed session or our receipt's ack is due. */
int dialog_hours_waiting(const struct dialog *d);
/* The waits went past DIALOG_HOURS_WAIT_MS: "[hours] gave up" and they end. */
void dialog_hours_give_up(struct dialog *d);
/* --open-session: asks the server to open one (once). */
void dialog_hours_send_open(struct dialog *d);
/* --close-session before leaving: asks the server to close the open one
 * and waits for its close (then its record and our receipt). */
void dialog_hours_send_close(struct dialog *d, uint64_t now);

/* ---- what the person in the room asks for ---- */

/* Asks the server to open a session of phase (consultants; the answer is a
 * "[hours] ..." line or an "[error] ..." line). 0 or a negative code with
 * *why (static). */
int dialog_hours_open(struct dialog *d, const char *phase, const char **why);
/* Asks the server to close the open session. */
int dialog_hours_close(struct dialog *d, const char **why);
/* Asks for the bilan's report: "[hours] report ..." when it comes. */
int dialog_hours_report(struct dialog *d, const char **why);
/* Sends a receipt already signed (a pending one, from the key store) on
 * this connection; "[receipt] session=... signed" when acknowledged. */
int dialog_send_receipt(struct dialog *d, const char *session, long long received_audio_ms,
                        int sas_verified, const uint8_t sig[BP_SIG_LEN]);

#endif
