import { Conflict } from "../domain/errors.js";
import type { FollowRepository, FriendRepository, FriendRequestRecord, FriendRequestStatus } from "../domain/ports/social-repository.js";
import type { Page } from "../domain/ports/user-repository.js";
import type { UserProfile, UserRecord } from "../domain/user.js";
import type { Prisma, PlainSql } from "./database.js";
import { toPage } from "./prisma-users.js";

type RequestRow = Omit<FriendRequestRecord, "status"> & { status: string };
const toRecord = (r: RequestRow): FriendRequestRecord => ({ ...r, status: r.status as FriendRequestStatus });
const requestFields = { id: true, fromUserId: true, toUserId: true, status: true, createdAt: true } as const;

export class PrismaFriendRepository implements FriendRepository {
  constructor(
    private readonly prisma: Prisma,
    private readonly sql: PlainSql,
  ) {}

  async createRequest(fromUserId: string, toUserId: string): Promise<FriendRequestRecord> {
    const pair = [fromUserId, toUserId].sort().join(":");
    const row = await this.prisma.$transaction(async (tx) => {
      // One lock per unordered pair serialises concurrent requests in either direction.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${pair}, 0))`;
      const friends = await tx.friendship.findUnique({ where: { userId_friendId: { userId: fromUserId, friendId: toUserId } } });
      if (friends) throw new Conflict("already friends");
      const pending = await tx.friendRequest.findFirst({
        where: {
          status: "pending",
          OR: [
            { fromUserId, toUserId },
            { fromUserId: toUserId, toUserId: fromUserId },
          ],
        },
      });
      if (pending) {
        throw new Conflict(pending.fromUserId === fromUserId ? "request already pending" : "this user already sent you a request: accept it");
      }
      return tx.friendRequest.create({ data: { fromUserId, toUserId }, select: requestFields });
    });
    return toRecord(row);
  }

  async findRequest(id: string) {
    const row = await this.prisma.friendRequest.findUnique({ where: { id }, select: requestFields });
    return row ? toRecord(row) : null;
  }

  async listPending(userId: string) {
    const rows = await this.prisma.friendRequest.findMany({
      where: { status: "pending", OR: [{ toUserId: userId }, { fromUserId: userId }] },
      orderBy: { createdAt: "desc" },
      select: requestFields,
    });
    const all = rows.map(toRecord);
    return { incoming: all.filter((r) => r.toUserId === userId), outgoing: all.filter((r) => r.fromUserId === userId) };
  }

  async respond(id: string, status: "accepted" | "declined", now: Date) {
    const row = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.friendRequest.updateMany({ where: { id, status: "pending" }, data: { status, respondedAt: now } });
      if (count === 0) return null;
      const updated = await tx.friendRequest.findUniqueOrThrow({ where: { id }, select: requestFields });
      if (status === "accepted") {
        await tx.friendship.createMany({
          data: [
            { userId: updated.fromUserId, friendId: updated.toUserId },
            { userId: updated.toUserId, friendId: updated.fromUserId },
          ],
          skipDuplicates: true,
        });
      }
      return updated;
    });
    return row ? toRecord(row) : null;
  }

  async listFriends(userId: string): Promise<UserProfile[]> {
    // One JOIN with only the columns a view needs, on plain SQL: the ORM's relation load was two
    // queries carrying every column (password hash included) and most of GET /api/friends' CPU.
    return this.sql.query<UserProfile>(
      `SELECT u.id::text AS id, u.email, u."displayName", u."statusMessage", u."avatarKey", u."emailVerified", u."createdAt"
       FROM "Friendship" f JOIN "User" u ON u.id = f."friendId"
       WHERE f."userId" = $1::uuid
       ORDER BY f."createdAt", u.id`,
      [userId],
    );
  }

  async removeFriend(userId: string, friendId: string) {
    const { count } = await this.prisma.friendship.deleteMany({
      where: {
        OR: [
          { userId, friendId },
          { userId: friendId, friendId: userId },
        ],
      },
    });
    return count > 0;
  }
}

export class PrismaFollowRepository implements FollowRepository {
  constructor(private readonly prisma: Prisma) {}

  async follow(followerId: string, followeeId: string) {
    await this.prisma.follow.createMany({ data: [{ followerId, followeeId }], skipDuplicates: true });
  }

  async unfollow(followerId: string, followeeId: string) {
    await this.prisma.follow.deleteMany({ where: { followerId, followeeId } });
  }

  async followers(userId: string, limit: number, afterId: string | null): Promise<Page<UserRecord>> {
    const rows = await this.prisma.follow.findMany({
      where: { followeeId: userId, ...(afterId ? { followerId: { gt: afterId } } : {}) },
      orderBy: { followerId: "asc" },
      take: limit + 1,
      select: { follower: true },
    });
    return toPage(rows.map((r) => r.follower), limit);
  }

  async following(userId: string, limit: number, afterId: string | null): Promise<Page<UserRecord>> {
    const rows = await this.prisma.follow.findMany({
      where: { followerId: userId, ...(afterId ? { followeeId: { gt: afterId } } : {}) },
      orderBy: { followeeId: "asc" },
      take: limit + 1,
      select: { followee: true },
    });
    return toPage(rows.map((r) => r.followee), limit);
  }
}
