// The world bench/resync.ts measures, built through the app's own doors: a client user and a few
// writers, members of every room (signups and room creation over HTTP, memberships by SQL as in
// bench/chat-setup.ts); a history the client has seen (message:send from the writers' sockets);
// the client's position per room then ({ afterSeq, afterRev }, from a seq-only `sync`); and,
// while it is offline, new messages and changes to the history (reaction:add, message:edit,
// message:delete), shuffled together and sent with a bounded number in flight.

import pg from "pg";
import { io, type Socket } from "socket.io-client";
import { fetchJson, signUp } from "./lib/api-client.js";
import type { BenchDatabase } from "./lib/bench-database.js";
import { mapConcurrently } from "./lib/map-concurrently.js";

export interface Position {
  afterSeq: number;
  afterRev: number;
}

export interface World {
  client: { id: string; token: string };
  roomIds: string[];
  /** Where the client was in each room when it went offline. */
  positions: Map<string, Position>;
  /** Per room: how many messages came while it was offline, and which of its older messages changed. */
  expectedNew: Map<string, number>;
  expectedChanged: Map<string, Set<number>>;
  /** Changes that landed, by kind; messages per room while offline, busiest and quietest. */
  changes: Record<ChangeKind, number>;
  newPerRoom: { max: number; min: number };
  /** Acks that were not ok (seeding), by event and code. */
  errors: Record<string, number>;
}

export interface SeedOptions {
  rooms: number;
  /** Messages per room the client has seen before it goes offline. */
  history: number;
  messages: number;
  changes: number;
  /** The share of the new messages that lands in the busiest tenth of the rooms (0: uniform). */
  skew: number;
  writers: number;
  inFlight: number;
}

type ChangeKind = "reaction" | "edit" | "delete";
interface Op {
  writer: number;
  event: "message:send" | "reaction:add" | "message:edit" | "message:delete";
  payload: Record<string, unknown>;
  roomId: string;
  /** For a change: what it changes. */
  change?: { kind: ChangeKind; seq: number };
}

const PAD = "the quick brown fox jumps over the lazy dog";
const EMOJI = ["👍", "🎉", "😂", "👀", ":+1:", ":fire:"];
const ACK_TIMEOUT_MS = 30_000;
const rand = (n: number) => Math.floor(Math.random() * n);

