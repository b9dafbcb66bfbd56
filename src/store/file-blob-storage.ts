import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { BlobStorage } from "../domain/ports/blob-storage.js";

// Keys are made by the server, but the check is here too: no key can name a path outside the root.
const SAFE_KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/i;

export class FileBlobStorage implements BlobStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private resolve(key: string): string {
    const full = path.resolve(this.root, key);
    if (!SAFE_KEY.test(key) || key.includes("..") || !full.startsWith(this.root + path.sep)) {
      throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
    }
    return full;
  }

  async put(key: string, bytes: Buffer) {
    const file = this.resolve(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  }

  async open(key: string, range?: { start: number; end: number }) {
    const file = this.resolve(key);
    try {
      const stat = await fs.stat(file);
      return { stream: createReadStream(file, range), size: stat.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async delete(key: string) {
    await fs.rm(this.resolve(key), { force: true });
  }

  async putStream(key: string, source: AsyncIterable<Buffer | string>) {
    const file = this.resolve(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // A random suffix, not the pid as put() has: nodes of one process (tests) may share a DATA_DIR.
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      // The file stream pulls from the source as it drains: backpressure bounds what is in memory.
      await pipeline(source, createWriteStream(tmp));
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async deleteAll(prefix: string) {
    await fs.rm(this.resolve(prefix), { recursive: true, force: true });
  }
}
