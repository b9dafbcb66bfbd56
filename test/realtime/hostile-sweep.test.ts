// A hostile-input sweep of every client-to-server Socket.IO event (PROTOCOL.md, "Errors", "Socket.IO"
// and "Details every client relies on": sizes, rate limits, NOT_FOUND for non-members, Hardening).
// The events come from CLIENT_EVENTS (src/protocol/client-events.ts), which cannot drift from
// ClientToServerEvents, and each has a valid payload below in a map typed by the same declaration:
// an event added later does not type-check until it has one, and is then swept like the others.
//
// Each event gets: no payload and non-object payloads, a wrong type in each field, NUL in each
// string, a payload just under and one well over the 1 MB frame limit, and an outsider's real room
// (and message) id against a made-up one. Every case expects an error ack with a code, then the
// socket must still be connected, a valid emit of the same event must ack, and both nodes must be
// up. One `it` per event; its failure lists every failing case with what the node logged meanwhile.
// SWEEP_VERBOSE=1 prints every case and its ack.
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import type { Socket } from "socket.io-client";
import { CLIENT_EVENTS, type ClientEvent } from "../../src/protocol/client-events.js";
import type { ClientToServerEvents } from "../../src/realtime/events.js";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import { badTokens, NUL, quote, useSweepCluster } from "../helpers/hostile.js";
import type { TestNode } from "../helpers/nodes.js";
import { groupWith } from "../helpers/rooms.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";

type Payload<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[0];

interface World {
  alice: TestUser;
  bob: TestUser;
  carol: TestUser;
  /** alice and bob's room, with messages. */
  room: string;
  /** carol's room (alice is not a member), with a message of carol's. */
  outsiderRoom: string;
  outsiderMessageId: string;
  /** A message of alice's in `room`, for edits. */
  messageId: string;
  api: Api;
}

let w: World;

async function sendMessage(user: TestUser, roomId: string, text = "hello"): Promise<string> {
  const res = await w.api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text }, user.accessToken);
  if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.message.id;
}

/**
 * A valid payload of every client event, for the socket that sends it (already set up as the event
 * needs: call:signal needs the sender and its peer in the room's call). Hostile variants are made
 * from these one field at a time, so each reaches the handler that field leads to.
 */
