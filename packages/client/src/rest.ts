/**
 * Typed REST calls (PROTOCOL.md): `call(name, args)` for any route of the catalogue (routes.ts),
 * named helpers for what a chat client does most, and `request` for a route the catalogue lacks.
 */
import type { Http, HttpMethod, RequestOptions } from "./http.js";
import type { Message } from "./protocol.js";
import { fillPath, ROUTES, type RouteCallArgs, type RouteName, type RouteResult } from "./routes.js";

/** What a message may carry besides its text (the body of POST /api/rooms/:id/messages). */
export interface SendExtras {
  attachmentIds?: string[];
  replyToSeq?: number;
  mentions?: string[];
  mentionsRoom?: boolean;
}

const SEND_EXTRAS = ["attachmentIds", "replyToSeq", "mentions", "mentionsRoom"] as const satisfies readonly (keyof SendExtras)[];

/** The send fields of `source` (an outbox item, an older client's saved extras), and nothing else. */
export function sendExtrasOf(source: { [K in keyof SendExtras]?: unknown } | undefined): SendExtras {
  const extras: SendExtras = {};
  for (const key of SEND_EXTRAS) if (source?.[key] !== undefined) Object.assign(extras, { [key]: source[key] });
  return extras;
}

export class ChatRest {
  constructor(private readonly http: Http) {}

  /** Any route of the catalogue, its arguments and answer typed from the server's schemas. */
  call<N extends RouteName>(name: N, ...[args]: RouteCallArgs<N>): Promise<RouteResult<N>> {
    const route = ROUTES[name];
    const a = (args ?? {}) as { params?: Record<string, string | number>; query?: Record<string, string | number | boolean | undefined>; body?: unknown; signal?: AbortSignal; timeoutMs?: number };
    return this.http.request<RouteResult<N>>(route.method, fillPath(route.path, a.params), {
      query: a.query,
      body: a.body,
      auth: "auth" in route ? route.auth : true,
      reply: "reply" in route ? route.reply : undefined,
      signal: a.signal,
      timeoutMs: a.timeoutMs,
    });
  }

  /** A route the catalogue does not list (`path` under /api); the answer is not checked. */
  request<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.http.request<T>(method, path, opts);
  }

  /** A file behind the login (an attachment's `url`, a thumbnail, an export's `downloadUrl`), as a Blob. */
  download(url: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Blob> {
    return this.http.download(url, opts);
  }

  me() {
    return this.call("me");
  }
  rooms() {
    return this.call("rooms");
  }
  room(roomId: string) {
    return this.call("room", { params: { id: roomId } });
  }
  openDirect(userId: string) {
    return this.call("createRoom", { body: { type: "direct", userId } });
  }
  createGroup(name: string, memberIds: string[] = []) {
    return this.call("createRoom", { body: { type: "group", name, memberIds } });
  }
  invites() {
    return this.call("invites");
  }
  acceptInvite(inviteId: string) {
    return this.call("acceptInvite", { params: { id: inviteId } });
  }

  /** A page of history, ascending: just before `before` (default the newest), or just after `after`. */
  history(roomId: string, query: { before?: number; after?: number; limit?: number } = {}) {
    return this.call("history", { params: { id: roomId }, query });
  }

  /** Every message after `afterSeq` (default: the whole room), page by page, ascending. */
  async messagesAfter(roomId: string, afterSeq = 0): Promise<Message[]> {
    const all: Message[] = [];
    for (let after = afterSeq; ; ) {
      const page = await this.history(roomId, { after, limit: 100 });
      all.push(...page.messages);
      const last = page.messages.at(-1);
      if (!page.hasMore || !last) return all;
      after = last.seq;
    }
  }

  /** Messages changed (or sent) after `afterRev`, ascending by rev. */
  changes(roomId: string, afterRev: number, limit?: number) {
    return this.call("changes", { params: { id: roomId }, query: { afterRev, limit } });
  }

  /** Sends over HTTP: 201 stored, or 200 with the original when `clientMsgId` was used before. */
  send(roomId: string, clientMsgId: string, text: string, extras: SendExtras = {}) {
    return this.call("send", { params: { id: roomId }, body: { clientMsgId, text, ...extras } });
  }

  /** Moves the caller's read cursor forward (never backwards). */
  markRead(roomId: string, seq: number) {
    return this.call("markRead", { params: { id: roomId }, body: { seq } });
  }

  react(roomId: string, seq: number, emoji: string, add = true) {
    return this.call(add ? "addReaction" : "removeReaction", { params: { id: roomId, seq, emoji } });
  }

  pins(roomId: string) {
    return this.call("pins", { params: { id: roomId } });
  }

  pin(roomId: string, seq: number, pinned = true) {
    return this.call(pinned ? "pin" : "unpin", { params: { id: roomId, seq } });
  }

  /** Messages matching `q` (1–200 characters), newest first, in the caller's rooms or one of them. */
  search(q: string, opts: { roomId?: string; limit?: number; cursor?: string } = {}) {
    return this.call("searchMessages", { query: { q, ...opts } });
  }

  /** One poll of the event feed (see FeedPoller for the loop). */
  events(cursor?: string, timeoutSeconds?: number, signal?: AbortSignal) {
    return this.call("events", { query: { cursor, timeout: timeoutSeconds }, ...(signal ? { signal } : {}), timeoutMs: ((timeoutSeconds ?? 25) + 15) * 1000 });
  }
}
