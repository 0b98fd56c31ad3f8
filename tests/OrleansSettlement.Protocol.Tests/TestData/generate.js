// Regenerates es-numbers.txt and jcs-generated.txt with Node.js (node generate.js).
// The expected outputs come from the JavaScript engine itself: String(number) is ECMAScript
// Number::toString, and canonicalize() below is the RFC 8785 reference algorithm (Appendix A
// style: JSON.stringify for primitives, keys sorted by UTF-16 code units). Deterministic (seeded).
'use strict';
const fs = require('fs');

function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(8785);
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];

function hexOf(x) {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  let s = '';
  for (let i = 0; i < 8; i++) s += dv.getUint8(i).toString(16).padStart(2, '0');
  return s;
}
function fromBits(hi, lo) {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, hi); dv.setUint32(4, lo);
  return dv.getFloat64(0);
}

// ---- es-numbers.txt: "<16 hex digits of the IEEE bits> <ECMAScript String(x)>"
const numbers = [];
const rfcHex = ['0000000000000000', '8000000000000000', '0000000000000001', '8000000000000001',
  '7fefffffffffffff', 'ffefffffffffffff', '4340000000000000', 'c340000000000000', '4430000000000000',
  '44b52d02c7e14af5', '44b52d02c7e14af6', '44b52d02c7e14af7', '444b1ae4d6e2ef4e', '444b1ae4d6e2ef4f',
  '444b1ae4d6e2ef50', '3eb0c6f7a0b5ed8c', '3eb0c6f7a0b5ed8d', '41b3de4355555553', '41b3de4355555554',
  '41b3de4355555555', '41b3de4355555556', '41b3de4355555557', 'becbf647612f3696', '43143ff3c1cb0959'];
for (const h of rfcHex) numbers.push(fromBits(parseInt(h.slice(0, 8), 16), parseInt(h.slice(8), 16)));
for (let e = -30; e <= 30; e++) {
  const p = Number('1e' + e);
  numbers.push(p, -p, p * 1.5, p * 9.999999999999999, p * 1.0000000000000002);
}
for (let k = -5; k <= 5; k++) numbers.push(9007199254740991 + k, -9007199254740991 - k, 2 ** 63 + k * 2048);
numbers.push(Number.MIN_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308, 0.1, 0.2, 0.1 + 0.2, 1 / 3, 2 / 3, 100, 123456789, 4.35, 0.000001, 1e-7);
while (numbers.length < 3000) {
  const kind = int(4);
  let x;
  if (kind === 0) x = fromBits(int(2 ** 32) >>> 0, int(2 ** 32) >>> 0);
  else if (kind === 1) x = (rnd() - 0.5) * 10 ** (int(60) - 30);
  else if (kind === 2) x = Math.round((rnd() - 0.5) * 10 ** int(22)) / 10 ** int(8);
  else x = int(2 ** 31) * (rnd() < 0.5 ? -1 : 1) * 2 ** (int(60) - 30);
  if (Number.isFinite(x)) numbers.push(x);
}
fs.writeFileSync(__dirname + '/es-numbers.txt', numbers.map((x) => hexOf(x) + ' ' + String(x)).join('\n') + '\n');

// ---- jcs-generated.txt: "<base64 input> <base64 expected canonical form>" per line
function canonicalize(o) {
  if (o === null || typeof o !== 'object') return JSON.stringify(o);
  if (Array.isArray(o)) return '[' + o.map(canonicalize).join(',') + ']';
  return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + canonicalize(o[k])).join(',') + '}';
}
const charPool = ['a', 'b', 'Z', '0', '9', ' ', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0000', '\u0001', '\u001f',
  '\u007f', '\u0080', 'é', 'ö', '€', '\u2028', '\u2029', '\u030a', '\ufb33', '\uffff', '\ufeff', '中', '😂', '\ud800\udc00', '\udbff\udfff', '<', '>', '&', "'"];
function randString(max) {
  let s = '';
  const n = int(max + 1);
  for (let i = 0; i < n; i++) s += pick(charPool);
  return s;
}
function writeString(s) {
  let out = '"';
  for (const ch of s) { // by code point
    const cp = ch.codePointAt(0);
    const forced = ch === '"' || ch === '\\' || cp < 0x20;
    if (forced || rnd() < 0.25) {
      if (!forced && ch === '/' && rnd() < 0.5) { out += '\\/'; continue; }
      const short = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }[ch];
      if (short && rnd() < 0.7) { out += short; continue; }
      for (let i = 0; i < ch.length; i++) {
        let h = ch.charCodeAt(i).toString(16).padStart(4, '0');
        if (rnd() < 0.5) h = h.toUpperCase();
        out += '\\u' + h;
      }
    } else out += ch;
  }
  return out + '"';
}
function randNumberLexeme() {
  const sign = rnd() < 0.3 ? '-' : '';
  const digits = (n) => { let s = String(1 + int(9)); for (let i = 1; i < n; i++) s += String(int(10)); return s; };
  switch (int(6)) {
    case 0: return sign + (rnd() < 0.2 ? '0' : digits(1 + int(16)));
    case 1: return sign + digits(1 + int(20)) + '.' + digits(1 + int(20));
    case 2: return sign + '0.' + '0'.repeat(int(10)) + digits(1 + int(18));
    case 3: return sign + digits(1 + int(17)) + pick(['e', 'E']) + pick(['', '+', '-']) + String(int(320));
    case 4: return sign + digits(1) + '.' + digits(1 + int(16)) + pick(['e', 'E']) + pick(['', '+', '-']) + String(int(300));
    default: return sign + pick(['0', '0.0', '0e0', '1.0', '100', '4.50', '2e-3', '1E30']);
  }
}
const ws = () => pick(['', '', '', ' ', '\n', '\t', '\r\n', '  ']);
function randValue(depth) {
  const r = int(depth > 3 ? 6 : 9);
  if (r === 0) return { text: 'null' };
  if (r === 1) return { text: pick(['true', 'false']) };
  if (r === 2 || r === 3) { const lex = randNumberLexeme(); return { text: lex }; }
  if (r === 4 || r === 5) return { text: writeString(randString(8)) };
  if (r === 6 || r === 7) {
    const n = int(5);
    const keys = new Set();
    const parts = [];
    for (let i = 0; i < n; i++) {
      let k = randString(4);
      if (keys.has(k) || k === '__proto__') continue;
      keys.add(k);
      parts.push(ws() + writeString(k) + ws() + ':' + ws() + randValue(depth + 1).text + ws());
    }
    return { text: '{' + parts.join(',') + (parts.length ? '' : ws()) + '}' };
  }
  const n = int(5);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(ws() + randValue(depth + 1).text + ws());
  return { text: '[' + parts.join(',') + (parts.length ? '' : ws()) + ']' };
}
function hasNonFinite(v) {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v).some(hasNonFinite);
}
const lines = [];
while (lines.length < 500) {
  const input = ws() + randValue(0).text + ws();
  const value = JSON.parse(input);
  const text = canonicalize(value);
  if (hasNonFinite(value)) continue; // JSON.stringify writes them as null; RFC 8785 refuses them (tested separately)
  lines.push(Buffer.from(input, 'utf8').toString('base64') + ' ' + Buffer.from(text, 'utf8').toString('base64'));
}
fs.writeFileSync(__dirname + '/jcs-generated.txt', lines.join('\n') + '\n');
console.log('es-numbers:', numbers.length, 'jcs-generated:', lines.length);
