/**
 * The REST routes a chat client uses, as data: method, path under /api, and the server's own zod
 * schemas for the query, the body and the success answer (the same ones its routes validate
 * with, src/protocol). The argument and result types of every call are derived from here;
 * test/client/live.test.ts checks each entry against the server's OpenAPI document.
 */
import type { z } from "zod";
import { DeleteMeBody } from "../../../src/protocol/account-deletion.js";
import { AuthReplySchema, LoginBody, RefreshBody, SignupBody, TokenPair } from "../../../src/protocol/accounts.js";
import { AttachmentReply } from "../../../src/protocol/attachments.js";
import { BlockedUsersReply } from "../../../src/protocol/blocks.js";
import { CallParticipantsReply, IceServersReply } from "../../../src/protocol/calls.js";
import { ExportReply } from "../../../src/protocol/exports.js";
import { EventsQuery, EventsReply } from "../../../src/protocol/feed.js";
import { FriendRequestBody, FriendRequestLists, FriendRequestReply, FriendsReply } from "../../../src/protocol/friends.js";
import { InviteAnswerReply, InviteBody, InvitesReply } from "../../../src/protocol/invites.js";
import { MentionsPage, MentionsQuery } from "../../../src/protocol/mentions.js";
import { ChangesPageSchema, ChangesQuery, MessageListQuery, MessagePageSchema, MessageReply, RepliesQuery, SendMessageBody } from "../../../src/protocol/messages.js";
import { PinsReply } from "../../../src/protocol/pins.js";
import { ChartQuery, ChartReply } from "../../../src/protocol/plays.js";
import { SubscribeBody, SubscriptionReply, VapidKeyReply } from "../../../src/protocol/push.js";
import { ReadBody, ReadReply } from "../../../src/protocol/receipts.js";
import { ReportBody, ReportReply } from "../../../src/protocol/reports.js";
import { BanBody, BanReply, BansReply, MuteMemberBody, MuteMemberReply, RoleBody, RoomPatchBody, TransferBody } from "../../../src/protocol/room-admin.js";
import { CreateRoomBody, RoomDetailReply, RoomReply, RoomsReply } from "../../../src/protocol/rooms.js";
import { SearchQuery, SearchReply } from "../../../src/protocol/search.js";
import { TrackListQuery, TrackPage, TrackReply } from "../../../src/protocol/tracks.js";
import { UpdateMeBody, UserPage, UserReply, UserSearchQuery } from "../../../src/protocol/users.js";
import type { HttpMethod } from "./http.js";

export interface RouteDef {
  method: HttpMethod;
  /** Under /api; `:name` segments are path parameters. */
  path: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The body is multipart/form-data (an upload): a FormData with the fields the route documents. */
  form?: true;
  /** The body of a success answer; absent for 204. */
  reply?: z.ZodType;
  /** false: no Authorization (sign-in routes). */
  auth?: false;
}