const VALID: { [E in ClientEvent]: (s: ClientSocket) => Promise<Payload<E>> } = {
  "room:join": async () => ({ roomId: w.room, afterSeq: 0 }),
  "room:leave": async () => ({ roomId: w.room }),
  "message:send": async () => ({ roomId: w.room, clientMsgId: randomUUID(), text: "hello from the sweep" }),
  "message:edit": async () => ({ roomId: w.room, messageId: w.messageId, text: "edited by the sweep" }),
  "message:delete": async () => ({ roomId: w.room, messageId: await sendMessage(w.alice, w.room, "to be deleted") }),
  "reaction:add": async () => ({ roomId: w.room, messageId: w.messageId, emoji: "👍" }),
  "reaction:remove": async () => ({ roomId: w.room, messageId: w.messageId, emoji: "👍" }),
  "receipt:read": async () => ({ roomId: w.room, seq: 1 }),
  typing: async () => ({ roomId: w.room, isTyping: true }),
  sync: async () => ({ rooms: { [w.room]: 0 } }),
  "presence:set": async () => ({ status: "online" }),
  "call:join": async () => ({ roomId: w.room }),
  "call:leave": async () => ({ roomId: w.room }),
  "call:signal": async (s) => {
    await ask(s, "call:join", [{ roomId: w.room }]);
    return { roomId: w.room, toUserId: w.bob.id, kind: "offer", data: { type: "offer", sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" } };
  },
  "player:set": async () => ({ roomId: w.room, trackId: null, positionMs: 0, playing: false }),
  "player:get": async () => ({ roomId: w.room }),
};

/** Fields whose value is any JSON by contract (a wrong type there is not an error); NUL still is. */
const OPAQUE: Partial<Record<ClientEvent, string[]>> = { "call:signal": ["data"] };

/**
 * Events a non-member may send for any room id and get the same `ok` as for a made-up one: leaving
 * is idempotent and reveals nothing (call:leave must work for a member removed mid-call).
 */
const LEAVE_EVENTS: ReadonlySet<ClientEvent> = new Set(["room:leave", "call:leave"]);

// ---------------------------------------------------------------------------------------------
// One emit and what became of it: an ack, a dropped connection, or nothing at all.

const ACK_TIMEOUT_MS = 5_000;

type Outcome = { kind: "ack"; reply: any; ms: number } | { kind: "disconnect"; reason: string } | { kind: "timeout" };

function ask(socket: ClientSocket, event: string, args: unknown[], timeoutMs = ACK_TIMEOUT_MS): Promise<Outcome> {
  const s = socket as unknown as Socket;
  const started = Date.now();
  return new Promise((resolve) => {
    if (!s.connected) return resolve({ kind: "disconnect", reason: "was not connected" });
    const done = (o: Outcome) => {
      clearTimeout(timer);
      s.off("disconnect", onDisconnect);
      resolve(o);
    };
    const onDisconnect = (reason: string) => done({ kind: "disconnect", reason });
    const timer = setTimeout(() => done({ kind: "timeout" }), timeoutMs);
    s.on("disconnect", onDisconnect);
    s.emit(event, ...args, (reply: unknown) => done({ kind: "ack", reply, ms: Date.now() - started }));
  });
}

const shown = (v: unknown, max = 140) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

/** null when the outcome is an error ack with a code (of `codes`, naming `field`); else why not. */
function judgeError(o: Outcome, want: { codes?: string[]; field?: string } = {}): string | null {
  if (o.kind === "disconnect") return `the connection was closed (${o.reason}) instead of an error ack`;
  if (o.kind === "timeout") return `no ack within ${ACK_TIMEOUT_MS} ms`;
  const r = o.reply;
  if (!r || typeof r !== "object" || r.ok !== false || !r.error || typeof r.error.code !== "string" || typeof r.error.message !== "string") {
    return `ack ${shown(r)}, want { ok: false, error: { code, message } }`;
  }
  if (want.codes && !want.codes.includes(r.error.code)) return `ack ${r.error.code} "${r.error.message}", want ${want.codes.join(" or ")}`;
  if (r.error.code === "INTERNAL") return `ack INTERNAL "${r.error.message}"`;
  if (want.field !== undefined) {
    const f = want.field;
    const paths: string[] = Array.isArray(r.error.errors) ? r.error.errors.map((e: { path?: string }) => String(e?.path)) : [];
    const named = paths.some((p) => p === f || p.startsWith(`${f}.`)) || String(r.error.message).includes(f);
    if (!named) return `ack ${r.error.code} "${r.error.message}" ${paths.length ? `errors[].path ${shown(paths)} ` : ""}does not name "${f}"`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Payload surgery.

interface Leaf {
  /** Dotted path, as errors[].path names it. */
  path: string;
  keys: string[];
  value: unknown;
  opaque: boolean;
}

function leavesOf(value: unknown, opaqueTop: string[], keys: string[] = []): Leaf[] {
  if (value !== null && typeof value === "object") {
    const out: Leaf[] = [];
    for (const [k, v] of Object.entries(value)) {
      const at = [...keys, k];
      const opaque = opaqueTop.includes(at[0]!);
      if (v !== null && typeof v === "object") out.push({ path: at.join("."), keys: at, value: v, opaque }, ...leavesOf(v, opaqueTop, at));
      else out.push({ path: at.join("."), keys: at, value: v, opaque });
    }
    return out;
  }
  return [];
}

function withValue(payload: unknown, keys: string[], value: unknown): unknown {
  const copy = structuredClone(payload) as Record<string, unknown>;
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return copy;
}

/** Renames a key (record keys are data too: sync's room ids). */
function withKey(payload: unknown, keys: string[], newKey: string): unknown {
  const copy = structuredClone(payload) as Record<string, unknown>;
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  const v = at[last];
  delete at[last];
  at[newKey] = v;
  return copy;
}

/** Every occurrence of `from` (as a value or as a key) replaced by `to`. */
function swapIds(value: unknown, swaps: Map<string, string>): unknown {
  if (typeof value === "string") return swaps.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => swapIds(v, swaps));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [swaps.get(k) ?? k, swapIds(v, swaps)]));
  }
  return value;
}

