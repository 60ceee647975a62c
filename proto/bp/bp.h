/* bp.h: libbilanproto, the wire format and crypto shared by bilan-server and bilan.
 *
 * The umbrella header: it owns nothing itself and includes one header per
 * topic: limits.h (versions, sizes), err.h (stable error codes), kinds.h and
 * frame.h (the binary frame header and its kinds), vocab.h (roles, phases),
 * msg.h (control messages), fields.h (the JSON field validator), b64.h
 * (base64url), ident.h (device keys, connection signatures, crypto
 * wrappers), link.h (invite and enrolment links). e2e.h, record.h and
 * data.h stand apart: their users include them by name.
 *
 * Must never: open a socket or a file, read a clock, or log. Time is passed in
 * by the caller. proto/PROTOCOL.md is the normative text; this header follows it.
 *
 * Conventions: functions return 0 (or a length) on success and a negative
 * BP_E_* on failure. Buffers are (pointer, length); caps are checked before
 * anything is read. Nothing here keeps a pointer to a caller's buffer unless a
 * comment says so.
 */
#ifndef BP_H
#define BP_H

/* One header per topic; this one includes them all, so that a file may
 * include only the topic it needs and existing includes keep working. */
#include "bp/limits.h"
#include "bp/err.h"
#include "bp/kinds.h"
#include "bp/vocab.h"
#include "bp/frame.h"
#include "bp/msg.h"
#include "bp/fields.h"
#include "bp/b64.h"
#include "bp/ident.h"
#include "bp/link.h"

#endif
