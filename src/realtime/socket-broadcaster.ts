import { SpanKind, type Tracer } from "@opentelemetry/api";
import type { BroadcastOperator } from "socket.io";
import type { Broadcaster, RoomBroadcasts, UserBroadcasts } from "../domain/ports/broadcaster.js";
import { replyMismatch } from "../protocol/parse.js";
import { SERVER_EVENT_CATALOGUE } from "../protocol/socket-events.js";
import type { ServerToClientEvents, SocketData } from "./events.js";
import type { ChatServer } from "./deps.js";
import { roomChannel, userChannel } from "./events.js";

type Target = BroadcastOperator<ServerToClientEvents, SocketData>;
type Emitters<M> = { readonly [E in keyof M]: (target: Target, payload: M[E]) => void };

// One emit per event the port may send. Socket.IO types `emit` through a conditional type that
// TypeScript cannot resolve for a generic event name, so a generic `target.emit(event, payload)`
// would need a cast; looked up in these tables instead, each event is emitted with its own
// concrete types, and an event added to the port without an emitter here fails to compile.
const ROOM: Emitters<RoomBroadcasts> = {
  "message:new": (t, p) => t.emit("message:new", p),
  "message:updated": (t, p) => t.emit("message:updated", p),
  "receipt:updated": (t, p) => t.emit("receipt:updated", p),
  typing: (t, p) => t.emit("typing", p),
  "player:updated": (t, p) => t.emit("player:updated", p),
  "call:updated": (t, p) => t.emit("call:updated", p),
};
const USER: Emitters<UserBroadcasts> = {
  event: (t, p) => t.emit("event", p),
  "presence:updated": (t, p) => t.emit("presence:updated", p),
};

export interface SocketBroadcasterOptions {
  /** Told how long each room broadcast took, by event (metrics). */
  timed?: (event: keyof RoomBroadcasts, seconds: number) => void;
  /** Tracing on: each room broadcast is a span, a child of the event or request that sent it. */
  tracer?: Tracer;
  /**
   * Check every payload against its event's schema in the catalogue before it goes out
   * (CHECK_REPLIES, test runs): a mismatch throws, so the use case that broadcast it fails loudly
   * instead of clients receiving what the contract does not describe.
   */
  checkPayloads?: boolean;
}

/** The Broadcaster port on Socket.IO: through the Redis adapter when configured, so every node delivers. */
export class SocketBroadcaster implements Broadcaster {
  private readonly timed?: SocketBroadcasterOptions["timed"];
  private readonly tracer?: Tracer;

  constructor(
    private readonly io: ChatServer,
    private readonly options: SocketBroadcasterOptions = {},
  ) {
    this.timed = options.timed;
    this.tracer = options.tracer;
  }

  private check(event: keyof typeof SERVER_EVENT_CATALOGUE, payload: unknown) {
    const mismatch = replyMismatch(SERVER_EVENT_CATALOGUE[event].payload, payload);
    if (mismatch !== undefined) throw new Error(`broadcast check: ${event} payload does not match its schema: ${mismatch}`);
  }

  toRoom<E extends keyof RoomBroadcasts>(roomId: string, event: E, payload: RoomBroadcasts[E], opts?: { exceptUserId?: string }) {
    if (this.options.checkPayloads) this.check(event, payload);
    const start = this.timed ? performance.now() : 0;
    const span = this.tracer?.startSpan(`broadcast ${event}`, { kind: SpanKind.PRODUCER, attributes: { "socketio.event": event, "chat.room.id": roomId } });
    let target = this.io.to(roomChannel(roomId));
    if (opts?.exceptUserId) target = target.except(userChannel(opts.exceptUserId));
    ROOM[event](target, payload);
    span?.end();
    this.timed?.(event, (performance.now() - start) / 1000);
  }

  toUsers<E extends keyof UserBroadcasts>(userIds: string[], event: E, payload: UserBroadcasts[E]) {
    if (!userIds.length) return;
    if (this.options.checkPayloads) this.check(event, payload);
    USER[event](this.io.to(userIds.map(userChannel)), payload);
  }

  detachUser(userId: string, roomId: string) {
    this.io.in(userChannel(userId)).socketsLeave(roomChannel(roomId));
  }
}
