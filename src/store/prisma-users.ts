import type { NewUser, Page, UserPatch, UserRepository } from "../domain/ports/user-repository.js";
import type { UserRecord } from "../domain/user.js";
import type { Prisma } from "./database.js";
import { mapPrismaError } from "./prisma-errors.js";

/** `%`, `_` and `\` in a search are literal characters, not patterns. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

export class PrismaUserRepository implements UserRepository {
  constructor(private readonly prisma: Prisma) {}

  async create(user: NewUser): Promise<UserRecord> {
    try {
      return await this.prisma.user.create({ data: user });
    } catch (err) {
      mapPrismaError(err, { conflict: "an account with this email already exists" });
    }
  }

  findById(id: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { email } });
  }

  findManyByIds(ids: string[]): Promise<UserRecord[]> {
    return ids.length ? this.prisma.user.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord> {
    try {
      return await this.prisma.user.update({ where: { id }, data: patch });
    } catch (err) {
      mapPrismaError(err, { notFound: "no such user" });
    }
  }

  async remove(id: string): Promise<{ sessionIds: string[] }> {
    return this.prisma.$transaction(async (tx) => {
      // The user's row lock first: a login at the same moment (its session insert takes a key
      // share lock on this row) either commits before, and its session is listed, or fails after.
      const found = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE id = ${id}::uuid FOR UPDATE`;
      if (!found.length) return { sessionIds: [] };
      const sessions = await tx.session.findMany({ where: { userId: id }, select: { id: true } });
      // Every table with a foreign key to User cascades (prisma/schema.prisma). These have none
      // (written on hot paths, they skip the check): the user's mention inbox, their events feed,
      // the bans keeping them out. Mentions their messages made stay, as the messages do: others'
      // inboxes show them as the tombstones they became (and Mention has no index by sender).
      await tx.mention.deleteMany({ where: { userId: id } });
      await tx.feedEvent.deleteMany({ where: { userId: id } });
      await tx.feedHead.deleteMany({ where: { userId: id } });
      await tx.roomBan.deleteMany({ where: { userId: id } });
      await tx.user.delete({ where: { id } });
      return { sessionIds: sessions.map((s) => s.id) };
    });
  }

  async search(query: string, limit: number, afterId: string | null): Promise<Page<UserRecord>> {
    const rows = await this.prisma.user.findMany({
      where: {
        OR: [{ displayName: { contains: escapeLike(query), mode: "insensitive" } }, { email: query.toLowerCase() }],
        ...(afterId ? { id: { gt: afterId } } : {}),
      },
      orderBy: { id: "asc" },
      take: limit + 1,
    });
    return toPage(rows, limit);
  }
}
