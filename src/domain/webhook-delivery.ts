/**
 * Outgoing webhooks' deliveries (PROTOCOL.md, "Integrations"; docs/integrations.md): at least
 * once, in rev order per room, retried with exponential backoff, surviving restarts.
 *
 * Nothing is queued per event. Each webhook keeps a cursor in PostgreSQL (the rev delivered so
 * far); a delivery run reads the room's timeline after it (webhook-events.ts), POSTs one event at
 * a time and moves the cursor after each 2xx, so what was not acknowledged is read again by the
 * next run, on whichever node. One run at a time holds a webhook (a token and a lease in its row).
 * A change wakes the webhooks of its room on the node that made it (`roomChanged`): a run there,
 * or, when another run holds the webhook, a `wanted` mark that run reads before it lets go.
 * A failed attempt freezes the event (the same body is sent again), releases the webhook until its
 * retry time, and schedules the retry durably (WebhookRetryScheduler, pg-boss); a node that dies
 * mid-run leaves a lease that expires. A sweep (at start, then every `sweepMs`) runs the webhooks
 * whose room moved past their cursor without a wake-up reaching them (a node that died between a
 * commit and its wake-up) and those whose lease expired.
 */
import { randomUUID } from "node:crypto";
import type { MessageStore } from "./ports/message-store.js";
import type { WebhookRetryScheduler } from "./ports/webhook-scheduler.js";
import type { WebhookSender } from "./ports/webhook-sender.js";
import type { DeliveryAttempt, EventPosition, RunState, WebhookStore } from "./ports/webhook-store.js";
import { withReplyExcerpts } from "./replies.js";
import { deliveryHeaders, mergeTimeline, retryDelayMs, type TimelineItem } from "./webhook-events.js";

// Events read per page: one statement of the message store's, and member events beside it.
const PAGE = 100;
// Delivery records kept per webhook (GET …/deliveries shows the latest 100 at most).
export const DELIVERIES_KEPT = 100;
// Attempts between two trims of the delivery records.
const TRIM_EVERY = 50;
// A run writes its cursor (and the attempts' records) at least this often while it delivers, and
// after this many attempts at the most.
const SAVE_EVERY_MS = 100;
const SAVE_EVERY_ATTEMPTS = 50;

export interface WebhookDeliveryDeps {
  webhooks: WebhookStore;
  messages: MessageStore;
  sender: WebhookSender;
  scheduler: WebhookRetryScheduler;
  /** The first retry's wait and the longest (retryDelayMs). */
  retry: { baseMs: number; maxMs: number };
  /** A run's hold on its webhook; renewed while it delivers, so one attempt (10 s at most) always fits. */
  leaseMs: number;
  sweepMs: number;
  onError: (err: unknown, what: string) => void;
}

interface LocalRun {
  /** A change came while this node's run held the webhook: read again before letting go. */
  wanted: boolean;
}

export class WebhookDispatcher {
  private readonly local = new Map<string, LocalRun>();
  private readonly running = new Set<Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private halting: Promise<void> | undefined;
  private crashed = false;

  constructor(private readonly deps: WebhookDeliveryDeps) {}

  /** Loads which rooms have outgoing webhooks, starts the retries, and sweeps at once (what a restart left). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await this.deps.webhooks.watchOutgoing();
      if (this.stopped) return;
      await this.deps.scheduler.start((id) => this.track(this.run(id)));
      if (this.stopped) return;
      void this.sweep();
      this.sweeper = setInterval(() => void this.sweep(), this.deps.sweepMs).unref();
    })();
    return this.starting;
  }

  /** A message of the room, or its members, changed (on this node). Cheap when the room has no outgoing webhook. */
  roomChanged(roomId: string): void {
    if (this.stopped) return;
    for (const id of this.deps.webhooks.outgoingIn(roomId)) this.wake(id);
  }

  wake(webhookId: string): void {
    const run = this.local.get(webhookId);
    if (run) run.wanted = true;
    else void this.track(this.run(webhookId));
  }

  /** Stops waking and sweeping; runs let their webhooks go after the attempt in flight. */
  stop(): Promise<void> {
    this.stopped = true;
    return (this.halting ??= this.halt());
  }

  /** As a crash: runs stop without letting their webhooks go, whose leases then lapse for another node to take over. */
  abandon(): void {
    this.stopped = true;
    this.crashed = true;
    void (this.halting ??= this.halt());
  }

