// store.js: the browser client's one IndexedDB database, "bilan": the
// device identity (CryptoKeys kept by structured clone, never exported), the
// bilans this device knows, the invites it opened (token -> secret, bilan),
// the invite secrets per bilan and the peers verified per bilan (§8.6: a
// code confirmed once is not read aloud again). Nothing here talks to the
// network.

/** Every object store and the database version that added it. Adding a
 * store is one line here: its name and the next version number (the
 * database's version is the highest of them; an upgrade creates the stores
 * that are missing and never touches the others' data). Keys are given by
 * the caller (out-of-line). */
const STORES = {
  identity: 1,   // 'device' -> {signPriv, signPub, dhPriv, dhPub, created}
  bilans: 1,     // bilan id -> {bilan, label, role, budget_s}
  invites: 1,    // invite token (b64u) -> {secret: Uint8Array(32), pin?, bilan?}
  secrets: 1,    // bilan id -> [Uint8Array(32), ...] invite secrets of that bilan
  peers: 1,      // `${bilan}/${fpB64}` -> {bilan, fp, role, at}
  settings: 1,   // small preferences ('textSize' ...), nothing secret
  observations: 2, // `${bilan}/${session}` -> a session's observation (sessions.js, attend.js)
};

export const DB_NAME = 'bilan';
export const DB_VERSION = Math.max(...Object.values(STORES));

let opening = null;

/** The open database (one connection per page, opened on first use). */
export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        for (const name of Object.keys(STORES)) {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
        }
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab upgrading the schema: let it, this page reopens on next use.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; reject(req.error); };
      req.onblocked = () => { /* an older tab holds it; onsuccess follows when it closes */ };
    });
  }
  return opening;
}

function request(store, mode, act) {
  return openDb().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = act(tx.objectStore(store));
    let value;
    req.onsuccess = () => { value = req.result; };
    tx.oncomplete = () => resolve(value);
    tx.onabort = tx.onerror = () => reject(tx.error || req.error);
  }));
}

export function get(store, key) { return request(store, 'readonly', (s) => s.get(key)); }
export function put(store, key, value) { return request(store, 'readwrite', (s) => s.put(value, key)); }
/** Stores value only when key is absent; resolves false when it was there
 * already (two tabs creating the same record: the first one wins). */
export async function add(store, key, value) {
  try {
    await request(store, 'readwrite', (s) => s.add(value, key));
    return true;
  } catch (e) {
    if (e && e.name === 'ConstraintError') return false;
    throw e;
  }
}
export function del(store, key) { return request(store, 'readwrite', (s) => s.delete(key)); }

/** Every [key, value] of a store whose key starts with prefix. */
export function entries(store, prefix = '') {
  return openDb().then((db) => new Promise((resolve, reject) => {
    const out = [];
    const tx = db.transaction(store, 'readonly');
    const range = prefix ? IDBKeyRange.bound(prefix, prefix + '\uffff') : undefined;
    const req = tx.objectStore(store).openCursor(range);
    req.onsuccess = () => {
      const c = req.result;
      if (c) { out.push([c.key, c.value]); c.continue(); }
    };
    tx.oncomplete = () => resolve(out);
    tx.onabort = tx.onerror = () => reject(tx.error || req.error);
  }));
}

/** Adds an invite secret to those kept for a bilan (no duplicates). */
export async function addBilanSecret(bilan, secret) {
  const list = (await get('secrets', bilan)) || [];
  if (!list.some((s) => s.length === secret.length && s.every((b, i) => b === secret[i]))) {
    list.push(secret);
    await put('secrets', bilan, list);
  }
  return list;
}

export async function bilanSecrets(bilan) { return (await get('secrets', bilan)) || []; }

/** The trust store RoomE2E expects (CONTEXT.md): the peers of one bilan
 * whose code was confirmed, by fingerprint (base64url). */
export function trustStore(bilan) {
  const key = (fp) => `${bilan}/${fp}`;
  return {
    async isVerified(fpB64) { return !!(await get('peers', key(fpB64))); },
    async setVerified(fpB64, role) {
      await put('peers', key(fpB64), { bilan, fp: fpB64, role, at: Date.now() });
    },
    async rememberedForRole(role) {
      const all = await entries('peers', `${bilan}/`);
      const hit = all.map(([, v]) => v).filter((v) => v.role === role).sort((a, b) => b.at - a.at)[0];
      return hit ? hit.fp : null;
    },
  };
}
