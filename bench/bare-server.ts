// The baseline for bench/chat.ts: a bare Socket.IO server, no auth and no storage. It speaks just
// enough of the chat protocol for the same generator: `room:join` joins the room and acks;
// `message:send` numbers the message, broadcasts `message:new` to the room (the sender's socket
// included, as the real server does) and acks `{ ok, message }`; `receipt:read` moves the socket's
// read cursor in the room (never backwards, never past the last message) and, when it moved,
// broadcasts `receipt:updated` to the room, as the real server does.
// For the mixed scenario it answers the conversation events with the same shapes and broadcasts
// as the real server, from memory: each room's newest RECENT messages are kept in a ring (older
// ones are made up when named, as a minimal message). `message:send` echoes `mentions` /
// `mentionsRoom` and, with `replyToSeq`, carries `replyTo: { seq, senderId, text }` (the first 200
// characters of the original); `reaction:add` / `reaction:remove` change the message's
// `reactions` (idempotent: a repeat changes nothing and broadcasts nothing), ack `{ ok, message }`
// and, when something changed, broadcast `message:updated` with the whole message to the room;
// `message:edit` checks the sender (the socket that sent it: there are no users), sets `text` and
// `editedAt`, acks and broadcasts `message:updated`. No durability, no membership checks, no rev
// bookkeeping beyond a counter: what is left of the real server's work is the wire.
//   node --import tsx bench/bare-server.ts   (PORT, HOST; prints {"msg":"listening","port":N})

import http from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";

const io = new Server({ path: "/socket.io", serveClient: false, transports: ["polling", "websocket"], cors: { origin: true } });
const seqs = new Map<string, number>();
/** Per room: socket id -> last read seq. */
const reads = new Map<string, Map<string, number>>();

interface Reaction {
  emoji: string;
  count: number;
  userIds: string[];
}
interface BareMessage {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  type: "text";
  text: string;
  attachments: never[];
  clientMsgId: string | null;
  createdAt: string;
  rev: number;
  editedAt?: string;
  replyToSeq?: number;
  replyTo?: { seq: number; senderId: string; text: string | null };
  mentions?: string[];
  mentionsRoom?: boolean;
  reactions?: Reaction[];
}

/** Per room: its newest messages by seq (at most RECENT) and its rev counter. */
const RECENT = 256;
const recent = new Map<string, Map<number, BareMessage>>();
const revs = new Map<string, number>();
const nextRev = (roomId: string) => {
  const rev = (revs.get(roomId) ?? 0) + 1;
  revs.set(roomId, rev);
  return rev;
};

function keep(m: BareMessage) {
  let ring = recent.get(m.roomId);
  if (!ring) recent.set(m.roomId, (ring = new Map()));
  ring.set(m.seq, m);
  if (ring.size > RECENT) ring.delete(ring.keys().next().value!);
}

/** The room's message `seq` from the ring, or a minimal one when it has left it (or never was). */
function find(roomId: string, seq: number): BareMessage {
  const m = recent.get(roomId)?.get(seq);
  if (m) return m;
  const made: BareMessage = {
    id: `${roomId}:${seq}`, roomId, seq, senderId: "", type: "text", text: "", attachments: [], clientMsgId: null, createdAt: new Date(0).toISOString(), rev: 0,
  };
  keep(made);
  return made;
}

/** "room:seq" of this room, else null. */
function seqOf(roomId: string, messageId: unknown): number | null {
  if (typeof messageId !== "string" || !messageId.startsWith(`${roomId}:`)) return null;
  const seq = Number(messageId.slice(roomId.length + 1));
  return Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}

type Ack = (reply: object) => void;
const invalid = (ack: Ack | undefined, message: string) => ack?.({ ok: false, error: { code: "VALIDATION", message } });