  private async halt(): Promise<void> {
    // A stop during the start waits for it, so pg-boss is never left polling a closed database.
    await this.starting?.catch(() => {});
    clearInterval(this.sweeper);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.deps.scheduler.stop().catch((err) => this.deps.onError(err, "webhook retry scheduler stop failed"));
    await Promise.allSettled([...this.running]);
  }

  private track(run: Promise<void>): Promise<void> {
    this.running.add(run);
    return run.finally(() => this.running.delete(run));
  }

  private async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      const idle = await this.deps.webhooks.idle();
      if (!idle.length) return;
      const heads = await this.deps.messages.heads([...new Set(idle.map((w) => w.roomId))]);
      for (const w of idle) {
        if (w.wanted || w.memberEvents || (heads.get(w.roomId)?.rev ?? 0) > w.cursorRev) this.wake(w.id);
      }
    } catch (err) {
      this.deps.onError(err, "webhook sweep failed");
    }
  }

  /** A local timer beside the durable retry: the retry runs on time here, and elsewhere if this node is gone. */
  private retryAt(webhookId: string, at: Date): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(webhookId));
    const timer = setTimeout(() => {
      this.timers.delete(webhookId);
      this.wake(webhookId);
    }, Math.max(0, at.getTime() - Date.now()));
    timer.unref();
    this.timers.set(webhookId, timer);
  }

  private async run(webhookId: string): Promise<void> {
    if (this.stopped) return;
    const existing = this.local.get(webhookId);
    if (existing) {
      existing.wanted = true;
      return;
    }
    const local: LocalRun = { wanted: false };
    this.local.set(webhookId, local);
    const token = randomUUID();
    try {
      for (;;) {
        local.wanted = false;
        const claim = await this.deps.webhooks.claim(webhookId, token, this.deps.leaseMs);
        if (claim.claimed) {
          await this.deliver(claim.state, token, local);
          // A wake-up during the statement that let the webhook go may be for a change that
          // statement's run did not read: take the webhook again.
          if (!local.wanted || this.stopped) return;
          continue;
        }
        if (claim.retryAt) this.retryAt(webhookId, claim.retryAt);
        // A wake-up that came while the claim was in flight may be for a change the holder has
        // already read past: claim again, which marks it wanted again if it is still held.
        if (!local.wanted || claim.retryAt) return;
      }
    } catch (err) {
      this.deps.onError(err, "webhook delivery run failed");
      await this.deps.webhooks.abandon(webhookId, token).catch(() => {});
    } finally {
      this.local.delete(webhookId);
    }
  }

  private async deliver(state: RunState, token: string, local: LocalRun): Promise<void> {
    const { webhooks, leaseMs } = this.deps;
    const id = state.webhookId;
    let renewAt = Date.now() + leaseMs / 3;
    let attempts = 0;
    // Delivered but not yet written: the cursor moves in the database once per page, per
    // SAVE_EVERY_MS or per SAVE_EVERY_ATTEMPTS, so a webhook with a backlog costs one statement per
    // batch, not one per event. A crash before the write sends those events again: at least once.
    let unsaved: { position: EventPosition; attempts: DeliveryAttempt[]; memberEventIds: string[] } | undefined;
    let savedAt = Date.now();
    const save = async (): Promise<boolean> => {
      if (!unsaved) return true;
      const { position, attempts: done, memberEventIds } = unsaved;
      unsaved = undefined;
      savedAt = Date.now();
      return webhooks.advance(id, token, position, done, memberEventIds);
    };
    /** Saves and lets go in one statement: false (and the run goes on) when a change came meanwhile. */
    const finish = async (): Promise<boolean> => {
      if (!unsaved) return webhooks.release(id, token);
      const { position, attempts: done, memberEventIds } = unsaved;
      unsaved = undefined;
      savedAt = Date.now();
      return webhooks.advance(id, token, position, done, memberEventIds, { release: true });
    };
    const note = (position: EventPosition, attempt: DeliveryAttempt | null) => {
      unsaved ??= { position, attempts: [], memberEventIds: [] };
      unsaved.position = position;
      if (attempt) unsaved.attempts.push(attempt);
      if (position.memberEventId) unsaved.memberEventIds.push(position.memberEventId);
      state = { ...state, cursorRev: position.rev, cursorSeq: position.seq, failures: 0, pending: null };
    };
    for (;;) {
      // Saved before reading: delivered member events are gone from what is read next.
      if (!(await save())) return;
      if (this.stopped) return this.letGo(id, token);
      local.wanted = false;
      const { items, complete } = state.pending ? { items: [state.pending], complete: false } : await this.read(state);
      if (!items.length) {
        if (local.wanted) continue;
        if (attempts) await webhooks.trimDeliveries(id, DELIVERIES_KEPT);
        if (await webhooks.release(id, token)) return;
        continue;
      }
      for (const item of items) {
        // Events the webhook did not ask for still move its cursor past them.
        if (!state.events.includes(item.event.type)) {
          note(item.position, null);
          continue;
        }
        if (this.stopped) {
          await save();
          return this.letGo(id, token);
        }
        if (Date.now() > renewAt) {
          if (!(await webhooks.renew(id, token, leaseMs))) return;
          renewAt = Date.now() + leaseMs / 3;
        }
        const attempt = await this.attempt(state, item);
        if (++attempts % TRIM_EVERY === 0) await webhooks.trimDeliveries(id, DELIVERIES_KEPT);
        if (!attempt.ok) {
          if (!(await save())) return;
          const failures = state.failures + 1;
          const at = await webhooks.failed(id, token, attempt, { failures, delayMs: retryDelayMs(failures, this.deps.retry), pending: item });
          if (at) {
            this.retryAt(id, at);
            await this.deps.scheduler.schedule(id, at);
          }
          return;
        }
        note(item.position, attempt);
        if ((Date.now() - savedAt >= SAVE_EVERY_MS || unsaved!.attempts.length >= SAVE_EVERY_ATTEMPTS) && !(await save())) return;
      }
      // Everything there was is delivered, and no wake-up came here since the read: a change
      // committed meanwhile on another node has marked the row `wanted`, which `finish` sees. So
      // the read that would find nothing is skipped (one statement per event fewer when keeping up).
      if (complete && !local.wanted) {
        if (attempts) await webhooks.trimDeliveries(id, DELIVERIES_KEPT);
        if (await finish()) return;
      }
    }
  }

  private async letGo(webhookId: string, token: string): Promise<void> {
    if (!this.crashed) await this.deps.webhooks.abandon(webhookId, token);
  }

  /** The next events after the cursor: the timeline first, then the member events (placed no earlier than what was read). */
  private async read(state: RunState): Promise<{ items: TimelineItem[]; complete: boolean }> {
    const { messages, webhooks } = this.deps;
    // Most of a room's revs are new messages: read those by seq (an index range of the room's
    // newest rows) and take them when they fill every rev after the cursor with no gap, so that no
    // other change can lie between. Otherwise (an edit, a reaction, a pin) read the changes by rev,
    // which reads the room's open chunk whole.
    const fresh = await messages.page(state.roomId, { after: state.cursorSeq, limit: PAGE });
    const contiguous = fresh.messages.length > 0 && fresh.messages.every((m, i) => m.rev === state.cursorRev + i + 1);
    const page = contiguous ? fresh : await messages.changes(state.roomId, { afterRev: state.cursorRev, limit: PAGE });
    let members = await webhooks.memberEvents(state.webhookId, PAGE);
    if (members.some((e) => e.afterRev === null)) {
      const rev = (await messages.heads([state.roomId])).get(state.roomId)?.rev ?? 0;
      await webhooks.stampMemberEvents(state.webhookId, rev);
      members = members.map((e) => (e.afterRev === null ? { ...e, afterRev: rev } : e));
    }
    const changes = { messages: await withReplyExcerpts({ messages }, state.roomId, page.messages), hasMore: page.hasMore };
    const items = mergeTimeline(state.webhookId, state.roomId, { rev: state.cursorRev, seq: state.cursorSeq }, changes, members as never, new Date());
    return { items, complete: !page.hasMore && members.length < PAGE };
  }

  private async attempt(state: RunState, item: TimelineItem): Promise<DeliveryAttempt> {
    const body = JSON.stringify(item.event);
    const res = await this.deps.sender.post(state.targetUrl, body, deliveryHeaders(state.secret, item.event, body));
    const ok = res.status !== null && res.status >= 200 && res.status < 300;
    const error = ok ? null : (res.error ?? `HTTP ${res.status}`);
    return { eventId: item.event.id, eventType: item.event.type, status: res.status, ok, error, durationMs: res.durationMs, at: new Date() };
  }
}
