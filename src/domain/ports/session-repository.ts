export type RotateOutcome = "rotated" | "reused" | "invalid";

/** Refresh-token sessions: one row per login holding the hash of its current secret. */
export interface SessionRepository {
  create(userId: string, secretHash: string, expiresAt: Date): Promise<{ id: string }>;
  /**
   * Atomically swaps the current secret when `oldHash` is current and the session is live.
   * "reused": the session is live and `oldHash` is one of its recently spent secrets (the caller
   * revokes it); a secret never issued for the session is "invalid" and changes nothing.
   */
  rotate(sessionId: string, oldHash: string, newHash: string, expiresAt: Date, now: Date): Promise<{ outcome: RotateOutcome; userId?: string }>;
  /** Revokes the login and tells every node (its sockets close, its access tokens stop working). */
  revoke(sessionId: string, now: Date): Promise<void>;
  /** Revokes these logins at once and tells every node (account deletion, suspension); unknown ids are skipped. */
  revokeMany(sessionIds: string[], now: Date): Promise<void>;
  /** The ids of the user's sessions not revoked (account deletion, suspension). */
  liveIdsOf(userId: string): Promise<string[]>;
  /** The session's secret hashes, current and recently spent (logout compares before revoking). */
  find(sessionId: string): Promise<{ userId: string; currentHash: string; spentHashes: string[]; revokedAt: Date | null } | null>;
  /**
   * Whether an access token of this session may still be used: the session exists (it goes with
   * its user), belongs to `userId` and is not revoked. Asked on every authenticated request and
   * socket handshake, so implementations answer from memory almost always.
   */
  isLive(sessionId: string, userId: string): Promise<boolean>;
}

/** Sessions revoked on any node, told to this one (within ms, as the room member cache is). */
export interface SessionRevocations {
  onRevoked(handler: (sessionIds: string[]) => void): void;
}

export interface EmailCodeRepository {
  put(userId: string, codeHash: string, expiresAt: Date): Promise<void>;
  get(userId: string): Promise<{ codeHash: string; attempts: number; expiresAt: Date } | null>;
  countAttempt(userId: string): Promise<void>;
  delete(userId: string): Promise<void>;
}
