/** Makes a small preview of an image; null when the bytes cannot be decoded as one. */
export interface ImageThumbnailer {
  /** The content types it can read (sniffed types of uploads are checked against this list). */
  readonly accepts: readonly string[];
  thumbnail(bytes: Buffer): Promise<{ bytes: Buffer; contentType: string; ext: string } | null>;
}
