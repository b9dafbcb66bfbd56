/**
 * The Socket.IO event maps (PROTOCOL.md, "Socket.IO"). One declaration types the server's
 * `on`/`emit` and the test and browser clients. Types are not validation: every handler
 * parses its payload with the zod schema in its module.
 */
import type { Message } from "../domain/message.js";
import type { MessagePage } from "../domain/ports/message-store.js";
import type { RoomView } from "../domain/room-views.js";
import type { PlayerView } from "../domain/ports/player-state.js";
import type { CallSignal, SignalKind } from "../domain/ports/call-relay.js";

export interface AckError {
  ok: false;
  error: { code: string; message: string };
}
export type Ack<T extends object = object> = (reply: ({ ok: true } & T) | AckError) => void;

export interface JoinedMember {
  userId: string;
  lastReadSeq: number;
  online: boolean;
}

export interface ClientToServerEvents {
  "room:join": (payload: { roomId: string; afterSeq?: number }, ack: Ack<{ room: RoomView; members: JoinedMember[]; missed: Message[]; hasMore: boolean }>) => void;
  "room:leave": (payload: { roomId: string }, ack: Ack) => void;
  "message:send": (payload: { roomId: string; clientMsgId: string; text: string; attachmentIds?: string[] }, ack: Ack<{ message: Message }>) => void;
  "message:edit": (payload: { roomId: string; messageId: string; text: string }, ack: Ack<{ message: Message }>) => void;
  "message:delete": (payload: { roomId: string; messageId: string }, ack: Ack) => void;
  "receipt:read": (payload: { roomId: string; seq: number }, ack: Ack<{ lastReadSeq: number }>) => void;
  typing: (payload: { roomId: string; isTyping: boolean }, ack: Ack) => void;
  sync: (payload: { rooms: Record<string, number> }, ack: Ack<{ rooms: Record<string, MessagePage> }>) => void;
  /** This device is away (idle) or back; the user is away while every connected device says away. */
  "presence:set": (payload: { status: "online" | "away" }, ack: Ack<{ status: "online" | "away" | "offline" }>) => void;
  "call:join": (payload: { roomId: string }, ack: Ack<{ participants: string[] }>) => void;
  "call:leave": (payload: { roomId: string }, ack: Ack) => void;
  "call:signal": (payload: { roomId: string; toUserId: string; kind: SignalKind; data: unknown }, ack: Ack) => void;
  /** Sets the room's shared player (trackId null stops it); every joined socket gets player:updated. */
  "player:set": (payload: { roomId: string; trackId: string | null; positionMs: number; playing: boolean }, ack: Ack<{ player: PlayerView }>) => void;
  /** The room's player now (null when never set), e.g. after joining. */
  "player:get": (payload: { roomId: string }, ack: Ack<{ player: PlayerView | null }>) => void;
}

export interface ServerToClientEvents {
  "message:new": (message: Message) => void;
  "message:updated": (message: Message) => void;
  "receipt:updated": (payload: { roomId: string; userId: string; lastReadSeq: number }) => void;
  typing: (payload: { roomId: string; userId: string; isTyping: boolean }) => void;
  "presence:updated": (payload: { userId: string; status: string; lastSeenAt: string | null }) => void;
  event: (event: { id: string; type: string; at: string; data: unknown }) => void;
  "call:updated": (payload: { roomId: string; participants: string[] }) => void;
  "call:signal": (payload: CallSignal) => void;
  "player:updated": (payload: PlayerView) => void;
}

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  userId: string;
  sessionId: string;
}

/** Socket.IO room names: one per user (all their sockets), one per chat room (joined sockets). */
export const userChannel = (userId: string) => `user:${userId}`;
export const roomChannel = (roomId: string) => `room:${roomId}`;
/** Every socket of one login, so a revoked session's sockets can be closed together. */
export const sessionChannel = (sessionId: string) => `session:${sessionId}`;
