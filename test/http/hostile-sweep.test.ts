// A hostile-input sweep of every REST route (PROTOCOL.md, "Errors" and "Details every client relies
// on": Hardening, NOT_FOUND for non-members). The routes are read at run time from the node's own
// GET /api/openapi.json, so a route added later is swept without anyone writing a case for it: its
// auth, its path and query parameters and its JSON or multipart body get the same hostile inputs as
// every other route. Path parameters are filled with real ids (made up front) so that each hostile
// input reaches the handler instead of stopping at a 404.
//
// SWEEP_VERBOSE=1 prints every case and its answer; SWEEP_SEED=<n> replays the fast-check inputs of
// a failing run (its seed is in the failing case's name).
//
// Every case expects a 4xx problem+json with a `code` (never a 5xx, never a hang); where the
// contract names the code (401 for bad tokens, 400 VALIDATION naming the field for NUL and wrong
// types, 413 for bodies over 1 MB, 404 NOT_FOUND for an outsider's room exactly as for a made-up
// one) the case expects that code. One `it` per route; its failure lists every failing case with
// the server's own error log line, when it logged one.
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { expect } from "chai";
import fc from "fast-check";
import Mocha from "mocha";
import sharp from "sharp";
import { signUp, type TestUser } from "../helpers/api.js";
import { badTokens, NUL, quote, useSweepCluster } from "../helpers/hostile.js";
import { sineAudio } from "../helpers/media.js";
import { groupWith } from "../helpers/rooms.js";
import { STATUS_CODE } from "./expect.js";

// ---------------------------------------------------------------------------------------------
// The OpenAPI document, as much of it as the sweep reads.

interface Schema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
}
interface Parameter {
  in: "path" | "query" | "header" | "cookie";
  name: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}
