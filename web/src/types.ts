/**
 * Wire types the client relies on (PROTOCOL.md), as the SDK exports them: derived from the
 * server's own schemas in src/protocol, so a field changed there fails this build and the server's
 * type-check together. Reply bodies are typed by the SDK's route catalogue (client.rest.call).
 */
import type { Message } from "@chat-backend/client";

export type {
  AccountExport,
  Attachment,
  CallSignal,
  FeedEvent,
  Friend,
  FriendRequest,
  Invite,
  Message,
  Player,
  Presence,
  PushPayload,
  Room,
  RoomBan,
  RoomMember,
  SearchResult,
  SearchSnippet,
  SignalKind,
  Track,
  User,
} from "@chat-backend/client";

/** One emoji's reactions on a message (`me` only in acks and HTTP answers, else derived by the SDK). */
export type Reaction = Message["reactions"][number];
