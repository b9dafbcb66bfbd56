import type { EmailCodeRepository, RotateOutcome, SessionRepository } from "../domain/ports/session-repository.js";
import type { Prisma } from "./database.js";

// A login refreshes every 15 minutes while used: 20 spent secrets cover the last ~5 hours of
// use, and a row stays under 2 KB. A replay of an older secret is refused without ending it.
const SPENT_KEPT = 20;

export class PrismaSessionRepository implements SessionRepository {
  constructor(private readonly prisma: Prisma) {}

  async create(userId: string, secretHash: string, expiresAt: Date) {
    const row = await this.prisma.session.create({ data: { userId, currentHash: secretHash, expiresAt }, select: { id: true } });
    return { id: row.id };
  }

  async rotate(sessionId: string, oldHash: string, newHash: string, expiresAt: Date, now: Date) {
    // A conditional update is the atomic step: of two racing refreshes with one token, one wins
    // and the other presents a spent secret, which is reuse. The spent secret joins the last few
    // kept, so reuse is told from a secret that was never issued (which changes nothing: the
    // session id is in every access token, and knowing it must not let anyone end the login).
    const count = await this.prisma.$executeRaw`
      UPDATE "Session"
      SET "currentHash" = ${newHash}, "rotatedAt" = ${now}, "expiresAt" = ${expiresAt},
          "spentHashes" = (array_append(coalesce("spentHashes", '{}'), "currentHash"))[greatest(1, cardinality(coalesce("spentHashes", '{}')) + 2 - ${SPENT_KEPT}::int):]
      WHERE "id" = ${sessionId}::uuid AND "currentHash" = ${oldHash} AND "revokedAt" IS NULL AND "expiresAt" > ${now}`;
    const session = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true, revokedAt: true, expiresAt: true, spentHashes: true } });
    if (!session) return { outcome: "invalid" as RotateOutcome };
    if (count === 1) return { outcome: "rotated" as RotateOutcome, userId: session.userId };
    const live = session.revokedAt === null && session.expiresAt > now;
    return { outcome: (live && session.spentHashes.includes(oldHash) ? "reused" : "invalid") as RotateOutcome, userId: session.userId };
  }

  async revoke(sessionId: string, now: Date) {
    await this.prisma.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
  }

  async revokeMany(sessionIds: string[], now: Date) {
    if (sessionIds.length) await this.prisma.session.updateMany({ where: { id: { in: sessionIds }, revokedAt: null }, data: { revokedAt: now } });
  }

  async liveIdsOf(userId: string) {
    return (await this.prisma.session.findMany({ where: { userId, revokedAt: null }, select: { id: true } })).map((s) => s.id);
  }

  find(sessionId: string) {
    return this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true, currentHash: true, spentHashes: true, revokedAt: true } });
  }

  async isLive(sessionId: string, userId: string) {
    const row = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true, revokedAt: true } });
    return row !== null && row.userId === userId && row.revokedAt === null;
  }
}

export class PrismaEmailCodeRepository implements EmailCodeRepository {
  constructor(private readonly prisma: Prisma) {}

  async put(userId: string, codeHash: string, expiresAt: Date) {
    await this.prisma.emailCode.upsert({
      where: { userId },
      create: { userId, codeHash, expiresAt },
      update: { codeHash, expiresAt, attempts: 0, createdAt: new Date() },
    });
  }

  get(userId: string) {
    return this.prisma.emailCode.findUnique({ where: { userId }, select: { codeHash: true, attempts: true, expiresAt: true } });
  }

  async countAttempt(userId: string) {
    await this.prisma.emailCode.updateMany({ where: { userId }, data: { attempts: { increment: 1 } } });
  }

  async delete(userId: string) {
    await this.prisma.emailCode.deleteMany({ where: { userId } });
  }
}
