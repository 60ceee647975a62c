// web_sheets_page.js: the browser half of test_web_sheets.py, evaluated in
// the room page (never served): it loads the sheets modules from /web/ and
// defines window.T, whose functions take and give JSON (bytes in base64url).
(async () => {
  const [canon, op, merge, tpl, keys, sheets, bytes, wc, form] = await Promise.all([
    import('/web/sheets_canon.js'), import('/web/sheets_op.js'), import('/web/sheets_merge.js'),
    import('/web/sheets_template.js'), import('/web/sheets_keys.js'), import('/web/sheets.js'),
    import('/web/bytes.js'), import('/web/wcrypto.js'), import('/web/sheets_form.js')]);
  const { b64u, unb64u, utf8 } = bytes;

  // A small seeded generator (mulberry32): the same values on every run.
  function rng(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function randomString(r) {
    const pools = [[0x20, 0x7e], [0x01, 0x1f], [0x7f, 0x9f], [0xa0, 0x2ff], [0x2000, 0x206f],
      [0xe000, 0xffff], [0x1f300, 0x1f6ff], [0x10000, 0x10ffff]];
    let s = '';
    const n = Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      const [lo, hi] = pools[Math.floor(r() * pools.length)];
      const cp = lo + Math.floor(r() * (hi - lo + 1));
      s += String.fromCodePoint(cp);
    }
    return s;
  }

  function randomValue(r, depth) {
    const k = Math.floor(r() * (depth > 3 ? 6 : 8));
    switch (k) {
      case 0: return [null, true, false][Math.floor(r() * 3)];
      case 1: return Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 52)));
      case 2: return [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 60n)][Math.floor(r() * 4)];
      case 3: return new canon.Real([(r() - 0.5) * 10 ** Math.floor((r() - 0.5) * 40), 2 ** -25, 1e21, 5e-324, -0,
        100, 0.1, 1 / 3][Math.floor(r() * 8)]);
      case 4: case 5: return randomString(r);
      case 6: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
      default: {
        const o = {};
        for (let i = Math.floor(r() * 5); i > 0; i--) o[randomString(r) || 'k'] = randomValue(r, depth + 1);
        return o;
      }
    }
  }


  /** A stand-in for the server's side of §10.1 and §10.2 (ordered store,
   * repeats, pages, wraps, first key wins, close), for the Sheets class. */
  class FakeServer {
    constructor(bilan) {
      this.bilan = bilan; this.ops = []; this.kid = null; this.wraps = []; this.devices = new Map();
      this.live = new Map(); this.closed = null; this.consents = [];
    }
    device(id, role) { this.devices.set(b64u(id.fp), { id, role }); }
    client(id) {
      const me = b64u(id.fp);
      return async (m) => this.answer(me, m);
    }
    fail(code) { const e = new Error(code); e.code = code; throw e; }
    async answer(me, m) {
      const dev = this.devices.get(me);
      if (!dev || m.bilan !== this.bilan) this.fail('not_member');
      const closing = ['sheet_push', 'sheet_key_put', 'sheet_consent'];
      if (this.closed && closing.includes(m.type)) this.fail('bilan_closed');
      if (m.type === 'sheet_key_get') {
        const keys = this.wraps.filter((w) => w.to === me).map((w) => {
          const f = this.devices.get(w.from).id;
          return { from: w.from, sign_pub: b64u(f.signPub), dh_pub: b64u(f.dhPub), wrap: w.wrap };
        });
        const r = { type: 'sheet_keys', bilan: this.bilan, keys };
        if (this.kid) r.kid = this.kid;
        return r;
      }
      if (m.type === 'sheet_key_put') {
        if (!this.devices.has(m.to)) this.fail('invalid_field');
        if (!this.kid) { if (dev.role !== 'consultant') this.fail('forbidden'); this.kid = m.kid; }
        else if (m.kid !== this.kid) this.fail('invalid_field');
        this.wraps = this.wraps.filter((w) => !(w.from === me && w.to === m.to));
        this.wraps.push({ from: me, to: m.to, wrap: m.wrap });
        return { type: 'sheet_key_stored', bilan: this.bilan, to: m.to };
      }
      if (m.type === 'sheet_push') {
        const had = this.ops.find((o) => o.op === m.op);
        if (had) {
          if (had.author !== me || had.sealed !== m.sealed) this.fail('invalid_field');
          return { type: 'sheet_pushed', bilan: this.bilan, op: m.op, seq: had.seq };
        }
        const e = { seq: this.ops.length + 1, op: m.op, sheet: m.sheet, author: me, role: dev.role, sealed: m.sealed };
        this.ops.push(e);
        for (const [fp, s] of this.live) if (fp !== me) s.onLive({ type: 'sheet_ops', bilan: this.bilan, ops: [e], more: false });
        return { type: 'sheet_pushed', bilan: this.bilan, op: m.op, seq: e.seq };
      }
      if (m.type === 'sheet_pull') {
        const ops = this.ops.filter((o) => o.seq > m.after).slice(0, 3);
        const last = ops.length ? ops[ops.length - 1].seq : m.after;
        return { type: 'sheet_ops', bilan: this.bilan, ops, more: last < this.ops.length };
      }
      if (m.type === 'sheet_consent') {
        if (dev.role !== 'beneficiary') this.fail('forbidden');
        const ok = await wc.ed25519Verify(dev.id.signPub, bytes.concat(bytes.label0('bilan-consent-v1'), utf8(m.statement)),
          unb64u(m.sig));
        if (!ok) this.fail('bad_signature');
        const st = canon.parseJson(m.statement);
        this.consents.push(st);
        return { type: 'sheet_consented', bilan: this.bilan, sheets: st.sheets, at: st.at };
      }
      return this.fail('unknown');
    }
    close() {
      const kept = this.consents.length ? this.consents[this.consents.length - 1].sheets : [];
      this.ops = this.ops.filter((o) => kept.includes(o.sheet));
      if (!kept.length) { this.wraps = []; this.kid = null; }
      this.closed = { type: 'bilan_closed', bilan: this.bilan, closed: 1, deleted_ops: 0, deleted_bytes: 0,
        kept_sheets: kept, kept_ops: this.ops.length };
      return this.closed;
    }
  }


  /** A minimal WebSocket session of this test page only (the product's is
   * conn.js): hello, enrol with the invite token (§2.2), then request(msg)
   * with a ref, the reply or the error with that ref. No room is joined:
   * the sheet messages are allowed once authenticated (§10.1). */
  async function session(identity, tokenB64) {
    const ws = new WebSocket(`wss://${location.host}/ws`, 'bilan.v1');
    const inbox = [], waiters = [];
    let n = 0;
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      const i = waiters.findIndex((w) => w.match(m));
      if (i >= 0) waiters.splice(i, 1)[0].resolve(m); else inbox.push(m);
    };
    const next = (match) => new Promise((resolve) => {
      const i = inbox.findIndex(match);
      if (i >= 0) resolve(inbox.splice(i, 1)[0]); else waiters.push({ match, resolve });
    });
    await new Promise((ok, ko) => { ws.onopen = ok; ws.onerror = () => ko(new Error('websocket')); });
    ws.send(JSON.stringify({ type: 'hello', v: 1, client: 'test_web_sheets' }));
    const ch = await next((m) => m.type === 'challenge' || m.type === 'error');
    if (ch.type !== 'challenge') throw new Error(`no challenge: ${ch.code}`);
    const token = unb64u(tokenB64, 32);
    const msg = bytes.concat(bytes.label0('bilan-enrol-v1'), unb64u(ch.nonce, 32), identity.signPub, identity.dhPub,
      await wc.sha256(token));
    ws.send(JSON.stringify({ type: 'enrol', token: tokenB64, sign_pub: b64u(identity.signPub), dh_pub: b64u(identity.dhPub),
      sig: b64u(await identity.sign(msg)), device_name: 'navigateur de test' }));
    const w = await next((m) => m.type === 'welcome' || m.type === 'error');
    if (w.type !== 'welcome') throw new Error(`no welcome: ${w.code}`);
    const request = async (m) => {
      const ref = `t${++n}`;
      ws.send(JSON.stringify({ ...m, ref }));
      const r = await next((x) => x.ref === ref);
      if (r.type === 'error') { const e = new Error(r.code); e.code = r.code; throw e; }
      return r;
    };
    return { ws, welcome: w, request };
  }

  const T = {
    /** texts (b64u bytes) -> canonical bytes (b64u) or null when refused. */
    canonTexts(texts) {
      return texts.map((t) => {
        try { return b64u(canon.canonicalBytes(canon.parseJson(unb64u(t)))); } catch { return null; }
      });
    },
    /** n random values made in JS, as canonical bytes (b64u). */
    canonRandom(seed, n) {
      const r = rng(seed), out = [];
      while (out.length < n) out.push(b64u(canon.canonicalBytes([randomValue(r, 0)])));
      return out;
    },

    async seal(keyB64, bilan, items) {
      const key = unb64u(keyB64, 32);
      return Promise.all(items.map(async (it) => b64u(await op.sealOp(key, bilan, unb64u(it.op, 16), unb64u(it.author, 32),
        unb64u(it.plain)))));
    },
    /** Opens and parses: {plain, error, canon} like web_sheets_ref open. */
    async open(keyB64, bilan, items) {
      const key = unb64u(keyB64, 32);
      return Promise.all(items.map(async (it) => {
        const plain = await op.openOp(key, bilan, unb64u(it.op, 16), unb64u(it.author, 32), unb64u(it.sealed));
        if (!plain) return { plain: null, error: null, canon: null };
        try {
          return { plain: b64u(plain), error: null, canon: b64u(utf8(op.encodeOp(op.parseOp(plain)))) };
        } catch (e) {
          return { plain: b64u(plain), error: e.message, canon: null };
        }
      }));
    },
    /** Operations made with sheets_op (canonical text), for the seal test. */
    makeOps(author) {
      const sheet = op.newId(), a = op.newId();
      const list = [
        { v: 1, op: a, sheet, type: 'create', template: 'plan_action', hlc: [1733040000000, 0], device: author },
        { v: 1, op: op.newId(), sheet, type: 'set', field: 'obstacles', value: 'Été « très » chargé\n\t\u0001 \\ " / \u2028 😀',
          parents: [], hlc: [1733040000001, 3], device: author },
        { v: 1, op: op.newId(), sheet, type: 'set', field: 'etapes_court', value: ['un', 'deux ✓'], parents: [a],
          hlc: [1733040000002, 65535], device: author },
        { v: 1, op: op.newId(), sheet, type: 'set', field: 'x', value: 2n ** 62n, parents: [], hlc: [2 ** 53 - 1, 0], device: author },
        { v: 1, op: op.newId(), sheet, type: 'delete', hlc: [1733040000003, 0], device: author },
      ];
      return list.map((o) => ({ op: o.op, plain: b64u(utf8(op.encodeOp(o))) }));
    },

    /** Digests of one set of operations added in several orders. */
    async merge(templatesFromServer, roles, ops, orders) {
      const T0 = await tpl.Templates.load(async (id) => new Uint8Array(await (await fetch(`/web/${id}.json`)).arrayBuffer()));
      const roleNum = (d) => ({ consultant: 1, beneficiary: 2 })[roles[d]] || 0;
      const digests = [];
      let status = {}, fields = {};
      for (const order of orders) {
        const rep = new merge.Replica(T0.rules(roleNum));
        for (const i of order) {
          try { rep.add(op.parseOp(ops[i])); } catch { /* the same id with other content: refused */ }
        }
        digests.push(bytes.hex(await rep.digest()));
        if (!Object.keys(status).length) {
          for (const t of ops) { const o = op.parseOp(t); status[o.op] = rep.status(o.op); }
          for (const t of ops) {
            const o = op.parseOp(t);
            if (o.type === 'set') {
              const h = rep.heads(o.sheet, o.field);
              fields[`${o.sheet}/${o.field}`] = { n: h.heads.length, conflict: h.conflict, winner: h.heads[0] ? h.heads[0].op : null };
            }
          }
        }
      }
      return { digests, status, fields };
    },
    /** Templates checked at load: "ok" or the French refusal. */
    templates(items) {
      return items.map((it) => {
        try { tpl.parseTemplate(unb64u(it.text), it.id); return 'ok'; } catch (e) { return e.message; }
      });
    },
    hlc(steps) {
      const c = [0, 0], out = [];
      for (const s of steps) {
        if (s[0] === 'local') op.hlcLocal(c, s[1]); else op.hlcReceive(c, [s[1], s[2]], s[3]);
        out.push([c[0], c[1]]);
      }
      return out;
    },

    /** A device identity as identity.js will give it (non-extractable private keys). */
    async identity() {
      const s = await wc.ed25519Generate(), d = await wc.x25519Generate();
      const fp = await keys.fingerprint(s.pub, d.pub);
      return { signPub: s.pub, dhPub: d.pub, fp, dhPriv: d.priv, sign: (m) => wc.ed25519Sign(s.priv, m) };
    },
    pub(id) { return { sign_pub: b64u(id.signPub), dh_pub: b64u(id.dhPub), fp: b64u(id.fp) }; },
  };
  T.FakeServer = FakeServer;
  T.session = session;
  T.mods = { canon, op, merge, tpl, keys, sheets, bytes, wc, form };
  window.T = T;
  return true;
})()
