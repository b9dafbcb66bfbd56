export type RotateOutcome = "rotated" | "reused" | "invalid";

/** Refresh-token sessions: one row per login holding the hash of its current secret. */
export interface SessionRepository {
  create(userId: string, secretHash: string, expiresAt: Date): Promise<{ id: string }>;
  /**
   * Atomically swaps the current secret when `oldHash` is current and the session is live.
   * "reused": the session is live but `oldHash` is a spent secret (the caller revokes it).
   */
  rotate(sessionId: string, oldHash: string, newHash: string, expiresAt: Date, now: Date): Promise<{ outcome: RotateOutcome; userId?: string }>;
  revoke(sessionId: string, now: Date): Promise<void>;
  /** The session's owner when the secret matches any state of it (used by logout). */
  ownerOf(sessionId: string): Promise<string | null>;
}

export interface EmailCodeRepository {
  put(userId: string, codeHash: string, expiresAt: Date): Promise<void>;
  get(userId: string): Promise<{ codeHash: string; attempts: number; expiresAt: Date } | null>;
  countAttempt(userId: string): Promise<void>;
  delete(userId: string): Promise<void>;
}
