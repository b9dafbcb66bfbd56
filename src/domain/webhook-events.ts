/**
 * What an outgoing webhook's target receives (PROTOCOL.md, "Integrations"): the room's timeline
 * after the webhook's cursor, as events, with the member events placed among them, and how each
 * POST is signed. Pure: webhook-delivery.ts reads the stores and sends.
 *
 * Events come from the timeline (MessageStore.changes): each message at the rev of its last
 * change, in its current state. A message the webhook has not had (seq past its cursor) is
 * message.created; a change to one it has had is message.updated, or reaction.updated when the
 * message carries no edit, deletion or pin, since a reaction is then the only change it can have
 * had. The timeline keeps no kind of change, so a reaction to an edited message is
 * message.updated, and the unpinning of a never-edited one reaction.updated (docs/integrations.md).
 * Changes made before the run reads them arrive as one event, in the message's state then.
 */
import { createHmac } from "node:crypto";
import type { WebhookEvent, WebhookEventType } from "../protocol/webhooks.js";
import { forEveryone, type Message } from "./message.js";
import type { EventPosition, MemberEventRecord, PendingEvent } from "./ports/webhook-store.js";

/** One event with where it leaves the cursor. */
export type TimelineItem = PendingEvent;

export function messageEventType(message: Message, cursorSeq: number): WebhookEventType {
  if (message.seq > cursorSeq) return "message.created";
  if (message.deletedAt || message.editedAt || message.pinnedAt) return "message.updated";
  return "reaction.updated";
}

/** Stable across retries and runs: the room's rev is unique per room, a member event's id per table. */
export const messageEventId = (webhookId: string, rev: number) => `${webhookId}:r${rev}`;
export const memberEventId = (webhookId: string, id: string) => `${webhookId}:m${id}`;

/**
 * The timeline page (ascending by rev) and the member events (oldest first, all placed) as one
 * ordered list: a member event placed at rev `a` goes after the changes up to `a`. With `hasMore`,
 * member events placed past the page's last rev wait for the next page.
 */
export function mergeTimeline(
  webhookId: string,
  roomId: string,
  cursor: { rev: number; seq: number },
  changes: { messages: Message[]; hasMore: boolean },
  members: (MemberEventRecord & { afterRev: number })[],
  now: Date,
): TimelineItem[] {
  const out: TimelineItem[] = [];
  let { rev, seq } = cursor;
  let m = 0;
  const member = (e: MemberEventRecord) => {
    const position: EventPosition = { rev, seq, memberEventId: e.id };
    out.push({ event: { id: memberEventId(webhookId, e.id), type: e.type, at: e.at.toISOString(), roomId, data: { userId: e.userId } }, position });
  };
  for (const message of changes.messages) {
    while (m < members.length && members[m]!.afterRev < message.rev) member(members[m++]!);
    const type = messageEventType(message, seq);
    rev = message.rev;
    if (type === "message.created") seq = Math.max(seq, message.seq);
    const at = type === "message.created" ? message.createdAt : now.toISOString();
    out.push({ event: { id: messageEventId(webhookId, message.rev), type, at, roomId, data: { message: forEveryone(message) } }, position: { rev, seq } });
  }
  const last = changes.hasMore ? rev : Infinity;
  while (m < members.length && members[m]!.afterRev <= last) member(members[m++]!);
  return out;
}

/** X-Chat-Signature: `sha256=` and the lower-case hex HMAC-SHA256 of the raw body with the webhook's secret. */
export function signatureOf(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export function deliveryHeaders(secret: string, event: WebhookEvent, body: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "chat-webhooks/1",
    "x-chat-event-id": event.id,
    "x-chat-event-type": event.type,
    "x-chat-signature": signatureOf(secret, body),
  };
}

/**
 * The wait before attempt `failures + 1` of one event: `baseMs` doubling per failure in a row up
 * to `maxMs`, each drawn between half and all of it so that webhooks failing together do not retry
 * together. Never given up while the webhook exists: at 1 h a day of outage is about 40 attempts.
 */
export function retryDelayMs(failures: number, retry: { baseMs: number; maxMs: number }, random = Math.random): number {
  const ceiling = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
