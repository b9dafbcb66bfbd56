/**
 * The export archive (docs/accounts.md, "The archive"): NDJSON, one JSON object per line, each with
 * a `type`. Yielded a line (or a slice of one) at a time, and read from the stores a page at a time,
 * so a user with 100,000 messages costs the node one page of them in memory, never the archive.
 *
 *   export     first line: format, exportId, userId, generatedAt
 *   profile    the user as they see themselves (email included)
 *   friend, following, follower, block   one line per user, as the API shows them
 *   room       each room the user is in, with their role and when they joined
 *   message    each message they sent (room and seq, text, attachments, times; deleted ones as tombstones)
 *   attachment each file they uploaded: metadata and its bytes, base64, in `data` (null if lost)
 *   track      each song they uploaded, as GET /api/tracks/:id shows it (the HLS output stays on the server)
 *   playlist   each playlist of theirs, with its track ids in order
 *   end        last line: how many of each; an archive without it is incomplete
 */
import { viewAttachment } from "./attachments.js";
import { NotFound } from "./errors.js";
import type { Message } from "./message.js";
import type { AttachmentRepository } from "./ports/attachment-repository.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { BlockRepository } from "./ports/block-repository.js";
import type { MessageStore, SentRef } from "./ports/message-store.js";
import type { PlaylistRepository } from "./ports/playlist-repository.js";
import type { RoomRepository } from "./ports/room-repository.js";
import type { FollowRepository, FriendRepository } from "./ports/social-repository.js";
import type { TrackRepository } from "./ports/track-repository.js";
import type { Page, UserRepository } from "./ports/user-repository.js";
import { viewTrack } from "./tracks.js";
import { viewUser, type UserRecord } from "./user.js";

export const ARCHIVE_FORMAT = "chat-export/1";

export interface ArchiveDeps {
  users: Pick<UserRepository, "findById">;
  friends: Pick<FriendRepository, "listFriends">;
  follows: Pick<FollowRepository, "followers" | "following">;
  blocks: Pick<BlockRepository, "list">;
  rooms: Pick<RoomRepository, "roomsOf">;
  messages: Pick<MessageStore, "sentBy" | "getMany">;
  attachmentFiles: Pick<AttachmentRepository, "listByUploader">;
  tracks: Pick<TrackRepository, "list">;
  playlists: Pick<PlaylistRepository, "listOwned">;
  blobs: Pick<BlobStorage, "open">;
}

// Rows read per query: big enough that 10,000 messages take 20 round trips, small enough that a
// page of 4,000-character messages stays a few MB.
const PAGE = 500;

const line = (value: object) => `${JSON.stringify(value)}\n`;

/** The archive of `userId`, line by line. Stops with an error when `signal` aborts (the worker lost its claim or stops). */
export async function* archiveLines(deps: ArchiveDeps, job: { exportId: string; userId: string }, signal?: AbortSignal): AsyncGenerator<string | Buffer> {
  const { userId } = job;
  const user = await deps.users.findById(userId);
  if (!user) throw new NotFound("the account no longer exists");
  const counts: Record<string, number> = {};
  const out = (type: string, value: object) => {
    if (signal?.aborted) throw new Error("export aborted");
    counts[type] = (counts[type] ?? 0) + 1;
    return line({ type, ...value });
  };

  yield line({ type: "export", format: ARCHIVE_FORMAT, exportId: job.exportId, userId, generatedAt: new Date().toISOString() });
  yield out("profile", { user: viewUser(user, userId) });
  for (const friend of await deps.friends.listFriends(userId)) yield out("friend", { user: viewUser(friend, userId) });
  for (const direction of ["following", "followers"] as const) {
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: Page<UserRecord> = await deps.follows[direction](userId, PAGE, cursor);
      for (const u of page.items) yield out(direction === "following" ? "following" : "follower", { user: viewUser(u, userId) });
      cursor = page.nextCursor;
    }
  }
  for (const blocked of await deps.blocks.list(userId)) yield out("block", { user: viewUser(blocked, userId) });
  for (const { room, membership } of await deps.rooms.roomsOf(userId)) {
    yield out("room", { room: { id: room.id, type: room.type, name: room.name, createdAt: room.createdAt.toISOString() }, role: membership.role, joinedAt: membership.joinedAt.toISOString() });
  }

  for (let after: SentRef | undefined; ; ) {
    const page = await deps.messages.sentBy(userId, { after, limit: PAGE });
    const byRoom = new Map<string, number[]>();
    for (const ref of page) byRoom.set(ref.roomId, [...(byRoom.get(ref.roomId) ?? []), ref.seq]);
    for (const [roomId, seqs] of byRoom) {
      for (const m of await deps.messages.getMany(roomId, seqs)) if (m.senderId === userId) yield out("message", { message: ownPart(m) });
    }
    if (page.length < PAGE) break;
    after = page.at(-1);
  }

  for (let afterId: string | undefined; ; ) {
    const page = await deps.attachmentFiles.listByUploader(userId, { limit: PAGE, afterId });
    for (const a of page) {
      const meta = out("attachment", { attachment: { ...viewAttachment(a), roomId: a.roomId, createdAt: a.createdAt.toISOString() } });
      // The line without its closing brace and newline, then "data" streamed from storage.
      yield `${meta.slice(0, -2)},"data":`;
      const blob = await deps.blobs.open(a.storageKey);
      if (blob) yield* base64String(blob.stream, signal);
      else yield "null";
      yield "}\n";
    }
    if (page.length < PAGE) break;
    afterId = page.at(-1)!.id;
  }

  for (let before: string | undefined; ; ) {
    const page = await deps.tracks.list({ ownerId: userId, limit: PAGE, before });
    for (const t of page) yield out("track", { track: viewTrack(t) });
    if (page.length < PAGE) break;
    before = page.at(-1)!.id;
  }
  for (const p of await deps.playlists.listOwned(userId)) {
    yield out("playlist", { playlist: { id: p.id, name: p.name, trackIds: p.trackIds, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() } });
  }
  yield line({ type: "end", counts });
}

/** What of a message is the sender's own: not others' reactions, nor the viewer-specific parts. */
function ownPart(m: Message) {
  return {
    id: m.id,
    roomId: m.roomId,
    seq: m.seq,
    type: m.type,
    text: m.text,
    attachments: m.attachments,
    createdAt: m.createdAt,
    ...(m.editedAt ? { editedAt: m.editedAt } : {}),
    ...(m.deletedAt ? { deletedAt: m.deletedAt } : {}),
    ...(m.replyToSeq !== undefined ? { replyToSeq: m.replyToSeq } : {}),
    ...(m.mentions?.length ? { mentions: m.mentions } : {}),
    ...(m.mentionsRoom ? { mentionsRoom: true } : {}),
  };
}

/** The bytes of a stream as one JSON string of base64, chunk by chunk (3-byte groups carried across chunks). */
async function* base64String(stream: AsyncIterable<unknown>, signal?: AbortSignal): AsyncGenerator<string> {
  yield '"';
  let carry = Buffer.alloc(0);
  for await (const chunk of stream) {
    if (signal?.aborted) throw new Error("export aborted");
    const bytes = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    const whole = bytes.length - (bytes.length % 3);
    if (whole) yield bytes.subarray(0, whole).toString("base64");
    carry = Buffer.from(bytes.subarray(whole));
  }
  if (carry.length) yield carry.toString("base64");
  yield '"';
}
