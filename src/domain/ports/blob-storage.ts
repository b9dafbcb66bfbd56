import type { Readable } from "node:stream";

/** Opaque keys map to stored bytes; adapters guarantee a key can never name a path outside their root. */
export interface BlobStorage {
  put(key: string, bytes: Buffer): Promise<void>;
  /** `size` is the whole blob's; with `range` (inclusive byte offsets) the stream yields only that part. */
  open(key: string, range?: { start: number; end: number }): Promise<{ stream: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
  /**
   * Writes what `source` yields, as it yields it (never the whole blob in memory: account export
   * archives); readers see the blob only once it is complete. If `source` throws, nothing is left.
   */
  putStream(key: string, source: AsyncIterable<Buffer | string>): Promise<void>;
  /** Deletes every blob whose key starts with `prefix` + "/" (a track's HLS files); none is fine. */
  deleteAll(prefix: string): Promise<void>;
}
