import type { BlockRepository } from "../../src/domain/ports/block-repository.js";
import type { UserProfile } from "../../src/domain/user.js";
import type { TestClock } from "./clock.js";
import type { MemoryUserRepository } from "./memory-user-repository.js";

/** BlockRepository (src/domain/ports/block-repository.ts) in memory, as PrismaBlockRepository (src/store/prisma-blocks.ts) behaves. */
export class MemoryBlockRepository implements BlockRepository {
  /** "blockerId blockedId" → when, in insertion order. */
  private readonly rows = new Map<string, Date>();

  constructor(
    private readonly users: MemoryUserRepository,
    private readonly clock: TestClock,
  ) {}

  async block(blockerId: string, blockedId: string) {
    // createMany skipDuplicates: blocking twice keeps the first block's time.
    const key = `${blockerId} ${blockedId}`;
    if (!this.rows.has(key)) this.rows.set(key, this.clock.now());
  }

  /** Not part of the port: the same answer as isBlocked, at once (the mention index fake joins blocks like its adapter). */
  has(blockerId: string, blockedId: string): boolean {
    return this.rows.has(`${blockerId} ${blockedId}`);
  }

  async unblock(blockerId: string, blockedId: string) {
    this.rows.delete(`${blockerId} ${blockedId}`);
  }

  async list(blockerId: string): Promise<UserProfile[]> {
    // Ordered by the block's createdAt, then the blocked user's id; profile columns only.
    const rows = this.pairs()
      .filter(([blocker]) => blocker === blockerId)
      .sort((a, b) => a[2].getTime() - b[2].getTime() || (a[1] < b[1] ? -1 : 1));
    const out: UserProfile[] = [];
    for (const [, blockedId] of rows) {
      const u = await this.users.findById(blockedId);
      if (u) {
        const { passwordHash: _omitted, ...profile } = u;
        out.push(profile);
      }
    }
    return out;
  }

  async isBlocked(blockerId: string, blockedId: string) {
    return this.rows.has(`${blockerId} ${blockedId}`);
  }

  async eitherBlocked(a: string, b: string) {
    return this.rows.has(`${a} ${b}`) || this.rows.has(`${b} ${a}`);
  }

  async blockedBy(userId: string): Promise<ReadonlySet<string>> {
    return new Set(this.pairs().flatMap(([blocker, blocked]) => (blocker === userId ? [blocked] : [])));
  }

  async blockersOf(userId: string): Promise<ReadonlySet<string>> {
    return new Set(this.pairs().flatMap(([blocker, blocked]) => (blocked === userId ? [blocker] : [])));
  }

  private pairs(): [string, string, Date][] {
    return [...this.rows].map(([key, at]) => [...(key.split(" ") as [string, string]), at]);
  }
}
