export type RoomType = "direct" | "group";
/** Ranks, highest first: one may act only on lower ranks (src/domain/room-ranks.ts). Direct rooms have members only. */
export type MemberRole = "owner" | "admin" | "member";
export type InviteStatus = "pending" | "accepted" | "declined" | "canceled";

export interface RoomRecord {
  id: string;
  type: RoomType;
  name: string | null;
  /** Group rooms only; set by the owner and admins (PATCH /api/rooms/:id). */
  topic: string | null;
  createdById: string;
  createdAt: Date;
}

export interface MembershipRecord {
  roomId: string;
  userId: string;
  role: MemberRole;
  lastReadSeq: number;
  /** The member's own notification mute (PUT /api/rooms/:id/mute). */
  muted: boolean;
  /** Muted by the owner or an admin until then: sends are refused (room-mutes.ts). Past or null: not muted. */
  mutedUntil: Date | null;
  joinedAt: Date;
}

export interface BanRecord {
  roomId: string;
  userId: string;
  bannedBy: string;
  /** "" when none was given. */
  reason: string;
  createdAt: Date;
}

export interface InviteRecord {
  id: string;
  roomId: string;
  inviterId: string;
  inviteeId: string;
  status: InviteStatus;
  createdAt: Date;
}

export interface RoomRepository {
  /** The pair's direct room, created on first use; both users are (again) members. */
  ensureDirect(a: string, b: string): Promise<{ room: RoomRecord; created: boolean }>;
  createGroup(ownerId: string, name: string): Promise<RoomRecord>;
  find(roomId: string): Promise<RoomRecord | null>;
  findMany(roomIds: string[]): Promise<RoomRecord[]>;
  membership(roomId: string, userId: string): Promise<MembershipRecord | null>;
  /** The hot-path membership check (every send and typing event); adapters may cache it. */
  isMember(roomId: string, userId: string): Promise<boolean>;
  /** Memberships of many (room, user) pairs in one round trip; absent pairs are not members. */
  membershipsFor(pairs: { roomId: string; userId: string }[]): Promise<MembershipRecord[]>;
  members(roomId: string): Promise<MembershipRecord[]>;
  memberIds(roomId: string): Promise<string[]>;
  /** The user's rooms with their own membership; one query. */
  roomsOf(userId: string): Promise<{ room: RoomRecord; membership: MembershipRecord }[]>;
  memberCounts(roomIds: string[]): Promise<Map<string, number>>;
  /** Members of each of these direct rooms (for naming a direct room after the other member). */
  directMembers(roomIds: string[]): Promise<Map<string, string[]>>;
  /** Peers of the user across all rooms (presence fan-out). */
  roomPeers(userId: string): Promise<string[]>;
  removeMember(roomId: string, userId: string): Promise<boolean>;
  /** Moves the read cursor forward only; returns the cursor after the call and whether it moved. Null if not a member. */
  advanceRead(roomId: string, userId: string, seq: number): Promise<{ lastReadSeq: number; moved: boolean } | null>;
  /**
   * The same, written behind in batches (a sender's cursor after each message): at most one
   * statement per batch window instead of one per message. Lost only if the node dies in the window.
   */
  advanceReadLater(roomId: string, userId: string, seq: number): void;
  /** Writes what is pending (drain). */
  flush(): Promise<void>;
  setMuted(roomId: string, userId: string, muted: boolean): Promise<boolean>;
  /** Pending invites for users not yet members; an existing pending invite is returned as is. */
  createInvites(roomId: string, inviterId: string, inviteeIds: string[]): Promise<{ invite: InviteRecord; created: boolean }[]>;
  findInvite(id: string): Promise<InviteRecord | null>;
  pendingInvites(userId: string): Promise<InviteRecord[]>;
  /** Accepting adds the membership in the same transaction. Null if it was no longer pending. */
  answerInvite(id: string, status: "accepted" | "declined", now: Date): Promise<InviteRecord | null>;

  // ---- Room roles and settings (src/domain/room-admin.ts, room-bans.ts, room-mutes.ts).

  /** A group room's name and/or topic (null clears the topic). Null if there is no such group room. */
  updateRoom(roomId: string, patch: { name?: string; topic?: string | null }): Promise<RoomRecord | null>;
  /** An admin's or member's role; never the owner's (that moves by transfer only). False if there is no such non-owner member. */
  setRole(roomId: string, userId: string, role: "admin" | "member"): Promise<boolean>;
  /**
   * In one transaction: `toId` becomes owner and `fromId` admin. False (and nothing changed) when
   * `fromId` is no longer the owner or `toId` no longer a member.
   */
  transferOwnership(roomId: string, fromId: string, toId: string): Promise<boolean>;
  /** Sets or clears (null) a member's send mute. False if not a member. */
  setMutedUntil(roomId: string, userId: string, until: Date | null): Promise<boolean>;
  /** The hot-path mute check (every send): null when not muted or not a member. Adapters may cache it with the members. */
  mutedUntil(roomId: string, userId: string): Promise<Date | null>;
  /**
   * Bans the user (an existing ban is returned as it is, created false) and, in the same
   * transaction, cancels their pending invites to the room, returned. Does not remove the
   * membership: the domain does, through the one removal path.
   */
  ban(roomId: string, userId: string, bannedBy: string, reason: string, now: Date): Promise<{ ban: BanRecord; created: boolean; canceled: InviteRecord[] }>;
  /** False if there was no ban. */
  unban(roomId: string, userId: string): Promise<boolean>;
  findBan(roomId: string, userId: string): Promise<BanRecord | null>;
  /** The room's bans, oldest first. */
  bans(roomId: string): Promise<BanRecord[]>;
}
