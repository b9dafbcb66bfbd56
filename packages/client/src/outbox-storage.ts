/**
 * Where the outbox keeps its unacknowledged sends: in memory (the default outside browsers), or
 * in Web Storage (localStorage in a browser: the sends survive a page reload and are retried with
 * the same clientMsgId). One key per send, so adding or removing one never rewrites the others.
 * Sends kept the old web client's way (one array under one key) are moved over once, on load.
 */
import { sendExtrasOf, type SendExtras } from "./rest.js";

/** A send not yet acknowledged. Its clientMsgId is fixed for life: every retry uses it. */
export interface OutboxItem extends SendExtras {
  roomId: string;
  clientMsgId: string;
  text: string;
  /** When it was queued (ISO-8601), and its place in the queue (sends go out in that order). */
  createdAt: string;
  order: number;
  /** Refused for good (VALIDATION, FORBIDDEN, NOT_FOUND …): kept, but only retry() sends it again. */
  failed?: { code: string; message: string };
  /** The last attempt failed for now (TIMEOUT, NETWORK, RATE_LIMITED …): it is tried again after a backoff. */
  lastError?: { code: string; message: string };
}

export interface OutboxStorage {
  load(): OutboxItem[];
  put(item: OutboxItem): void;
  remove(clientMsgId: string): void;
}

export class MemoryOutboxStorage implements OutboxStorage {
  private readonly items = new Map<string, OutboxItem>();
  load(): OutboxItem[] {
    return [...this.items.values()].map((i) => ({ ...i }));
  }
  put(item: OutboxItem): void {
    this.items.set(item.clientMsgId, { ...item });
  }
  remove(clientMsgId: string): void {
    this.items.delete(clientMsgId);
  }
}

/** The part of the Web Storage API used here (localStorage, sessionStorage, or a stand-in). */
export interface WebStorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class WebStorageOutbox implements OutboxStorage {
  /**
   * `prefix` names this outbox's keys: give each user their own (a shared browser). `legacyKey`:
   * where an older client kept its sends as one JSON array ({ roomId, clientMsgId, text,
   * createdAt, extras }); they are moved to keys of their own on load, and that key removed.
   */
  constructor(
    private readonly storage: WebStorageLike,
    private readonly prefix: string,
    private readonly legacyKey?: string,
  ) {}

  load(): OutboxItem[] {
    this.migrate();
    const items: OutboxItem[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (!key?.startsWith(this.prefix)) continue;
      try {
        const item = JSON.parse(this.storage.getItem(key) ?? "null") as OutboxItem | null;
        if (item && typeof item.roomId === "string" && typeof item.clientMsgId === "string" && typeof item.text === "string") items.push(item);
      } catch {
        // a damaged entry is skipped (and left for the user's storage tools)
      }
    }
    return items;
  }

  put(item: OutboxItem): void {
    this.storage.setItem(this.prefix + item.clientMsgId, JSON.stringify(item));
  }

  remove(clientMsgId: string): void {
    this.storage.removeItem(this.prefix + clientMsgId);
  }

  private migrate(): void {
    const raw = this.legacyKey === undefined ? null : this.storage.getItem(this.legacyKey);
    if (raw === null) return;
    let list: unknown = [];
    try {
      list = JSON.parse(raw);
    } catch {
      // damaged: nothing to move
    }
    // Queued before anything kept per key: they keep going out first, in their own order.
    const old = Array.isArray(list) ? list : [];
    old.forEach((entry: unknown, i) => {
      const item = legacyItem(entry, i - old.length);
      if (item && this.storage.getItem(this.prefix + item.clientMsgId) === null) this.put(item);
    });
    this.storage.removeItem(this.legacyKey!);
  }
}

/** An entry of the old array (`extras` held the reply and mentions) as an item, or null when it is not one. */
function legacyItem(entry: unknown, order: number): OutboxItem | null {
  if (!entry || typeof entry !== "object") return null;
  const e = entry as { roomId?: unknown; clientMsgId?: unknown; text?: unknown; createdAt?: unknown; extras?: Record<string, unknown> };
  if (typeof e.roomId !== "string" || typeof e.clientMsgId !== "string" || typeof e.text !== "string") return null;
  const createdAt = typeof e.createdAt === "string" ? e.createdAt : new Date().toISOString();
  return { roomId: e.roomId, clientMsgId: e.clientMsgId, text: e.text, createdAt, order, ...sendExtrasOf(e.extras) };
}

/** localStorage when this runs in a browser page that has it (and allows it), else memory; `legacyKey` as WebStorageOutbox takes it. */
export function defaultOutboxStorage(prefix: string, legacyKey?: string): OutboxStorage {
  try {
    const storage = (globalThis as { window?: { localStorage?: WebStorageLike } }).window?.localStorage;
    if (storage) return new WebStorageOutbox(storage, prefix, legacyKey);
  } catch {
    // storage disabled (private mode, sandboxed frame): keep the outbox in memory
  }
  return new MemoryOutboxStorage();
}
