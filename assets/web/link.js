// link.js: the invite the page was opened with (PROTOCOL §2.3). The path is
// /w/<token> (the browser room's twin of /j/<token>) and the fragment is
// #<secret>[.<pin>], each 43 base64url characters. The fragment never leaves
// the browser: the page reads it, keeps the secret in IndexedDB with the
// token, then takes it off the address bar so it is not left on screen (or
// in a screenshot, or in the history). The secret is never logged.

import { unb64u } from './bytes.js';
import { get, put } from './store.js';

const B64_43 = '[A-Za-z0-9_-]{43}';
const PATH = new RegExp(`^/w/(${B64_43})$`);
const FRAGMENT = new RegExp(`^#(${B64_43})(?:\\.(${B64_43}))?$`);

/** {token, secret?, pin?} from an address's path and fragment (pure: tests
 * call it), or {error} naming what is wrong (never the values). */
export function parseInvite(pathname, hash) {
  const p = PATH.exec(pathname);
  if (!p) return { error: 'path' };
  const token = unb64u(p[1], 32);
  if (!token) return { error: 'path' };
  if (!hash || hash === '#') return { token: p[1], tokenBytes: token };
  const f = FRAGMENT.exec(hash);
  const secret = f && unb64u(f[1], 32);
  if (!secret || (f[2] && !unb64u(f[2], 32))) return { error: 'fragment' };
  return { token: p[1], tokenBytes: token, secret, pin: f[2] || null };
}

/** Reads this page's invite: the fragment when there is one (stored at once
 * under the token, then removed from the address bar), else the one stored
 * by an earlier visit of the same link. Resolves {token, tokenBytes, secret,
 * bilan} (secret null when neither has one) or {error: 'path' | 'fragment'}. */
export async function readPageInvite(loc = window.location) {
  const parsed = parseInvite(loc.pathname, loc.hash);
  if (loc.hash) forgetFragment(loc);
  if (parsed.error) return parsed;
  const known = await get('invites', parsed.token);
  if (parsed.secret) {
    const rec = { ...(known || {}), secret: parsed.secret, pin: parsed.pin };
    await put('invites', parsed.token, rec);
    return { token: parsed.token, tokenBytes: parsed.tokenBytes, secret: rec.secret, bilan: rec.bilan || null };
  }
  if (known && known.secret) {
    return { token: parsed.token, tokenBytes: parsed.tokenBytes, secret: known.secret, bilan: known.bilan || null };
  }
  // A link whose fragment was cut off on the way (some mail programs do):
  // the device can still join, but the peer cannot be authenticated by the
  // invite, only by the spoken code.
  return { token: parsed.token, tokenBytes: parsed.tokenBytes, secret: null, bilan: (known && known.bilan) || null };
}

/** Records which bilan an invite opened (welcome.bilan), so that the next
 * visit of the link authenticates and joins without redeeming it again. */
export async function rememberInviteBilan(token, bilan) {
  const rec = (await get('invites', token)) || {};
  rec.bilan = bilan;
  await put('invites', token, rec);
}

/** Takes the fragment off the address bar without a reload or a history entry. */
export function forgetFragment(loc = window.location) {
  history.replaceState(history.state, '', loc.pathname + loc.search);
}
