import type { BotRecord, BotRepository, NewBot, UsableBot } from "../domain/ports/bot-repository.js";
import { Unauthorized } from "../domain/errors.js";
import type { Prisma } from "./database.js";

const BOT_FIELDS = { id: true, userId: true, ownerId: true, name: true, createdAt: true, revokedAt: true } as const;

/** Bots in PostgreSQL (prisma/schema.prisma, model Bot); each bot's user is a User row. */
export class PrismaBotRepository implements BotRepository {
  constructor(private readonly prisma: Prisma) {}

  create(bot: NewBot, maxLive: number): Promise<{ created: BotRecord } | "limit"> {
    return this.prisma.$transaction(async (tx) => {
      // The owner's row lock serializes one owner's creations, so the count below cannot be
      // passed by two at once. NO KEY UPDATE: the key-share locks of rows that reference the
      // owner (a session at login, this bot's own foreign key) still go through.
      const owner = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE id = ${bot.ownerId}::uuid FOR NO KEY UPDATE`;
      if (!owner.length) throw new Unauthorized("account no longer exists");
      const live = await tx.bot.count({ where: { ownerId: bot.ownerId, revokedAt: null } });
      if (live >= maxLive) return "limit" as const;
      const created = await tx.bot.create({
        data: {
          name: bot.name,
          tokenHash: bot.tokenHash,
          owner: { connect: { id: bot.ownerId } },
          // Verified: nothing can be mailed to it, and no verification code is ever sent there.
          user: { create: { email: bot.user.email, passwordHash: bot.user.passwordHash, displayName: bot.name, emailVerified: true } },
        },
        select: BOT_FIELDS,
      });
      return { created };
    });
  }

  listOf(ownerId: string, opts: { includeRevoked?: boolean } = {}): Promise<BotRecord[]> {
    return this.prisma.bot.findMany({
      where: { ownerId, ...(opts.includeRevoked ? {} : { revokedAt: null }) },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: BOT_FIELDS,
    });
  }

  find(botId: string): Promise<BotRecord | null> {
    return this.prisma.bot.findUnique({ where: { id: botId }, select: BOT_FIELDS });
  }

  async isBot(userId: string): Promise<boolean> {
    return (await this.prisma.bot.findUnique({ where: { userId }, select: { id: true } })) !== null;
  }

  async revoke(botIds: string[], now: Date): Promise<void> {
    if (botIds.length) await this.prisma.bot.updateMany({ where: { id: { in: botIds }, revokedAt: null }, data: { revokedAt: now } });
  }

  async liveIdsFor(userId: string): Promise<string[]> {
    const rows = await this.prisma.bot.findMany({ where: { revokedAt: null, OR: [{ ownerId: userId }, { userId }] }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  // Nothing to store: findUsable reads the suspension; the cache in front of it tells the nodes.
  async cutOff(): Promise<void> {}

  findUsable(tokenHash: string): Promise<UsableBot | null> {
    return this.prisma.bot.findFirst({
      where: { tokenHash, revokedAt: null, user: { suspendedAt: null }, owner: { suspendedAt: null } },
      select: { id: true, userId: true },
    });
  }
}