export const ROUTES = {
  signup: { method: "POST", path: "/auth/signup", body: SignupBody, reply: AuthReplySchema, auth: false },
  login: { method: "POST", path: "/auth/login", body: LoginBody, reply: AuthReplySchema, auth: false },
  refresh: { method: "POST", path: "/auth/refresh", body: RefreshBody, reply: TokenPair, auth: false },
  logout: { method: "POST", path: "/auth/logout", body: RefreshBody, auth: false },
  me: { method: "GET", path: "/me", reply: UserReply },
  updateMe: { method: "PATCH", path: "/me", body: UpdateMeBody, reply: UserReply },
  /** Multipart field `avatar`: a png, jpeg or webp image. */
  setAvatar: { method: "PUT", path: "/me/avatar", form: true, reply: UserReply },
  /** The password again; a wrong one is 403 FORBIDDEN and nothing is done. */
  deleteMe: { method: "DELETE", path: "/me", body: DeleteMeBody },
  requestExport: { method: "POST", path: "/me/export", reply: ExportReply },
  exportStatus: { method: "GET", path: "/me/exports/:id", reply: ExportReply },
  user: { method: "GET", path: "/users/:id", reply: UserReply },
  searchUsers: { method: "GET", path: "/users", query: UserSearchQuery, reply: UserPage },
  friends: { method: "GET", path: "/friends", reply: FriendsReply },
  friendRequests: { method: "GET", path: "/friends/requests", reply: FriendRequestLists },
  requestFriend: { method: "POST", path: "/friends/requests", body: FriendRequestBody, reply: FriendRequestReply },
  acceptFriend: { method: "POST", path: "/friends/requests/:id/accept", reply: FriendRequestReply },
  declineFriend: { method: "POST", path: "/friends/requests/:id/decline", reply: FriendRequestReply },
  removeFriend: { method: "DELETE", path: "/friends/:userId" },
  blocks: { method: "GET", path: "/blocks", reply: BlockedUsersReply },
  block: { method: "PUT", path: "/blocks/:userId" },
  unblock: { method: "DELETE", path: "/blocks/:userId" },
  report: { method: "POST", path: "/reports", body: ReportBody, reply: ReportReply },
  rooms: { method: "GET", path: "/rooms", reply: RoomsReply },
  room: { method: "GET", path: "/rooms/:id", reply: RoomDetailReply },
  createRoom: { method: "POST", path: "/rooms", body: CreateRoomBody, reply: RoomReply },
  leaveRoom: { method: "POST", path: "/rooms/:id/leave" },
  updateRoom: { method: "PATCH", path: "/rooms/:id", body: RoomPatchBody, reply: RoomReply },
  setRole: { method: "PUT", path: "/rooms/:id/members/:userId/role", body: RoleBody, reply: RoomReply },
  transferRoom: { method: "POST", path: "/rooms/:id/transfer", body: TransferBody, reply: RoomReply },
  removeMember: { method: "DELETE", path: "/rooms/:id/members/:userId" },
  bans: { method: "GET", path: "/rooms/:id/bans", reply: BansReply },
  ban: { method: "PUT", path: "/rooms/:id/bans/:userId", body: BanBody, reply: BanReply },
  unban: { method: "DELETE", path: "/rooms/:id/bans/:userId" },
  mute: { method: "PUT", path: "/rooms/:id/mutes/:userId", body: MuteMemberBody, reply: MuteMemberReply },
  unmute: { method: "DELETE", path: "/rooms/:id/mutes/:userId" },
  invite: { method: "POST", path: "/rooms/:id/invites", body: InviteBody, reply: InvitesReply },
  invites: { method: "GET", path: "/invites", reply: InvitesReply },
  acceptInvite: { method: "POST", path: "/invites/:id/accept", reply: InviteAnswerReply },
  declineInvite: { method: "POST", path: "/invites/:id/decline", reply: InviteAnswerReply },
  history: { method: "GET", path: "/rooms/:id/messages", query: MessageListQuery, reply: MessagePageSchema },
  changes: { method: "GET", path: "/rooms/:id/changes", query: ChangesQuery, reply: ChangesPageSchema },
  replies: { method: "GET", path: "/rooms/:id/messages/:seq/replies", query: RepliesQuery, reply: MessagePageSchema },
  send: { method: "POST", path: "/rooms/:id/messages", body: SendMessageBody, reply: MessageReply },
  markRead: { method: "POST", path: "/rooms/:id/read", body: ReadBody, reply: ReadReply },
  addReaction: { method: "PUT", path: "/rooms/:id/messages/:seq/reactions/:emoji", reply: MessageReply },
  removeReaction: { method: "DELETE", path: "/rooms/:id/messages/:seq/reactions/:emoji", reply: MessageReply },
  pins: { method: "GET", path: "/rooms/:id/pins", reply: PinsReply },
  pin: { method: "PUT", path: "/rooms/:id/pins/:seq", reply: MessageReply },
  unpin: { method: "DELETE", path: "/rooms/:id/pins/:seq", reply: MessageReply },
  /** Multipart field `file`; send it then as a message with `attachmentIds: [attachment.id]`. */
  uploadAttachment: { method: "POST", path: "/rooms/:id/attachments", form: true, reply: AttachmentReply },
  searchMessages: { method: "GET", path: "/search/messages", query: SearchQuery, reply: SearchReply },
  callParticipants: { method: "GET", path: "/rooms/:id/call", reply: CallParticipantsReply },
  iceServers: { method: "GET", path: "/calls/ice-servers", reply: IceServersReply },
  /** Multipart fields `file`, `title` and optionally `artist`; transcoded in the background (poll `track`). */
  uploadTrack: { method: "POST", path: "/tracks", form: true, reply: TrackReply },
  tracks: { method: "GET", path: "/tracks", query: TrackListQuery, reply: TrackPage },
  track: { method: "GET", path: "/tracks/:id", reply: TrackReply },
  recordPlay: { method: "POST", path: "/tracks/:id/plays" },
  charts: { method: "GET", path: "/charts", query: ChartQuery, reply: ChartReply },
  vapidKey: { method: "GET", path: "/push/vapid-public-key", reply: VapidKeyReply, auth: false },
  subscribePush: { method: "POST", path: "/push/subscriptions", body: SubscribeBody, reply: SubscriptionReply },
  mentions: { method: "GET", path: "/mentions", query: MentionsQuery, reply: MentionsPage },
  events: { method: "GET", path: "/events", query: EventsQuery, reply: EventsReply },
} as const satisfies Record<string, RouteDef>;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;

/** ":id" and ":seq" of "/rooms/:id/pins/:seq". */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamNames<`/${Rest}`> : P extends `${string}:${infer Name}` ? Name : never;

/**
 * A query as a caller writes it. The server's query schemas coerce text (`z.coerce.number()`),
 * whose input type is `unknown`: those fields take what the schema turns them into.
 */
type QueryInput<Q extends z.ZodType> = {
  [K in keyof z.input<Q>]: unknown extends z.input<Q>[K] ? (K extends keyof z.output<Q> ? z.output<Q>[K] : never) : z.input<Q>[K];
};

type ParamsArg<R extends RouteDef> = [ParamNames<R["path"]>] extends [never] ? {} : { params: Record<ParamNames<R["path"]>, string | number> };
type QueryArg<R extends RouteDef> = R extends { query: infer Q extends z.ZodType } ? { query?: QueryInput<Q> } : {};
type BodyArg<R extends RouteDef> = R extends { body: infer B extends z.ZodType } ? { body: z.input<B> } : R extends { form: true } ? { body: FormData } : {};

/** What a call of route `N` takes: its path parameters, query and body, each typed from its schema. */
export type RouteArgs<N extends RouteName> = ParamsArg<Routes[N]> & QueryArg<Routes[N]> & BodyArg<Routes[N]> & { signal?: AbortSignal; timeoutMs?: number };
/** What it resolves with: the success body (undefined for 204). */
export type RouteResult<N extends RouteName> = Routes[N] extends { reply: infer R extends z.ZodType } ? z.output<R> : undefined;
/** The arguments are optional when nothing in them is required. */
export type RouteCallArgs<N extends RouteName> = {} extends RouteArgs<N> ? [args?: RouteArgs<N>] : [args: RouteArgs<N>];

/** The route's path with its parameters filled in (each URI-encoded). */
export function fillPath(path: string, params: Record<string, string | number> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${path}: the path parameter ${name} is missing`);
    return encodeURIComponent(String(value));
  });
}
