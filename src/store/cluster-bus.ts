import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";
import type { RedisClient } from "./redis-connections.js";

/**
 * Node-to-node notices that name ids (users to wake, rooms whose members changed). Fire and
 * forget: a lost notice only delays something that also has a timeout or an expiry.
 */
export interface ClusterBus {
  /**
   * Delivered to this node's handlers at once and to every other node through Redis. Most callers
   * ignore the promise. One that must not answer before the other nodes have the notice (a block)
   * awaits it: it resolves once Redis has taken the notice, and Redis queues a message for every
   * subscriber before it answers the publisher. Never rejects; while Redis is away it waits in
   * the offline queue, so such a caller bounds its wait.
   */
  publish(channel: string, ids: string[]): Promise<void>;
  subscribe(channel: string, handler: (ids: string[]) => void): void;
  close(): Promise<void>;
}

/**
 * Publishes and waits until Redis has the notice, but no longer than `ms`: for a change that must
 * not answer before the other nodes know (a block, a removal, a revoked bot), yet must still
 * answer while Redis is away (the notice then waits in the offline queue; the caches' expiry
 * covers the rest).
 */
export async function publishWithin(bus: ClusterBus, channel: string, ids: string[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms).unref();
  });
  await Promise.race([bus.publish(channel, ids), gaveUp]).finally(() => clearTimeout(timer));
}

class Handlers {
  private byChannel = new Map<string, ((ids: string[]) => void)[]>();

  add(channel: string, handler: (ids: string[]) => void) {
    this.byChannel.set(channel, [...(this.byChannel.get(channel) ?? []), handler]);
  }

  fire(channel: string, ids: string[]) {
    for (const handler of this.byChannel.get(channel) ?? []) handler(ids);
  }

  channels() {
    return [...this.byChannel.keys()];
  }
}

export class LocalBus implements ClusterBus {
  private handlers = new Handlers();

  async publish(channel: string, ids: string[]) {
    if (ids.length) this.handlers.fire(channel, ids);
  }

  subscribe(channel: string, handler: (ids: string[]) => void) {
    this.handlers.add(channel, handler);
  }

  async close() {}
}

const PREFIX = "chat:bus:";
const ID = /^[0-9A-Za-z:_-]{1,80}$/;

export interface RedisBusOptions {
  /**
   * Sharded pub/sub (SSUBSCRIBE/SPUBLISH, Redis Cluster): each bus channel lives on the shard its
   * name hashes to, instead of every message crossing every shard of the cluster as PUBLISH does.
   * Every node still subscribes to every bus channel: the notices are for all nodes.
   */
  sharded?: boolean;
}

/**
 * One subscriber connection per node for every channel. Each message carries the publishing
 * instance's id (random per process: NODE_ID may be shared or default to one value) so a node
 * does not handle its own notices twice. Peer input is untrusted: anything malformed is dropped.
 */
export class RedisBus implements ClusterBus {
  private handlers = new Handlers();
  private readonly nodeId = randomUUID();
  private readonly ready: Promise<void>;
  private readonly sharded: boolean;

  constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly log: Logger,
    opts: RedisBusOptions = {},
  ) {
    this.sharded = opts.sharded === true;
    this.ready = new Promise((resolve) => {
      if (sub.status === "ready") resolve();
      else sub.once("ready", () => resolve());
    });
    sub.on(this.sharded ? "smessage" : "message", (channel: string, payload: string) => {
      if (!channel.startsWith(PREFIX)) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch {
        return;
      }
      if (!Array.isArray(parsed) || parsed.length !== 2 || parsed[0] === this.nodeId || !Array.isArray(parsed[1])) return;
      const ids = (parsed[1] as unknown[]).filter((id): id is string => typeof id === "string" && ID.test(id));
      if (ids.length) this.handlers.fire(channel.slice(PREFIX.length), ids);
    });
  }

  publish(channel: string, ids: string[]): Promise<void> {
    if (!ids.length) return Promise.resolve();
    this.handlers.fire(channel, ids);
    const payload = JSON.stringify([this.nodeId, ids]);
    return (this.sharded ? this.pub.spublish(PREFIX + channel, payload) : this.pub.publish(PREFIX + channel, payload)).then(
      () => {},
      (err: Error) => this.log.warn({ err: err.message, channel }, "bus publish failed"),
    );
  }

  subscribe(channel: string, handler: (ids: string[]) => void) {
    const first = !this.handlers.channels().includes(channel);
    this.handlers.add(channel, handler);
    // Only once the connection is ready: a SUBSCRIBE sent between connect and ready (after one
    // queued before connect) breaks ioredis' subscriber connection, and then nothing arrives.
    if (first) {
      void this.ready
        .then(() => (this.sharded ? this.sub.ssubscribe(PREFIX + channel) : this.sub.subscribe(PREFIX + channel)))
        .catch((err) => this.log.error({ err, channel }, "bus subscribe failed"));
    }
  }

  async close() {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
