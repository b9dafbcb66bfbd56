import { mentionedIds } from "./mentions.js";
import type { Message } from "./message.js";
import type { BlockRepository } from "./ports/block-repository.js";
import type { PresenceReader } from "./ports/presence.js";
import type { PendingPush, PushCoalescer } from "./ports/push-coalescer.js";
import type { PushSender } from "./ports/push-sender.js";
import type { PushSubscriptionRepository } from "./ports/push-subscriptions.js";
import type { RoomRepository } from "./ports/room-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import type { PushPayload } from "../protocol/push.js";

// Messages stored within this window share one recipients query: a busy node asks the database
// a few times a second, not once per message.
const BATCH_MS = 50;
// A notification older than a day is noise; the push service drops it for a device offline longer.
const PUSH_TTL_SECONDS = 86_400;
// Notification bodies are short; the payload limit of push services is ~4 KB.
const PREVIEW_MAX = 140;

export interface PushNotifierDeps {
  rooms: Pick<RoomRepository, "find">;
  users: Pick<UserRepository, "findManyByIds">;
  presence: PresenceReader;
  pushSubscriptions: PushSubscriptionRepository;
  pushSender: PushSender;
  pushCoalescer: PushCoalescer;
  /** A blocked sender's messages push nothing to the blocker. */
  blocks: Pick<BlockRepository, "blockersOf">;
  /** Messages for one user in one room within this long become one push. */
  windowMs: number;
  onError(err: unknown, what: string): void;
}

/** What the service worker receives (web/src/sw.ts shows it): the protocol's (src/protocol/push.ts). */
export type { PushPayload };

function preview(last: PendingPush["last"]): string {
  const text = last.text.replace(/\s+/g, " ").trim();
  if (!text) return last.type === "file" ? "sent a file" : "new message";
  return text.length > PREVIEW_MAX ? `${text.slice(0, PREVIEW_MAX - 1)}…` : text;
}

/**
 * Web Push for members who are offline (no connected socket on any node): in a room they muted
 * only for messages that mention them; never for messages of someone they blocked. One push per device, coalesced per room over `windowMs` (the first message opens the
 * window; when it closes, one push says how many came and shows the newest). A subscription the
 * push service calls gone (404/410) is deleted.
 */
export class PushNotifier {
  private batch = new Map<string, Message[]>();
  private batchTimer: NodeJS.Timeout | undefined;
  /** Windows this node opened: "<userId> <roomId>" -> timer. */
  private readonly windows = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly deps: PushNotifierDeps) {}

  /** The messages' onMessageStored hook: returns at once, never throws. */
  messageStored(message: Message): void {
    if (this.closed || message.type === "system") return;
    const list = this.batch.get(message.roomId);
    if (list) list.push(message);
    else this.batch.set(message.roomId, [message]);
    this.batchTimer ??= setTimeout(() => this.track(this.flushBatch(), "push batch"), BATCH_MS);
  }

  /** Stops taking messages, sends what is pending now, and waits for the sends. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearTimeout(this.batchTimer);
      this.track(this.flushBatch(), "push batch");
    }
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Crash (tests): drops pending work without sending it. */
  abandon(): void {
    this.closed = true;
    clearTimeout(this.batchTimer);
    this.batch.clear();
    for (const timer of this.windows.values()) clearTimeout(timer);
    this.windows.clear();
  }

  private track(work: Promise<void>, what: string) {
    const p = work.catch((err) => this.deps.onError(err, what)).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private async flushBatch(): Promise<void> {
    this.batchTimer = undefined;
    const batch = this.batch;
    this.batch = new Map();
    if (!batch.size) return;
    const recipients = await this.deps.pushSubscriptions.recipients([...batch.keys()]);
    if (!recipients.length) return;
    const senders = [...new Set([...batch.values()].flat().map((m) => m.senderId))];
    const [presence, blockers] = await Promise.all([
      this.deps.presence.statusOf([...new Set(recipients.map((r) => r.userId))]),
      Promise.all(senders.map(async (id) => [id, await this.deps.blocks.blockersOf(id)] as const)).then((e) => new Map(e)),
    ]);
    const pending: { userId: string; roomId: string; push: PendingPush }[] = [];
    for (const { roomId, userId, muted } of recipients) {
      const p = presence.get(userId);
      if (p?.status !== "offline") continue;
      // Offline now, but connected when a message came (lastSeenAt is their disconnect): that
      // one reached a socket of theirs, so it needs no push.
      const since = p.lastSeenAt ? Date.parse(p.lastSeenAt) : 0;
      const theirs = (batch.get(roomId) ?? []).filter(
        (m) =>
          m.senderId !== userId &&
          Date.parse(m.createdAt) > since &&
          !blockers.get(m.senderId)?.has(userId) &&
          (!muted || mentionedIds(m, [userId]).includes(userId)),
      );
      if (!theirs.length) continue;
      const last = theirs.reduce((a, b) => (b.seq > a.seq ? b : a));
      pending.push({ userId, roomId, push: { count: theirs.length, last: { seq: last.seq, senderId: last.senderId, type: last.type, text: last.text.slice(0, PREVIEW_MAX * 2) } } });
    }
    await Promise.all(
      pending.map(async ({ userId, roomId, push }) => {
        if (await this.deps.pushCoalescer.add(userId, roomId, push)) this.openWindow(userId, roomId);
      }),
    );
  }

  private openWindow(userId: string, roomId: string) {
    const key = `${userId} ${roomId}`;
    const deliver = () => {
      this.windows.delete(key);
      this.track(this.deliver(userId, roomId), "push delivery");
    };
    if (this.closed) return deliver();
    this.windows.set(key, setTimeout(deliver, this.deps.windowMs));
  }

  private async deliver(userId: string, roomId: string): Promise<void> {
    const pending = await this.deps.pushCoalescer.take(userId, roomId);
    if (!pending) return;
    // Back online meanwhile: their client shows the messages; a push would only repeat them.
    if ((await this.deps.presence.statusOf([userId])).get(userId)?.status !== "offline") return;
    const [subscriptions, room, senders] = await Promise.all([
      this.deps.pushSubscriptions.forUsers([userId]),
      this.deps.rooms.find(roomId),
      this.deps.users.findManyByIds([pending.last.senderId]),
    ]);
    if (!subscriptions.length || !room) return;
    const senderName = senders[0]?.displayName ?? "Someone";
    const line = room.type === "direct" ? preview(pending.last) : `${senderName}: ${preview(pending.last)}`;
    const payload: PushPayload = {
      type: "message",
      roomId,
      seq: pending.last.seq,
      count: pending.count,
      title: room.type === "direct" ? senderName : (room.name ?? "Group"),
      body: pending.count > 1 ? `${line} (+${pending.count - 1} more)` : line,
      url: `/#/room/${encodeURIComponent(roomId)}`,
    };
    const body = JSON.stringify(payload);
    // The topic lets the push service replace an undelivered older push of this room.
    const topic = roomId.replace(/-/g, "").slice(0, 32);
    await Promise.all(
      subscriptions.map(async (sub) => {
        const result = await this.deps.pushSender.send(sub, body, { ttlSeconds: PUSH_TTL_SECONDS, topic });
        if (result.ok) return;
        if (result.gone) await this.deps.pushSubscriptions.removeExpired(sub.id);
        else this.deps.onError(new Error(`push refused (${result.status ?? "no status"}): ${result.message}`), "push send");
      }),
    );
  }
}
