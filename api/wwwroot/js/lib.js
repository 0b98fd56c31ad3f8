// The browser side of the protocol (docs/protocol.md, docs/api.md): RFC 8785 canonical JSON, ES256 signed objects,
// RFC 9421 request signatures, non-extractable WebCrypto keys kept in IndexedDB, and event streams read with fetch()
// (EventSource cannot send the headers a wallet signs). Plain ES modules, no dependencies.

const utf8 = new TextEncoder();

export function b64url(bytes) {
  return b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** RFC 8785 (JCS): the canonical JSON text of a value parsed by JSON.parse. */
export function canonicalize(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("JCS: numbers must be finite");
    return JSON.stringify(value); // ECMAScript Number-to-String, as RFC 8785 requires (-0 becomes 0)
  }
  if (typeof value === "string") {
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) throw new Error("JCS: lone surrogate");
    return JSON.stringify(value); // minimal escapes, lower-case \u00xx: what RFC 8785 prescribes
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalize).join(",") + "]";
  if (typeof value === "object") {
    // Sorted by UTF-16 code units: JavaScript's default string order.
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalize(value[k])).join(",") + "}";
  }
  throw new Error("JCS: not a JSON value");
}

/** The content id of an object: base64url SHA-256 of its canonical form without its top-level sig. */
export async function contentId(object) {
  const { sig, ...content } = object;
  return b64url(await sha256(utf8.encode(canonicalize(content))));
}

/** RFC 7638 thumbprint of a P-256 public JWK: the wallet id. */
export async function thumbprint(jwk) {
  return b64url(await sha256(utf8.encode(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`)));
}

/** ES256 over the canonical form of content (which carries its purpose); returns the signed object. */
export async function signObject(content, privateKey) {
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, utf8.encode(canonicalize(content)));
  return { ...content, sig: b64url(signature) };
}

// ---- Keys: generated non-extractable, kept in IndexedDB (a CryptoKey survives structured cloning, not export) ----

function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("osettle-wallet", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("keys");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function idb(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const request = action(db.transaction("keys", mode).objectStore("keys"));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

/** The wallet key named `name`, made on first use: ECDSA P-256 with a non-extractable private key. */
export async function walletKey(name) {
  let pair = await idb("readonly", (store) => store.get(name));
  if (!pair) {
    pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    await idb("readwrite", (store) => store.put(pair, name));
  }
  const full = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const jwk = { kty: "EC", crv: "P-256", x: full.x, y: full.y };
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, jwk, walletId: await thumbprint(jwk) };
}

// ---- HTTP ----

export class ApiError extends Error {
  constructor(status, problem) {
    super(`${problem.code ?? status}: ${problem.detail ?? problem.title ?? ""}`);
    this.status = status;
    this.code = problem.code ?? String(status);
    this.detail = problem.detail ?? "";
  }
}

function newKey() {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** RFC 9421 headers for a wallet request, exactly as the SDK makes them (HttpSignatures.SignAsync). */
export async function signatureHeaders(key, method, targetUri, bodyBytes, idempotencyKey, created, nonce) {
  const headers = {};
  const components = ["@method", "@target-uri"];
  const values = { "@method": method.toUpperCase(), "@target-uri": targetUri };
  if (bodyBytes) {
    headers["Content-Digest"] = values["content-digest"] = `sha-256=:${b64(await sha256(bodyBytes))}:`;
    components.push("content-digest");
  }
  if (idempotencyKey) {
    values["idempotency-key"] = idempotencyKey;
    components.push("idempotency-key");
  }
  created ??= Math.floor(Date.now() / 1000);
  nonce ??= newKey();
  const params = `(${components.map((c) => `"${c}"`).join(" ")});created=${created};keyid="${key.walletId}";alg="ecdsa-p256-sha256";nonce="${nonce}"`;
  const base = components.map((c) => `"${c}": ${values[c].trim()}`).join("\n") + `\n"@signature-params": ${params}`;
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, utf8.encode(base));
  headers["Signature-Input"] = `sig1=${params}`;
  headers["Signature"] = `sig1=:${b64(signature)}:`;
  return headers;
}

/** Calls the API; `auth` is {wallet: key} (signs the request) or {token} (bearer) or nothing. Throws ApiError. */
export async function call(method, path, body, auth = {}) {
  const bytes = body === undefined ? null : utf8.encode(JSON.stringify(body));
  const headers = { Accept: "application/json" };
  const idempotencyKey = method === "POST" ? newKey() : null;
  if (bytes) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  if (auth.token) headers["Authorization"] = `Bearer ${auth.token}`;
  if (auth.wallet) Object.assign(headers, await signatureHeaders(auth.wallet, method, location.origin + path, bytes, idempotencyKey));
  const response = await fetch(path, { method, headers, body: bytes });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, json ?? {});
  return json;
}

/**
 * Follows an event feed (text/event-stream) with fetch(), reconnecting with Last-Event-ID after the stream ends or
 * fails, so no event is lost or repeated. `auth` is as for call(); a wallet signs every connection afresh.
 */
export function follow(path, auth, onEvent, onState = () => {}) {
  let last = 0;
  let stopped = false;
  const controller = new AbortController();
  (async () => {
    while (!stopped) {
      try {
        const headers = { Accept: "text/event-stream", "Last-Event-ID": String(last) };
        if (auth.token) headers["Authorization"] = `Bearer ${auth.token}`;
        if (auth.wallet) Object.assign(headers, await signatureHeaders(auth.wallet, "GET", location.origin + path, null, null));
        const response = await fetch(path, { headers, signal: controller.signal });
        if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
        onState("live");
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = { id: null, type: "message", data: "" };
            for (const line of block.split("\n")) {
              if (line.startsWith("id: ")) event.id = Number(line.slice(4));
              else if (line.startsWith("event: ")) event.type = line.slice(7);
              else if (line.startsWith("data: ")) event.data += line.slice(6);
            }
            if (event.id === null || !event.data) continue;
            last = event.id;
            await onEvent(event.type, JSON.parse(event.data));
          }
        }
      } catch (error) {
        if (stopped) return;
        onState("reconnecting: " + error.message);
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return () => {
    stopped = true;
    controller.abort();
  };
}

/** Money in minor units as text: 12050 -> "120.50". */
export function money(minor, currency = "") {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}${currency ? " " + currency : ""}`;
}

/** "120.50" -> 12050 (integers only: no floating point on the money path). */
export function minorUnits(text) {
  const match = /^\s*(\d{1,13})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not an amount like 12.50`);
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

/** The parameters in the page's fragment (#a=1&b=2): never sent to a server. */
export function fragment() {
  return new URLSearchParams(location.hash.slice(1));
}

export function el(id) {
  return document.getElementById(id);
}

export function log(text) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  el("log").prepend(item);
}
