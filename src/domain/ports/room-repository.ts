export type RoomType = "direct" | "group";
export type MemberRole = "owner" | "member";
export type InviteStatus = "pending" | "accepted" | "declined" | "canceled";

export interface RoomRecord {
  id: string;
  type: RoomType;
  name: string | null;
  createdById: string;
  createdAt: Date;
}

export interface MembershipRecord {
  roomId: string;
  userId: string;
  role: MemberRole;
  lastReadSeq: number;
  muted: boolean;
  joinedAt: Date;
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
}
