// One load-generator thread of bench/chat.ts: holds a share of the sockets, sends open-loop at a
// fixed rate, and measures ack latency (emit -> ack) and delivery latency (the send timestamp
// carried in the message text -> message:new at every joined member, the sender's own echo included).
// Driven by messages from the main thread; see WorkerCmd / WorkerReply. Also drives the lean tool of
// the scale-out runner (artillery/runner.ts), which turns on `receipts`. With `mix` on (the `mixed`
// scenario), the events are conversation traffic (bench/chat-mixed.ts) instead of plain sends.

import { randomUUID } from "node:crypto";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { parentPort, threadId } from "node:worker_threads";
import { io, type Socket } from "socket.io-client";
import { ConversationMix, createsMessage, emptyMix, recordKind, type EventKind, type MixResult, type MixSender } from "./chat-mixed.js";
import { newHist, record, SLOT_MS, type Hist } from "./lib/latency-histogram.js";

export interface Member {
  token: string;
  roomId: string;
  send: boolean;
  roomSize: number;
  /** For the mixed scenario's mentions: the member's user id and its room's member ids. */
  userId?: string;
  roomMemberIds?: string[];
}

export interface StepSpec {
  /** Messages/s per sending socket. */
  ratePerSender: number;
  /** Epoch ms (shared by every thread): sending starts; the measured window follows the warm-up. */
  startAt: number;
  warmupMs: number;
  measureMs: number;
  ackTimeoutMs: number;
  /**
   * Read receipts: with each send, the sender first marks its room read up to the newest seq its
   * socket has seen (`receipt:read`), as a client that shows the room would. Off unless set.
   */
  receipts?: boolean;
  /** Conversation traffic (bench/chat-mixed.ts): sends, replies, mentions, reactions, edits. Off unless set. */
  mix?: boolean;
}

export type WorkerCmd =
  | { cmd: "connect"; url: string; members: Member[]; concurrency: number }
  | { cmd: "step"; spec: StepSpec }
  | { cmd: "collect" }
  | { cmd: "close" };

export interface StepResult {
  sentInWindow: number;
  ackOk: number; // of sends made in the window
  ackFailed: number; // non-ok acks of sends made in the window
  ackTimeouts: number;
  errorCodes: Record<string, number>;
  acksDuringWindow: number; // ok acks that arrived inside the window, whenever sent
  expectedDeliveries: number; // ok-acked window sends x room size (sender echo included)
  delivered: number; // message:new received for window sends (at this thread's sockets)
  skippedSends: number; // generator fell > 100 ms behind its schedule and dropped the backlog
  receiptsOk: number; // ok receipt:read acks of window sends (receipts on)
  receiptsFailed: number; // non-ok or timed-out receipt:read of window sends
  receiptUpdates: number; // receipt:updated received in the window
  ackHist: Hist;
  deliveryHist: Hist;
  /** Worst ack (ms) of the sends made in each SLOT_MS slot of the window: when the slow ones happened. */
  worstAckBySlot: number[];
  loopDelayP99Ms: number;
  /** Per event kind, with `mix` on. */
  mix?: MixResult;
}

export type WorkerReply =
  | { type: "connected"; sockets: number; failed: number; firstError?: string }
  | { type: "drained"; outstanding: number }
  | { type: "result"; result: StepResult }
  | { type: "closed" };

const port = parentPort!;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const reply = (r: WorkerReply) => port.postMessage(r);
const PAD = "the quick brown fox jumps over the lazy dog";
const runId = `${randomUUID().slice(0, 8)}-${threadId}`;

interface Sender extends MixSender {
  socket: Socket;
  roomId: string;
  roomSize: number;
}

let sockets: Socket[] = [];
let senders: Sender[] = [];
let win = { from: Infinity, to: -Infinity };
let res: StepResult = emptyResult();
let outstanding = 0;
let msgCounter = 0;
let mixOn = false;
const conversations = new ConversationMix();
const loopDelay = monitorEventLoopDelay({ resolution: 5 });

