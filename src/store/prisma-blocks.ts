import DataLoader from "dataloader";
import { NotFound } from "../domain/errors.js";
import type { BlockRepository } from "../domain/ports/block-repository.js";
import type { UserProfile } from "../domain/user.js";
import type { Prisma } from "./database.js";

// The columns a user view needs: never the password hash.
const profileFields = { id: true, email: true, displayName: true, statusMessage: true, avatarKey: true, emailVerified: true, createdAt: true } as const;

const isForeignKeyViolation = (err: unknown) => typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2003";

type Side = "blockerId" | "blockedId";
const other = { blockerId: "blockedId", blockedId: "blockerId" } as const;

/**
 * The Block table (prisma/schema.prisma): one row per (blocker, blocked). Reads are uncached
 * here; src/store/cached-blocks.ts keeps them per node. The per-user sets of one tick are read in
 * one statement: a room.updated flush asks for every viewer's set at once (room-views.ts), so a
 * node's cache, filled by one flush, expires for a thousand users in the same tick.
 */
export class PrismaBlockRepository implements BlockRepository {
  private readonly blockedByLoader = this.setLoader("blockerId");
  private readonly blockersOfLoader = this.setLoader("blockedId");

  constructor(private readonly prisma: Prisma) {}

  /** Each user's set of the other side's ids, for the users keyed by `side`. */
  private setLoader(side: Side) {
    return new DataLoader<string, ReadonlySet<string>>(
      async (userIds) => {
        // Both sides are indexed: (blockerId, blockedId) is the key, (blockedId) its own index.
        const rows = await this.prisma.block.findMany({ where: { [side]: { in: [...userIds] } }, select: { blockerId: true, blockedId: true } });
        const sets = new Map(userIds.map((id) => [id, new Set<string>()]));
        for (const row of rows) sets.get(row[side])!.add(row[other[side]]);
        return userIds.map((id) => sets.get(id)!);
      },
      { cache: false, maxBatchSize: 1_000 },
    );
  }

  async block(blockerId: string, blockedId: string) {
    try {
      await this.prisma.block.createMany({ data: [{ blockerId, blockedId }], skipDuplicates: true });
    } catch (err) {
      // The user was deleted between the use case's check and this insert.
      if (isForeignKeyViolation(err)) throw new NotFound("no such user");
      throw err;
    }
  }

  async unblock(blockerId: string, blockedId: string) {
    await this.prisma.block.deleteMany({ where: { blockerId, blockedId } });
  }

  async list(blockerId: string): Promise<UserProfile[]> {
    const rows = await this.prisma.block.findMany({
      where: { blockerId },
      orderBy: [{ createdAt: "asc" }, { blockedId: "asc" }],
      select: { blocked: { select: profileFields } },
    });
    return rows.map((r) => r.blocked);
  }

  async isBlocked(blockerId: string, blockedId: string) {
    return (await this.prisma.block.count({ where: { blockerId, blockedId } })) > 0;
  }

  async eitherBlocked(a: string, b: string) {
    const count = await this.prisma.block.count({
      where: {
        OR: [
          { blockerId: a, blockedId: b },
          { blockerId: b, blockedId: a },
        ],
      },
    });
    return count > 0;
  }

  blockedBy(userId: string): Promise<ReadonlySet<string>> {
    return this.blockedByLoader.load(userId);
  }

  blockersOf(userId: string): Promise<ReadonlySet<string>> {
    return this.blockersOfLoader.load(userId);
  }
}