interface Route {
  method: string;
  /** OpenAPI template, e.g. /api/rooms/{id}/messages. */
  path: string;
  op: Operation;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

// ---------------------------------------------------------------------------------------------
// Raw HTTP: a fresh connection per request (a broken request cannot poison the next), a deadline,
// and an answer even when the server replies before it has read the whole body.

const CASE_TIMEOUT_MS = 10_000;

interface Wire {
  status: number;
  contentType: string;
  text: string;
  body: any;
}

interface Request {
  method: string;
  path: string;
  /** Full Authorization header value; `token` is sugar for `Bearer <token>`. */
  authorization?: string;
  token?: string;
  contentType?: string;
  body?: Buffer | string;
  /** Sent as X-Request-Id, so the node's log lines of this request can be found. */
  reqId?: string;
}

function send(baseUrl: string, r: Request): Promise<Wire> {
  const url = new URL(r.path, baseUrl);
  const headers: Record<string, string> = {};
  const auth = r.authorization ?? (r.token ? `Bearer ${r.token}` : undefined);
  if (auth !== undefined) headers.authorization = auth;
  if (r.contentType) headers["content-type"] = r.contentType;
  if (r.reqId) headers["x-request-id"] = r.reqId;
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  if (body) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      { host: url.hostname, port: url.port, method: r.method, path: `${url.pathname}${url.search}`, headers, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          const contentType = String(res.headers["content-type"] ?? "");
          let parsed: unknown = text;
          if (/json/.test(contentType) && text) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, contentType, text, body: parsed });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${CASE_TIMEOUT_MS} ms`));
    }, CASE_TIMEOUT_MS);
    req.on("error", (err) => {
      // A server may close the connection once it has answered (a refused body): the answer counts.
      if (answered) return;
      clearTimeout(timer);
      reject(err);
    });
    if (body) req.write(body);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// What a case expects, and how it is judged.


interface Want {
  /** The one code the contract names; absent: any 4xx problem with a code. */
  code?: string | string[];
  /** VALIDATION must name this field in errors[].path. */
  field?: string;
  /** A 2xx is acceptable too (the input may be valid); a 4xx must still be a coded problem. */
  successOk?: boolean;
}

function short(text: string, max = 160): string {
  const one = text.replace(/\s+/g, " ");
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** null when the answer meets `want`; otherwise why not, in one line. */
function judge(res: Wire, want: Want): string | null {
  const code: unknown = res.body && typeof res.body === "object" ? res.body.code : undefined;
  const seen = `${res.status}${typeof code === "string" ? ` ${code}` : ""}`;
  if (res.status >= 500) return `${seen} ${short(typeof res.body === "object" ? String(res.body.detail ?? "") : res.text)}`.trim();
  if (res.status < 400) return want.successOk ? null : `${seen} (the hostile input was accepted)`;
  if (!/^application\/problem\+json/.test(res.contentType)) return `${seen} with content-type "${res.contentType}", not application/problem+json: ${short(res.text)}`;
  if (typeof code !== "string") return `${res.status} problem without a code: ${short(res.text)}`;
  if (STATUS_CODE[code] !== res.status) return `${seen}: code ${code} belongs with status ${STATUS_CODE[code] ?? "none"}`;
  if (res.body.type !== "about:blank" || typeof res.body.title !== "string" || typeof res.body.detail !== "string" || "stack" in res.body) {
    return `${seen}: not an RFC 9457 problem of the contract (type, title, detail; no stack): ${short(res.text)}`;
  }
  const wanted = want.code === undefined ? undefined : ([] as string[]).concat(want.code);
  if (wanted && !wanted.includes(code)) return `${seen} "${short(String(res.body.detail ?? ""), 100)}", want ${wanted.map((c) => `${STATUS_CODE[c]} ${c}`).join(" or ")}`;
  if (want.field !== undefined) {
    const paths: unknown[] = Array.isArray(res.body.errors) ? res.body.errors.map((e: { path?: unknown }) => e?.path) : [];
    if (!paths.includes(want.field)) return `${seen} but errors[].path ${JSON.stringify(paths)} does not name "${want.field}"`;
  }
  return null;
}

interface Case {
  name: string;
  request: Request;
  want: Want;
  /** A second request whose answer must equal the first's (status and code): no probing. */
  sameAs?: Request;
}

// ---------------------------------------------------------------------------------------------
// Schemas: valid sample values (so a hostile variant differs from a valid request in one field
// only) and the list of fields to poison.

interface Fixtures {
  alice: TestUser;
  bob: TestUser;
  carol: TestUser;
  /** alice (owner) and bob. */
  room: string;
  /** carol's; alice is not a member. */
  outsiderRoom: string;
  /** Ids of things that exist, by the collection segment that precedes them in a path. */
  real: Record<string, string | undefined>;
  /** The same kind of thing, but in a room alice is not in or belonging to someone else. */
  outsider: Record<string, string | undefined>;
  mp3: Buffer;
  png: Buffer;
}

let fx: Fixtures;

function resolveRef(doc: OpenApiDocument, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) {
    const name = s.$ref.split("/").pop() ?? "";
    s = doc.components?.schemas?.[name] ?? {};
  }
  return s;
}

const typesOf = (s: Schema): string[] => ([] as string[]).concat(s.type ?? (s.properties ? "object" : s.items ? "array" : []));

/** A valid value for a field: by what the field means where the name says it, else by its schema. */
function sample(doc: OpenApiDocument, raw: Schema, name: string): unknown {
  const s = resolveRef(doc, raw);
  const variants = s.oneOf ?? s.anyOf;
  if (variants?.length) return sample(doc, variants[0]!, name);
  if (s.allOf?.length) return sample(doc, s.allOf[0]!, name);
  if (s.enum?.length) return s.enum[0];
  const type = typesOf(s).find((t) => t !== "null") ?? "string";
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = sample(doc, v, k);
      return out;
    }
    case "array":
      return s.items ? [sample(doc, s.items, name.replace(/s$/, ""))] : [];
    case "integer":
    case "number":
      return Math.max(s.minimum ?? 0, Math.min(1, s.maximum ?? 1));
    case "boolean":
      return true;
    default:
      return sampleString(s, name);
  }
}

function sampleString(s: Schema, name: string): string {
  const byName: Record<string, () => string> = {
    email: () => `sweep-${randomUUID()}@example.test`,
    password: () => "correct horse battery",
    displayName: () => "Sweep",
    name: () => "Sweep",
    title: () => "Sweep",
    text: () => "hello from the sweep",
    clientMsgId: () => randomUUID(),
    refreshToken: () => `${randomUUID()}.${randomBytes(24).toString("base64url")}`,
    code: () => "123456",
    q: () => "sweep",
    endpoint: () => "https://push.example.test/sweep",
    // RFC 8291 shapes: an uncompressed P-256 point and a 16-byte secret.
    p256dh: () => Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString("base64url"),
    auth: () => randomBytes(16).toString("base64url"),
    userId: () => fx.bob.id,
    memberId: () => fx.bob.id,
    roomId: () => fx.room,
    emoji: () => "👍",
  };
  const named = byName[name];
  if (named) return named();
  if (s.format === "uuid") return randomUUID();
  if (s.format === "email") return `sweep-${randomUUID()}@example.test`;
  const digits = s.pattern ? /^\^\\d\{(\d+)\}\$$/.exec(s.pattern) : null;
  if (digits) return "1".repeat(Number(digits[1]));
  let v = "sweep";
  if (s.minLength && v.length < s.minLength) v = v.padEnd(s.minLength, "x");
  if (s.maxLength !== undefined && v.length > s.maxLength) v = v.slice(0, Math.max(1, s.maxLength));
  return v;
}

interface Field {
  /** Dotted path, as errors[].path names it. */
  path: string;
  keys: (string | number)[];
  schema: Schema;
}

/** Every field of a body (nested objects and array items included) with its schema. */
function fieldsOf(doc: OpenApiDocument, raw: Schema, value: unknown, keys: (string | number)[] = []): Field[] {
  const s = resolveRef(doc, raw);
  const out: Field[] = [];
  if (typesOf(s).includes("object") && value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const at = [...keys, k];
      out.push({ path: at.join("."), keys: at, schema: resolveRef(doc, v) }, ...fieldsOf(doc, v, (value as Record<string, unknown>)[k], at));
    }
  } else if (typesOf(s).includes("array") && Array.isArray(value) && value.length && s.items) {
    const at = [...keys, 0];
    out.push({ path: at.join("."), keys: at, schema: resolveRef(doc, s.items) }, ...fieldsOf(doc, s.items, value[0], at));
  }
  return out;
}

/**
 * The body a client would send: required fields and optional plain values. Optional arrays and
 * objects (ids of attachments, tracks, members) are left out, so the body is valid as it stands;
 * each comes back only in the cases that poison it.
 */
function lean(doc: OpenApiDocument, raw: Schema, full: unknown): unknown {
  const s = resolveRef(doc, raw);
  if (!full || typeof full !== "object" || Array.isArray(full)) return full;
  const required = new Set(s.required ?? []);
  return Object.fromEntries(Object.entries(full).filter(([k, v]) => required.has(k) || v === null || typeof v !== "object"));
}

function withTop(body: unknown, full: unknown, key: string | number): unknown {
  if (!body || typeof body !== "object" || key in body) return body;
  return { ...(body as object), [key]: (full as Record<string | number, unknown>)[key] };
}

function withField(body: unknown, keys: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[keys.at(-1)!] = value;
  return copy;
}

/** Values of another JSON type than the field's, including an operator object (NoSQL injection). */
function wrongTypes(s: Schema): { label: string; value: unknown }[] {
  const types = typesOf(s);
  const out: { label: string; value: unknown }[] = [];
  if (!types.includes("number") && !types.includes("integer")) out.push({ label: "a number", value: 12345 });
  if (!types.includes("string")) out.push({ label: "a string", value: "12345" });
  if (!types.includes("object")) out.push({ label: 'an operator object {"$gt":""}', value: { $gt: "" } });
  if (!types.includes("array")) out.push({ label: "an array", value: ["x"] });
  if (!types.includes("boolean") && !types.includes("null")) out.push({ label: "true", value: true });
  return out.slice(0, 3);
}

// ---------------------------------------------------------------------------------------------
// Multipart bodies, well-formed and not.

const CRLF = "\r\n";

interface Part {
  name: string;
  value: Buffer | string;
  filename?: string;
  type?: string;
}

function multipart(parts: Part[], boundary = `sweep${randomBytes(8).toString("hex")}`): { body: Buffer; contentType: string; boundary: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}`;
    const head = `--${boundary}${CRLF}${disposition}${CRLF}${p.filename !== undefined ? `Content-Type: ${p.type ?? "application/octet-stream"}${CRLF}` : ""}${CRLF}`;
    chunks.push(Buffer.from(head), Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value), Buffer.from(CRLF));
  }
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}`, boundary };
}

/** The parts of a valid upload for a multipart schema: a real file of the kind the route takes. */
function validParts(doc: OpenApiDocument, route: Route, schema: Schema): Part[] {
  const s = resolveRef(doc, schema);
  return Object.entries(s.properties ?? {}).map(([name, prop]): Part => {
    if (prop.format === "binary") {
      if (name === "avatar" || /avatar/.test(route.path)) return { name, value: fx.png, filename: "sweep.png", type: "image/png" };
      if (/tracks/.test(route.path)) return { name, value: fx.mp3, filename: "sweep.mp3", type: "audio/mpeg" };
      return { name, value: "hello, sweep\n", filename: "sweep.txt", type: "text/plain" };
    }
    return { name, value: sampleString(prop, name) };
  });
}

// ---------------------------------------------------------------------------------------------
// Paths: every parameter filled with a real id, or a hostile one.

/** The path segment that names what a parameter is an id of: /rooms/{id} → "rooms". */
function collectionOf(route: Route, param: string): string {
  const segments = route.path.split("/");
  const i = segments.indexOf(`{${param}}`);
  return i > 0 ? (segments[i - 1] ?? "") : "";
}

function realParam(route: Route, p: Parameter): string {
  const collection = collectionOf(route, p.name);
  // "<collection>:<parameter>" first, where one collection's segment names ids of two kinds
  // (/rooms/{id}/messages/{seq} takes a seq, /admin/messages/{id} a message id).
  const known = fx.real[`${collection}:${p.name}`] ?? fx.real[collection];
  if (known) return known;
  if (p.schema?.format === "uuid") return randomUUID();
  if (typesOf(p.schema ?? {}).some((t) => t === "integer" || t === "number")) return "1";
  return "sweep";
}

function pathWith(route: Route, values: Record<string, string>): string {
  return route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? "sweep"));
}

/** Percent-encodes every UTF-8 byte that is not unreserved (so NUL, lone surrogates, anything goes through). */
function pct(value: string): string {
  return [...Buffer.from(value, "utf8")].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
}

function queryString(entries: [string, string][]): string {
  return entries.length ? `?${entries.map(([k, v]) => `${pct(k)}=${pct(v)}`).join("&")}` : "";
}

// ---------------------------------------------------------------------------------------------
// The cases of one route.

const OVERSIZED_BYTES = 1_200_000; // > the 1 MB JSON limit
const NESTING_DEPTH = 10_000;
const FUZZ_RUNS = 6;
const FUZZ_SEED = Number(process.env.SWEEP_SEED) || Date.now() % 2 ** 31;

function casesFor(doc: OpenApiDocument, route: Route, reqIds: () => string): Case[] {
  const { op } = route;
  const method = route.method.toUpperCase();
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === "path");
  const queryParams = params.filter((p) => p.in === "query");
  const realPath: Record<string, string> = Object.fromEntries(pathParams.map((p) => [p.name, realParam(route, p)]));
  // Required parameters, and a zero `timeout` where a route long-polls, so it answers at once.
  const baseQuery: [string, string][] = queryParams
    .filter((p) => p.required || p.name === "timeout")
    .map((p) => [p.name, p.name === "timeout" ? "0" : String(sample(doc, p.schema ?? {}, p.name))]);
  const url = (pathValues = realPath, query = baseQuery) => `${pathWith(route, pathValues)}${queryString(query)}`;

  const jsonSchema = op.requestBody?.content["application/json"]?.schema;
  const multipartSchema = op.requestBody?.content["multipart/form-data"]?.schema;
  // A body schema with variants (e.g. POST /api/rooms: direct | group) is swept once per variant.
  const variants = jsonSchema ? (resolveRef(doc, jsonSchema).oneOf ?? resolveRef(doc, jsonSchema).anyOf ?? [jsonSchema]) : [];
  const baseBodies = variants.map((v) => {
    const full = sample(doc, v, "");
    return { schema: v, full, body: lean(doc, v, full) };
  });
  const baseParts = multipartSchema ? validParts(doc, route, multipartSchema) : undefined;

  const token = fx.alice.accessToken;
  const cases: Case[] = [];
  const add = (name: string, request: Omit<Request, "method" | "reqId">, want: Want, sameAs?: Omit<Request, "method" | "reqId">) =>
    cases.push({ name, request: { method, ...request, reqId: reqIds() }, want, sameAs: sameAs && { method, ...sameAs, reqId: reqIds() } });
  // The valid body of this route (JSON or multipart), to send with a hostile token or path.
  const validBody = (): Pick<Request, "body" | "contentType"> => {
    if (baseParts) {
      const m = multipart(baseParts);
      return { body: m.body, contentType: m.contentType };
    }
    if (baseBodies[0]) return { body: JSON.stringify(baseBodies[0].body), contentType: "application/json" };
    return {};
  };

  // /api/admin/* is for operators, and alice is not one: past the parse step, every request that
  // names real things is FORBIDDEN (a route's own NOT_FOUND never shows to her).
  const operatorsOnly = route.path.startsWith("/api/admin/");
  if (operatorsOnly) add("a signed-in non-operator (valid request)", { path: url(), token, ...validBody() }, { code: "FORBIDDEN" });

  // 1. Credentials.
  if (op.security?.length) {
    add("no token", { path: url(), ...validBody() }, { code: "UNAUTHORIZED" });
    for (const [label, bad] of Object.entries(badTokens(token))) add(label, { path: url(), token: bad, ...validBody() }, { code: "UNAUTHORIZED" });
    add("Authorization: Basic (not Bearer)", { path: url(), authorization: `Basic ${Buffer.from(`${fx.alice.email}:${fx.alice.password}`).toString("base64")}`, ...validBody() }, { code: "UNAUTHORIZED" });
  }

  // 2. Path parameters.
  for (const p of pathParams) {
    const others = (value: string) => ({ ...realPath, [p.name]: value });
    add(`NUL in path parameter "${p.name}"`, { path: url(others(`${realPath[p.name]}${NUL}`)), token, ...validBody() }, { code: "VALIDATION", field: p.name });
    if (p.schema?.format === "uuid") {
      add(`malformed id in path parameter "${p.name}"`, { path: url(others("not-a-uuid")), token, ...validBody() }, { code: "VALIDATION", field: p.name });
      const collection = collectionOf(route, p.name);
      const outsider = fx.outsider[collection];
      const madeUp = randomUUID();
      if (operatorsOnly) {
        if (outsider) add(`an outsider's real ${collection} id in "${p.name}" (a non-operator)`, { path: url(others(outsider)), token, ...validBody() }, { code: "FORBIDDEN" }, { path: url(others(madeUp)), token, ...validBody() });
        add(`a made-up ${collection} id in "${p.name}" (a non-operator)`, { path: url(others(madeUp)), token, ...validBody() }, { code: "FORBIDDEN" });
      } else if (collection === "rooms" || collection === "attachments") {
        // PROTOCOL: to a non-member every room route answers NOT_FOUND, exactly as for a room that
        // does not exist, so room ids cannot be probed.
        if (outsider) add(`an outsider's real ${collection} id in "${p.name}"`, { path: url(others(outsider)), token, ...validBody() }, { code: "NOT_FOUND" }, { path: url(others(madeUp)), token, ...validBody() });
        add(`a made-up ${collection} id in "${p.name}"`, { path: url(others(madeUp)), token, ...validBody() }, { code: "NOT_FOUND" });
      } else {
        if (outsider) add(`someone else's real ${collection} id in "${p.name}" (answered as a made-up one)`, { path: url(others(outsider)), token, ...validBody() }, {}, { path: url(others(madeUp)), token, ...validBody() });
        // Made-up ids of other kinds: the contract does not say which 4xx (a delete may be idempotent).
        add(`a made-up id in "${p.name}"`, { path: url(others(madeUp)), token, ...validBody() }, { successOk: true });
      }
    } else if (typesOf(p.schema ?? {}).includes("string")) {
      add(`path traversal in "${p.name}"`, { path: url(others("../../../../etc/passwd")), token, ...validBody() }, {});
      add(`an over-long "${p.name}"`, { path: url(others("x".repeat(2_000))), token, ...validBody() }, {});
    }
  }

  // 3. Query parameters.
  for (const p of queryParams) {
    const rest = baseQuery.filter(([k]) => k !== p.name);
    const base = String(sample(doc, p.schema ?? {}, p.name));
    add(`NUL in query parameter "${p.name}"`, { path: url(realPath, [...rest, [p.name, `${base}${NUL}`]]), token, ...validBody() }, { code: "VALIDATION", field: p.name });
    add(`query parameter "${p.name}" given twice (an array)`, { path: url(realPath, [...rest, [p.name, base], [p.name, base]]), token, ...validBody() }, { code: "VALIDATION", field: p.name });
    if (typesOf(p.schema ?? {}).some((t) => t === "integer" || t === "number")) {
      add(`query parameter "${p.name}" not a number`, { path: url(realPath, [...rest, [p.name, "abc"]]), token, ...validBody() }, { code: "VALIDATION", field: p.name });
    }
    if (p.name === "roomId") {
      add(
        `an outsider's real room id in query "roomId" (answered as a made-up one)`,
        { path: url(realPath, [...rest, ["roomId", fx.outsiderRoom]]), token },
        { successOk: true },
        { path: url(realPath, [...rest, ["roomId", randomUUID()]]), token },
      );
    }
  }
  if (queryParams.length) {
    const strings = fc.sample(fc.tuple(fc.nat({ max: queryParams.length - 1 }), fc.string({ unit: "binary", maxLength: 40 })), { numRuns: FUZZ_RUNS, seed: FUZZ_SEED });
    strings.forEach(([i, value], n) => {
      const p = queryParams[i]!;
      const rest = baseQuery.filter(([k]) => k !== p.name);
      add(`fuzz #${n} (seed ${FUZZ_SEED}): query "${p.name}" = ${JSON.stringify(value)}`, { path: url(realPath, [...rest, [p.name, value]]), token, ...validBody() }, { successOk: true });
    });
  }

  // 4. JSON body.
  for (const [v, { schema, full, body }] of baseBodies.entries()) {
    const tag = baseBodies.length > 1 ? ` (variant ${JSON.stringify(Object.values(body as object)[0])})` : "";
    const json = (value: unknown) => ({ path: url(), token, contentType: "application/json", body: JSON.stringify(value) });
    // The valid body with one field changed (an optional field the lean body leaves out comes back for it).
    const poisoned = (f: Field, value: unknown) => withField(withTop(body, full, f.keys[0]!), f.keys, value);
    for (const f of fieldsOf(doc, schema, full)) {
      if (typesOf(f.schema).includes("string") || f.schema.enum || f.schema.format) {
        const original = String(f.keys.reduce<any>((o, k) => o?.[k], full) ?? "");
        add(`NUL in body field "${f.path}"${tag}`, json(poisoned(f, `${original}${NUL}`)), { code: "VALIDATION", field: f.path });
      }
      for (const wrong of wrongTypes(f.schema)) add(`body field "${f.path}" is ${wrong.label}${tag}`, json(poisoned(f, wrong.value)), { code: "VALIDATION", field: f.path });
    }
    if (v > 0) continue;
    for (const [label, raw] of [
      ["an array", "[]"],
      ["a string", '"sweep"'],
      ["a number", "42"],
      ["null", "null"],
      ["malformed JSON", '{"a":'],
    ] as const) {
      add(`body is ${label}`, { path: url(), token, contentType: "application/json", body: raw }, { code: "VALIDATION" });
    }
    const firstString = fieldsOf(doc, schema, full).find((f) => typesOf(f.schema).includes("string") && f.keys.length === 1);
    const big = "x".repeat(OVERSIZED_BYTES);
    add(`body over 1 MB (${OVERSIZED_BYTES} bytes)`, json(firstString ? poisoned(firstString, big) : { ...(body as object), padding: big }), { code: "PAYLOAD_TOO_LARGE" });
    add(`body nested ${NESTING_DEPTH} arrays deep`, { path: url(), token, contentType: "application/json", body: `${"[".repeat(NESTING_DEPTH)}${"]".repeat(NESTING_DEPTH)}` }, { code: ["VALIDATION", "PAYLOAD_TOO_LARGE"] });
    add(`body nested ${NESTING_DEPTH} objects deep`, { path: url(), token, contentType: "application/json", body: `${'{"a":'.repeat(NESTING_DEPTH)}1${"}".repeat(NESTING_DEPTH)}` }, { code: ["VALIDATION", "PAYLOAD_TOO_LARGE"] });
    // fast-check: arbitrary JSON in one field, or as the whole body. Any answer but a 5xx or a hang.
    const fields = fieldsOf(doc, schema, full);
    const fuzz = fc.sample(fc.tuple(fc.nat({ max: fields.length }), fc.jsonValue({ maxDepth: 3 })), { numRuns: FUZZ_RUNS, seed: FUZZ_SEED });
    fuzz.forEach(([i, value], n) => {
      const f = fields[i];
      const mutated = f ? poisoned(f, value) : value;
      add(`fuzz #${n} (seed ${FUZZ_SEED}): ${f ? `field "${f.path}"` : "whole body"} = ${short(JSON.stringify(value) ?? "undefined", 80)}`, json(mutated), { successOk: true });
    });
  }

  // 5. Multipart body.
  if (baseParts && multipartSchema) {
    const mp = (parts: Part[]) => {
      const m = multipart(parts);
      return { path: url(), token, contentType: m.contentType, body: m.body };
    };
    for (const [i, part] of baseParts.entries()) {
      if (part.filename === undefined) {
        add(`NUL in multipart field "${part.name}"`, mp(baseParts.map((q, j) => (j === i ? { ...q, value: `${String(q.value)}${NUL}` } : q))), { code: "VALIDATION", field: part.name });
      } else {
        // PROTOCOL: control characters are removed from a file name, or the upload is refused with 400.
        add(`NUL in the file name of "${part.name}"`, mp(baseParts.map((q, j) => (j === i ? { ...q, filename: `swe${NUL}ep.txt` } : q))), { successOk: true, code: "VALIDATION" });
      }
    }
    const whole = multipart(baseParts);
    add("multipart without a boundary", { path: url(), token, contentType: "multipart/form-data", body: whole.body }, {});
    add("multipart truncated mid-part (no closing boundary)", { path: url(), token, contentType: whole.contentType, body: whole.body.subarray(0, Math.floor(whole.body.length / 2)) }, {});
    const broken = Buffer.from(
      `--${whole.boundary}${CRLF}Content-Disposition: form-data; name="${baseParts[0]!.name}"; filename="a.txt"${CRLF}this header line has no colon${CRLF}${CRLF}hello${CRLF}--${whole.boundary}--${CRLF}`,
    );
    add("multipart part with a malformed header", { path: url(), token, contentType: whole.contentType, body: broken }, {});
    add("multipart with no parts", { path: url(), token, contentType: whole.contentType, body: Buffer.from(`--${whole.boundary}--${CRLF}`) }, {});
    add("JSON sent to a multipart route", { path: url(), token, contentType: "application/json", body: "{}" }, {});
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------

async function pool<T, R>(items: T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await run(items[i]!);
      }
    }),
  );
  return out;
}

