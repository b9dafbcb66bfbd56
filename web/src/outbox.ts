/**
 * Messages typed but not yet acknowledged. Each keeps its clientMsgId for life, so a retry (by
 * hand, after a reconnect, or after a reload: the outbox is kept in localStorage) can never
 * store a second copy: the server answers a repeated clientMsgId with the original message.
 */
import { api, ApiError, type SendExtras } from "./api.js";
import { uuid } from "./dom.js";
import { AckError, type Connection } from "./socket.js";
import type { Message } from "./types.js";

export interface PendingMessage {
  roomId: string;
  clientMsgId: string;
  text: string;
  createdAt: string;
  status: "sending" | "failed";
  error?: string;
  /** Refused for good (not a member, invalid): only a manual retry sends it again. */
  permanent?: boolean;
  /** The reply, mentions: sent with the text, every attempt the same. */
  extras?: SendExtras;
  /** What the answered message said, shown while the reply is pending. */
  replyTo?: Message["replyTo"];
}

export class Outbox {
  private readonly items = new Map<string, PendingMessage>();
  private readonly listeners = new Set<(roomId: string) => void>();
  private readonly key: string;

  constructor(
    userId: string,
    private readonly conn: Connection,
    private readonly onSent: (message: Message) => void,
  ) {
    this.key = `chat.outbox.${userId}`;
    try {
      const saved = JSON.parse(localStorage.getItem(this.key) ?? "[]") as PendingMessage[];
      for (const p of saved) this.items.set(p.clientMsgId, { ...p, status: "failed", error: "Not sent yet" });
    } catch {
      // a damaged outbox is dropped
    }
  }

  onChange(fn: (roomId: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  forRoom(roomId: string): PendingMessage[] {
    return [...this.items.values()].filter((p) => p.roomId === roomId).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  send(roomId: string, text: string, extras: SendExtras = {}, replyTo?: Message["replyTo"]): PendingMessage {
    const p: PendingMessage = { roomId, clientMsgId: uuid(), text, createdAt: new Date().toISOString(), status: "sending" };
    if (Object.keys(extras).length) p.extras = extras;
    if (replyTo) p.replyTo = replyTo;
    this.items.set(p.clientMsgId, p);
    this.save();
    void this.attempt(p);
    return p;
  }

  retry(clientMsgId: string): void {
    const p = this.items.get(clientMsgId);
    if (p && p.status !== "sending") void this.attempt(p);
  }

  /** After a reconnect (or the network coming back): every failed message goes again. */
  retryAll(): void {
    for (const p of this.items.values()) if (p.status === "failed" && !p.permanent) void this.attempt(p);
  }

  discard(clientMsgId: string): void {
    const p = this.items.get(clientMsgId);
    if (!p) return;
    this.items.delete(clientMsgId);
    this.save();
    this.notify(p.roomId);
  }

  /** The message arrived (e.g. as message:new before our ack): it is no longer pending. */
  delivered(message: Message): void {
    if (message.clientMsgId && this.items.has(message.clientMsgId)) this.discard(message.clientMsgId);
  }

  private async attempt(p: PendingMessage): Promise<void> {
    p.status = "sending";
    delete p.error;
    delete p.permanent;
    this.notify(p.roomId);
    try {
      const payload = { roomId: p.roomId, clientMsgId: p.clientMsgId, text: p.text, ...p.extras };
      let message: Message;
      try {
        message = (await this.conn.call("message:send", payload)).message;
      } catch (err) {
        // No socket: the same idempotent send over HTTP.
        if (!(err instanceof AckError && err.code === "NOT_CONNECTED")) throw err;
        message = (await api.sendMessage(p.roomId, p.clientMsgId, p.text, p.extras)).message;
      }
      if (this.items.has(p.clientMsgId)) {
        this.items.delete(p.clientMsgId);
        this.save();
      }
      this.onSent(message);
      this.notify(p.roomId);
    } catch (err) {
      if (!this.items.has(p.clientMsgId)) return;
      p.status = "failed";
      p.error = err instanceof ApiError || err instanceof AckError ? err.message : "Not sent";
      const code = err instanceof ApiError || err instanceof AckError ? err.code : "";
      p.permanent = ["VALIDATION", "FORBIDDEN", "NOT_FOUND", "PAYLOAD_TOO_LARGE"].includes(code);
      this.save();
      this.notify(p.roomId);
    }
  }

  private save() {
    const list = [...this.items.values()].map(({ roomId, clientMsgId, text, createdAt, extras, replyTo }) => ({ roomId, clientMsgId, text, createdAt, extras, replyTo }));
    if (list.length) localStorage.setItem(this.key, JSON.stringify(list));
    else localStorage.removeItem(this.key);
  }

  private notify(roomId: string) {
    for (const l of this.listeners) l(roomId);
  }
}
