import type { Message } from "../message.js";

/** Where a result sits in the newest-first order; the last one of a page is where the next page starts. */
export interface SearchPosition {
  createdAt: string;
  roomId: string;
  seq: number;
}

export interface MessageSearchQuery {
  /** Only messages of these rooms (the caller's, decided by the domain). Empty: no results. */
  roomIds: string[];
  /** What the user typed (1–200 characters); adapters fold it with foldText (search-text.ts). */
  text: string;
  limit: number;
  /** Results strictly after this position in newest-first order (the previous page's last). */
  after?: SearchPosition;
}

export interface MessageSearchPage {
  /** Newest first: createdAt, then roomId, then seq, all descending. */
  hits: Message[];
  hasMore: boolean;
}

/**
 * A substring index over message text, kept beside the message store and fed after the fact
 * (search-index-feeder.ts). Guarantees every adapter keeps (one contract suite checks them):
 * - a message matches when foldText(query) is a substring of foldText(text), in any script;
 * - apply() is idempotent and order-insensitive per message: the latest edit wins whatever order
 *   versions arrive in, and once a deletion is applied the message never matches again, even if an
 *   older version arrives later (another node's delayed batch);
 * - only rooms listed in the query are searched.
 */
export interface MessageSearchIndex {
  /** New, edited and deleted (deletedAt set) messages, as the message store returned them. */
  apply(messages: Message[]): Promise<void>;
  search(query: MessageSearchQuery): Promise<MessageSearchPage>;
  close(): Promise<void>;
}

/** Positions compare in this order; hits are sorted by it, newest first. */
export function positionOf(message: Message): SearchPosition {
  return { createdAt: message.createdAt, roomId: message.roomId, seq: message.seq };
}

/**
 * Which of two versions of one message the index keeps: a deletion is final, otherwise the later
 * edit. Adapters apply the same rule in their write, so the index converges whatever the order.
 */
export function laterVersion(a: Message, b: Message): Message {
  if (a.deletedAt) return a;
  if (b.deletedAt) return b;
  return (b.editedAt ?? "") >= (a.editedAt ?? "") ? b : a;
}
