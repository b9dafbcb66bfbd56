import { Readable } from "node:stream";
import type { BlobStorage } from "../../src/domain/ports/blob-storage.js";

// src/store/file-blob-storage.ts SAFE_KEY: the same keys are refused here, so a use case that
// would make an unsafe key fails in unit tests as it would against the disk.
const SAFE_KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/i;

/** BlobStorage (src/domain/ports/blob-storage.ts) in memory, as FileBlobStorage behaves. */
export class MemoryBlobStorage implements BlobStorage {
  readonly blobs = new Map<string, Buffer>();
  private failures: Error[] = [];
  private deleteFailures: Error[] = [];

  async put(key: string, bytes: Buffer): Promise<void> {
    check(key);
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.blobs.set(key, Buffer.from(bytes));
  }

  async open(key: string, range?: { start: number; end: number }) {
    check(key);
    const bytes = this.blobs.get(key);
    if (!bytes) return null;
    // `size` is the whole blob's; the range is inclusive (fs.createReadStream's start/end).
    const part = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    return { stream: Readable.from([Buffer.from(part)]), size: bytes.length };
  }

  async delete(key: string): Promise<void> {
    check(key);
    const failure = this.deleteFailures.shift();
    if (failure) throw failure;
    // `rm -f`: deleting a missing key is fine.
    this.blobs.delete(key);
  }

  async putStream(key: string, source: AsyncIterable<Buffer | string>): Promise<void> {
    check(key);
    const parts: Buffer[] = [];
    // As FileBlobStorage: a source that throws leaves nothing behind.
    for await (const part of source) parts.push(Buffer.from(part));
    this.blobs.set(key, Buffer.concat(parts));
  }

  async deleteAll(prefix: string): Promise<void> {
    check(prefix);
    for (const key of [...this.blobs.keys()]) if (key.startsWith(`${prefix}/`)) this.blobs.delete(key);
  }

  /** The next put() calls reject with these errors, one each (not part of the port). */
  failNextPuts(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  /** The next delete() calls reject with these errors, one each (not part of the port). */
  failNextDeletes(...errors: Error[]): void {
    this.deleteFailures.push(...errors);
  }
}

function check(key: string) {
  if (!SAFE_KEY.test(key) || key.includes("..")) throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
}