export function connectSocket(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 20_000 });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Runs `ops` with at most `inFlight` awaiting their ack; `onOk` gets each ok ack; failures are tallied in `errors`. */
async function run(sockets: Socket[], ops: Op[], inFlight: number, errors: Record<string, number>, onOk: (op: Op, ack: any) => void) {
  await mapConcurrently(ops.length, inFlight, async (i) => {
    const op = ops[i]!;
    let ack: any;
    try {
      ack = await sockets[op.writer]!.timeout(ACK_TIMEOUT_MS).emitWithAck(op.event, op.payload);
    } catch {
      ack = { ok: false, error: { code: "TIMEOUT" } };
    }
    if (ack?.ok) onOk(op, ack);
    else {
      const key = `${op.event} ${ack?.error?.code ?? "?"}`;
      errors[key] = (errors[key] ?? 0) + 1;
    }
  });
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

export async function seedWorld(url: string, db: BenchDatabase, o: SeedOptions, log: (s: string) => void): Promise<World> {
  const tag = Date.now().toString(36);
  const users = await mapConcurrently(o.writers + 1, 10, async (i) => {
    const b = await signUp(url, { email: `resync-${tag}-${i}@example.test`, password: "bench password 123", displayName: i ? `Writer ${i}` : "Client" });
    return { id: b.user.id, token: b.accessToken };
  });
  const client = users[0]!;
  const writers = users.slice(1);
  const owner = writers[0]!;
  const roomIds = await mapConcurrently(o.rooms, 20, async (r) => {
    const b = await fetchJson(`${url}/api/rooms`, { json: { type: "group", name: `resync room ${r}` }, token: owner.token });
    return b.room.id as string;
  });
  const others = users.filter((u) => u !== owner).map((u) => u.id);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO "Membership" ("roomId", "userId") SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`,
      [roomIds.flatMap((r) => others.map(() => r)), roomIds.flatMap(() => others)],
    );
    await c.query("ANALYZE");
  } finally {
    await c.end();
  }
  const sockets = await Promise.all(writers.map((w) => connectSocket(url, w.token)));
  const errors: Record<string, number> = {};
  try {
    // The history: `history` messages per room, round-robin over the rooms, each from a random writer.
    const senderOf = new Map<string, number>(); // "room:seq" -> writer
    const lastSeq = new Map<string, number>();
    const send = (roomId: string, writer: number, text: string): Op => ({
      writer, roomId, event: "message:send", payload: { roomId, clientMsgId: `${tag}-${Math.random().toString(36).slice(2)}`, text },
    });
    const history = Array.from({ length: o.rooms * o.history }, (_, i) => send(roomIds[i % o.rooms]!, rand(writers.length), `history ${i} ${PAD}`));
    let t0 = performance.now();
    await run(sockets, history, o.inFlight, errors, (op, ack) => {
      senderOf.set(`${op.roomId}:${ack.message.seq}`, op.writer);
      lastSeq.set(op.roomId, Math.max(lastSeq.get(op.roomId) ?? 0, ack.message.seq));
    });
    log(`history: ${history.length} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // The client's position: the seq-only form answers the room's current rev.
    const positions = new Map<string, Position>();
    const cs = await connectSocket(url, client.token);
    try {
      const ack = await cs.timeout(60_000).emitWithAck("sync", { rooms: Object.fromEntries(roomIds.map((r) => [r, lastSeq.get(r) ?? 0])) });
      if (!ack?.ok) throw new Error(`sync for the positions: ${JSON.stringify(ack)}`);
      for (const r of roomIds) {
        const a = ack.rooms[r];
        if (a.messages.length) throw new Error(`room ${r} has messages past its history (${a.messages.length})`);
        positions.set(r, { afterSeq: lastSeq.get(r) ?? 0, afterRev: a.rev });
      }
    } finally {
      cs.close();
    }

    // Offline: new messages (a tenth of the rooms get `skew` of them) and changes to older messages.
    const hot = Math.max(1, Math.ceil(o.rooms / 10));
    const roomOfNew = () => (Math.random() < o.skew ? rand(hot) : hot >= o.rooms ? rand(o.rooms) : hot + rand(o.rooms - hot));
    const ops: Op[] = Array.from({ length: o.messages }, (_, i) => send(roomIds[roomOfNew()]!, rand(writers.length), `new ${i} ${PAD}`));
    const planned = new Map(roomIds.map((r) => [r, new Set<number>()]));
    const deleted = new Set<string>();
    const reacted = new Set<string>();
    for (let i = 0; i < o.changes; i++) {
      const roomId = roomIds[i % o.rooms]!;
      const older = Array.from({ length: positions.get(roomId)!.afterSeq }, (_, k) => k + 1).filter((s) => senderOf.has(`${roomId}:${s}`) && !deleted.has(`${roomId}:${s}`));
      if (!older.length) continue;
      const untouched = older.filter((s) => !planned.get(roomId)!.has(s));
      const r = Math.random();
      let kind: ChangeKind = r < 0.5 ? "reaction" : r < 0.9 ? "edit" : "delete";
      if (kind === "delete" && !untouched.length) kind = "reaction";
      const seq = kind === "delete" ? untouched[rand(untouched.length)]! : older[rand(older.length)]!;
      const messageId = `${roomId}:${seq}`;
      if (kind === "reaction") {
        // An effective change: a writer and emoji that have not reacted to this message yet.
        let writer = rand(writers.length);
        let emoji = EMOJI[rand(EMOJI.length)]!;
        for (let tries = 0; reacted.has(`${messageId}/${writer}/${emoji}`) && tries < 20; tries++) [writer, emoji] = [rand(writers.length), EMOJI[rand(EMOJI.length)]!];
        if (reacted.has(`${messageId}/${writer}/${emoji}`)) continue;
        reacted.add(`${messageId}/${writer}/${emoji}`);
        ops.push({ writer, roomId, event: "reaction:add", payload: { roomId, messageId, emoji }, change: { kind, seq } });
      } else if (kind === "edit") {
        ops.push({ writer: senderOf.get(messageId)!, roomId, event: "message:edit", payload: { roomId, messageId, text: `edited ${i} ${PAD}` }, change: { kind, seq } });
      } else {
        deleted.add(messageId);
        ops.push({ writer: senderOf.get(messageId)!, roomId, event: "message:delete", payload: { roomId, messageId }, change: { kind, seq } });
      }
      planned.get(roomId)!.add(seq);
    }
    const expectedNew = new Map(roomIds.map((r) => [r, 0]));
    const expectedChanged = new Map(roomIds.map((r) => [r, new Set<number>()]));
    const changes: Record<ChangeKind, number> = { reaction: 0, edit: 0, delete: 0 };
    t0 = performance.now();
    await run(sockets, shuffle(ops), o.inFlight, errors, (op) => {
      if (op.change) {
        changes[op.change.kind]++;
        expectedChanged.get(op.roomId)!.add(op.change.seq);
      } else expectedNew.set(op.roomId, expectedNew.get(op.roomId)! + 1);
    });
    log(`offline: ${o.messages} messages and ${ops.length - o.messages} changes sent in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const counts = [...expectedNew.values()];
    return {
      client, roomIds, positions, expectedNew, expectedChanged, changes, errors,
      newPerRoom: { max: Math.max(...counts), min: Math.min(...counts) },
    };
  } finally {
    for (const s of sockets) s.close();
  }
}
