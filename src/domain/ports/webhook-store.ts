import type { WebhookEvent, WebhookEventType } from "../../protocol/webhooks.js";
import type { NewUser } from "./user-repository.js";

export type WebhookKind = "incoming" | "outgoing";

export interface WebhookRecord {
  id: string;
  roomId: string;
  kind: WebhookKind;
  createdById: string;
  createdAt: Date;
  /** Incoming: the user its messages are sent as, and that user's display name. */
  userId: string | null;
  name: string | null;
  /** Outgoing: the target and the events asked for, and the delivery state. */
  targetUrl: string | null;
  events: WebhookEventType[];
  failures: number;
  retryAt: Date | null;
}

/** The room's timeline position an event stands at: delivering it moves the webhook's cursor there. */
export interface EventPosition {
  /** The room's rev delivered through (unchanged by a member event). */
  rev: number;
  /** The newest message seq delivered as message.created. */
  seq: number;
  /** A member event: delivering it deletes it. */
  memberEventId?: string;
}

/** An event as it was first sent; a retry sends the same body (the same id, at, data). */
export interface PendingEvent {
  event: WebhookEvent;
  position: EventPosition;
}

/** What one delivery run works from (an outgoing webhook, held by the run). */
export interface RunState {
  webhookId: string;
  roomId: string;
  targetUrl: string;
  secret: string;
  events: WebhookEventType[];
  cursorRev: number;
  cursorSeq: number;
  failures: number;
  pending: PendingEvent | null;
}

export interface MemberEventRecord {
  id: string;
  userId: string;
  type: "member.joined" | "member.left";
  /** The room's rev when it happened; null until a run stamps it (messages outside PostgreSQL). */
  afterRev: number | null;
  at: Date;
}

export interface DeliveryAttempt {
  eventId: string;
  eventType: WebhookEventType;
  /** Null when no HTTP answer came. */
  status: number | null;
  ok: boolean;
  error: string | null;
  durationMs: number;
  at: Date;
}

export interface DeliveryRecord extends DeliveryAttempt {
  id: string;
}

export type Claim =
  | { claimed: true; state: RunState }
  /** Held by another run (which will see `wanted`), waiting for its retry time, or gone. */
  | { claimed: false; retryAt: Date | null };

/**
 * A room's webhooks, and the delivery state of the outgoing ones. A delivery run holds its webhook
 * (a token and a lease) so that one run at a time delivers, in order, across every node; every
 * call of a run names its token and fails (false) once the run has lost the webhook.
 */
export interface WebhookStore {
  /** In one transaction: the webhook's user (`user`), its membership of the room, the webhook. */
  createIncoming(input: { roomId: string; createdById: string; name: string; secretHash: string; user: NewUser }): Promise<WebhookRecord>;
  /** Its cursor starts at the room's position now: events from before it are not delivered. */
  createOutgoing(input: { roomId: string; createdById: string; targetUrl: string; events: WebhookEventType[]; secret: string; cursorRev: number; cursorSeq: number }): Promise<WebhookRecord>;
  /** The room's webhooks, oldest first. */
  list(roomId: string): Promise<WebhookRecord[]>;
  find(roomId: string, webhookId: string): Promise<WebhookRecord | null>;
  /** Deletes the webhook with its delivery records and waiting member events; null if there was none. */
  remove(roomId: string, webhookId: string): Promise<WebhookRecord | null>;
  findIncoming(secretHash: string): Promise<WebhookRecord | null>;
  /** The latest attempts, newest first. */
  deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]>;

  // ---- Delivery runs (src/domain/webhook-delivery.ts).

  /** The outgoing webhooks of a room as this node last loaded them (a change on any node reloads them everywhere). */
  outgoingIn(roomId: string): readonly string[];
  /** Loads the outgoing webhooks and follows their changes. */
  watchOutgoing(): Promise<void>;
  /**
   * Takes the webhook for a run (token, lease) when it is free and not waiting for a retry;
   * otherwise marks it `wanted`, so the run that holds it reads again before it lets go.
   */
  claim(webhookId: string, token: string, leaseMs: number): Promise<Claim>;
  renew(webhookId: string, token: string, leaseMs: number): Promise<boolean>;
  /** Member events waiting, oldest first. */
  memberEvents(webhookId: string, limit: number): Promise<MemberEventRecord[]>;
  /** Places the unplaced member events at `rev` (they happened no later than now). */
  stampMemberEvents(webhookId: string, rev: number): Promise<void>;
  /**
   * Moves the cursor to `position` (past events delivered, or not asked for), records the
   * attempts that delivered them and deletes the member events among them; the failure count resets.
   */
  advance(webhookId: string, token: string, position: EventPosition, attempts: DeliveryAttempt[], memberEventIds: string[]): Promise<boolean>;
  /** The same, letting the webhook go in the same statement (as `release`: false when `wanted`, which is cleared and the run goes on). */
  advance(webhookId: string, token: string, position: EventPosition, attempts: DeliveryAttempt[], memberEventIds: string[], opts: { release: true }): Promise<boolean>;
  /**
   * Records a failed attempt and lets the webhook go until `delayMs` from now (the database's
   * clock), keeping `pending` to send again. Returns when that is, or null if the run had lost it.
   */
  failed(webhookId: string, token: string, attempt: DeliveryAttempt, retry: { failures: number; delayMs: number; pending: PendingEvent }): Promise<Date | null>;
  /** Lets the webhook go, unless a change came meanwhile (`wanted`): then false, `wanted` is cleared, and the run goes on. */
  release(webhookId: string, token: string): Promise<boolean>;
  /** Lets the webhook go whatever came (the node stops); another node's sweep takes it up. */
  abandon(webhookId: string, token: string): Promise<void>;
  /** Outgoing webhooks that no run holds and no retry waits for, with their cursor (the sweep reads what they missed). */
  idle(): Promise<{ id: string; roomId: string; cursorRev: number; wanted: boolean; memberEvents: boolean }[]>;
  /** Keeps the latest `keep` delivery records of the webhook. */
  trimDeliveries(webhookId: string, keep: number): Promise<void>;
}
