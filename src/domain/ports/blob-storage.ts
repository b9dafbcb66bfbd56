import type { Readable } from "node:stream";

/** Opaque keys map to stored bytes; adapters guarantee a key can never name a path outside their root. */
export interface BlobStorage {
  put(key: string, bytes: Buffer): Promise<void>;
  open(key: string): Promise<{ stream: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
}
