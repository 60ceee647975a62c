// sheets_db.js: the browser's replica of a bilan's worksheets on disk, in
// its own IndexedDB database "bilan-sheets" (store.js, the conn helper's,
// keeps the rest): every operation held, as its canonical JSON with the seq
// the server gave it (0 while pending: made here, not yet pushed), its
// author and the author's role, and the order it was stored in; per bilan
// the last seq applied, the hybrid clock, and the document key.
//
// Rows are keyed by (owner, bilan, ...): owner is this device's fingerprint,
// so two identities in one browser profile never share a replica.
// Owns: the schema. Must never: lose a row it acknowledged (each call
// resolves when its transaction is committed), or log a row's content.

const DB_NAME = 'bilan-sheets';
const VERSION = 1;

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

export class SheetsDb {
  constructor(db, owner, bilan) {
    this.db = db;
    this.owner = owner;
    this.bilan = bilan;
  }

  static async open(owner, bilan, name = DB_NAME) {
    const r = indexedDB.open(name, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      const ops = db.createObjectStore('ops', { keyPath: ['owner', 'bilan', 'op'] });
      ops.createIndex('byOrder', ['owner', 'bilan', 'n']);
      db.createObjectStore('state', { keyPath: ['owner', 'bilan'] });
    };
    return new SheetsDb(await req(r), owner, bilan);
  }

  close() { this.db.close(); }

  range() {
    return IDBKeyRange.bound([this.owner, this.bilan, -Infinity], [this.owner, this.bilan, Infinity]);
  }

  async state() {
    const tx = this.db.transaction('state');
    const s = await req(tx.objectStore('state').get([this.owner, this.bilan]));
    return s || { owner: this.owner, bilan: this.bilan, after: 0, hlc: [0, 0], n: 0, key: null, kid: null,
      claimed: false, wrapped: [] };
  }

  async putState(s) {
    const tx = this.db.transaction('state', 'readwrite');
    tx.objectStore('state').put(s);
    await done(tx);
  }

  /** Every row, in the order stored. */
  async rows() {
    const tx = this.db.transaction('ops');
    return req(tx.objectStore('ops').index('byOrder').getAll(this.range()));
  }

  async get(op) {
    const tx = this.db.transaction('ops');
    return req(tx.objectStore('ops').get([this.owner, this.bilan, op]));
  }

  /** Stores a new row and the state in one transaction: false when the op
   * id was already stored (nothing written). */
  async put(row, state) {
    const tx = this.db.transaction(['ops', 'state'], 'readwrite');
    const ops = tx.objectStore('ops');
    const had = await req(ops.getKey([this.owner, this.bilan, row.op]));
    if (had !== undefined) { tx.abort(); return false; }
    state.n += 1;
    ops.add({ ...row, owner: this.owner, bilan: this.bilan, n: state.n });
    tx.objectStore('state').put(state);
    await done(tx);
    return true;
  }

  /** Marks our op pushed with its seq. */
  async pushed(op, seq) {
    const tx = this.db.transaction('ops', 'readwrite');
    const ops = tx.objectStore('ops');
    const row = await req(ops.get([this.owner, this.bilan, op]));
    if (row && !row.seq) { row.seq = seq; ops.put(row); }
    await done(tx);
  }

  /** Crypto-shredding (PROTOCOL.md §10.5): deletes the rows of every sheet
   * not in keep and every pending row; with nothing kept, the state too
   * (the document key with it). */
  async shred(keep) {
    const tx = this.db.transaction(['ops', 'state'], 'readwrite');
    const ops = tx.objectStore('ops');
    const rows = await req(ops.index('byOrder').getAll(this.range()));
    for (const r of rows) {
      if (!r.seq || !keep.includes(r.sheet)) ops.delete([this.owner, this.bilan, r.op]);
    }
    if (!keep.length) tx.objectStore('state').delete([this.owner, this.bilan]);
    await done(tx);
  }
}
