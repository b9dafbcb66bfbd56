// The baseline for bench/chat.ts: a bare Socket.IO server, no auth and no storage. It speaks just
// enough of the chat protocol for the same generator: `room:join` joins the room and acks;
// `message:send` numbers the message, broadcasts `message:new` to the room (the sender's socket
// included, as the real server does) and acks `{ ok, message }`; `receipt:read` moves the socket's
// read cursor in the room (never backwards, never past the last message) and, when it moved,
// broadcasts `receipt:updated` to the room, as the real server does.
//   node --import tsx bench/bare-server.ts   (PORT, HOST; prints {"msg":"listening","port":N})

import http from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";

const io = new Server({ path: "/socket.io", serveClient: false, transports: ["polling", "websocket"], cors: { origin: true } });
const seqs = new Map<string, number>();
/** Per room: socket id -> last read seq. */
const reads = new Map<string, Map<string, number>>();

type Ack = (reply: object) => void;

io.on("connection", (socket) => {
  socket.on("room:join", (payload: { roomId?: unknown }, ack?: Ack) => {
    if (typeof payload?.roomId !== "string") return ack?.({ ok: false, error: { code: "VALIDATION", message: "roomId" } });
    void socket.join(payload.roomId);
    ack?.({ ok: true, room: { id: payload.roomId }, members: [], missed: [], hasMore: false });
  });
  socket.on("message:send", (payload: { roomId?: unknown; clientMsgId?: unknown; text?: unknown }, ack?: Ack) => {
    const { roomId, clientMsgId, text } = payload ?? {};
    if (typeof roomId !== "string" || typeof text !== "string") return ack?.({ ok: false, error: { code: "VALIDATION", message: "payload" } });
    const seq = (seqs.get(roomId) ?? 0) + 1;
    seqs.set(roomId, seq);
    const message = {
      id: `${roomId}:${seq}`, roomId, seq, senderId: socket.id, type: "text", text, attachments: [],
      clientMsgId, createdAt: new Date().toISOString(),
    };
    io.to(roomId).emit("message:new", message);
    ack?.({ ok: true, message });
  });
  socket.on("receipt:read", (payload: { roomId?: unknown; seq?: unknown }, ack?: Ack) => {
    const { roomId, seq } = payload ?? {};
    if (typeof roomId !== "string" || typeof seq !== "number") return ack?.({ ok: false, error: { code: "VALIDATION", message: "payload" } });
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
