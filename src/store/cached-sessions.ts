import type { SessionRepository, SessionRevocations } from "../domain/ports/session-repository.js";
import type { ClusterBus } from "./cluster-bus.js";

const CHANNEL = "session-revoked";
// A safety net only: every revocation is announced on the bus, so a revoked session is refused
// everywhere within milliseconds; without the bus (Redis down at that moment) within this long.
const LIVE_TTL_MS = 60_000;
const MAX_SESSIONS = 100_000;

/**
 * Sessions with each node's answer to "may this access token still be used?" kept in memory:
 * authenticating a request or a socket handshake costs a map lookup, and a query once a minute
 * per session and node. A revocation on any node reaches every node through the cluster bus and
 * is remembered as long as an access token of it can be valid (`rememberRevokedMs`), so a
 * check that read the database just before the revocation cannot store a stale "live" after it.
 */
export class CachedSessionRepository implements SessionRepository, SessionRevocations {
  private readonly live = new Map<string, { userId: string; at: number }>();
  private readonly revoked = new Map<string, number>();
  private readonly handlers: ((sessionIds: string[]) => void)[] = [];

  constructor(
    private readonly inner: SessionRepository,
    private readonly bus: ClusterBus,
    private readonly rememberRevokedMs: number,
  ) {
    bus.subscribe(CHANNEL, (ids) => this.dropLocal(ids));
  }

  create(userId: string, secretHash: string, expiresAt: Date) {
    return this.inner.create(userId, secretHash, expiresAt);
  }

  rotate(sessionId: string, oldHash: string, newHash: string, expiresAt: Date, now: Date) {
    return this.inner.rotate(sessionId, oldHash, newHash, expiresAt, now);
  }

  find(sessionId: string) {
    return this.inner.find(sessionId);
  }

  async revoke(sessionId: string, now: Date) {
    await this.inner.revoke(sessionId, now);
    // Delivered to this node at once (the bus fires local handlers), then to every other node.
    this.bus.publish(CHANNEL, [sessionId]);
  }

  async revokeMany(sessionIds: string[], now: Date) {
    if (!sessionIds.length) return;
    await this.inner.revokeMany(sessionIds, now);
    // One bus message for them all; as revoke(), this node first, then every other.
    this.bus.publish(CHANNEL, sessionIds);
  }

  liveIdsOf(userId: string) {
    return this.inner.liveIdsOf(userId);
  }

  async isLive(sessionId: string, userId: string) {
    const now = Date.now();
    const revokedUntil = this.revoked.get(sessionId);
    if (revokedUntil !== undefined) {
      if (revokedUntil > now) return false;
      this.revoked.delete(sessionId);
    }
    const hit = this.live.get(sessionId);
    if (hit && now - hit.at < LIVE_TTL_MS) return hit.userId === userId;
    const live = await this.inner.isLive(sessionId, userId);
    // A session never comes back (revoked, or gone with its user): remembered like a revocation,
    // so a client retrying with a dead token costs no query per request.
    if (!live) this.remember(sessionId, now + this.rememberRevokedMs);
    // Stored only if no revocation arrived while the query ran.
    else if (!this.revoked.has(sessionId)) {
      if (this.live.size >= MAX_SESSIONS) this.live.delete(this.live.keys().next().value!);
      this.live.set(sessionId, { userId, at: now });
    }
    return live;
  }

  onRevoked(handler: (sessionIds: string[]) => void) {
    this.handlers.push(handler);
  }

  private dropLocal(ids: string[]) {
    const until = Date.now() + this.rememberRevokedMs;
    for (const id of ids) this.remember(id, until);
    for (const handler of this.handlers) handler(ids);
  }

  private remember(sessionId: string, until: number) {
    this.live.delete(sessionId);
    if (this.revoked.size >= MAX_SESSIONS) this.revoked.delete(this.revoked.keys().next().value!);
    this.revoked.set(sessionId, until);
  }
}
