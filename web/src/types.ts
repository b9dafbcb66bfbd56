/**
 * Wire types the client relies on (PROTOCOL.md). Socket payloads come from the server's own
 * event maps, so a change there breaks this build instead of a user's session.
 */
import type { ClientToServerEvents, JoinedMember, ServerToClientEvents } from "../../src/realtime/events.js";
import type { Message } from "../../src/domain/message.js";
import type { RoomView } from "../../src/domain/room-views.js";

export type { ClientToServerEvents, JoinedMember, Message, ServerToClientEvents };
export type Room = RoomView;

export interface User {
  id: string;
  email?: string;
  displayName: string;
  statusMessage: string;
  avatarUrl: string | null;
  emailVerified: boolean;
  createdAt: string;
}

export type PresenceStatus = "online" | "away" | "offline";

export interface Presence {
  status: PresenceStatus;
  lastSeenAt: string | null;
}

export interface Friend {
  user: User;
  presence: Presence;
}

export interface FriendRequest {
  id: string;
  fromUserId: string;
  toUserId: string;
  status: string;
  createdAt: string;
}

export interface Invite {
  id: string;
  roomId: string;
  inviterId: string;
  inviteeId: string;
  status: string;
  createdAt: string;
}

export interface RoomMember {
  user: User;
  role: string;
  lastReadSeq: number;
  presence: Presence;
}

export interface AuthReply {
  user: User;
  accessToken: string;
  refreshToken: string;
}

/** A long-poll feed event, also pushed on the socket as `event`. */
export type FeedEvent =
  | { id: string; type: "invite.created" | "invite.updated"; at: string; data: { invite: Invite; room: Room | null } }
  | { id: string; type: "room.updated"; at: string; data: { room: Room } }
  | { id: string; type: "room.removed"; at: string; data: { roomId: string } }
  | { id: string; type: "friend.request"; at: string; data: { request: FriendRequest } }
  | { id: string; type: "friend.updated"; at: string; data: { user: User; friends: boolean } };
