/**
 * Wire types the client relies on (PROTOCOL.md), all derived from the server's own schemas in
 * src/protocol: entities, reply bodies and the socket event maps. Type imports only, so nothing
 * of the server (nor zod) is bundled; a field changed there fails this build and the server's
 * type-check together, instead of a user's session.
 */
import type { z } from "zod";
import type { AttachmentReply as AttachmentReplySchema } from "../../src/protocol/attachments.js";
import type { CallParticipantsReply as CallParticipantsSchema, IceServersReply as IceServersSchema } from "../../src/protocol/calls.js";
import type { EventsReply as EventsReplySchema } from "../../src/protocol/feed.js";
import type * as friends from "../../src/protocol/friends.js";
import type { InviteAnswerReply as InviteAnswerReplySchema, InvitesReply as InvitesReplySchema } from "../../src/protocol/invites.js";
import type { BlockedUsersReply as BlockedUsersReplySchema } from "../../src/protocol/blocks.js";
import type { MentionsPage as MentionsPageSchema } from "../../src/protocol/mentions.js";
import type { ChangesPageSchema, Message as WireMessage, MessageReply as MessageReplySchema } from "../../src/protocol/messages.js";
import type { PinsReply as PinsReplySchema } from "../../src/protocol/pins.js";
import type { ChartReply as ChartReplySchema } from "../../src/protocol/plays.js";
import type { VapidKeyReply as VapidKeyReplySchema } from "../../src/protocol/push.js";
import type { ReadReply as ReadReplySchema } from "../../src/protocol/receipts.js";
import type * as rooms from "../../src/protocol/rooms.js";
import type { SearchReply as SearchReplySchema } from "../../src/protocol/search.js";
import type { TrackPage as TrackPageSchema, TrackReply as TrackReplySchema } from "../../src/protocol/tracks.js";
import type { UserPage, UserReply as UserReplySchema } from "../../src/protocol/users.js";
import type { ExportReply as ExportReplySchema } from "../../src/protocol/exports.js";
import type { BanReply as BanReplySchema, BansReply as BansReplySchema, MuteMemberReply as MuteMemberReplySchema } from "../../src/protocol/room-admin.js";
import type { ReportReply as ReportReplySchema } from "../../src/protocol/reports.js";

export type { AuthReply, TokenPairReply } from "../../src/protocol/accounts.js";
export type { Attachment } from "../../src/protocol/attachments.js";
export type { CallSignal, CallUpdated, IceServer, SignalKind } from "../../src/protocol/calls.js";
export type { FeedEvent } from "../../src/protocol/feed.js";
export type { Friend, FriendRequest } from "../../src/protocol/friends.js";
export type { Invite } from "../../src/protocol/invites.js";
export type { Message, MessagePage } from "../../src/protocol/messages.js";
export type { Player } from "../../src/protocol/player.js";
export type { Presence, PresenceStatus } from "../../src/protocol/presence.js";
export type { PushPayload } from "../../src/protocol/push.js";
export type { JoinedMember, Room, RoomMember } from "../../src/protocol/rooms.js";
export type { SearchResult, SearchSnippet } from "../../src/protocol/search.js";
export type { ClientToServerEvents, ServerToClientEvents } from "../../src/protocol/socket-maps.js";
export type { Track } from "../../src/protocol/tracks.js";
export type { User } from "../../src/protocol/users.js";
export type { AccountExport } from "../../src/protocol/exports.js";
export type { RoomBan, RoomMute } from "../../src/protocol/room-admin.js";
export type { Report, RoomReport } from "../../src/protocol/reports.js";

// Reply bodies of the routes the client calls.
export type UserReply = z.output<typeof UserReplySchema>;
export type UsersReply = z.output<typeof UserPage>;
export type FriendsReply = z.output<typeof friends.FriendsReply>;
export type FriendRequestLists = z.output<typeof friends.FriendRequestLists>;
export type FriendRequestReply = z.output<typeof friends.FriendRequestReply>;
export type RoomReply = z.output<typeof rooms.RoomReply>;
export type RoomsReply = z.output<typeof rooms.RoomsReply>;
export type RoomDetailReply = z.output<typeof rooms.RoomDetailReply>;
export type InvitesReply = z.output<typeof InvitesReplySchema>;
export type InviteAnswerReply = z.output<typeof InviteAnswerReplySchema>;
export type MessageReply = z.output<typeof MessageReplySchema>;
export type ChangesPage = z.output<typeof ChangesPageSchema>;
export type PinsReply = z.output<typeof PinsReplySchema>;
export type MentionsPage = z.output<typeof MentionsPageSchema>;
export type BlockedUsersReply = z.output<typeof BlockedUsersReplySchema>;
/** One emoji's reactions on a message (`me` only in acks and HTTP answers). */
export type Reaction = NonNullable<WireMessage["reactions"]>[number];
export type ReadReply = z.output<typeof ReadReplySchema>;
export type EventsReply = z.output<typeof EventsReplySchema>;
export type AttachmentReply = z.output<typeof AttachmentReplySchema>;
export type TrackReply = z.output<typeof TrackReplySchema>;
export type TrackPage = z.output<typeof TrackPageSchema>;
export type ChartReply = z.output<typeof ChartReplySchema>;
export type SearchReply = z.output<typeof SearchReplySchema>;
export type IceServersReply = z.output<typeof IceServersSchema>;
export type CallParticipantsReply = z.output<typeof CallParticipantsSchema>;
export type VapidKeyReply = z.output<typeof VapidKeyReplySchema>;
export type ExportReply = z.output<typeof ExportReplySchema>;
export type BanReply = z.output<typeof BanReplySchema>;
export type BansReply = z.output<typeof BansReplySchema>;
export type MuteMemberReply = z.output<typeof MuteMemberReplySchema>;
export type ReportReply = z.output<typeof ReportReplySchema>;
