import type { ReplyIndex } from "../../src/domain/ports/reply-index.js";

export class MemoryReplyIndex implements ReplyIndex {
  private readonly replies = new Map<string, Set<number>>();

  async record(roomId: string, toSeq: number, seq: number): Promise<void> {
    const key = `${roomId} ${toSeq}`;
    const set = this.replies.get(key) ?? new Set<number>();
    set.add(seq);
    this.replies.set(key, set);
  }

  async list(roomId: string, toSeq: number, query: { after?: number; limit: number }): Promise<{ seqs: number[]; hasMore: boolean }> {
    const all = [...(this.replies.get(`${roomId} ${toSeq}`) ?? [])].filter((s) => s > (query.after ?? 0)).sort((a, b) => a - b);
    return { seqs: all.slice(0, query.limit), hasMore: all.length > query.limit };
  }
}
