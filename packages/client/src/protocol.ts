/**
 * The wire types, from the one place they are declared: the server's zod schemas and socket event
 * maps in src/protocol (PROTOCOL.md). Nothing here is written by hand, so a payload that changes on
 * the server fails this package's type-check. The bundle inlines those modules and the declaration
 * output carries their types inside the package (see tsconfig.json).
 */
export type { AuthReply, TokenPairReply } from "../../../src/protocol/accounts.js";
export type { Attachment } from "../../../src/protocol/attachments.js";
export type { CallSignal, CallUpdated, IceServer, SignalKind } from "../../../src/protocol/calls.js";
export type { AccountExport } from "../../../src/protocol/exports.js";
export type { Friend, FriendRequest } from "../../../src/protocol/friends.js";
export type { Player } from "../../../src/protocol/player.js";
export type { PushPayload } from "../../../src/protocol/push.js";
export type { Report, RoomReport } from "../../../src/protocol/reports.js";
export type { RoomBan, RoomMute } from "../../../src/protocol/room-admin.js";
export type { Track } from "../../../src/protocol/tracks.js";
export type { AckError as AckFailure, FieldErrorWire as FieldError, Problem } from "../../../src/protocol/errors.js";
export type { FeedEvent, FeedEventType } from "../../../src/protocol/feed.js";
export type { Invite } from "../../../src/protocol/invites.js";
export type { Message, MessagePage } from "../../../src/protocol/messages.js";
export type { Presence, PresenceStatus, PresenceUpdated } from "../../../src/protocol/presence.js";
export type { ReceiptUpdated } from "../../../src/protocol/receipts.js";
export type { JoinedMember, Room, RoomMember } from "../../../src/protocol/rooms.js";
export type { SearchResult, SearchSnippet } from "../../../src/protocol/search.js";
export type { Typing } from "../../../src/protocol/typing.js";
export type { User } from "../../../src/protocol/users.js";
export type {
  AckReply,
  AckResult,
  ClientEvent,
  ClientPayload,
  ClientToServerEvents,
  ServerEvent,
  ServerPayload,
  ServerToClientEvents,
} from "../../../src/protocol/socket-maps.js";

import type { CatchUpSchema } from "../../../src/protocol/messages.js";
import type { z } from "zod";
/** One room's answer to `sync` (and the shape room:join's catch-up is read into). */
export type CatchUp = z.output<typeof CatchUpSchema>;
