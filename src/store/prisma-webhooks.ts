import type {
  Claim,
  DeliveryAttempt,
  DeliveryRecord,
  EventPosition,
  MemberEventRecord,
  PendingEvent,
  RunState,
  WebhookKind,
  WebhookRecord,
  WebhookStore,
} from "../domain/ports/webhook-store.js";
import type { WebhookEventType } from "../protocol/webhooks.js";
import { announceRoomsChanged } from "./cached-rooms.js";
import type { ClusterBus } from "./cluster-bus.js";
import { statementRunner, type PlainSql, type Prisma, type StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";

// Every node's list of which rooms have outgoing webhooks: a webhook made or deleted anywhere
// reloads it everywhere; the reload on this timer is a safety net (the sweep covers the gap).
const CHANNEL = "webhooks";
const RELOAD_EVERY_MS = 60_000;
const WEBHOOK_ROLE = "webhook";

interface Row {
  id: string;
  roomId: string;
  kind: string;
  createdById: string;
  createdAt: Date;
  userId: string | null;
  name: string | null;
  targetUrl: string | null;
  events: string[];
  failures: number;
  retryAt: Date | null;
}

const record = (r: Row): WebhookRecord => ({
  id: r.id,
  roomId: r.roomId,
  kind: r.kind as WebhookKind,
  createdById: r.createdById,
  createdAt: r.createdAt,
  userId: r.userId,
  name: r.name,
  targetUrl: r.targetUrl,
  events: r.events as WebhookEventType[],
  failures: r.failures,
  retryAt: r.retryAt,
});

/**
 * The event retried is kept as the text it was sent as (jsonb would reorder its keys): a retry
 * sends the very same bytes.
 */
interface StoredPending {
  event: string;
  position: EventPosition;
}
const storedPending = (p: PendingEvent): StoredPending => ({ event: JSON.stringify(p.event), position: p.position });
const pendingOf = (p: StoredPending | null): PendingEvent | null => (p ? { event: typeof p.event === "string" ? JSON.parse(p.event) : p.event, position: p.position } : null);

const SELECT = { id: true, roomId: true, kind: true, createdById: true, createdAt: true, userId: true, name: true, targetUrl: true, events: true, failures: true, retryAt: true } as const;

/**
 * WebhookStore on the "Webhook", "WebhookDelivery" and "WebhookMemberEvent" tables (member events
 * are written by a trigger on "Membership": see the migration). A run's statements go past
 * Prisma's query layer when given a pool (Database.sql): each delivered event costs one.
 */
export class PrismaWebhookStore implements WebhookStore {
  private readonly run: StatementRunner;
  private outgoing = new Map<string, string[]>();
  private reloader: NodeJS.Timeout | undefined;
  private firstOutgoing: (() => void) | undefined;

  constructor(
    private readonly prisma: Prisma,
    sql: PlainSql | null,
    private readonly bus: ClusterBus,
    private readonly onError: (err: unknown, what: string) => void,
  ) {
    this.run = statementRunner(prisma, sql);
  }

  async createIncoming(input: { roomId: string; createdById: string; name: string; secretHash: string; user: { email: string; passwordHash: string; displayName: string } }) {
    const [, , row] = await this.prisma.$transaction(async (tx) => {
      const user = await tx.user.create({ data: input.user });
      const membership = await tx.membership.create({ data: { roomId: input.roomId, userId: user.id, role: WEBHOOK_ROLE } });
      const webhook = await tx.webhook.create({
        data: { roomId: input.roomId, kind: "incoming", createdById: input.createdById, name: input.name, userId: user.id, secretHash: input.secretHash },
        select: SELECT,
      });
      return [user, membership, webhook] as const;
    });
    // The new member must pass every node's membership check at once (cached-rooms.ts).
    await announceRoomsChanged(this.bus, [input.roomId]);
    return record(row);
  }

  async createOutgoing(input: { roomId: string; createdById: string; targetUrl: string; events: WebhookEventType[]; secret: string; cursorRev: number; cursorSeq: number }) {
    const row = await this.prisma.webhook.create({ data: { ...input, kind: "outgoing" }, select: SELECT });
    await this.outgoingChanged();
    return record(row);
  }

  async list(roomId: string) {
    return (await this.prisma.webhook.findMany({ where: { roomId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: SELECT })).map(record);
  }

  async find(roomId: string, webhookId: string) {
    const row = await this.prisma.webhook.findFirst({ where: { id: webhookId, roomId }, select: SELECT });
    return row && record(row);
  }

  async remove(roomId: string, webhookId: string) {
    const row = await this.prisma.webhook.findFirst({ where: { id: webhookId, roomId }, select: SELECT });
    if (!row) return null;
    const [deleted] = await this.prisma.$transaction([
      this.prisma.webhook.deleteMany({ where: { id: webhookId, roomId } }),
      this.prisma.webhookMemberEvent.deleteMany({ where: { webhookId } }),
    ]);
    if (!deleted.count) return null;
    if (row.kind === "outgoing") await this.outgoingChanged();
    return record(row);
  }

  async findIncoming(secretHash: string) {
    const row = await this.prisma.webhook.findUnique({ where: { secretHash }, select: SELECT });
    return row && row.kind === "incoming" ? record(row) : null;
  }

  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.prisma.webhookDelivery.findMany({ where: { webhookId }, orderBy: { id: "desc" }, take: limit });
    return rows.map((r) => ({ ...r, id: String(r.id), eventType: r.eventType as WebhookEventType }));
  }

  // ---- Which rooms have outgoing webhooks (every wake-up asks; answered from memory).

  outgoingIn(roomId: string): readonly string[] {
    return this.outgoing.get(roomId) ?? [];
  }

  async watchOutgoing(): Promise<void> {
    this.bus.subscribe(CHANNEL, () => void this.reload().catch((err) => this.onError(err, "webhook list reload failed")));
    await this.reload();
    clearInterval(this.reloader);
    this.reloader = setInterval(() => void this.reload().catch((err) => this.onError(err, "webhook list reload failed")), RELOAD_EVERY_MS).unref();
  }

  close(): void {
    clearInterval(this.reloader);
  }

  /** Calls `listener` once, when the list first holds an outgoing webhook (made on any node, or there at start). */
  onFirstOutgoing(listener: () => void): void {
    this.firstOutgoing = listener;
    if (this.outgoing.size) this.notifyFirstOutgoing();
  }

  private notifyFirstOutgoing(): void {
    const listener = this.firstOutgoing;
    this.firstOutgoing = undefined;
    listener?.();
  }

  private async reload(): Promise<void> {
    const rows = await this.prisma.webhook.findMany({ where: { kind: "outgoing" }, select: { id: true, roomId: true } });
    const next = new Map<string, string[]>();
    for (const r of rows) next.set(r.roomId, [...(next.get(r.roomId) ?? []), r.id]);
    this.outgoing = next;
    if (next.size) this.notifyFirstOutgoing();
  }

  /** Reloads here before answering, and on every other node through the bus. */
  private async outgoingChanged(): Promise<void> {
    await this.reload().catch((err) => this.onError(err, "webhook list reload failed"));
    void this.bus.publish(CHANNEL, ["changed"]);
  }

  // ---- Delivery runs. Times are the database's: every node agrees on leases and retries.

  async claim(webhookId: string, token: string, leaseMs: number): Promise<Claim> {
    const [row] = await this.run<RunState & { claimed: boolean; retryAt: Date | null; targetUrl: string }>(Sql.sql`
      WITH old AS (
        SELECT id, ("runUntil" IS NULL OR "runUntil" < now()) AND ("retryAt" IS NULL OR "retryAt" <= now()) AS free
        FROM "Webhook" WHERE id = ${webhookId}::uuid AND kind = 'outgoing' FOR UPDATE
      )
      UPDATE "Webhook" w SET
        "runToken" = CASE WHEN old.free THEN ${token} ELSE w."runToken" END,
        "runUntil" = CASE WHEN old.free THEN now() + ${leaseMs}::int * interval '1 millisecond' ELSE w."runUntil" END,
        wanted = NOT old.free
      FROM old WHERE w.id = old.id
      RETURNING old.free AS claimed, w.id AS "webhookId", w."roomId", w."targetUrl", w.secret, w.events, w."cursorRev", w."cursorSeq",
        w.failures, w.pending, CASE WHEN w."retryAt" > now() THEN w."retryAt" END AS "retryAt"`);
    if (!row) return { claimed: false, retryAt: null };
    if (!row.claimed) return { claimed: false, retryAt: row.retryAt };
    const { claimed: _, retryAt: __, ...state } = row;
    return { claimed: true, state: { ...state, events: state.events as WebhookEventType[], pending: pendingOf(state.pending as StoredPending | null) } };
  }

  async renew(webhookId: string, token: string, leaseMs: number): Promise<boolean> {
    const rows = await this.run(Sql.sql`
      UPDATE "Webhook" SET "runUntil" = now() + ${leaseMs}::int * interval '1 millisecond'
      WHERE id = ${webhookId}::uuid AND "runToken" = ${token} RETURNING 1 AS ok`);
    return rows.length > 0;
  }

  async memberEvents(webhookId: string, limit: number): Promise<MemberEventRecord[]> {
    const rows = await this.run<MemberEventRecord & { id: string | bigint }>(Sql.sql`
      SELECT id, "userId", type, "afterRev", at FROM "WebhookMemberEvent" WHERE "webhookId" = ${webhookId}::uuid ORDER BY id LIMIT ${limit}::int`);
    return rows.map((r) => ({ ...r, id: String(r.id) }));
  }

  async stampMemberEvents(webhookId: string, rev: number): Promise<void> {
    await this.run(Sql.sql`UPDATE "WebhookMemberEvent" SET "afterRev" = ${rev}::int WHERE "webhookId" = ${webhookId}::uuid AND "afterRev" IS NULL`);
  }

  async advance(webhookId: string, token: string, position: EventPosition, attempts: DeliveryAttempt[], memberEventIds: string[], opts?: { release: true }): Promise<boolean> {
    const release = Boolean(opts?.release);
    const rows = await this.run<{ released: boolean }>(Sql.sql`
      WITH moved AS (
        UPDATE "Webhook" SET "cursorRev" = GREATEST("cursorRev", ${position.rev}::int), "cursorSeq" = GREATEST("cursorSeq", ${position.seq}::int),
          failures = 0, "retryAt" = NULL, pending = NULL,
          "runToken" = CASE WHEN ${release}::boolean AND NOT wanted THEN NULL ELSE "runToken" END,
          "runUntil" = CASE WHEN ${release}::boolean AND NOT wanted THEN NULL ELSE "runUntil" END,
          wanted = CASE WHEN ${release}::boolean THEN false ELSE wanted END
        WHERE id = ${webhookId}::uuid AND "runToken" = ${token} RETURNING id, "runToken" IS NULL AS released
      ), gone AS (
        DELETE FROM "WebhookMemberEvent"
        WHERE "webhookId" IN (SELECT id FROM moved) AND id IN (SELECT jsonb_array_elements_text(${JSON.stringify(memberEventIds)}::jsonb)::bigint)
      ), recorded AS (
        ${this.insertAttempts(attempts)}
      )
      SELECT released FROM moved`);
    // Without `release`: whether the run still holds it. With it: whether it is let go (or lost).
    return release ? (rows[0]?.released ?? true) : rows.length > 0;
  }

  async failed(webhookId: string, token: string, attempt: DeliveryAttempt, retry: { failures: number; delayMs: number; pending: PendingEvent }): Promise<Date | null> {
    const [row] = await this.run<{ retryAt: Date }>(Sql.sql`
      WITH moved AS (
        UPDATE "Webhook" SET failures = ${retry.failures}::int, "retryAt" = now() + ${retry.delayMs}::int * interval '1 millisecond',
          pending = ${JSON.stringify(storedPending(retry.pending))}::jsonb, "runToken" = NULL, "runUntil" = NULL, wanted = false
        WHERE id = ${webhookId}::uuid AND "runToken" = ${token} RETURNING id, "retryAt"
      ), recorded AS (
        ${this.insertAttempts([attempt])}
      )
      SELECT "retryAt" FROM moved`);
    return row?.retryAt ?? null;
  }

  /** Inserts the attempts, in order, for the webhook of `moved` (the CTE of the statement it is part of). */
  private insertAttempts(attempts: DeliveryAttempt[]) {
    const rows = attempts.map((a) => ({ ...a, error: a.error?.slice(0, 500) ?? null, durationMs: Math.round(a.durationMs) }));
    return Sql.sql`INSERT INTO "WebhookDelivery" ("webhookId", "eventId", "eventType", status, ok, error, "durationMs", at)
      SELECT moved.id, a."eventId", a."eventType", a.status, a.ok, a.error, a."durationMs", a.at
      FROM moved, ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS ("eventId" text, "eventType" text, status int, ok boolean, error text, "durationMs" int, at timestamptz)) WITH ORDINALITY
        AS a("eventId", "eventType", status, ok, error, "durationMs", at, n)
      ORDER BY a.n`;
  }

  async release(webhookId: string, token: string): Promise<boolean> {
    const [row] = await this.run<{ released: boolean }>(Sql.sql`
      UPDATE "Webhook" SET
        "runToken" = CASE WHEN wanted THEN "runToken" ELSE NULL END,
        "runUntil" = CASE WHEN wanted THEN "runUntil" ELSE NULL END,
        wanted = false
      WHERE id = ${webhookId}::uuid AND "runToken" = ${token}
      RETURNING "runToken" IS NULL AS released`);
    // Not held any more (deleted, or the lease lapsed): nothing left to do for this run.
    return row ? row.released : true;
  }

  async abandon(webhookId: string, token: string): Promise<void> {
    await this.run(Sql.sql`UPDATE "Webhook" SET "runToken" = NULL, "runUntil" = NULL, wanted = true WHERE id = ${webhookId}::uuid AND "runToken" = ${token}`);
  }

  async idle() {
    return this.run<{ id: string; roomId: string; cursorRev: number; wanted: boolean; memberEvents: boolean }>(Sql.sql`
      SELECT w.id, w."roomId", w."cursorRev", w.wanted,
        EXISTS (SELECT 1 FROM "WebhookMemberEvent" e WHERE e."webhookId" = w.id) AS "memberEvents"
      FROM "Webhook" w
      WHERE w.kind = 'outgoing' AND (w."runUntil" IS NULL OR w."runUntil" < now()) AND (w."retryAt" IS NULL OR w."retryAt" <= now())`);
  }

  async trimDeliveries(webhookId: string, keep: number): Promise<void> {
    await this.run(Sql.sql`
      DELETE FROM "WebhookDelivery" WHERE "webhookId" = ${webhookId}::uuid AND id < (
        SELECT id FROM "WebhookDelivery" WHERE "webhookId" = ${webhookId}::uuid ORDER BY id DESC OFFSET ${keep - 1}::int LIMIT 1)`);
  }
}
