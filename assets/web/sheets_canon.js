// sheets_canon.js: the canonical JSON of PROTOCOL.md §10.1 (what a worksheet
// operation seals and what a consent statement signs), byte for byte what
// jansson's JSON_SORT_KEYS | JSON_COMPACT writes, and a strict parser that
// accepts exactly what jansson's json_loadb(JSON_REJECT_DUPLICATES) accepts.
//
// Owns: the value model shared by the sheets modules:
//   null, true, false; strings (JS strings, never a lone surrogate);
//   integers: a Number when safe, else a BigInt (int64 range, as json_int_t);
//   reals: instances of Real (a JSON number written with '.' or 'e'), so that
//     "1.0" stays a real (the C side tells them apart and refuses reals in
//     operations); a non-integer Number given by JS code is a real too;
//   arrays; objects with a null prototype (any key, "__proto__" included).
// Must never: use JSON.stringify (lower-case \u escapes, insertion order) or
// JSON.parse (no integer/real distinction, silent duplicates, lost digits).

/** A JSON real number (a double), kept apart from integers. */
export class Real {
  constructor(value) { this.value = value; }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_DEPTH = 2048; // jansson's JSON_PARSER_MAX_DEPTH

export class CanonError extends Error {}

// ---- writing ----

const utf8enc = new TextEncoder();

function hasLoneSurrogate(s) {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Negative, zero or positive as the UTF-8 bytes of a and b compare (strcmp). */
export function compareUtf8(a, b) {
  // UTF-16 order differs from UTF-8 order only between surrogates and
  // U+E000..U+FFFF: compare by code points, which is UTF-8 byte order.
  const ia = a[Symbol.iterator](), ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next(), y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const cx = x.value.codePointAt(0), cy = y.value.codePointAt(0);
    if (cx !== cy) return cx - cy;
  }
}

function writeString(s) {
  if (typeof s !== 'string' || hasLoneSurrogate(s)) throw new CanonError('string is not UTF-8');
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20) out += s[i];
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
  }
  return out + '"';
}

/** The exact decimal digits and exponent of a finite non-zero double:
 * |x| = 0.d1d2d3... * 10^(exp) is avoided; returns {digits, point} with
 * |x| = digits * 10^(point - digits.length). */
function exactDecimal(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const bexp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e2;
  if (bexp === 0) e2 = -1074; else { mant |= 1n << 52n; e2 = bexp - 1075; }
  if (e2 >= 0) return { digits: (mant << BigInt(e2)).toString(), scale: 0 };
  // mant / 2^k = mant * 5^k / 10^k
  const k = -e2;
  return { digits: (mant * 5n ** BigInt(k)).toString(), scale: k };
}

/** printf("%.17g") as glibc writes it (exact value, ties to even), then
 * jansson's touches: ".0" when neither '.' nor 'e', and the exponent
 * without '+' nor leading zeros. */
export function formatReal(x) {
  if (!Number.isFinite(x)) throw new CanonError('a real must be finite');
  const neg = x < 0 || Object.is(x, -0);
  let body;
  if (x === 0) {
    body = '0';
  } else {
    let { digits, scale } = exactDecimal(x);
    digits = digits.replace(/^0+/, '');
    // value = digits * 10^-scale; decimal exponent of the first digit:
    let X = digits.length - 1 - scale;
    const P = 17;
    if (digits.length > P) {
      const keep = digits.slice(0, P), rest = digits.slice(P);
      let n = BigInt(keep);
      const half = '5' + '0'.repeat(rest.length - 1);
      const cmp = rest === half ? 0 : (rest > half ? 1 : -1); // same length: string order is numeric
      if (cmp > 0 || (cmp === 0 && (n & 1n) === 1n)) n += 1n;
      let s = n.toString();
      if (s.length > P) { s = s.slice(0, P); X += 1; }
      digits = s;
    }
    digits = digits.padEnd(P, '0');
    if (X < -4 || X >= P) {
      let m = digits[0] + '.' + digits.slice(1);
      m = m.replace(/0+$/, '').replace(/\.$/, '');
      const ae = Math.abs(X);
      body = m + 'e' + (X < 0 ? '-' : '+') + (ae < 10 ? '0' + ae : String(ae));
    } else if (X >= 0) {
      body = digits.slice(0, X + 1) + '.' + digits.slice(X + 1);
      body = body.replace(/0+$/, '').replace(/\.$/, '');
    } else {
      body = '0.' + '0'.repeat(-X - 1) + digits;
      body = body.replace(/0+$/, '').replace(/\.$/, '');
    }
  }
  let s = (neg ? '-' : '') + body;
  if (!s.includes('.') && !s.includes('e')) s += '.0';
  // jansson: "e+17" -> "e17", "e-08" -> "e-8"
  s = s.replace(/e\+?(-?)0*(\d)/, 'e$1$2');
  return s;
}

function writeNumber(v) {
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) throw new CanonError('integer out of range');
    return v.toString();
  }
  if (Number.isInteger(v)) {
    if (!Number.isSafeInteger(v)) throw new CanonError('integer not exact in a Number: use a BigInt');
    return Object.is(v, -0) ? '0' : String(v);
  }
  return formatReal(v);
}

