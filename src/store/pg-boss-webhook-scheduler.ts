import type { PGlite } from "@electric-sql/pglite";
import type PgBoss from "pg-boss";
import type { WebhookRetryScheduler } from "../domain/ports/webhook-scheduler.js";
import type { Logger } from "../logger.js";

const QUEUE = "webhook-retry";
// How often a node looks for due retries. The node that scheduled a retry also keeps a timer of
// its own (webhook-delivery.ts), so this only bounds how late a retry runs after that node is gone.
const POLL_SECONDS = 2;
// A retry job only starts a delivery run, which holds its webhook by a lease of its own; a job
// that takes longer than this is failed by pg-boss and tried again (its own short retries).
const JOB_EXPIRE_SECONDS = 15 * 60;

/**
 * pg-boss on the PGlite of the embedded database. Its scripts (schema creation, migrations,
 * maintenance) are several statements in one string, which only the simple query protocol takes:
 * PGlite's `exec`. Parameterised statements go through `query`. Both wait while a transaction of
 * Prisma's holds PGlite's one connection, so a job statement never lands inside one.
 */
export function pgliteExecutor(pglite: PGlite): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      if (values?.length) return pglite.query(text, values);
      const results = await pglite.exec(text);
      return results[results.length - 1] ?? { rows: [] };
    },
  };
}

/**
 * WebhookRetryScheduler on pg-boss: a retry is a job with `startAfter`, in the `pgboss` schema of
 * the node's database, taken by whichever node polls first (SKIP LOCKED) once it is due: it
 * survives the node that scheduled it. On PostgreSQL pg-boss keeps a small pool of its own; on the
 * embedded database it runs on PGlite (pgliteExecutor). pg-boss makes and migrates its schema at
 * start, under an advisory lock, so nodes may start together.
 *
 * pg-boss starts only once an outgoing webhook exists (`activate`, called by the composition when
 * the node's list of them first holds one, wherever it was made) or a retry is to be scheduled:
 * without an outgoing webhook no retry can be due, and a node spares pg-boss's start, its pool and
 * its polling every POLL_SECONDS.
 */
export class PgBossWebhookScheduler implements WebhookRetryScheduler {
  private boss: PgBoss | undefined;
  private run: ((webhookId: string) => Promise<void>) | undefined;
  private wanted = false;
  private booting: Promise<void> | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly connection: { databaseUrl: string } | { pglite: PGlite },
    private readonly log: Logger,
  ) {}

  async start(run: (webhookId: string) => Promise<void>): Promise<void> {
    this.run = run;
    if (this.wanted) await this.boot();
  }

  /** An outgoing webhook exists: retries may be scheduled, here or on another node, so pg-boss runs from now on. */
  activate(): void {
    this.wanted = true;
    // Not started yet: start() boots it (the dispatcher starts the scheduler after loading the list).
    if (this.run) this.boot().catch((err) => this.log.error({ err }, "pg-boss did not start: webhook retries run on this node's timers only"));
  }

  private boot(): Promise<void> {
    this.booting ??= (async () => {
      if (this.stopped) return;
      const boss = (this.boss ??= await this.createBoss());
      await boss.start();
      this.started = true;
      await boss.createQueue(QUEUE, { name: QUEUE, expireInSeconds: JOB_EXPIRE_SECONDS, retryLimit: 3, retryDelay: 5, retryBackoff: true });
      await boss.work<{ webhookId: string }>(QUEUE, { pollingIntervalSeconds: POLL_SECONDS, batchSize: 4 }, async (jobs) => {
        await Promise.all(jobs.map((job) => this.run!(job.data.webhookId)));
      });
    })().catch((err) => {
      // Tried again by the next activate or schedule.
      this.booting = undefined;
      throw err;
    });
    return this.booting;
  }

  private async createBoss(): Promise<PgBoss> {
    // Imported here: a node without outgoing webhooks never loads it (0.7 s of a process's start).
    const { default: PgBoss } = await import("pg-boss");
    const { connection } = this;
    const db = "pglite" in connection ? { db: pgliteExecutor(connection.pglite) } : { connectionString: connection.databaseUrl, max: 2, application_name: "chat-webhooks" };
    const boss = new PgBoss({ ...db, schema: "pgboss", expireInSeconds: JOB_EXPIRE_SECONDS, retryLimit: 3, retryDelay: 5, retryBackoff: true });
    // pg-boss emits its failures (a lost connection, a failed maintenance run); unheard, an
    // 'error' event would end the process.
    boss.on("error", (err) => this.log.warn({ err }, "pg-boss error"));
    return boss;
  }

  async schedule(webhookId: string, at: Date): Promise<void> {
    if (!this.run || this.stopped) return;
    await this.boot();
    if (!this.started) return;
    await this.boss!.send(QUEUE, { webhookId }, { startAfter: at });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.booting?.catch(() => {});
    if (!this.started) return;
    this.started = false;
    await this.boss!.stop({ graceful: true, wait: true, timeout: 5_000 });
  }
}
