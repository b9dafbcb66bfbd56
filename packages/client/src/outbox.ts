/**
 * Sends not yet acknowledged (PROTOCOL.md, guarantee 4; docs/clients.md, "Reconnect, resync,
 * resend"). Each send gets a clientMsgId when it is queued and keeps it for every attempt, across
 * reconnects and (with Web Storage) page reloads, so the server stores it once whatever happens to
 * its acks. A send leaves the outbox when it is acked, or when the message shows up by another
 * way (a resync or a broadcast carrying its clientMsgId). Sends go out in queue order, several
 * at once; a refusal (VALIDATION, FORBIDDEN, NOT_FOUND …) is kept aside for the app to show, and
 * only retry() sends it again. How a send travels (socket or HTTP) is the transport's business.
 */
import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { asChatError, ChatError } from "./errors.js";
import { newClientMsgId } from "./ids.js";
import { MemoryOutboxStorage, type OutboxItem, type OutboxStorage } from "./outbox-storage.js";
import type { Message } from "./protocol.js";
import type { SendExtras } from "./rest.js";

/** Sends one item; resolves with the stored message or throws (a ChatError: its code decides). */
export type SendTransport = (item: OutboxItem) => Promise<Message>;

export interface OutboxOptions {
  storage?: OutboxStorage;
  /** Sends awaiting their ack at once (default 16). 1 keeps a room's order even across retries. */
  maxInFlight?: number;
  /** Waits between attempts after a timeout or a busy server (RATE_LIMITED, UNAVAILABLE …). */
  retry?: BackoffOptions;
  newId?: () => string;
}

interface OutboxEvents {
  /** Stored: acknowledged, or seen arriving by another way. */
  sent: [message: Message, item: OutboxItem];
  /** Refused for good; the item stays (failed) until retry() or discard(). */
  failed: [item: OutboxItem, error: ChatError];
  /** An item came, went or changed state. */
  change: [];
}

export interface QueuedSend {
  clientMsgId: string;
  /** Resolves with the stored message; rejects when the send is refused for good or discarded. */
  acked: Promise<Message>;
}

export class Outbox extends Emitter<OutboxEvents> {
  private readonly items = new Map<string, OutboxItem>();
  private readonly inFlight = new Set<string>();
  private readonly retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly attempts = new Map<string, number>();
  private readonly waiters = new Map<string, { resolve: (m: Message) => void; reject: (e: ChatError) => void }>();
  private readonly storage: OutboxStorage;
  private readonly maxInFlight: number;
  private nextOrder = 0;
  private ready = false;

