import { randomUUID } from "node:crypto";
import { sniffContentType } from "./content-type.js";
import { Invalid, NotFound, PayloadTooLarge } from "./errors.js";
import { safeFileName } from "./file-name.js";
import type { AttachmentRef } from "./message.js";
import type { AttachmentResolver } from "./messages.js";
import type { AttachmentRecord, AttachmentRepository } from "./ports/attachment-repository.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { ImageThumbnailer } from "./ports/image-thumbnailer.js";
import type { RoomRepository } from "./ports/room-repository.js";
import { requireMember } from "./rooms.js";
import { ATTACHMENTS_PER_MESSAGE_MAX } from "../protocol/limits.js";

export interface AttachmentDeps {
  rooms: RoomRepository;
  attachments: AttachmentRepository;
  blobs: BlobStorage;
  thumbnailer: ImageThumbnailer;
  attachmentMaxBytes: number;
}

// Wire limits are the contract's (src/protocol/limits.ts): re-exported for the callers that read them here.
export { ATTACHMENTS_PER_MESSAGE_MAX };
// Types without a recognisable signature (plain text, CSV, source code…) are served as this.
const UNKNOWN_TYPE = "application/octet-stream";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function viewAttachment(a: AttachmentRecord): AttachmentRef {
  return {
    id: a.id,
    name: a.name,
    size: a.size,
    contentType: a.contentType,
    url: `/api/attachments/${a.id}`,
    ...(a.thumbnailKey ? { thumbnailUrl: `/api/attachments/${a.id}/thumbnail` } : {}),
  };
}

/**
 * Stores an upload for a room's members: bytes first (under a key the server makes), then the
 * row, so a row never points at missing bytes; if the row cannot be written the bytes go again.
 */
export async function uploadAttachment(
  deps: AttachmentDeps,
  userId: string,
  roomId: string,
  file: { bytes: Buffer; fileName: string | undefined },
): Promise<AttachmentRef> {
  await requireMember(deps, roomId, userId);
  const name = safeFileName(file.fileName);
  if (file.bytes.length === 0) throw new Invalid("the file is empty", [{ path: "file", message: "is empty (0 bytes)" }]);
  if (file.bytes.length > deps.attachmentMaxBytes) throw new PayloadTooLarge(`files are limited to ${deps.attachmentMaxBytes} bytes`);
  const contentType = (await sniffContentType(file.bytes))?.mime ?? UNKNOWN_TYPE;

  const base = `attachments/${roomId}/${randomUUID()}`;
  const written: string[] = [];
  try {
    await deps.blobs.put(base, file.bytes);
    written.push(base);
    let thumbnailKey: string | null = null;
    if (deps.thumbnailer.accepts.includes(contentType)) {
      // A picture that will not decode is still a file the members may download: no preview.
      const thumb = await deps.thumbnailer.thumbnail(file.bytes);
      if (thumb) {
        thumbnailKey = `${base}.thumb.${thumb.ext}`;
        await deps.blobs.put(thumbnailKey, thumb.bytes);
        written.push(thumbnailKey);
      }
    }
    const record = await deps.attachments.create({
      id: randomUUID(),
      roomId,
      uploaderId: userId,
      name,
      size: file.bytes.length,
      contentType,
      storageKey: base,
      thumbnailKey,
    });
    return viewAttachment(record);
  } catch (err) {
    await Promise.all(written.map((key) => deps.blobs.delete(key).catch(() => {})));
    throw err;
  }
}

async function readable(deps: AttachmentDeps, userId: string, id: string): Promise<AttachmentRecord> {
  const record = UUID.test(id) ? await deps.attachments.find(id) : null;
  if (!record) throw new NotFound("no such attachment");
  // Access follows the room: a member who left loses the room's files with its history.
  await requireMember(deps, record.roomId, userId);
  return record;
}

export interface AttachmentDownload {
  record: AttachmentRecord;
  open(range?: { start: number; end: number }): ReturnType<BlobStorage["open"]>;
}

export async function openAttachment(deps: AttachmentDeps, userId: string, id: string): Promise<AttachmentDownload> {
  const record = await readable(deps, userId, id);
  return { record, open: (range) => deps.blobs.open(record.storageKey, range) };
}

export async function openThumbnail(deps: AttachmentDeps, userId: string, id: string) {
  const record = await readable(deps, userId, id);
  const blob = record.thumbnailKey ? await deps.blobs.open(record.thumbnailKey) : null;
  if (!blob || !record.thumbnailKey) throw new NotFound("this attachment has no thumbnail");
  const ext = record.thumbnailKey.slice(record.thumbnailKey.lastIndexOf(".") + 1);
  return { ...blob, contentType: `image/${ext}` };
}

/** The message send path's port: only the sender's own uploads to this very room can be attached. */
export function attachmentResolver(deps: Pick<AttachmentDeps, "attachments">): AttachmentResolver {
  return {
    async resolve(roomId, senderId, ids) {
      const unique = [...new Set(ids)];
      if (unique.length > ATTACHMENTS_PER_MESSAGE_MAX) {
        throw new Invalid(`at most ${ATTACHMENTS_PER_MESSAGE_MAX} attachments per message`, [{ path: "attachmentIds", message: "too many" }]);
      }
      const found = new Map((await deps.attachments.findMany(unique.filter((id) => UUID.test(id)))).map((a) => [a.id, a]));
      return unique.map((id) => {
        const a = found.get(id);
        if (!a || a.roomId !== roomId || a.uploaderId !== senderId) {
          throw new Invalid("unknown attachment: upload it to this room first", [{ path: `attachmentIds.${ids.indexOf(id)}`, message: "is not an upload of yours in this room" }]);
        }
        return viewAttachment(a);
      });
    },
  };
}
