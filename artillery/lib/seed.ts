// Virtual users, seeded in bulk before a run: users, group rooms and their memberships, and
// friendships go in by direct SQL (the same rows signup, room creation and an accepted invite or
// friend request write), and each user gets a live session and an access token minted with the
// nodes' shared JWT_SECRET exactly as src/security/jwt-access-tokens.ts issues one
// (bench/lib/access-tokens.ts: a token is refused unless its session is live); passwordHash "!"
// matches no password, so these users cannot sign in. checkThroughBalancer() then proves the path a
// real client takes: a signup through HAProxy, and a seeded token accepted by GET /api/me.

import { randomUUID } from "node:crypto";
import pg from "pg";
import { seedLogins } from "../../bench/lib/access-tokens.js";
import { database, JWT_SECRET } from "./stack.js";

export interface SeedUser {
  id: string;
  token: string;
}
export interface SeedRoom {
  id: string;
  /** Indexes into users. */
  members: number[];
}
export interface Seeded {
  users: SeedUser[];
  rooms: SeedRoom[];
  /** Each user's friend count (friends scenario), else 0. */
  friendsPerUser: number;
}


/** `users` users in rooms of `roomSize` consecutive users (the last room may be smaller); optionally `friends` friends each. */
export async function seed(opts: { users: number; roomSize: number; friends?: number }): Promise<Seeded> {
  const tag = Date.now().toString(36);
  const ids = Array.from({ length: opts.users }, () => randomUUID());
  const rooms: SeedRoom[] = [];
  for (let first = 0; first < opts.users; first += opts.roomSize) {
    rooms.push({ id: randomUUID(), members: Array.from({ length: Math.min(opts.roomSize, opts.users - first) }, (_, k) => first + k) });
  }
  const c = new pg.Client({ connectionString: database.url });
  await c.connect();
  try {
    await c.query("BEGIN");
    for (let from = 0; from < ids.length; from += 10_000) {
      const chunk = ids.slice(from, from + 10_000);
      await c.query(
        `INSERT INTO "User" ("id", "email", "passwordHash", "displayName", "statusMessage")
         SELECT id, 'lt-' || $2::text || '-' || (n + $3::int) || '@example.test', '!', 'Load ' || (n + $3::int), 'load test user'
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
        [chunk, tag, from],
      );
    }
    await c.query(
      `INSERT INTO "Room" ("id", "type", "name", "createdById")
       SELECT id, 'group', 'load room ' || n, owner FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(id, owner, n)`,
      [rooms.map((r) => r.id), rooms.map((r) => ids[r.members[0]!]!)],
    );
    const mRoom: string[] = [];
    const mUser: string[] = [];
    const mRole: string[] = [];
    for (const r of rooms) r.members.forEach((u, k) => (mRoom.push(r.id), mUser.push(ids[u]!), mRole.push(k === 0 ? "owner" : "member")));
    for (let from = 0; from < mRoom.length; from += 20_000) {
      await c.query(
        `INSERT INTO "Membership" ("roomId", "userId", "role") SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])`,
        [mRoom.slice(from, from + 20_000), mUser.slice(from, from + 20_000), mRole.slice(from, from + 20_000)],
      );
    }
    const friends = Math.min(opts.friends ?? 0, opts.users - 1);
    if (friends > 0) {
      // A ring: user i befriends the next ceil(friends/2) users; both directions are stored, so each
      // user has 2 x ceil(friends/2) friends (friends rounded up to even), or everyone else.
      const half = Math.ceil(friends / 2);
      for (let from = 0; from < ids.length; from += 2_000) {
        const a: string[] = [];
        const b: string[] = [];
        for (let i = from; i < Math.min(ids.length, from + 2_000); i++) {
          for (let k = 1; k <= half; k++) {
            const j = (i + k) % ids.length;
            a.push(ids[i]!, ids[j]!);
            b.push(ids[j]!, ids[i]!);
          }
        }
        await c.query(`INSERT INTO "Friendship" ("userId", "friendId") SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`, [a, b]);
      }
    }
    const tokens = await seedLogins(c, JWT_SECRET, ids, 86_400);
    await c.query("COMMIT");
    await c.query("ANALYZE");
    const friendsPerUser = friends > 0 ? Math.min(2 * Math.ceil(friends / 2), opts.users - 1) : 0;
    return { users: ids.map((id, i) => ({ id, token: tokens[i]! })), rooms, friendsPerUser };
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    await c.end();
  }
}

/** The same shapes with made-up ids, for the bare server (it checks nothing). */
export function fakeSeed(users: number, roomSize: number): Seeded {
  const ids = Array.from({ length: users }, () => randomUUID());
  const rooms: SeedRoom[] = [];
  for (let first = 0; first < users; first += roomSize) {
    rooms.push({ id: randomUUID(), members: Array.from({ length: Math.min(roomSize, users - first) }, (_, k) => first + k) });
  }
  return { users: ids.map((id) => ({ id, token: "bare" })), rooms, friendsPerUser: 0 };
}

/** One real signup through the balancer, and a seeded token accepted by GET /api/me. */
export async function checkThroughBalancer(url: string, s: Seeded): Promise<void> {
  const r = await fetch(`${url}/api/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `lt-signup-${randomUUID()}@example.test`, password: "load test password", displayName: "Signup check" }),
  });
  if (r.status !== 201) throw new Error(`signup through HAProxy: ${r.status} ${(await r.text()).slice(0, 300)}`);
  const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${s.users[0]!.token}` } });
  const body = (await me.json()) as { user?: { id?: string } };
  if (me.status !== 200 || body.user?.id !== s.users[0]!.id) throw new Error(`GET /api/me with a seeded token: ${me.status} ${JSON.stringify(body).slice(0, 300)}`);
  if (s.friendsPerUser > 0) {
    const f = await fetch(`${url}/api/friends`, { headers: { authorization: `Bearer ${s.users[0]!.token}` } });
    const fb = (await f.json()) as { friends?: unknown[] };
    if (f.status !== 200 || fb.friends?.length !== s.friendsPerUser) {
      throw new Error(`GET /api/friends of a seeded user: ${f.status}, ${fb.friends?.length} friends, expected ${s.friendsPerUser}`);
    }
  }
}
