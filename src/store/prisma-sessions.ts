import type { EmailCodeRepository, RotateOutcome, SessionRepository } from "../domain/ports/session-repository.js";
import type { Prisma } from "./database.js";

export class PrismaSessionRepository implements SessionRepository {
  constructor(private readonly prisma: Prisma) {}

  async create(userId: string, secretHash: string, expiresAt: Date) {
    const row = await this.prisma.session.create({ data: { userId, currentHash: secretHash, expiresAt }, select: { id: true } });
    return { id: row.id };
  }

  async rotate(sessionId: string, oldHash: string, newHash: string, expiresAt: Date, now: Date) {
    // A conditional update is the atomic step: of two racing refreshes with one token, one wins
    // and the other sees a spent secret, which is reuse.
    const { count } = await this.prisma.session.updateMany({
      where: { id: sessionId, currentHash: oldHash, revokedAt: null, expiresAt: { gt: now } },
      data: { currentHash: newHash, rotatedAt: now, expiresAt },
    });
    const session = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true, revokedAt: true, expiresAt: true } });
    if (!session) return { outcome: "invalid" as RotateOutcome };
    if (count === 1) return { outcome: "rotated" as RotateOutcome, userId: session.userId };
    const live = session.revokedAt === null && session.expiresAt > now;
    return { outcome: (live ? "reused" : "invalid") as RotateOutcome, userId: session.userId };
  }

  async revoke(sessionId: string, now: Date) {
    await this.prisma.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
  }

  async ownerOf(sessionId: string) {
    const row = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true } });
    return row?.userId ?? null;
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
