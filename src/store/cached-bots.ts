import type { BotRepository, BotRevocations, NewBot, UsableBot } from "../domain/ports/bot-repository.js";
import { publishWithin, type ClusterBus } from "./cluster-bus.js";

const CHANNEL = "bot-revoked";
// A safety net only: every revocation is announced on the bus, so a revoked bot is refused
// everywhere within ms; without the bus (Redis down at that moment) within this long. It is also
// how long a suspension of the bot's user or owner takes to reach a node that had the bot cached.
const TTL_MS = 60_000;
// Per map. An entry is a 64-character hash and two ids.
const MAX_ENTRIES = 100_000;
// How long a revocation waits for Redis to take the notice (while it is away the notice waits in
// the offline queue): the contract's bound for a revocation to reach every node (1 s).
const NOTICE_WAIT_MS = 1_000;

/** A Map that drops its oldest entry when full and forgets entries older than TTL_MS. */
class Recent<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  get(key: string, now: number): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (now - hit.at < TTL_MS) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, now: number) {
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, at: now });
  }

  /** The keys whose values match, removed. */
  deleteWhere(match: (value: V) => boolean): string[] {
    const keys = [...this.entries].filter(([, e]) => match(e.value)).map(([key]) => key);
    for (const key of keys) this.entries.delete(key);
    return keys;
  }
}

/**
 * Bots with each node's answer to "whose is this token?" kept in memory: a bot's request or
 * handshake costs a map lookup, and a query per token and node once a minute. Tokens that match
 * no usable bot are remembered too (a client retrying with a dead token costs no query per
 * request; a token is random, so none is asked about before it exists). A revocation on any node
 * reaches every node through the cluster bus, drops the bot from each node's map and runs the
 * `onRevoked` handlers (realtime/accounts.ts closes the bot's sockets); `revoke` resolves once
 * Redis has the notice. A generation counter keeps a lookup that started before a revocation
 * from storing or answering what it read.
 */
export class CachedBotRepository implements BotRepository, BotRevocations {
  private readonly usable = new Recent<UsableBot>();
  private readonly unusable = new Recent<true>();
  private generation = 0;
  private readonly handlers: ((botIds: string[]) => void)[] = [];

  constructor(
    private readonly inner: BotRepository,
    private readonly bus: ClusterBus,
  ) {
    bus.subscribe(CHANNEL, (ids) => this.dropLocal(ids));
  }

  create(bot: NewBot, maxLive: number) {
    return this.inner.create(bot, maxLive);
  }

  listOf(ownerId: string, opts?: { includeRevoked?: boolean }) {
    return this.inner.listOf(ownerId, opts);
  }

  find(botId: string) {
    return this.inner.find(botId);
  }

  isBot(userId: string) {
    return this.inner.isBot(userId);
  }

  async revoke(botIds: string[], now: Date) {
    if (!botIds.length) return;
    await this.inner.revoke(botIds, now);
    await this.announce(botIds);
  }

  liveIdsFor(userId: string) {
    return this.inner.liveIdsFor(userId);
  }

  /** A suspension: the same notice as a revocation. Lifting it lets the bots back in once the nodes' "unusable" entries expire (TTL_MS). */
  async cutOff(botIds: string[]) {
    if (!botIds.length) return;
    await this.inner.cutOff(botIds);
    await this.announce(botIds);
  }

  private async announce(botIds: string[]) {
    // This node's handlers run at once; the answer waits until Redis has the notice for the others.
    await publishWithin(this.bus, CHANNEL, botIds, NOTICE_WAIT_MS);
  }

  async findUsable(tokenHash: string): Promise<UsableBot | null> {
    const now = Date.now();
    const hit = this.usable.get(tokenHash, now);
    if (hit) return hit;
    if (this.unusable.get(tokenHash, now)) return null;
    const started = this.generation;
    const found = await this.inner.findUsable(tokenHash);
    // A revocation (of any bot: they are rare) arrived while the query ran: what it read may be
    // from before the revocation committed, so it is neither kept nor trusted; the store is asked
    // again, and now has it.
    if (this.generation !== started) return this.inner.findUsable(tokenHash);
    if (found) this.usable.set(tokenHash, found, now);
    else this.unusable.set(tokenHash, true, now);
    return found;
  }

  onRevoked(handler: (botIds: string[]) => void) {
    this.handlers.push(handler);
  }

  private dropLocal(botIds: string[]) {
    this.generation++;
    // A walk over the map: revocations are rare, and a bot has one token.
    const revoked = new Set(botIds);
    for (const hash of this.usable.deleteWhere((bot) => revoked.has(bot.id))) this.unusable.set(hash, true, Date.now());
    for (const handler of this.handlers) handler(botIds);
  }
}