io.on("connection", (socket) => {
  socket.on("room:join", (payload: { roomId?: unknown }, ack?: Ack) => {
    if (typeof payload?.roomId !== "string") return invalid(ack, "roomId");
    void socket.join(payload.roomId);
    ack?.({ ok: true, room: { id: payload.roomId }, members: [], missed: [], hasMore: false });
  });
  socket.on("message:send", (payload: { roomId?: unknown; clientMsgId?: unknown; text?: unknown; replyToSeq?: unknown; mentions?: unknown; mentionsRoom?: unknown }, ack?: Ack) => {
    const { roomId, clientMsgId, text, replyToSeq, mentions, mentionsRoom } = payload ?? {};
    if (typeof roomId !== "string" || typeof text !== "string") return invalid(ack, "payload");
    const seq = (seqs.get(roomId) ?? 0) + 1;
    seqs.set(roomId, seq);
    const message: BareMessage = {
      id: `${roomId}:${seq}`, roomId, seq, senderId: socket.id, type: "text", text, attachments: [],
      clientMsgId: typeof clientMsgId === "string" ? clientMsgId : null, createdAt: new Date().toISOString(), rev: nextRev(roomId),
    };
    if (typeof replyToSeq === "number") {
      const original = find(roomId, replyToSeq);
      message.replyToSeq = replyToSeq;
      message.replyTo = { seq: replyToSeq, senderId: original.senderId, text: original.text.slice(0, 200) };
    }
    if (Array.isArray(mentions)) message.mentions = mentions.filter((m): m is string => typeof m === "string");
    if (mentionsRoom === true) message.mentionsRoom = true;
    keep(message);
    io.to(roomId).emit("message:new", message);
    ack?.({ ok: true, message });
  });
  for (const [event, add] of [["reaction:add", true], ["reaction:remove", false]] as const) {
    socket.on(event, (payload: { roomId?: unknown; messageId?: unknown; emoji?: unknown }, ack?: Ack) => {
      const { roomId, messageId, emoji } = payload ?? {};
      if (typeof roomId !== "string" || typeof emoji !== "string") return invalid(ack, "payload");
      const seq = seqOf(roomId, messageId);
      if (seq === null) return ack?.({ ok: false, error: { code: "NOT_FOUND", message: "no such message in this room" } });
      const message = find(roomId, seq);
      const reactions = (message.reactions ??= []);
      const r = reactions.find((x) => x.emoji === emoji);
      const mine = r?.userIds.includes(socket.id) ?? false;
      let changed = false;
      if (add && !mine) {
        if (r) {
          r.count++;
          if (r.userIds.length < 10) r.userIds.push(socket.id);
        } else reactions.push({ emoji, count: 1, userIds: [socket.id] });
        changed = true;
      } else if (!add && r && mine) {
        r.count--;
        r.userIds = r.userIds.filter((u) => u !== socket.id);
        if (!r.count) reactions.splice(reactions.indexOf(r), 1);
        changed = true;
      }
      if (changed) {
        message.rev = nextRev(roomId);
        io.to(roomId).emit("message:updated", message);
      }
      ack?.({ ok: true, message });
    });
  }
  socket.on("message:edit", (payload: { roomId?: unknown; messageId?: unknown; text?: unknown }, ack?: Ack) => {
    const { roomId, messageId, text } = payload ?? {};
    if (typeof roomId !== "string" || typeof text !== "string") return invalid(ack, "payload");
    const seq = seqOf(roomId, messageId);
    if (seq === null) return ack?.({ ok: false, error: { code: "NOT_FOUND", message: "no such message in this room" } });
    const message = find(roomId, seq);
    if (message.senderId !== socket.id) return ack?.({ ok: false, error: { code: "FORBIDDEN", message: "only the sender can change a message" } });
    Object.assign(message, { text, editedAt: new Date().toISOString(), rev: nextRev(roomId) });
    io.to(roomId).emit("message:updated", message);
    ack?.({ ok: true, message });
  });
  socket.on("receipt:read", (payload: { roomId?: unknown; seq?: unknown }, ack?: Ack) => {
    const { roomId, seq } = payload ?? {};
    if (typeof roomId !== "string" || typeof seq !== "number") return invalid(ack, "payload");
    let room = reads.get(roomId);
    if (!room) reads.set(roomId, (room = new Map()));
    const before = room.get(socket.id) ?? 0;
    const lastReadSeq = Math.max(before, Math.min(seq, seqs.get(roomId) ?? 0));
    if (lastReadSeq > before) {
      room.set(socket.id, lastReadSeq);
      io.to(roomId).emit("receipt:updated", { roomId, userId: socket.id, lastReadSeq });
    }
    ack?.({ ok: true, lastReadSeq });
  });
});

const server = http.createServer((req, res) => {
  res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "application/json" }).end('{"status":"ok"}');
});
io.attach(server);
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ msg: "listening", port: (server.address() as AddressInfo).port })}\n`);
});

const stop = () => {
  io.disconnectSockets(true);
  io.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3_000).unref();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
