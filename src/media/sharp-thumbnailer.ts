import sharp from "sharp";
import type { ImageThumbnailer } from "../domain/ports/image-thumbnailer.js";

// Fits a chat bubble on a high-density screen; larger pictures open the original.
const THUMB_PX = 320;
// Decompression bombs: a tiny file can declare a gigantic canvas. 50 MP covers any camera.
const MAX_INPUT_PIXELS = 50_000_000;

export class SharpThumbnailer implements ImageThumbnailer {
  readonly accepts = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/tiff"] as const;

  async thumbnail(bytes: Buffer) {
    try {
      const out = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, animated: false })
        .rotate() // honour EXIF orientation, then drop the metadata (location included)
        .resize(THUMB_PX, THUMB_PX, { fit: "inside", withoutEnlargement: true })
        .webp({ quality: 75 })
        .toBuffer();
      return { bytes: out, contentType: "image/webp", ext: "webp" };
    } catch {
      return null;
    }
  }
}
