import type { EmailCodeRepository, RotateOutcome, SessionRepository } from "../../src/domain/ports/session-repository.js";
import { IdSequence } from "./ids.js";

// src/store/prisma-sessions.ts SPENT_KEPT: the last 20 spent secrets are remembered; an older one
// presented again is "invalid" (refused without ending the login), not "reused".
export const SPENT_KEPT = 20;

interface SessionRow {
  id: string;
  userId: string;
  currentHash: string;
  spentHashes: string[];
  expiresAt: Date;
  revokedAt: Date | null;
}

/** SessionRepository (src/domain/ports/session-repository.ts) in memory, as PrismaSessionRepository behaves. */
export class MemorySessionRepository implements SessionRepository {
  private readonly rows = new Map<string, SessionRow>();
  private readonly ids = new IdSequence("session");
  /** Every revoke() call, in order (not part of the port). */
  readonly revocations: string[] = [];

  async create(userId: string, secretHash: string, expiresAt: Date) {
    const id = this.ids.next();
    this.rows.set(id, { id, userId, currentHash: secretHash, spentHashes: [], expiresAt, revokedAt: null });
    return { id };
  }

  async rotate(sessionId: string, oldHash: string, newHash: string, expiresAt: Date, now: Date): Promise<{ outcome: RotateOutcome; userId?: string }> {
    const row = this.rows.get(sessionId);
    // prisma-sessions.ts rotate: no row at all is "invalid" without a userId.
    if (!row) return { outcome: "invalid" };
    const live = row.revokedAt === null && row.expiresAt > now;
    // The conditional UPDATE: current secret, not revoked, not expired (one synchronous step here,
    // so of two racing rotations with one secret exactly one sees it current).
    if (live && row.currentHash === oldHash) {
      row.spentHashes = [...row.spentHashes, row.currentHash].slice(-SPENT_KEPT);
      row.currentHash = newHash;
      row.expiresAt = expiresAt;
      return { outcome: "rotated", userId: row.userId };
    }
    // Otherwise: "reused" only for a live session and one of its recently spent secrets; an
    // expired or revoked session, or a secret never issued, is "invalid". Both carry the userId.
    return { outcome: live && row.spentHashes.includes(oldHash) ? "reused" : "invalid", userId: row.userId };
  }

  async revoke(sessionId: string, now: Date) {
    this.revocations.push(sessionId);
    const row = this.rows.get(sessionId);
    // `updateMany … where revokedAt: null`: the first revocation's time stays.
    if (row && row.revokedAt === null) row.revokedAt = now;
  }

  async revokeMany(sessionIds: string[], now: Date) {
    for (const id of sessionIds) await this.revoke(id, now);
  }

  async liveIdsOf(userId: string) {
    return [...this.rows.values()].filter((r) => r.userId === userId && r.revokedAt === null).map((r) => r.id);
  }

  async find(sessionId: string) {
    const row = this.rows.get(sessionId);
    return row ? { userId: row.userId, currentHash: row.currentHash, spentHashes: [...row.spentHashes], revokedAt: row.revokedAt } : null;
  }

  async isLive(sessionId: string, userId: string) {
    const row = this.rows.get(sessionId);
    // prisma-sessions.ts isLive: exists, same user, not revoked. Expiry is not looked at: the
    // refresh token's expiry ends refreshing; the access token's own expiry ends its use.
    return row !== undefined && row.userId === userId && row.revokedAt === null;
  }

  // ---- Not part of the port.

  /** The user row went (MemoryUserRepository.remove): its sessions cascade; their ids, as prisma-users.ts remove returns them. */
  dropUser(userId: string): string[] {
    const ids = [...this.rows.values()].filter((r) => r.userId === userId).map((r) => r.id);
    for (const id of ids) this.rows.delete(id);
    return ids;
  }

  /** The sessions of a user (tests look at what a use case opened or revoked). */
  sessionsOf(userId: string): { id: string; revokedAt: Date | null; expiresAt: Date }[] {
    return [...this.rows.values()].filter((r) => r.userId === userId).map((r) => ({ id: r.id, revokedAt: r.revokedAt, expiresAt: r.expiresAt }));
  }
}

interface CodeRow {
  codeHash: string;
  attempts: number;
  expiresAt: Date;
}

/** EmailCodeRepository (same port file) in memory, as PrismaEmailCodeRepository behaves. */
export class MemoryEmailCodeRepository implements EmailCodeRepository {
  private readonly rows = new Map<string, CodeRow>();

  async put(userId: string, codeHash: string, expiresAt: Date) {
    // An upsert: a new code replaces the old one and starts again at 0 attempts.
    this.rows.set(userId, { codeHash, attempts: 0, expiresAt });
  }

  async get(userId: string) {
    const row = this.rows.get(userId);
    return row ? { ...row } : null;
  }

  async countAttempt(userId: string) {
    // `updateMany … increment`: atomic, and a no-op without a code.
    const row = this.rows.get(userId);
    if (row) row.attempts++;
  }

  async delete(userId: string) {
    this.rows.delete(userId);
  }
}