describe("hostile-input sweep of every documented REST route", function () {
  this.timeout(60_000);
  const suite = this;
  const { nodes, logs, apis: [api] } = useSweepCluster();
  const fixtureProblems: string[] = [];
  let doc: OpenApiDocument;
  let routes: Route[] = [];
  let reqSeq = 0;
  let sent = 0;
  const reqIds = () => `sweep-${process.pid}-${++reqSeq}`;

  /** The node's error log lines for a request, quoted (the 5xx's cause). */
  const serverSaid = (reqId?: string) => {
    if (!reqId) return "";
    const lines = logs.flatMap((l) => l.errorsFor(reqId));
    return lines.length ? `\n      server log: ${lines.map(quote).join(" / ")}` : "";
  };

  async function runCase(c: Case): Promise<string | null> {
    const node = nodes[++sent % nodes.length]!;
    let first: Wire;
    try {
      first = await send(node.url, c.request);
    } catch (err) {
      return `${c.name}: no answer (${(err as Error).message})`;
    }
    const verdict = judge(first, c.want);
    if (process.env.SWEEP_VERBOSE) console.log(`      ${c.request.method} ${short(c.request.path, 90)} | ${c.name} → ${first.status} ${first.body?.code ?? ""} ${JSON.stringify(first.body?.errors ?? "")}`);
    if (verdict) return `${c.name}: ${verdict}${serverSaid(c.request.reqId)}`;
    if (!c.sameAs) return null;
    let second: Wire;
    try {
      second = await send(node.url, c.sameAs);
    } catch (err) {
      return `${c.name}: the made-up id got no answer (${(err as Error).message})`;
    }
    const code = (w: Wire) => `${w.status} ${w.body && typeof w.body === "object" ? (w.body.code ?? "") : ""}`.trim();
    if (code(first) !== code(second)) return `${c.name}: the real id got ${code(first)} but a made-up id got ${code(second)} (ids can be probed)${serverSaid(c.sameAs.reqId)}`;
    return null;
  }

  before(async function () {
    this.timeout(120_000);
    const res = await fetch(`${nodes[0].url}/api/openapi.json`);
    expect(res.status, "GET /api/openapi.json").to.equal(200);
    doc = (await res.json()) as OpenApiDocument;
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => METHODS.has(method))
        .map(([method, op]) => ({ method, path, op })),
    );

    // Fixtures: alice is the caller; bob shares a room with her; carol and dave have their own.
    const [alice, bob, carol, dave] = await Promise.all(["Alice", "Bob", "Carol", "Dave"].map((n) => signUp(api, n)));
    const room = await groupWith(api, alice!, [bob!], "Sweep room");
    const outsiderRoom = await groupWith(api, carol!, [dave!], "Outsider room");
    const mp3 = await sineAudio(1);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    fx = { alice: alice!, bob: bob!, carol: carol!, room, outsiderRoom, real: {}, outsider: {}, mp3, png };
    fx.real.rooms = room;
    fx.outsider.rooms = outsiderRoom;
    for (const c of ["users", "members", "friends", "follows"]) fx.real[c] = bob!.id;
    fx.real.hls = "index.m3u8";
    fx.real.reactions = "👍";

    // The other ids: each is a convenience (without it that parameter is swept with made-up ids),
    // so one that cannot be made is reported by the first test rather than stopping the sweep.
    const ok = (what: string, r: { status: number; body: any }, ...statuses: number[]) => {
      if (!statuses.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const fixture = async (what: string, make: () => Promise<string | undefined>) => {
      try {
        const id = await make();
        if (!id) fixtureProblems.push(`${what}: no id`);
        return id;
      } catch (err) {
        fixtureProblems.push((err as Error).message);
        return undefined;
      }
    };
    const upload = async (user: TestUser, roomId: string) => {
      const m = multipart([{ name: "file", value: png, filename: "sweep.png", type: "image/png" }]);
      const r = await api.request("POST", `/api/rooms/${roomId}/attachments`, { token: user.accessToken, raw: m.body, headers: { "content-type": m.contentType } });
      return ok("upload an attachment", r, 201).attachment.id as string;
    };
    const message = async (user: TestUser, roomId: string) => ok("send a message", await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text: "hello" }, user.accessToken), 201).message.id as string;
    fx.real["messages:id"] = await fixture("a message in alice's room", () => message(alice!, room));
    await fixture("a message in carol's room", () => message(carol!, outsiderRoom));
    fx.real.attachments = await fixture("alice's attachment", () => upload(alice!, room));
    fx.outsider.attachments = await fixture("carol's attachment", () => upload(carol!, outsiderRoom));
    // A pending invite for alice, and one for dave (someone else's).
    const pendingInvite = async (owner: TestUser, invitee: TestUser, name: string) => {
      const roomId = ok(`create ${name}`, await api.post("/api/rooms", { type: "group", name, memberIds: [invitee.id] }, owner.accessToken), 201).room.id;
      return ok("list invites", await api.get("/api/invites", invitee.accessToken), 200).invites.find((i: { roomId: string }) => i.roomId === roomId)?.id as string | undefined;
    };
    fx.real.invites = await fixture("an invite for alice", () => pendingInvite(bob!, alice!, "Bob's"));
    fx.outsider.invites = await fixture("an invite for dave", () => pendingInvite(carol!, dave!, "Carol's"));
    // A pending friend request to alice, and one between two others.
    const request = async (from: TestUser, to: TestUser) => ok("friend request", await api.post("/api/friends/requests", { userId: to.id }, from.accessToken), 201).request.id as string;
    fx.real.requests = await fixture("a friend request to alice", () => request(bob!, alice!));
    fx.outsider.requests = await fixture("a friend request to dave", () => request(carol!, dave!));
    const playlist = async (user: TestUser) => ok("playlist", await api.post("/api/playlists", { name: "Sweep" }, user.accessToken), 201).playlist.id as string;
    fx.real.playlists = await fixture("alice's playlist", () => playlist(alice!));
    fx.outsider.playlists = await fixture("carol's playlist", () => playlist(carol!));
    const bot = async (user: TestUser) => ok("bot", await api.post("/api/bots", { name: "Sweep" }, user.accessToken), 201).bot.id as string;
    fx.real.bots = await fixture("alice's bot", () => bot(alice!));
    fx.outsider.bots = await fixture("carol's bot", () => bot(carol!));
    // An incoming webhook of alice's room (its id, and the token its URL ends with), and one of carol's.
    const webhook = async (user: TestUser, roomId: string) =>
      ok("webhook", await api.post(`/api/rooms/${roomId}/webhooks`, { kind: "incoming", name: "Sweep" }, user.accessToken), 201).webhook as { id: string; url: string };
    const hook = await fixture("a webhook of alice's room", async () => JSON.stringify(await webhook(alice!, room)));
    if (hook) {
      fx.real.webhooks = JSON.parse(hook).id;
      fx.real.hooks = String(JSON.parse(hook).url).split("/").pop();
    }
    fx.outsider.webhooks = await fixture("a webhook of carol's room", async () => (await webhook(carol!, outsiderRoom)).id);
    fx.real.tracks = await fixture("a track", async () => {
      const m = multipart([
        { name: "title", value: "Sweep" },
        { name: "file", value: mp3, filename: "sweep.mp3", type: "audio/mpeg" },
      ]);
      return ok("upload a track", await api.request("POST", "/api/tracks", { token: alice!.accessToken, raw: m.body, headers: { "content-type": m.contentType } }), 202).track.id;
    });
    fx.real.avatars = await fixture("alice's avatar", async () => {
      const m = multipart([{ name: "avatar", value: png, filename: "me.png", type: "image/png" }]);
      const me = ok("upload an avatar", await api.request("PUT", "/api/me/avatar", { token: alice!.accessToken, raw: m.body, headers: { "content-type": m.contentType } }), 200);
      return String(me.user.avatarUrl ?? "").split("/").pop() || undefined;
    });
    // Push endpoints must be public https addresses; a node that can resolve none from here refuses
    // every one, and the DELETE route is then swept with made-up ids only (not a problem).
    const sub = await api.post("/api/push/subscriptions", { endpoint: "https://push.example.test/sweep", keys: { p256dh: sampleString({}, "p256dh"), auth: sampleString({}, "auth") } }, alice!.accessToken);
    if (sub.status === 201) fx.real.subscriptions = sub.body.subscription.id;

    for (const route of routes) {
      const title = `${route.method.toUpperCase()} ${route.path} answers every hostile input with a coded 4xx`;
      suite.addTest(
        new Mocha.Test(title, async function () {
          const cases = casesFor(doc, route, reqIds);
          const failures = (await pool(cases, 12, runCase)).filter((f): f is string => f !== null);
          // The node must still be up after the whole lot.
          for (const n of nodes) {
            const health = await fetch(`${n.url}/healthz`).then((r) => r.status, (err: Error) => err.message);
            if (health !== 200) failures.push(`node ${n.url} is down afterwards (healthz: ${health})`);
          }
          if (failures.length) {
            expect.fail(`${route.method.toUpperCase()} ${route.path}: ${failures.length} of ${cases.length} hostile cases failed:\n  - ${failures.join("\n  - ")}\n`);
          }
        }),
      );
    }
  });

  it("finds the routes to sweep in GET /api/openapi.json, and real ids to fill their paths with", () => {
    expect(routes.length, "routes in the OpenAPI document").to.be.greaterThan(20);
    for (const must of ["post /api/auth/signup", "get /api/rooms/{id}", "post /api/rooms/{id}/messages", "post /api/rooms/{id}/attachments"]) {
      expect(routes.map((r) => `${r.method} ${r.path}`)).to.include(must);
    }
    expect(fixtureProblems, "fixtures the sweep could not make (those parameters get made-up ids)").to.deep.equal([]);
  });
});