function emptyResult(): StepResult {
  return {
    sentInWindow: 0, ackOk: 0, ackFailed: 0, ackTimeouts: 0, errorCodes: {}, acksDuringWindow: 0,
    expectedDeliveries: 0, delivered: 0, skippedSends: 0, receiptsOk: 0, receiptsFailed: 0, receiptUpdates: 0,
    ackHist: newHist(), deliveryHist: newHist(), worstAckBySlot: [], loopDelayP99Ms: 0,
  };
}

function onMessage(m: { text?: unknown }) {
  if (typeof m?.text !== "string") return;
  const t = parseFloat(m.text);
  if (t >= win.from && t < win.to) {
    res.delivered++;
    record(res.deliveryHist, now() - t);
  }
}

/** Per socket: the newest seq it has received (for read receipts). */
const lastSeen = new WeakMap<Socket, number>();

function onReceipt() {
  const t = now();
  if (t >= win.from && t < win.to) res.receiptUpdates++;
}

function onUpdated() {
  const t = now();
  if (res.mix && t >= win.from && t < win.to) res.mix.updatesReceived++;
}

function connectOne(url: string, m: Member): Promise<Socket> {
  const socket = io(url, { auth: { token: m.token }, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 20_000 });
  return new Promise<Socket>((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  }).then(async (s) => {
    const ack = await s.timeout(20_000).emitWithAck("room:join", { roomId: m.roomId });
    if (!ack?.ok) throw new Error(`room:join: ${JSON.stringify(ack?.error ?? ack)}`);
    s.on("message:new", (msg: { text?: unknown; seq?: unknown; roomId?: unknown }) => {
      onMessage(msg);
      if (typeof msg?.seq === "number" && msg.seq > (lastSeen.get(s) ?? 0)) lastSeen.set(s, msg.seq);
      if (mixOn && typeof msg?.seq === "number" && typeof msg.roomId === "string") conversations.seen(msg.roomId, msg.seq);
    });
    s.on("receipt:updated", onReceipt);
    s.on("message:updated", onUpdated);
    return s;
  });
}

async function connect(url: string, members: Member[], concurrency: number) {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, members.length) }, async () => {
      while (next < members.length) {
        const m = members[next++]!;
        try {
          const s = await connectOne(url, m);
          sockets.push(s);
          if (m.send) senders.push({ socket: s, roomId: m.roomId, roomSize: m.roomSize, userId: m.userId, roomMemberIds: m.roomMemberIds });
        } catch (err) {
          failed++;
          firstError ??= String((err as Error)?.message ?? err);
        }
      }
    }),
  );
  // Round-robin over a shuffled order spreads each instant's sends over the rooms.
  for (let i = senders.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [senders[i], senders[j]] = [senders[j]!, senders[i]!];
  }
  reply({ type: "connected", sockets: sockets.length, failed, ...(firstError ? { firstError } : {}) });
}

function sendReceipt(s: Sender, inWin: boolean, ackTimeoutMs: number) {
  const seq = lastSeen.get(s.socket) ?? 0;
  if (seq <= 0) return;
  s.socket.timeout(ackTimeoutMs).emit("receipt:read", { roomId: s.roomId, seq }, (err: unknown, ack: { ok?: boolean; error?: { code?: string } }) => {
    if (!inWin) return;
    if (!err && ack?.ok) return void res.receiptsOk++;
    res.receiptsFailed++;
    // Why, beside the sends' codes: a timeout or the node's code.
    const code = `receipt:read ${err ? "timeout" : (ack?.error?.code ?? "?")}`;
    res.errorCodes[code] = (res.errorCodes[code] ?? 0) + 1;
  });
}

