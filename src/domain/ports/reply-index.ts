/** Which messages answer which (PROTOCOL.md, "Conversations": replies), for the replies listing. */
export interface ReplyIndex {
  record(roomId: string, toSeq: number, seq: number): Promise<void>;
  /** Seqs of the replies to `toSeq`, ascending, after `after`; one more than `limit` tells hasMore. */
  list(roomId: string, toSeq: number, query: { after?: number; limit: number }): Promise<{ seqs: number[]; hasMore: boolean }>;
}
