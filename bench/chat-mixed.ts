// The `mixed` scenario of bench/chat.ts: conversation traffic instead of plain sends. Of the events
// a generator thread sends at the offered rate, 80% are message:send (a tenth of those answer a
// recent message of the room with replyToSeq, a tenth mention one other member), 15% reaction:add
// (on one of the room's newest messages, an emoji from a small set, so some repeat: idempotent
// no-ops on the server) and 5% message:edit (of one of the sender's own newest messages).
// An event whose target is missing (no message seen in the room yet, none of one's own) goes out
// as a plain send instead and is counted as a fallback.

import { merge, newHist, record, type Hist } from "./lib/latency-histogram.js";

export const EVENT_KINDS = ["send", "reply", "mention", "reaction", "edit"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** message:send with one of these kinds creates a message (and a message:new to each member). */
export const createsMessage = (k: EventKind) => k === "send" || k === "reply" || k === "mention";

export interface KindStats {
  sent: number; // in the window
  ok: number;
  failed: number; // non-ok acks and timeouts
  hist: Hist; // emit -> ok ack, ms
}

export interface MixResult {
  byKind: Record<EventKind, KindStats>;
  /** Events sent in the window as a plain send because their kind had no target yet. */
  fallbacks: number;
  /** message:updated received in the window (edits and reactions that changed something, at every joined socket). */
  updatesReceived: number;
}

export function emptyMix(): MixResult {
  const byKind = Object.fromEntries(EVENT_KINDS.map((k) => [k, { sent: 0, ok: 0, failed: 0, hist: newHist() }])) as Record<EventKind, KindStats>;
  return { byKind, fallbacks: 0, updatesReceived: 0 };
}

export function mergeMix(into: MixResult, from: MixResult): void {
  for (const k of EVENT_KINDS) {
    const a = into.byKind[k];
    const b = from.byKind[k];
    a.sent += b.sent;
    a.ok += b.ok;
    a.failed += b.failed;
    merge(a.hist, b.hist);
  }
  into.fallbacks += from.fallbacks;
  into.updatesReceived += from.updatesReceived;
}

export function recordKind(mix: MixResult, kind: EventKind, outcome: "ok" | "failed", ms = 0): void {
  const s = mix.byKind[kind];
  if (outcome === "ok") {
    s.ok++;
    record(s.hist, ms);
  } else s.failed++;
}

/** What the mix needs to know of a sender: its room, its user and the room's other members (for mentions). */
export interface MixSender {
  roomId: string;
  userId?: string;
  roomMemberIds?: string[];
}

export interface MixEvent {
  kind: EventKind;
  event: "message:send" | "reaction:add" | "message:edit";
  payload: Record<string, unknown>;
  fellBack: boolean;
}

const EMOJI = ["👍", "🎉", "😂", "👀", ":+1:", ":fire:"];
/** Reactions go to one of the room's newest REACT_WINDOW messages, replies to one of its newest RECENT. */
const RECENT = 32;
const REACT_WINDOW = 8;
const OWN = 8;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const push = (ring: number[], seq: number, max: number) => {
  ring.push(seq);
  if (ring.length > max) ring.shift();
};

/** One generator thread's view of the rooms: their newest seqs (from message:new) and each sender's own newest messages (from acks). */
export class ConversationMix {
  private readonly recent = new Map<string, number[]>();
  private readonly own = new WeakMap<MixSender, number[]>();

  /** A message:new seen by one of this thread's sockets (each is seen by every member socket: kept once). */
  seen(roomId: string, seq: number): void {
    let ring = this.recent.get(roomId);
    if (!ring) this.recent.set(roomId, (ring = []));
    if (seq > (ring.at(-1) ?? 0)) push(ring, seq, RECENT);
  }

  /** The ok ack of one of `s`'s sends. */
  sent(s: MixSender, seq: number): void {
    let ring = this.own.get(s);
    if (!ring) this.own.set(s, (ring = []));
    push(ring, seq, OWN);
  }

  clear(): void {
    this.recent.clear();
  }

  /** The next event of `s`; `text` is the timestamped text a send carries (delivery is measured on it). */
  next(s: MixSender, clientMsgId: string, text: string): MixEvent {
    const r = Math.random();
    const recent = this.recent.get(s.roomId) ?? [];
    const send = (kind: EventKind, extra: Record<string, unknown> = {}, fellBack = false): MixEvent => ({
      kind, event: "message:send", payload: { roomId: s.roomId, clientMsgId, text, ...extra }, fellBack,
    });
    if (r < 0.8) {
      const sub = (r / 0.8) * 10; // 0..10: [0,1) reply, [1,2) mention
      if (sub < 1) return recent.length ? send("reply", { replyToSeq: pick(recent) }) : send("send", {}, true);
      if (sub < 2) {
        const others = (s.roomMemberIds ?? []).filter((id) => id !== s.userId);
        return others.length ? send("mention", { mentions: [pick(others)] }) : send("send", {}, true);
      }
      return send("send");
    }
    if (r < 0.95) {
      if (!recent.length) return send("send", {}, true);
      const seq = pick(recent.slice(-REACT_WINDOW));
      return { kind: "reaction", event: "reaction:add", payload: { roomId: s.roomId, messageId: `${s.roomId}:${seq}`, emoji: pick(EMOJI) }, fellBack: false };
    }
    const mine = this.own.get(s);
    if (!mine?.length) return send("send", {}, true);
    return { kind: "edit", event: "message:edit", payload: { roomId: s.roomId, messageId: `${s.roomId}:${pick(mine)}`, text: `${text} (edited)` }, fellBack: false };
  }
}