function write(v, depth) {
  if (depth > MAX_DEPTH) throw new CanonError('too deep');
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return writeString(v);
  if (typeof v === 'number' || typeof v === 'bigint') return writeNumber(v);
  if (v instanceof Real) return formatReal(v.value);
  if (Array.isArray(v)) return '[' + v.map((x) => write(x, depth + 1)).join(',') + ']';
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(compareUtf8);
    return '{' + keys.map((k) => writeString(k) + ':' + write(v[k], depth + 1)).join(',') + '}';
  }
  throw new CanonError('not a JSON value');
}

/** The canonical JSON text of v (a string). Throws CanonError for what has no JSON form. */
export function canonical(v) { return write(v, 0); }

/** The canonical JSON of v as UTF-8 bytes. */
export function canonicalBytes(v) { return utf8enc.encode(canonical(v)); }

// ---- reading ----

const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const utf8dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a JSON text (a string, or UTF-8 bytes) as jansson's json_loadb
 * with JSON_REJECT_DUPLICATES: an object or an array at the top, no BOM,
 * no NUL in a string, integers within int64, reals that do not overflow.
 * Throws CanonError when jansson would refuse the text. */
export function parseJson(input, { rejectDuplicates = true } = {}) {
  let text = input;
  if (typeof input !== 'string') {
    try { text = utf8dec.decode(input); } catch { throw new CanonError('invalid UTF-8'); }
  } else if (hasLoneSurrogate(input)) {
    throw new CanonError('invalid UTF-8');
  }
  let i = 0, depth = 0;
  const n = text.length;
  const fail = (what) => { throw new CanonError(`${what} at ${i}`); };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++; else break;
    }
  };
  const hex4 = () => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid escape');
    i += 4;
    return parseInt(h, 16);
  };
  const str = () => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= n) fail('premature end of string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return out; }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) { out += text[i++]; continue; }
      i++;
      const e = text[i++];
      if (e === '"') out += '"';
      else if (e === '\\') out += '\\';
      else if (e === '/') out += '/';
      else if (e === 'b') out += '\b';
      else if (e === 'f') out += '\f';
      else if (e === 'n') out += '\n';
      else if (e === 'r') out += '\r';
      else if (e === 't') out += '\t';
      else if (e === 'u') {
        let cp = hex4();
        if (cp === 0) fail('\\u0000 is not allowed');
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (text[i] !== '\\' || text[i + 1] !== 'u') fail('invalid Unicode');
          i += 2;
          const lo = hex4();
          if (lo < 0xdc00 || lo > 0xdfff) fail('invalid Unicode');
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          fail('invalid Unicode');
        }
        out += String.fromCodePoint(cp);
      } else {
        fail('invalid escape');
      }
    }
  };
  const num = () => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail('invalid token');
    // jansson reads "01" as an invalid token, not 0 then 1.
    if (m[1] === '0' && /[0-9]/.test(text[i + m[0].length] || '')) fail('invalid token');
    const t = m[0];
    const after = text[i + t.length] || '';
    if (after === '.' || after === 'e' || after === 'E') fail('invalid token');
    i += t.length;
    if (!m[2] && !m[3]) {
      const b = BigInt(t);
      if (b < INT64_MIN || b > INT64_MAX) fail('too big integer');
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    const d = Number(t);
    if (!Number.isFinite(d)) fail('real number overflow');
    return new Real(d);
  };
  const lit = (word, v) => {
    if (text.startsWith(word, i)) { i += word.length; return v; }
    return fail('invalid token');
  };
  const value = () => {
    ws();
    if (i >= n) fail('unexpected end');
    const c = text[i];
    if (c === '{') return obj();
    if (c === '[') return arr();
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) return num();
    if (c === 't') return lit('true', true);
    if (c === 'f') return lit('false', false);
    if (c === 'n') return lit('null', null);
    return fail('invalid token');
  };
  const arr = () => {
    if (++depth > MAX_DEPTH) fail('maximum parsing depth reached');
    i++;
    const out = [];
    ws();
    if (text[i] === ']') { i++; depth--; return out; }
    for (;;) {
      out.push(value());
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; depth--; return out; }
      fail("']' expected");
    }
  };
  const obj = () => {
    if (++depth > MAX_DEPTH) fail('maximum parsing depth reached');
    i++;
    const out = Object.create(null);
    ws();
    if (text[i] === '}') { i++; depth--; return out; }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('string or \'}\' expected');
      const k = str();
      if (rejectDuplicates && Object.hasOwn(out, k)) fail('duplicate object key');
      ws();
      if (text[i] !== ':') fail("':' expected");
      i++;
      out[k] = value();
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; depth--; return out; }
      fail("'}' expected");
    }
  };
  ws();
  if (text[i] !== '{' && text[i] !== '[') fail("'[' or '{' expected");
  const v = value();
  ws();
  if (i !== n) fail('end of file expected');
  return v;
}

// ---- looking at values ----

export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Real);
}

export function isInteger(v) {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

/** UTF-8 length of a string, in bytes. */
export function utf8Length(s) { return utf8enc.encode(s).length; }
