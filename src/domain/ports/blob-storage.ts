import type { Readable } from "node:stream";

/** Opaque keys map to stored bytes; adapters guarantee a key can never name a path outside their root. */
export interface BlobStorage {
  put(key: string, bytes: Buffer): Promise<void>;
  /** `size` is the whole blob's; with `range` (inclusive byte offsets) the stream yields only that part. */
  open(key: string, range?: { start: number; end: number }): Promise<{ stream: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
}
