import type { AttachmentRef, Message, MessageType } from "../message.js";

export interface MessageDraft {
  roomId: string;
  senderId: string;
  type: MessageType;
  text: string;
  attachments: AttachmentRef[];
  /** Idempotency key: (roomId, senderId, clientMsgId) is unique. Null for system messages. */
  clientMsgId: string | null;
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

export interface RoomHead {
  lastSeq: number;
  lastMessage: Message | null;
}

/**
 * Messages in time-bucketed chunks (one room, one time bucket, capped by count and bytes).
 * Guarantees every adapter keeps (one contract suite checks them):
 * - seq is 1, 2, 3 … per room with no gaps, allocated in the same atomic step that stores the
 *   message, so the order of seq is the order of commit;
 * - append resolves only once the message is durable;
 * - a repeated (roomId, senderId, clientMsgId) returns the original with created = false.
 */
export interface MessageStore {
  append(draft: MessageDraft, now: Date): Promise<AppendResult>;
  /** Ascending by seq. `before`: the `limit` messages just below it (default: newest). `after`: just above it. */
  page(roomId: string, query: { before?: number; after?: number; limit: number }): Promise<MessagePage>;
  get(roomId: string, seq: number): Promise<Message | null>;
  /** Null when there is no such message. Deleted messages keep their seq, lose text and attachments. */
  edit(roomId: string, seq: number, text: string, now: Date): Promise<Message | null>;
  delete(roomId: string, seq: number, now: Date): Promise<Message | null>;
  /** One round trip for many rooms: the room list must not cost one query per room. */
  heads(roomIds: string[]): Promise<Map<string, RoomHead>>;
  close(): Promise<void>;
}
