import { fileTypeFromBuffer } from "file-type";
import { UnsupportedMediaType } from "./errors.js";

/** The type is read from the bytes themselves; a filename or a client header is never trusted. */
export async function sniffContentType(bytes: Buffer): Promise<{ mime: string; ext: string } | null> {
  const found = await fileTypeFromBuffer(bytes);
  return found ? { mime: found.mime, ext: found.ext } : null;
}

export async function requireContentType(bytes: Buffer, allowed: readonly string[]): Promise<{ mime: string; ext: string }> {
  const found = await sniffContentType(bytes);
  if (!found || !allowed.includes(found.mime)) {
    throw new UnsupportedMediaType(`expected ${allowed.join(", ")}; got ${found?.mime ?? "unknown content"}`);
  }
  return found;
}
