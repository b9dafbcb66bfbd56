import type { UserProfile, UserRecord } from "../user.js";
import type { Page } from "./user-repository.js";

export type FriendRequestStatus = "pending" | "accepted" | "declined";

export interface FriendRequestRecord {
  id: string;
  fromUserId: string;
  toUserId: string;
  status: FriendRequestStatus;
  createdAt: Date;
}

export interface FriendRepository {
  /**
   * Creates a pending request unless one is pending between the two users (either direction)
   * or they are already friends; those cases throw Conflict. Race-free per pair.
   */
  createRequest(fromUserId: string, toUserId: string): Promise<FriendRequestRecord>;
  findRequest(id: string): Promise<FriendRequestRecord | null>;
  listPending(userId: string): Promise<{ incoming: FriendRequestRecord[]; outgoing: FriendRequestRecord[] }>;
  /** Moves a pending request on; accepting also creates the friendship, in the same transaction. Null if it was no longer pending. */
  respond(id: string, status: "accepted" | "declined", now: Date): Promise<FriendRequestRecord | null>;
  /** Friends' profiles, in one query. */
  listFriends(userId: string): Promise<UserProfile[]>;
  /** True when a friendship existed and was removed. */
  removeFriend(userId: string, friendId: string): Promise<boolean>;
}

export interface FollowRepository {
  follow(followerId: string, followeeId: string): Promise<void>;
  unfollow(followerId: string, followeeId: string): Promise<void>;
  followers(userId: string, limit: number, afterId: string | null): Promise<Page<UserRecord>>;
  following(userId: string, limit: number, afterId: string | null): Promise<Page<UserRecord>>;
}
