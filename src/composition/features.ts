// The node's features, each with its HTTP routes and its socket handler group, handed the ports it
// uses. A feature's name is its files' name in src/domain, src/protocol, src/http/routes and
// src/realtime (docs/architecture.md). The HTTP app and the socket server mount these, in this
// order, and nothing else.
import type { RouteRegistration } from "../http/route.js";
import { registerAccountDeletionRoutes } from "../http/routes/account-deletion.js";
import { registerAccountRoutes } from "../http/routes/accounts.js";
import { registerAdminRoutes } from "../http/routes/admin.js";
import { registerAttachmentRoutes } from "../http/routes/attachments.js";
import { registerBlockRoutes } from "../http/routes/blocks.js";
import { registerBotRoutes } from "../http/routes/bots.js";
import { registerCallRoutes } from "../http/routes/calls.js";
import { registerExportRoutes } from "../http/routes/exports.js";
import { registerFeedRoutes } from "../http/routes/feed.js";
import { registerFollowRoutes } from "../http/routes/follows.js";
import { registerFriendRoutes } from "../http/routes/friends.js";
import { registerInviteRoutes } from "../http/routes/invites.js";
import { registerMentionRoutes } from "../http/routes/mentions.js";
import { registerMessageRoutes } from "../http/routes/messages.js";
import { registerPinRoutes } from "../http/routes/pins.js";
import { registerPlayRoutes } from "../http/routes/plays.js";
import { registerPlaylistRoutes } from "../http/routes/playlists.js";
import { registerPushRoutes } from "../http/routes/push.js";
import { registerReactionRoutes } from "../http/routes/reactions.js";
import { registerReceiptRoutes } from "../http/routes/receipts.js";
import { registerReportRoutes } from "../http/routes/reports.js";
import { registerRoomAdminRoutes } from "../http/routes/room-admin.js";
import { registerRoomRoutes } from "../http/routes/rooms.js";
import { registerSearchRoutes } from "../http/routes/search.js";
import { registerTrackRoutes } from "../http/routes/tracks.js";
import { registerUserRoutes } from "../http/routes/users.js";
import { registerWebhookRoutes } from "../http/routes/webhooks.js";
import type { AckDeps } from "../realtime/ack.js";
import * as callEvents from "../realtime/calls.js";
import type { GroupDeps, SocketGroup } from "../realtime/deps.js";
import * as messageEvents from "../realtime/messages.js";
import * as playerEvents from "../realtime/player.js";
import * as presenceEvents from "../realtime/presence.js";
import * as reactionEvents from "../realtime/reactions.js";
import * as receiptEvents from "../realtime/receipts.js";
import * as roomEvents from "../realtime/rooms.js";
import * as typingEvents from "../realtime/typing.js";
import type { Adapters } from "./adapters.js";
import type { Services } from "./services.js";

export interface Feature {
  name: string;
  routes?: RouteRegistration;
  socket?: SocketGroup;
}

/** What each socket group's acks get: the chat groups' are held to the node's ack budget, the others' are not. */
export interface SocketAcks {
  chat: AckDeps;
  calls: GroupDeps;
  media: GroupDeps;
  presence: GroupDeps;
}

export function listFeatures(s: Services, a: Adapters, acks: SocketAcks): Feature[] {
  const { deps } = s;
  // Built once, not per socket.
  const chat = { ...deps, ...acks.chat };
  const sends = { ...chat, socketSends: a.limits.socketSends };
  const calls = { ...s.calls, ...acks.calls };
  const player = { ...s.player, ...acks.media };
  const presence = { ...s.presence, ...acks.presence };
  return [
    { name: "accounts", routes: (kit) => registerAccountRoutes(kit, deps) },
    { name: "exports", routes: (kit) => registerExportRoutes(kit, s.accountData.exports) },
    { name: "account-deletion", routes: (kit) => registerAccountDeletionRoutes(kit, s.accountData.deletion) },
    { name: "users", routes: (kit) => registerUserRoutes(kit, deps) },
    { name: "friends", routes: (kit) => registerFriendRoutes(kit, deps) },
    { name: "follows", routes: (kit) => registerFollowRoutes(kit, deps) },
    { name: "blocks", routes: (kit) => registerBlockRoutes(kit, deps) },
    { name: "bots", routes: (kit) => registerBotRoutes(kit, deps) },
    { name: "rooms", routes: (kit) => registerRoomRoutes(kit, deps), socket: (socket) => roomEvents.register(socket, chat) },
    { name: "room-admin", routes: (kit) => registerRoomAdminRoutes(kit, deps) },
    { name: "invites", routes: (kit) => registerInviteRoutes(kit, deps) },
    { name: "messages", routes: (kit) => registerMessageRoutes(kit, deps), socket: (socket) => messageEvents.register(socket, sends) },
    { name: "reactions", routes: (kit) => registerReactionRoutes(kit, deps), socket: (socket) => reactionEvents.register(socket, chat) },
    { name: "pins", routes: (kit) => registerPinRoutes(kit, deps) },
    { name: "mentions", routes: (kit) => registerMentionRoutes(kit, deps) },
    { name: "receipts", routes: (kit) => registerReceiptRoutes(kit, deps), socket: (socket) => receiptEvents.register(socket, chat) },
    { name: "typing", socket: (socket) => typingEvents.register(socket, chat) },
    { name: "search", routes: (kit) => registerSearchRoutes(kit, s.search) },
    { name: "feed", routes: (kit) => registerFeedRoutes(kit, { feed: s.feed, metrics: a.metrics }) },
    { name: "attachments", routes: (kit) => registerAttachmentRoutes(kit, s.attachments) },
    { name: "tracks", routes: (kit) => registerTrackRoutes(kit, s.tracks) },
    { name: "plays", routes: (kit) => registerPlayRoutes(kit, s.tracks) },
    { name: "playlists", routes: (kit) => registerPlaylistRoutes(kit, s.playlists) },
    { name: "calls", routes: (kit) => registerCallRoutes(kit, { ...s.calls, iceServers: a.iceServers }), socket: (socket) => callEvents.register(socket, calls) },
    { name: "push", routes: (kit) => registerPushRoutes(kit, s.push) },
    { name: "webhooks", routes: (kit) => registerWebhookRoutes(kit, s.webhooks) },
    { name: "reports", routes: (kit) => registerReportRoutes(kit, { ...deps, reports: a.reports }) },
    { name: "admin", routes: (kit) => registerAdminRoutes(kit, { ...deps, reports: a.reports, audit: a.audit, moderation: a.moderation, socketCensus: a.socketCensus }) },
    { name: "player", socket: (socket) => playerEvents.register(socket, player) },
    { name: "presence", socket: (socket) => presenceEvents.register(socket, presence) },
  ];
}

export const routesOf = (features: readonly Feature[]): RouteRegistration[] => features.flatMap((f) => (f.routes ? [f.routes] : []));
export const socketGroupsOf = (features: readonly Feature[]): SocketGroup[] => features.flatMap((f) => (f.socket ? [f.socket] : []));
