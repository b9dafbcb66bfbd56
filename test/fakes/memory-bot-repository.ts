import { Unauthorized } from "../../src/domain/errors.js";
import type { BotRecord, BotRepository, NewBot, UsableBot } from "../../src/domain/ports/bot-repository.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";
import type { MemoryUserRepository } from "./memory-user-repository.js";

interface BotRow extends BotRecord {
  tokenHash: string;
}

/** BotRepository (src/domain/ports/bot-repository.ts) in memory, as PrismaBotRepository behaves; its users live in the user fake. */
export class MemoryBotRepository implements BotRepository {
  private readonly rows = new Map<string, BotRow>();
  private readonly ids = new IdSequence("bot");
  /** Every cutOff() call's ids, in order (not part of the port: what the other nodes would be told). */
  readonly cutOffs: string[][] = [];
  /** Every revoke() call's ids, in order (not part of the port: what the other nodes would be told). */
  readonly revocations: string[][] = [];

  constructor(
    private readonly users: MemoryUserRepository,
    private readonly clock: TestClock,
  ) {}

  async create(bot: NewBot, maxLive: number): Promise<{ created: BotRecord } | "limit"> {
    // One synchronous check-and-insert after the awaits, as the owner's row lock makes it.
    if (!(await this.users.findById(bot.ownerId))) throw new Unauthorized("account no longer exists");
    if ([...this.rows.values()].filter((r) => r.ownerId === bot.ownerId && !r.revokedAt).length >= maxLive) return "limit";
    const user = await this.users.create({ email: bot.user.email, passwordHash: bot.user.passwordHash, displayName: bot.name });
    await this.users.update(user.id, { emailVerified: true });
    const row: BotRow = { id: this.ids.next(), userId: user.id, ownerId: bot.ownerId, name: bot.name, tokenHash: bot.tokenHash, createdAt: this.clock.now(), revokedAt: null };
    this.rows.set(row.id, row);
    return { created: view(row) };
  }

  async listOf(ownerId: string, opts: { includeRevoked?: boolean } = {}) {
    return [...this.rows.values()].filter((r) => r.ownerId === ownerId && (opts.includeRevoked || !r.revokedAt)).map(view);
  }

  async find(botId: string) {
    const row = this.rows.get(botId);
    return row ? view(row) : null;
  }

  async isBot(userId: string) {
    return [...this.rows.values()].some((r) => r.userId === userId);
  }

  async revoke(botIds: string[], now: Date) {
    if (!botIds.length) return;
    this.revocations.push([...botIds]);
    for (const id of botIds) {
      const row = this.rows.get(id);
      if (row && !row.revokedAt) row.revokedAt = now;
    }
  }

  async findUsable(tokenHash: string): Promise<UsableBot | null> {
    const row = [...this.rows.values()].find((r) => r.tokenHash === tokenHash && !r.revokedAt);
    if (!row) return null;
    const [user, owner] = await Promise.all([this.users.findById(row.userId), this.users.findById(row.ownerId)]);
    if (!user || !owner || user.suspendedAt || owner.suspendedAt) return null;
    return { id: row.id, userId: row.userId };
  }

  async liveIdsFor(userId: string) {
    return [...this.rows.values()].filter((r) => !r.revokedAt && (r.ownerId === userId || r.userId === userId)).map((r) => r.id);
  }

  async cutOff(botIds: string[]) {
    if (botIds.length) this.cutOffs.push([...botIds]);
  }

  // ---- Not part of the port.

  /** ON DELETE CASCADE from User: a removed user takes the bot it is and the bots it owns. */
  dropUser(userId: string): void {
    for (const [id, row] of this.rows) if (row.userId === userId || row.ownerId === userId) this.rows.delete(id);
  }

  /** The stored hash of a bot's token (the use cases never read it back). */
  tokenHashOf(botId: string): string | undefined {
    return this.rows.get(botId)?.tokenHash;
  }

  get size(): number {
    return this.rows.size;
  }
}

const view = ({ tokenHash: _, ...record }: BotRow): BotRecord => ({ ...record });
