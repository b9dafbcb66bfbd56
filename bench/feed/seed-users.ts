// The feed bench's users: inserted by direct SQL ("!" is no bcrypt hash: they cannot sign in), each
// with a live session and an access token minted as the server would (bench/lib/access-tokens.ts),
// and the feed cursor a poll starts from.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { seedLogins } from "../lib/access-tokens.js";
import { database, JWT_SECRET } from "./settings.js";

export interface User {
  id: string;
  token: string;
}

export async function seedUsers(n: number): Promise<User[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  const c = new pg.Client({ connectionString: database.url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO "User" ("id", "email", "passwordHash", "displayName")
       SELECT id, 'feed-' || id || '@example.test', '!', 'Feed ' || n FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [ids],
    );
    const tokens = await seedLogins(c, JWT_SECRET, ids, 3600);
    await c.query("ANALYZE");
    return ids.map((id, i) => ({ id, token: tokens[i]! }));
  } finally {
    await c.end();
  }
}

/** The feed cursor just after `seq` (f1.<seq>, base64url), as GET /api/events hands them out. */
export const cursorOf = (seq: number) => Buffer.from(`f1.${seq}`).toString("base64url");
