import { Conflict, NotFound } from "../../src/domain/errors.js";
import type { NewUser, Page, UserPatch, UserRepository } from "../../src/domain/ports/user-repository.js";
import type { UserRecord } from "../../src/domain/user.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";

/** src/store/prisma-users.ts toPage: `rows` holds up to limit + 1; the cursor is the last id shown. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

/** UserRepository (src/domain/ports/user-repository.ts) in memory, as PrismaUserRepository behaves. */
export class MemoryUserRepository implements UserRepository {
  private readonly byId = new Map<string, UserRecord>();
  private readonly ids = new IdSequence("user");
  /**
   * What goes with a removed user, as ON DELETE CASCADE does (not part of the port): each returns
   * the ids of the sessions it dropped. test/fakes/domain-deps.ts wires the session fake here.
   */
  readonly cascade: ((userId: string) => string[])[] = [];

  constructor(private readonly clock: TestClock) {}

  async create(user: NewUser): Promise<UserRecord> {
    // The unique index on User.email is exact (case-sensitive): the domain normalizes before.
    if ([...this.byId.values()].some((u) => u.email === user.email)) {
      // prisma-users.ts create: the unique violation maps to this Conflict.
      throw new Conflict("an account with this email already exists");
    }
    const record: UserRecord = {
      id: this.ids.next(),
      email: user.email,
      passwordHash: user.passwordHash,
      displayName: user.displayName,
      // The schema's defaults (prisma/schema.prisma, model User).
      statusMessage: "",
      avatarKey: null,
      emailVerified: false,
      createdAt: this.clock.now(),
      operator: false,
      suspendedAt: null,
      suspendReason: null,
    };
    this.byId.set(record.id, record);
    return { ...record };
  }

  async findById(id: string) {
    const u = this.byId.get(id);
    return u ? { ...u } : null;
  }

  async findByEmail(email: string) {
    const u = [...this.byId.values()].find((x) => x.email === email);
    return u ? { ...u } : null;
  }

  async findManyByIds(ids: string[]) {
    // `WHERE id IN (…)`: each user once, whatever the duplicates; no order promised (kept by id).
    return [...new Set(ids)].flatMap((id) => {
      const u = this.byId.get(id);
      return u ? [{ ...u }] : [];
    });
  }

  async update(id: string, patch: UserPatch) {
    const u = this.byId.get(id);
    // prisma-users.ts update: a missing row (P2025) maps to NotFound.
    if (!u) throw new NotFound("no such user");
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) Object.assign(u, { [k]: v });
    return { ...u };
  }

  async remove(id: string) {
    if (!this.byId.delete(id)) return { sessionIds: [] };
    // The foreign keys' cascade, as far as the fakes wired to this one hold rows of the user.
    return { sessionIds: this.cascade.flatMap((drop) => drop(id)) };
  }

  async search(query: string, limit: number, afterId: string | null) {
    // prisma-users.ts search: display-name substring, case-insensitive (ILIKE with %, _ and \
    // escaped, i.e. literal), or the exact email in lower case; by id, after the cursor.
    const q = query.toLowerCase();
    const rows = [...this.byId.values()]
      .filter((u) => u.displayName.toLowerCase().includes(q) || u.email === q)
      .filter((u) => afterId === null || u.id > afterId)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit + 1)
      .map((u) => ({ ...u }));
    return toPage(rows, limit);
  }

  // ---- Not part of the port: test set-up.

  /** What the operators' store writes beside the port (test/fakes/memory-moderation-store.ts); null if there is no such user. */
  moderate(id: string, fields: Partial<Pick<UserRecord, "operator" | "suspendedAt" | "suspendReason">>): UserRecord | null {
    const u = this.byId.get(id);
    if (!u) return null;
    Object.assign(u, fields);
    return { ...u };
  }

  /** A stored user without going through signup (no hashing); the password hash is a placeholder. */
  async add(over: Partial<Omit<UserRecord, "id" | "createdAt">> & { displayName?: string } = {}): Promise<UserRecord> {
    const n = this.byId.size + 1;
    const created = await this.create({
      email: over.email ?? `user${n}@example.test`,
      passwordHash: over.passwordHash ?? "no-password",
      displayName: over.displayName ?? `User ${n}`,
    });
    const { email: _e, passwordHash: _p, displayName: _d, ...rest } = over;
    return Object.keys(rest).length ? this.update(created.id, rest) : created;
  }

  get size(): number {
    return this.byId.size;
  }
}
