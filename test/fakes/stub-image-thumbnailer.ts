import type { ImageThumbnailer } from "../../src/domain/ports/image-thumbnailer.js";

/**
 * ImageThumbnailer (src/domain/ports/image-thumbnailer.ts) without sharp: accepts the types
 * SharpThumbnailer does (src/media/sharp-thumbnailer.ts) and "decodes" anything but bytes a test
 * marks undecodable, answering a small WebP-named preview; null for those, as the port says.
 */
export class StubImageThumbnailer implements ImageThumbnailer {
  readonly accepts: readonly string[] = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/tiff"];
  readonly undecodable = new Set<string>();
  calls = 0;

  async thumbnail(bytes: Buffer) {
    this.calls++;
    if (this.undecodable.has(bytes.toString("base64"))) return null;
    return { bytes: Buffer.from(`thumb of ${bytes.length} bytes`), contentType: "image/webp", ext: "webp" };
  }
}