function sendOne(s: Sender, ackTimeoutMs: number, receipts: boolean) {
  const t = now();
  const inWin = t >= win.from && t < win.to;
  if (inWin) res.sentInWindow++;
  if (receipts) sendReceipt(s, inWin, ackTimeoutMs);
  outstanding++;
  const clientMsgId = `${runId}-${msgCounter++}`;
  const text = `${t.toFixed(3)}|${PAD}`;
  const e = mixOn
    ? conversations.next(s, clientMsgId, text)
    : { kind: "send" as EventKind, event: "message:send" as const, payload: { roomId: s.roomId, clientMsgId, text }, fellBack: false };
  const mix = res.mix;
  if (inWin && mix) {
    mix.byKind[e.kind].sent++;
    if (e.fellBack) mix.fallbacks++;
  }
  type Ack = { ok?: boolean; error?: { code?: string }; message?: { seq?: unknown } };
  s.socket.timeout(ackTimeoutMs).emit(e.event, e.payload, (err: unknown, ack: Ack) => {
    outstanding--;
    const at = now();
    const ok = !err && ack?.ok === true;
    if (ok && mixOn && createsMessage(e.kind) && typeof ack.message?.seq === "number") conversations.sent(s, ack.message.seq);
    if (ok && at >= win.from && at < win.to) res.acksDuringWindow++;
    if (!inWin) return;
    if (mix) recordKind(mix, e.kind, ok ? "ok" : "failed", at - t);
    if (err) {
      res.ackTimeouts++;
    } else if (!ack?.ok) {
      res.ackFailed++;
      const code = `${mix ? `${e.event} ` : ""}${ack?.error?.code ?? "?"}`;
      res.errorCodes[code] = (res.errorCodes[code] ?? 0) + 1;
    } else {
      res.ackOk++;
      if (createsMessage(e.kind)) res.expectedDeliveries += s.roomSize;
      record(res.ackHist, at - t);
      const slot = Math.floor((t - win.from) / SLOT_MS);
      res.worstAckBySlot[slot] = Math.max(res.worstAckBySlot[slot] ?? 0, at - t);
    }
  });
}

async function step(spec: StepSpec) {
  res = emptyResult();
  mixOn = spec.mix === true;
  if (mixOn) res.mix = emptyMix();
  win = { from: spec.startAt + spec.warmupMs, to: spec.startAt + spec.warmupMs + spec.measureMs };
  const rate = spec.ratePerSender * senders.length; // this thread's msgs/s
  const maxBurst = Math.max(1, Math.ceil(rate * 0.1));
  await sleep(spec.startAt - now());
  let sent = 0;
  let idx = 0;
  let loopReset = false;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const t = now();
      if (!loopReset && t >= win.from) {
        loopDelay.reset();
        loopReset = true;
      }
      if (t >= win.to || !senders.length) {
        clearInterval(timer);
        resolve();
        return;
      }
      let due = Math.floor((rate * (t - spec.startAt)) / 1000) - sent;
      if (due > maxBurst) {
        if (t >= win.from) res.skippedSends += due - maxBurst;
        sent += due - maxBurst;
        due = maxBurst;
      }
      for (let k = 0; k < due; k++) sendOne(senders[idx++ % senders.length]!, spec.ackTimeoutMs, spec.receipts === true);
      sent += Math.max(0, due);
    }, 1);
  });
  res.loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
  const deadline = now() + spec.ackTimeoutMs + 1_000;
  while (outstanding > 0 && now() < deadline) await sleep(10);
  reply({ type: "drained", outstanding });
}

async function close() {
  for (const s of sockets) {
    s.removeAllListeners();
    s.close();
  }
  sockets = [];
  senders = [];
  mixOn = false;
  conversations.clear();
  reply({ type: "closed" });
}

loopDelay.enable();
port.on("message", (c: WorkerCmd) => {
  if (c.cmd === "connect") void connect(c.url, c.members, c.concurrency);
  else if (c.cmd === "step") void step(c.spec);
  else if (c.cmd === "collect") reply({ type: "result", result: res });
  else if (c.cmd === "close") void close();
});
