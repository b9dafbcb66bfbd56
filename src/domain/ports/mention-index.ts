/** A mention of one user by one message. */
export interface MentionRef {
  roomId: string;
  seq: number;
  createdAt: Date;
}

/**
 * Who is mentioned where (PROTOCOL.md, "Conversations"): the mentions list and the room list's
 * mentionCount. Written by the send use case after the message is stored; a message's mentions
 * go when it is deleted. Readers leave out mentions by senders the mentioned user blocked.
 */
export interface MentionIndex {
  record(roomId: string, seq: number, senderId: string, userIds: string[], createdAt: Date): Promise<void>;
  remove(roomId: string, seq: number): Promise<void>;
  /** The user's mentions, newest first, strictly older than `before` when given. */
  list(userId: string, query: { before?: MentionRef; limit: number }): Promise<MentionRef[]>;
  /** Per (user, room): mentions with seq > afterSeq. Keyed `${userId} ${roomId}`; pairs with none are absent. */
  unreadCounts(pairs: { userId: string; roomId: string; afterSeq: number }[]): Promise<Map<string, number>>;
}

export const mentionCountKey = (userId: string, roomId: string) => `${userId} ${roomId}`;