  constructor(
    private readonly transport: SendTransport,
    private readonly opts: OutboxOptions = {},
  ) {
    super();
    this.storage = opts.storage ?? new MemoryOutboxStorage();
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 16);
    for (const item of this.storage.load().sort((a, b) => a.order - b.order)) this.items.set(item.clientMsgId, item);
    this.nextOrder = Math.max(0, ...[...this.items.values()].map((i) => i.order + 1));
  }

  /** Whether sends may go out now (connected and resynced); until then they wait. */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (ready) this.flush();
  }

  /** Queues a message; it goes out when the outbox is ready, and again until it is stored. */
  send(roomId: string, text: string, extras: SendExtras = {}): QueuedSend {
    const item: OutboxItem = { roomId, clientMsgId: (this.opts.newId ?? newClientMsgId)(), text, createdAt: new Date().toISOString(), order: this.nextOrder++, ...extras };
    this.items.set(item.clientMsgId, item);
    this.storage.put(item);
    const acked = new Promise<Message>((resolve, reject) => this.waiters.set(item.clientMsgId, { resolve, reject }));
    acked.catch(() => {}); // a caller who ignores the promise hears of failures through events
    this.emit("change");
    this.flush();
    return { clientMsgId: item.clientMsgId, acked };
  }

  /** The items not yet stored (failed ones included), in queue order; of one room if given. */
  pending(roomId?: string): OutboxItem[] {
    return [...this.items.values()].filter((i) => roomId === undefined || i.roomId === roomId).map((i) => ({ ...i }));
  }

  get size(): number {
    return this.items.size;
  }

  /** A message arrived by another way (a resync, a broadcast): the send it answers is done. */
  delivered(message: Message): boolean {
    const item = message.clientMsgId ? this.items.get(message.clientMsgId) : undefined;
    if (!item || item.roomId !== message.roomId) return false;
    this.settle(item, message);
    return true;
  }

  /** Sends an item again now (same clientMsgId): a failed one, or one waiting out its backoff. */
  retry(clientMsgId: string): void {
    const item = this.items.get(clientMsgId);
    const timer = this.retryTimers.get(clientMsgId);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.retryTimers.delete(clientMsgId);
      this.flush();
      return;
    }
    if (!item?.failed) return;
    delete item.failed;
    this.storage.put(item);
    this.emit("change");
    this.flush();
  }

  /** Gives up on an item (it may still be stored if an attempt already reached the server). */
  discard(clientMsgId: string): void {
    const item = this.items.get(clientMsgId);
    if (!item) return;
    this.forget(item);
    this.waiters.get(clientMsgId)?.reject(new ChatError("DISCARDED", "the send was discarded"));
    this.waiters.delete(clientMsgId);
    this.emit("change");
  }

  /** Resolves once nothing is left to send (failed items aside). */
  drained(): Promise<void> {
    const done = () => [...this.items.values()].every((i) => i.failed);
    if (done()) return Promise.resolve();
    return this.next("change", done).then(() => undefined);
  }

  /** Stops the retry timers (the items stay in storage). */
  close(): void {
    this.ready = false;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private flush(): void {
    if (!this.ready) return;
    for (const item of this.items.values()) {
      if (this.inFlight.size >= this.maxInFlight) return;
      if (item.failed || this.inFlight.has(item.clientMsgId) || this.retryTimers.has(item.clientMsgId)) continue;
      void this.attempt(item);
    }
  }

  private async attempt(item: OutboxItem): Promise<void> {
    const id = item.clientMsgId;
    this.inFlight.add(id);
    this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1);
    try {
      const message = await this.transport(item);
      if (this.items.get(id) === item) this.settle(item, message);
    } catch (thrown) {
      if (this.items.get(id) === item) this.failedAttempt(item, asChatError(thrown));
    } finally {
      this.inFlight.delete(id);
      this.flush();
    }
  }

  private failedAttempt(item: OutboxItem, err: ChatError): void {
    const id = item.clientMsgId;
    if (err.code === "NOT_CONNECTED") {
      // The connection went: everything waits for the next ready (after the resync).
      this.ready = false;
      return;
    }
    if (err.transient) {
      item.lastError = { code: err.code, message: err.message };
      this.emit("change");
      const wait = err.retryAfterMs ?? backoffDelay((this.attempts.get(id) ?? 1) - 1, this.opts.retry);
      this.retryTimers.set(
        id,
        setTimeout(() => {
          this.retryTimers.delete(id);
          this.flush();
        }, wait),
      );
      return;
    }
    item.failed = { code: err.code, message: err.message };
    delete item.lastError;
    this.storage.put(item);
    this.waiters.get(id)?.reject(err);
    this.waiters.delete(id);
    this.emit("failed", { ...item }, err);
    this.emit("change");
  }

  private settle(item: OutboxItem, message: Message): void {
    this.forget(item);
    this.waiters.get(item.clientMsgId)?.resolve(message);
    this.waiters.delete(item.clientMsgId);
    this.emit("sent", message, { ...item });
    this.emit("change");
  }

  private forget(item: OutboxItem): void {
    this.items.delete(item.clientMsgId);
    this.attempts.delete(item.clientMsgId);
    const timer = this.retryTimers.get(item.clientMsgId);
    if (timer !== undefined) clearTimeout(timer);
    this.retryTimers.delete(item.clientMsgId);
    this.storage.remove(item.clientMsgId);
  }
}
