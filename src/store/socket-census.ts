import { randomUUID } from "node:crypto";
import type { NodeSockets, SocketCensus } from "../domain/ports/socket-census.js";
import type { Logger } from "../logger.js";
import type { RedisClient } from "./redis-connections.js";

/*
 * Sockets per node for GET /api/admin/stats. Each node writes its own figure into one Redis hash
 * every REPORT_EVERY_MS, with the time it stops counting; readers skip (and remove) figures past
 * it. Chosen over Socket.IO's fetchSockets, which would ship every socket of the cluster to count
 * them, and over serverSideEmit, which this codebase keeps out (nodes talk through the cluster
 * bus). Costs one HSET per node every 10 s; a figure is at most that old, except the reader's own,
 * written fresh before each read.
 *
 *   chat:node-sockets   HASH   <process id> -> {"node": NODE_ID, "sockets": n, "until": epoch ms}
 *
 * The field is a random id per process: NODE_ID defaults to hostname:port and may be shared.
 * One key: on a Redis Cluster it lives on the shard its slot belongs to.
 */
const KEY = "chat:node-sockets";
const REPORT_EVERY_MS = 10_000;
// Three missed reports: a node that stopped (crashed, or Redis lost its writes) drops out after it.
const STALE_AFTER_MS = 3 * REPORT_EVERY_MS;
const NODE_MAX = 200;

function parseFigure(raw: string): (NodeSockets & { until: number }) | null {
  try {
    // Peer input: anything malformed is dropped.
    const v = JSON.parse(raw) as { node?: unknown; sockets?: unknown; until?: unknown };
    if (typeof v.node !== "string" || v.node.length > NODE_MAX || !Number.isSafeInteger(v.sockets) || (v.sockets as number) < 0 || typeof v.until !== "number") return null;
    return { node: v.node, sockets: v.sockets as number, until: v.until };
  } catch {
    return null;
  }
}

export class RedisSocketCensus implements SocketCensus {
  private readonly field = randomUUID();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly node: string,
    /** This node's connected sockets now. */
    private readonly count: () => number,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.report().catch((err: Error) => this.log.warn({ err: err.message }, "socket census report failed")), REPORT_EVERY_MS).unref();
    void this.report().catch(() => {});
  }

  private async report(): Promise<void> {
    await this.redis.hset(KEY, this.field, JSON.stringify({ node: this.node, sockets: this.count(), until: Date.now() + STALE_AFTER_MS }));
  }

  async perNode(): Promise<NodeSockets[]> {
    await this.report();
    const now = Date.now();
    const out: NodeSockets[] = [];
    const stale: string[] = [];
    for (const [field, raw] of Object.entries(await this.redis.hgetall(KEY))) {
      const figure = parseFigure(raw);
      if (!figure || figure.until < now) stale.push(field);
      else out.push({ node: figure.node, sockets: figure.sockets });
    }
    if (stale.length) await this.redis.hdel(KEY, ...stale);
    return out.sort((a, b) => a.node.localeCompare(b.node));
  }

  /** Stops reporting and withdraws this node's figure (a drained node holds no sockets). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.hdel(KEY, this.field).catch(() => {});
  }

  /** As a crash: stops reporting; the figure expires on its own. */
  abandon(): void {
    clearInterval(this.timer);
  }
}

/** Without Redis there is one node: its own figure, read when asked. */
export class LocalSocketCensus implements SocketCensus {
  constructor(
    private readonly node: string,
    private readonly count: () => number,
  ) {}

  async perNode(): Promise<NodeSockets[]> {
    return [{ node: this.node, sockets: this.count() }];
  }

  async close(): Promise<void> {}

  abandon(): void {}
}
