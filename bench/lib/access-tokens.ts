// Logins for users seeded by SQL: one live Session row each (a token is refused unless its session
// is live, src/domain/accounts.ts) and an access token minted exactly as
// src/security/jwt-access-tokens.ts issues one (HS256, issuer "chat-backend", sub = user id,
// sid = the session id). The nodes must share `secret` (JWT_SECRET). "!" is no secret's hash, so
// these sessions cannot be refreshed; they only need to be live.
import { createSecretKey, randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import type pg from "pg";

export function accessTokenMinter(secret: string, ttlSeconds: number): (userId: string, sessionId: string) => string {
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  return (userId, sessionId) => jwt.sign({ sid: sessionId }, key, { algorithm: "HS256", subject: userId, issuer: "chat-backend", expiresIn: ttlSeconds });
}

/** Inserts a live session for each user (on `c`, inside the caller's transaction if any) and returns their access tokens, in order. */
export async function seedLogins(c: pg.Client, secret: string, userIds: string[], ttlSeconds: number): Promise<string[]> {
  const mint = accessTokenMinter(secret, ttlSeconds);
  const sessionIds = userIds.map(() => randomUUID());
  for (let from = 0; from < userIds.length; from += 10_000) {
    await c.query(
      `INSERT INTO "Session" ("id", "userId", "currentHash", "expiresAt")
       SELECT s, u, '!', now() + make_interval(secs => $3::int) FROM unnest($1::uuid[], $2::uuid[]) AS t(s, u)`,
      [sessionIds.slice(from, from + 10_000), userIds.slice(from, from + 10_000), ttlSeconds],
    );
  }
  return userIds.map((id, i) => mint(id, sessionIds[i]!));
}
