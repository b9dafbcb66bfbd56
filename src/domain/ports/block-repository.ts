import type { UserProfile } from "../user.js";

/**
 * Who blocked whom (PROTOCOL.md, "Conversations": blocks). A block is one-way: the blocker stays
 * free to reach the blocked user; the blocked user can no longer reach the blocker. The read
 * methods answer rule checks on hot paths (every send into a direct room, push, mentions,
 * unread counts): adapters cache them, and a change made through any node holds on every node
 * as soon as block/unblock resolve.
 */
export interface BlockRepository {
  /** Idempotent: blocking twice is one block. */
  block(blockerId: string, blockedId: string): Promise<void>;
  /** Idempotent: unblocking someone not blocked is a no-op. */
  unblock(blockerId: string, blockedId: string): Promise<void>;
  /** Profiles of the users `blockerId` has blocked, oldest block first (never the password hash). */
  list(blockerId: string): Promise<UserProfile[]>;
  /** Whether `blockerId` has blocked `blockedId`. */
  isBlocked(blockerId: string, blockedId: string): Promise<boolean>;
  /** Whether either of the two blocked the other. */
  eitherBlocked(a: string, b: string): Promise<boolean>;
  /**
   * The ids of the users that `userId` has blocked ("blocked by `userId`"): a viewer's own
   * filter (unread counts, mentions shown to them). Read-only: adapters share the set.
   */
  blockedBy(userId: string): Promise<ReadonlySet<string>>;
  /**
   * The ids of the users who have blocked `userId`: the filter of one sender's fan-out (push and
   * mentions of a message from `userId`, a send into a direct room), one lookup whatever the
   * number of recipients. Read-only: adapters share the set.
   */
  blockersOf(userId: string): Promise<ReadonlySet<string>>;
}
