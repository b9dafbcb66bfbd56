import { mentionCountKey, type MentionIndex, type MentionRef } from "../../src/domain/ports/mention-index.js";

interface Row extends MentionRef {
  userId: string;
  senderId: string;
}

/** MentionIndex in memory; `blocked(blockerId, blockedId)` plays the "Block" table the adapter joins. */
export class MemoryMentionIndex implements MentionIndex {
  private rows: Row[] = [];

  constructor(private readonly blocked: (blockerId: string, blockedId: string) => boolean = () => false) {}

  async record(roomId: string, seq: number, senderId: string, userIds: string[], createdAt: Date): Promise<void> {
    for (const userId of userIds) {
      if (!this.rows.some((r) => r.userId === userId && r.roomId === roomId && r.seq === seq)) this.rows.push({ userId, roomId, seq, senderId, createdAt });
    }
  }

  async remove(roomId: string, seq: number): Promise<void> {
    this.rows = this.rows.filter((r) => !(r.roomId === roomId && r.seq === seq));
  }

  async list(userId: string, query: { before?: MentionRef; limit: number }): Promise<MentionRef[]> {
    const order = (a: MentionRef, b: MentionRef) =>
      b.createdAt.getTime() - a.createdAt.getTime() || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : b.seq - a.seq);
    return this.visible(userId)
      .filter((r) => !query.before || order(query.before, r) < 0)
      .sort(order)
      .slice(0, query.limit)
      .map(({ roomId, seq, createdAt }) => ({ roomId, seq, createdAt }));
  }

  async unreadCounts(pairs: { userId: string; roomId: string; afterSeq: number }[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const p of pairs) {
      const n = this.visible(p.userId).filter((r) => r.roomId === p.roomId && r.seq > p.afterSeq).length;
      if (n) out.set(mentionCountKey(p.userId, p.roomId), n);
    }
    return out;
  }

  private visible(userId: string) {
    return this.rows.filter((r) => r.userId === userId && !this.blocked(userId, r.senderId));
  }
}
