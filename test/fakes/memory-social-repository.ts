import { Conflict } from "../../src/domain/errors.js";
import type { FollowRepository, FriendRepository, FriendRequestRecord } from "../../src/domain/ports/social-repository.js";
import type { UserProfile, UserRecord } from "../../src/domain/user.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";
import { toPage, type MemoryUserRepository } from "./memory-user-repository.js";

interface RequestRow extends FriendRequestRecord {
  respondedAt: Date | null;
}

/** FriendRepository (src/domain/ports/social-repository.ts) in memory, as PrismaFriendRepository (src/store/prisma-social.ts) behaves. */
export class MemoryFriendRepository implements FriendRepository {
  private readonly requests = new Map<string, RequestRow>();
  /** Symmetric like the Friendship table: (a, b) and (b, a), each with its createdAt. */
  private readonly friendships = new Map<string, Date>();
  private readonly ids = new IdSequence("friendRequest");

  constructor(
    private readonly users: MemoryUserRepository,
    private readonly clock: TestClock,
  ) {}

  async createRequest(fromUserId: string, toUserId: string): Promise<FriendRequestRecord> {
    // One synchronous step (the advisory lock per unordered pair in prisma-social.ts).
    if (this.friendships.has(`${fromUserId} ${toUserId}`)) throw new Conflict("already friends");
    const pending = [...this.requests.values()].find(
      (r) => r.status === "pending" && ((r.fromUserId === fromUserId && r.toUserId === toUserId) || (r.fromUserId === toUserId && r.toUserId === fromUserId)),
    );
    if (pending) {
      throw new Conflict(pending.fromUserId === fromUserId ? "request already pending" : "this user already sent you a request: accept it");
    }
    // Only pending requests block: after a decline a new request may be made (prisma-social.ts).
    const row: RequestRow = { id: this.ids.next(), fromUserId, toUserId, status: "pending", createdAt: this.clock.now(), respondedAt: null };
    this.requests.set(row.id, row);
    return view(row);
  }

  async findRequest(id: string) {
    const r = this.requests.get(id);
    return r ? view(r) : null;
  }

  async listPending(userId: string) {
    // Newest first (orderBy createdAt desc).
    const all = [...this.requests.values()]
      .filter((r) => r.status === "pending" && (r.toUserId === userId || r.fromUserId === userId))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map(view);
    return { incoming: all.filter((r) => r.toUserId === userId), outgoing: all.filter((r) => r.fromUserId === userId) };
  }

  async respond(id: string, status: "accepted" | "declined", now: Date) {
    const r = this.requests.get(id);
    // The conditional update `where status = 'pending'`: null when already answered.
    if (!r || r.status !== "pending") return null;
    r.status = status;
    r.respondedAt = now;
    if (status === "accepted") {
      // Both rows, in the same step; skipDuplicates.
      for (const key of [`${r.fromUserId} ${r.toUserId}`, `${r.toUserId} ${r.fromUserId}`]) {
        if (!this.friendships.has(key)) this.friendships.set(key, this.clock.now());
      }
    }
    return view(r);
  }

  async listFriends(userId: string): Promise<UserProfile[]> {
    // prisma-social.ts listFriends: the profile columns only (never the password hash), ordered
    // by the friendship's createdAt, then the user id.
    const rows = [...this.friendships]
      .map(([key, at]) => ({ pair: key.split(" ") as [string, string], at }))
      .filter(({ pair }) => pair[0] === userId)
      .sort((a, b) => a.at.getTime() - b.at.getTime() || (a.pair[1] < b.pair[1] ? -1 : 1));
    const out: UserProfile[] = [];
    for (const { pair } of rows) {
      const u = await this.users.findById(pair[1]);
      if (u) out.push(profileOf(u));
    }
    return out;
  }

  async removeFriend(userId: string, friendId: string) {
    // Both directions; true when any row went.
    const a = this.friendships.delete(`${userId} ${friendId}`);
    const b = this.friendships.delete(`${friendId} ${userId}`);
    return a || b;
  }

  // ---- Not part of the port.

  /** Whether `a` lists `b` as a friend (a row (a, b) exists). */
  areFriends(a: string, b: string): boolean {
    return this.friendships.has(`${a} ${b}`);
  }
}

const view = (r: RequestRow): FriendRequestRecord => ({ id: r.id, fromUserId: r.fromUserId, toUserId: r.toUserId, status: r.status, createdAt: r.createdAt });

function profileOf(u: UserRecord): UserProfile {
  const { passwordHash: _omitted, ...profile } = u;
  return profile;
}

/** FollowRepository (same port file) in memory, as PrismaFollowRepository behaves. */
export class MemoryFollowRepository implements FollowRepository {
  /** "followerId followeeId" */
  private readonly edges = new Set<string>();

  constructor(private readonly users: MemoryUserRepository) {}

  async follow(followerId: string, followeeId: string) {
    // createMany skipDuplicates: following twice is one follow.
    this.edges.add(`${followerId} ${followeeId}`);
  }

  async unfollow(followerId: string, followeeId: string) {
    this.edges.delete(`${followerId} ${followeeId}`);
  }

  followers(userId: string, limit: number, afterId: string | null) {
    return this.page((follower, followee) => (followee === userId ? follower : null), limit, afterId);
  }

  following(userId: string, limit: number, afterId: string | null) {
    return this.page((follower, followee) => (follower === userId ? followee : null), limit, afterId);
  }

  /** Ordered by the other side's id, after the cursor, limit + 1 rows, then toPage (prisma-social.ts). */
  private async page(other: (follower: string, followee: string) => string | null, limit: number, afterId: string | null) {
    const ids = [...this.edges]
      .map((e) => other(...(e.split(" ") as [string, string])))
      .filter((id): id is string => id !== null && (afterId === null || id > afterId))
      .sort()
      .slice(0, limit + 1);
    const users: UserRecord[] = [];
    for (const id of ids) {
      const u = await this.users.findById(id);
      if (u) users.push(u);
    }
    return toPage(users, limit);
  }
}
