import type { AttachmentRef, Message, MessageType } from "../message.js";

export interface MessageDraft {
  roomId: string;
  senderId: string;
  type: MessageType;
  text: string;
  attachments: AttachmentRef[];
  /** Idempotency key: (roomId, senderId, clientMsgId) is unique. Null for system messages. */
  clientMsgId: string | null;
  /** A message of the same room (checked by the use case, or by a store that indexesWithMessages). */
  replyToSeq?: number;
  /** Members mentioned (the use case checks membership). */
  mentions?: string[];
  mentionsRoom?: boolean;
  /**
   * Who gets a mention entry for it (resolved by the use case: the mentioned, or the room's
   * members, the sender left out). Read only by a store that `indexesWithMessages`; not stored
   * in the message.
   */
  mentioned?: string[];
}

export interface AppendResult {
  message: Message;
  /** False when the draft repeated a stored clientMsgId: `message` is the original, nothing was written. */
  created: boolean;
}

export interface MessagePage {
  messages: Message[];
  hasMore: boolean;
}

/** Messages changed after a rev, ascending by rev; `rev` is where the next call continues from. */
export interface ChangesPage {
  messages: Message[];
  /** The room's rev when complete; else the rev of the last message returned. */
  rev: number;
  hasMore: boolean;
}

/** Where one message of a sender is: a page of `sentBy` is a list of these. */
export interface SentRef {
  roomId: string;
  seq: number;
}

export interface RoomHead {
  lastSeq: number;
  rev: number;
  lastMessage: Message | null;
}

/** A change to one stored message: each moves the room's rev by one, unless it changes nothing. */
/**
 * `by` on an edit or a delete: only that user's own message, and not one already deleted
 * (Forbidden, Conflict), checked in the same atomic step as the change: a sender's edit needs no
 * read of the message first, and nothing can change between the check and the write.
 */
export type MessageChange =
  | { kind: "edit"; text: string; by?: string }
  | { kind: "delete"; by?: string }
  | { kind: "react"; emoji: string; userId: string; add: boolean }
  | { kind: "pin"; userId: string; pinned: boolean };

export interface ChangeResult {
  /** The message as it now is, seen by the viewer given. */
  message: Message;
  /** False when the change was already in effect (a second identical reaction, a pin of a pinned message). */
  changed: boolean;
}

/**
 * Messages in time-bucketed chunks (one room, one time bucket, capped by count and bytes).
 * Guarantees every adapter keeps (one contract suite checks them):
 * - seq is 1, 2, 3 … per room with no gaps, allocated in the same atomic step that stores the
 *   message, so the order of seq is the order of commit;
 * - the room's rev moves by one, with no gaps, in the same atomic step as each new message and
 *   each change (edit, delete, reaction, pin); the message carries the rev of its last change, so
 *   changes(afterRev) finds exactly what changed after a rev, without reading the whole room;
 * - append resolves only once the message is durable;
 * - a repeated (roomId, senderId, clientMsgId) returns the original with created = false.
 * `viewerId`, where taken, sets each reaction's `me`.
 */
export interface MessageStore {
  /**
   * True when append writes a new message's mention entries (draft.mentioned) and its reply entry
   * (draft.replyToSeq) with the message, atomically, into the indexes the MentionIndex and
   * ReplyIndex ports read (the PostgreSQL store: same database), and refuses (Invalid, path
   * replyToSeq) a reply to a seq its room has not reached. Otherwise the use case checks the reply
   * first and records the entries through those ports after the append.
   */
  readonly indexesWithMessages?: boolean;
  append(draft: MessageDraft, now: Date): Promise<AppendResult>;
  /** Ascending by seq. `before`: the `limit` messages just below it (default: newest). `after`: just above it. */
  page(roomId: string, query: { before?: number; after?: number; limit: number }, viewerId?: string): Promise<MessagePage>;
  get(roomId: string, seq: number, viewerId?: string): Promise<Message | null>;
  /** The messages of these seqs that exist, ascending by seq. */
  getMany(roomId: string, seqs: number[], viewerId?: string): Promise<Message[]>;
  /**
   * Applies a change; null when there is no such message. A deleted message stays deleted: any
   * change but a delete is CONFLICT; a 21st distinct emoji is CONFLICT. Deleting drops text,
   * attachments, mentions, reactions and the pin, and keeps the seq.
   */
  change(roomId: string, seq: number, change: MessageChange, now: Date, viewerId?: string): Promise<ChangeResult | null>;
  /**
   * change(roomId, seq, { kind: "delete" }) for each of these seqs of one room, in seq order (a
   * page of a sender's messages: account deletion). Returns the messages it deleted, as they now
   * are; seqs already deleted or not in the room are skipped. Each deletion moves rev by one.
   * PostgreSQL does the whole page in one transaction (one lock of the room, each chunk written
   * once); an adapter may also go one by one, in which case a failure leaves a prefix done.
   */
  deleteMany(roomId: string, seqs: number[], now: Date): Promise<Message[]>;
  /** Messages with rev > afterRev (and seq <= maxSeq when given), ascending by rev. */
  changes(roomId: string, query: { afterRev: number; limit: number; maxSeq?: number }, viewerId?: string): Promise<ChangesPage>;
  /** Pinned messages, most recently pinned first. */
  pinned(roomId: string, viewerId?: string): Promise<Message[]>;
  /** One round trip for many rooms: the room list must not cost one query per room. */
  heads(roomIds: string[]): Promise<Map<string, RoomHead>>;
  /**
   * Where the sender's keyed messages are (those with a clientMsgId: not system messages), in
   * every room, deleted ones included: at most `limit`, ordered by (roomId, seq) in the adapter's
   * own order, strictly after `after` (the last ref of the previous page). Account export and
   * deletion page through a user's messages with it (docs/accounts.md).
   */
  sentBy(senderId: string, query: { after?: SentRef; limit: number }): Promise<SentRef[]>;
  close(): Promise<void>;
}