function wrongTypes(v: unknown): { label: string; value: unknown }[] {
  switch (typeof v) {
    case "string":
      return [
        { label: "a number", value: 12345 },
        { label: 'an operator object {"$gt":""}', value: { $gt: "" } },
      ];
    case "number":
      return [
        { label: "a string", value: "1" },
        { label: "null", value: null },
      ];
    case "boolean":
      return [
        { label: "a string", value: "true" },
        { label: "a number", value: 1 },
      ];
    default:
      return v === null ? [{ label: "a number", value: 12345 }] : [{ label: "a string", value: "x" }];
  }
}

/** The payload with one string grown to `bytes` (the text where there is one: what a client would send). */
function oversized(payload: Record<string, unknown>, bytes: number): unknown {
  const big = "x".repeat(bytes);
  for (const key of ["text", "data"]) if (key in payload) return { ...payload, [key]: big };
  const firstString = Object.entries(payload).find(([, v]) => typeof v === "string");
  if (firstString) return { ...payload, [firstString[0]]: big };
  // sync: a room id as long as that.
  return { ...payload, rooms: { [big]: 0 } };
}

// ---------------------------------------------------------------------------------------------

describe("hostile-input sweep of every client socket event", function () {
  this.timeout(60_000);
  const open: ClientSocket[] = [];
  // Registered before the nodes' own after hook: the sockets close before their nodes stop.
  after(() => {
    for (const s of open.splice(0)) s.close();
  });
  const { nodes, logs, apis: [api] } = useSweepCluster();
  let bobSocket: ClientSocket;

  const connect = async (node: TestNode, user: TestUser) => {
    const s = await connectSocket(node.url, user.accessToken);
    open.push(s);
    return s;
  };

  /** What the nodes logged (warn and above) since `marks`, quoted: a failing case's server side. */
  const loggedSince = (marks: number[]) => {
    const lines = logs.flatMap((l, i) => l.since(marks[i]!));
    return lines.length ? `\n      server log: ${lines.slice(0, 3).map(quote).join(" / ")}` : "";
  };

  const nodesUp = async (): Promise<string[]> => {
    const down: string[] = [];
    for (const n of nodes) {
      const health = await fetch(`${n.url}/healthz`).then((r) => r.status, (err: Error) => err.message);
      if (health !== 200) down.push(`node ${n.url} is down afterwards (healthz: ${health})`);
    }
    return down;
  };

  before(async function () {
    this.timeout(120_000);
    const [alice, bob, carol, dave] = await Promise.all(["Alice", "Bob", "Carol", "Dave"].map((n) => signUp(api, n)));
    const room = await groupWith(api, alice!, [bob!], "Sweep room");
    const outsiderRoom = await groupWith(api, carol!, [dave!], "Outsider room");
    w = { alice: alice!, bob: bob!, carol: carol!, room, outsiderRoom, outsiderMessageId: "", messageId: "", api };
    w.messageId = await sendMessage(alice!, room);
    w.outsiderMessageId = await sendMessage(carol!, outsiderRoom, "private");
    // bob waits in the room's call, so alice's call:signal has someone to reach.
    bobSocket = await connect(nodes[1]!, bob!);
    const joined = await ask(bobSocket, "call:join", [{ roomId: room }]);
    if (joined.kind !== "ack" || !joined.reply.ok) throw new Error(`bob's call:join: ${shown(joined)}`);
  });

  it("lists in CLIENT_EVENTS exactly the events src/ registers handlers for", async () => {
    // CLIENT_EVENTS and ClientToServerEvents come from one declaration; this keeps both equal to
    // what the handler groups (realtime/, media/, calls) actually register. A registration this
    // scan cannot read (an event name in a variable) shows up here as a missing event.
    const root = path.resolve(import.meta.dirname, "../../src");
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== "generated") await walk(path.join(dir, e.name));
        else if (e.name.endsWith(".ts")) files.push(path.join(dir, e.name));
      }
    };
    await walk(root);
    const registered = new Set<string>();
    for (const file of files) {
      const text = await readFile(file, "utf8");
      // socket.on("event", …) and acked(socket, deps, "event", …), however the lines break.
      for (const m of text.matchAll(/\bsocket\.on\(\s*"([^"]+)"/g)) registered.add(m[1]!);
      for (const m of text.matchAll(/\backed\(\s*[\w.]+\s*,\s*[\w.]+\s*,\s*"([^"]+)"/g)) registered.add(m[1]!);
    }
    for (const reserved of ["disconnect", "disconnecting", "error"]) registered.delete(reserved);
    expect([...registered].sort(), "socket.on( events in src/ vs CLIENT_EVENTS").to.deep.equal([...CLIENT_EVENTS].sort());
  });

  it("refuses a handshake with a missing, forged, alg:none, expired or ghost token (connect_error 'unauthorized')", async () => {
    const failures: string[] = [];
    for (const [label, token] of Object.entries({ "no token": "", ...badTokens(w.alice.accessToken) })) {
      const outcome = await connectSocket(nodes[0]!.url, token).then(
        (s) => {
          s.close();
          return "connected";
        },
        (e: Error) => e.message,
      );
      if (outcome !== "unauthorized") failures.push(`${label}: ${outcome}`);
    }
    if (failures.length) expect.fail(`handshake:\n  - ${failures.join("\n  - ")}`);
  });

  CLIENT_EVENTS.forEach((event, i) => {
    it(`${event}: every hostile payload gets an error ack with a code, and the socket and node survive`, async () => {
      const node = nodes[i % nodes.length]!;
      let socket = await connect(node, w.alice);
      const base = (await VALID[event](socket)) as Record<string, unknown>;
      const failures: string[] = [];
      let cases = 0;

      /** Runs one case; reconnects when the case cost the connection, so the next starts clean. */
      const check = async (name: string, args: unknown[], judge: (o: Outcome) => string | null) => {
        cases++;
        const marks = logs.map((l) => l.mark());
        const outcome = await ask(socket, event, args);
        const verdict = judge(outcome);
        if (process.env.SWEEP_VERBOSE) console.log(`      ${event} | ${name} → ${outcome.kind === "ack" ? shown(outcome.reply, 200) : outcome.kind}`);
        if (verdict) failures.push(`${name}: ${verdict}${loggedSince(marks)}`);
        if (!(socket as unknown as Socket).connected) {
          if (!verdict && outcome.kind !== "disconnect") failures.push(`${name}: the connection was closed afterwards`);
          socket = await connect(node, w.alice);
        }
        return outcome;
      };

      // Not an object.
      await check("no payload at all", [], (o) => judgeError(o, { codes: ["VALIDATION"] }));
      for (const [label, value] of [
        ["a string", "room"],
        ["a number", 42],
        ["null", null],
        ["an array", [base]],
        ["true", true],
        ["an empty object", {}],
      ] as const) {
        await check(`payload is ${label}`, [value], (o) => judgeError(o, { codes: ["VALIDATION"] }));
      }

      // Field by field: wrong types and NUL.
      for (const leaf of leavesOf(base, OPAQUE[event] ?? [])) {
        if (!leaf.opaque && (leaf.value === null || typeof leaf.value !== "object")) {
          for (const wrong of wrongTypes(leaf.value)) {
            await check(`"${leaf.path}" is ${wrong.label}`, [withValue(base, leaf.keys, wrong.value)], (o) => judgeError(o, { codes: ["VALIDATION"], field: leaf.path }));
          }
        }
        if (typeof leaf.value === "string") {
          await check(`NUL in "${leaf.path}"`, [withValue(base, leaf.keys, `${leaf.value}${NUL}`)], (o) => judgeError(o, { codes: ["VALIDATION"], field: leaf.path }));
        }
        // A key that is data (sync's room ids) may carry NUL as well.
        const parent = leaf.keys.slice(0, -1).join(".");
        const key = leaf.keys.at(-1)!;
        if (parent && /^[0-9a-f-]{36}$/.test(key)) {
          await check(`NUL in the key "${leaf.path}"`, [withKey(base, leaf.keys, `${key}${NUL}`)], (o) => judgeError(o, { codes: ["VALIDATION"], field: parent }));
        }
      }

      // Sizes: frames up to 1 MB are accepted (PROTOCOL), so a payload under it gets an error ack,
      // never a disconnect. A frame over it is refused by engine.io before any handler could
      // answer (maxHttpBufferSize): that connection closes, as README says, and the next one
      // (check() reconnects) and the node are unharmed; an error ack would do as well.
      await check("a 0.9 MB payload (under the 1 MB frame limit)", [oversized(base, 900_000)], (o) => judgeError(o));
      const overLimit = await check("a 1.5 MB payload (over the 1 MB frame limit)", [oversized(base, 1_500_000)], (o) =>
        o.kind === "disconnect" ? null : judgeError(o),
      );
      if (overLimit.kind === "disconnect" && !/transport (close|error)/.test(overLimit.reason)) failures.push(`1.5 MB frame: closed with "${overLimit.reason}", want the transport's close`);

      // An outsider's real room (and message) vs made-up ones: the same answer, NOT_FOUND.
      if (JSON.stringify(base).includes(w.room)) {
        const real = swapIds(base, new Map([[w.room, w.outsiderRoom], [w.messageId, w.outsiderMessageId]]));
        const madeUp = swapIds(base, new Map([[w.room, randomUUID()], [w.messageId, randomUUID()]]));
        // sync answers per room: an outsider's room may be refused inside an ok ack.
        const codeOf = (o: Outcome, payload: unknown): string => {
          if (o.kind !== "ack") return o.kind === "disconnect" ? `disconnect (${o.reason})` : "no ack";
          if (o.reply?.ok === false) return String(o.reply.error?.code);
          if (event === "sync") {
            const id = Object.keys((payload as { rooms: object }).rooms)[0]!;
            return o.reply?.rooms?.[id]?.error?.code ?? `ok with ${shown(o.reply?.rooms?.[id], 60)}`;
          }
          return "ok";
        };
        const wanted = LEAVE_EVENTS.has(event) ? ["NOT_FOUND", "ok"] : ["NOT_FOUND"];
        const first = await check("an outsider's real room id", [real], (o) => {
          const code = codeOf(o, real);
          return wanted.includes(code) ? null : `answered ${code}${o.kind === "ack" && o.reply?.error ? ` "${o.reply.error.message}"` : ""}, want NOT_FOUND as for a made-up room`;
        });
        await check("a made-up room id", [madeUp], (o) => {
          const code = codeOf(o, madeUp);
          if (!wanted.includes(code)) return `answered ${code}, want NOT_FOUND`;
          const realCode = codeOf(first, real);
          return code === realCode ? null : `answered ${code} but the outsider's real room got ${realCode} (room ids can be probed)`;
        });
      }

      // Still connected: a valid emit of the same event acks ok.
      cases++;
      const valid = await VALID[event](socket);
      const good = await ask(socket, event, [valid]);
      if (good.kind !== "ack" || good.reply?.ok !== true) failures.push(`the valid payload afterwards: ${good.kind === "ack" ? `ack ${shown(good.reply)}` : good.kind}`);
      failures.push(...(await nodesUp()));
      socket.close();
      if (failures.length) expect.fail(`${event}: ${failures.length} of ${cases} cases failed:\n  - ${failures.join("\n  - ")}\n`);
    });
  });

  it("answers an unknown event at once with NOT_FOUND 'unknown event', and the socket survives", async () => {
    const socket = await connect(nodes[0]!, w.alice);
    const names = ["reaction:add", "mesage:send", `sweep:${randomUUID()}`].filter((n) => !(CLIENT_EVENTS as readonly string[]).includes(n));
    expect(names.length).to.be.greaterThan(1);
    const failures: string[] = [];
    for (const name of names) {
      for (const args of [[{ roomId: w.room }], []]) {
        const o = await ask(socket, name, args, 1_000);
        const want = { ok: false, error: { code: "NOT_FOUND", message: "unknown event" } };
        if (o.kind !== "ack") failures.push(`${name}(${args.length ? "payload" : "no payload"}): ${o.kind === "timeout" ? "no ack within 1 s" : `disconnected (${o.reason})`}`);
        else if (JSON.stringify(o.reply) !== JSON.stringify(want)) failures.push(`${name}: ack ${shown(o.reply)}, want ${JSON.stringify(want)}`);
      }
    }
    const good = await ask(socket, "room:join", [{ roomId: w.room }]);
    if (good.kind !== "ack" || good.reply?.ok !== true) failures.push(`a room:join afterwards: ${good.kind === "ack" ? shown(good.reply) : good.kind}`);
    failures.push(...(await nodesUp()));
    if (failures.length) expect.fail(`unknown events:\n  - ${failures.join("\n  - ")}`);
  });

  for (const event of ["typing", "sync"] as const) {
    it(`refuses a burst of 2,000 ${event} events from one socket in part with RATE_LIMITED, acking every one`, async () => {
      const socket = await connect(nodes[0]!, w.alice);
      const payload = await VALID[event](socket);
      const marks = logs.map((l) => l.mark());
      const outcomes = await Promise.all(Array.from({ length: 2_000 }, () => ask(socket, event, [payload], 20_000)));
      const count = (pred: (o: Outcome) => boolean) => outcomes.filter(pred).length;
      const limited = count((o) => o.kind === "ack" && o.reply?.ok === false && o.reply.error?.code === "RATE_LIMITED");
      const ok = count((o) => o.kind === "ack" && o.reply?.ok === true);
      const others = outcomes.filter((o) => !(o.kind === "ack" && (o.reply?.ok === true || o.reply?.error?.code === "RATE_LIMITED")));
      const failures: string[] = [];
      if (limited === 0) failures.push(`none of 2,000 was answered RATE_LIMITED (${ok} ok)`);
      if (others.length) {
        const kinds = new Map<string, number>();
        for (const o of others) {
          const k = o.kind === "ack" ? `ack ${o.reply?.error?.code ?? shown(o.reply, 60)}` : o.kind;
          kinds.set(k, (kinds.get(k) ?? 0) + 1);
        }
        failures.push(`${others.length} answered neither ok nor RATE_LIMITED: ${[...kinds].map(([k, n]) => `${n} × ${k}`).join(", ")}${loggedSince(marks)}`);
      }
      const good = await ask(socket, "room:join", [{ roomId: w.room }]);
      if (good.kind !== "ack" || good.reply?.ok !== true) failures.push(`a room:join afterwards: ${good.kind === "ack" ? shown(good.reply) : good.kind}`);
      failures.push(...(await nodesUp()));
      if (failures.length) expect.fail(`${event} flood (${ok} ok, ${limited} RATE_LIMITED):\n  - ${failures.join("\n  - ")}`);
    });
  }
});
