import { NotFound } from "../domain/errors.js";
import type { BlockRepository } from "../domain/ports/block-repository.js";
import type { UserProfile } from "../domain/user.js";
import type { Prisma } from "./database.js";

// The columns a user view needs: never the password hash.
const profileFields = { id: true, email: true, displayName: true, statusMessage: true, avatarKey: true, emailVerified: true, createdAt: true } as const;

const isForeignKeyViolation = (err: unknown) => typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2003";

/**
 * The Block table (prisma/schema.prisma): one row per (blocker, blocked). Reads are uncached
 * here; src/store/cached-blocks.ts keeps them per node.
 */
export class PrismaBlockRepository implements BlockRepository {
  constructor(private readonly prisma: Prisma) {}

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

  async blockedBy(userId: string): Promise<ReadonlySet<string>> {
    const rows = await this.prisma.block.findMany({ where: { blockerId: userId }, select: { blockedId: true } });
    return new Set(rows.map((r) => r.blockedId));
  }

  async blockersOf(userId: string): Promise<ReadonlySet<string>> {
    // The (blockedId) index.
    const rows = await this.prisma.block.findMany({ where: { blockedId: userId }, select: { blockerId: true } });
    return new Set(rows.map((r) => r.blockerId));
  }
}
