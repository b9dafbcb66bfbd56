/**
 * Deleting one's own account (PROTOCOL.md, "Accounts and rooms over their life": DELETE /api/me).
 * What goes, what stays and why: docs/accounts.md.
 *
 * The steps are ordered so that a failure anywhere leaves an account that still works with the
 * same token, and running the whole again finishes the job (each step is idempotent, and each
 * looks up what is left rather than remembering what it did):
 *   1. the password, as login checks it (wrong: 403 FORBIDDEN, nothing done);
 *   2. the other devices' sessions end (this one stays: it is the one that retries), and the
 *      account's bots go (bots.ts): revoked on every node, then erased as an account is (3–6);
 *   3. messages become tombstones, page by page, with what a delete does (search, sockets);
 *   4. files: attachments, tracks, playlists, exports, avatar (bytes before rows);
 *   5. rooms: an owned group passes to the oldest admin or member, then every room is left;
 *      messages sent meanwhile (by this very session) become tombstones too;
 *   6. the user row, and with it everything that references it (the email is free again);
 *   7. the sessions that went with it, the caller's included, are announced revoked on every node
 *      (sockets close, tokens get 401);
 *   8. friends are told (best effort: the account is gone by then).
 */
import { Forbidden, Unauthorized } from "./errors.js";
import { exportDir } from "./exports.js";
import { forEveryone } from "./message.js";
import type { MessageDeps } from "./messages.js";
import type { AccountExportRepository } from "./ports/account-export-repository.js";
import type { AttachmentRepository } from "./ports/attachment-repository.js";
import type { BotRepository } from "./ports/bot-repository.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { SentRef } from "./ports/message-store.js";
import type { PlaylistRepository } from "./ports/playlist-repository.js";
import type { RateLimiter } from "./ports/rate-limiter.js";
import type { PasswordHasher } from "./ports/security.js";
import type { SessionRepository } from "./ports/session-repository.js";
import type { FriendRepository } from "./ports/social-repository.js";
import type { TrackRepository } from "./ports/track-repository.js";
import type { NoticeDeps } from "./room-notices.js";
import { withReplyExcerpts } from "./replies.js";
import { handOverOnLeave } from "./room-ranks.js";
import { removeFromRoom } from "./rooms.js";
import { viewUser, type UserRecord } from "./user.js";

export interface AccountDeletionDeps extends MessageDeps, NoticeDeps {
  sessions: SessionRepository;
  /** The account's bots, revoked ones included, go with it. */
  bots: Pick<BotRepository, "listOf" | "revoke">;
  hasher: PasswordHasher;
  /** Failed logins per account: a wrong password here counts as one (a stolen token cannot guess it). */
  loginFailures: RateLimiter;
  friends: Pick<FriendRepository, "listFriends">;
  blobs: BlobStorage;
  attachmentFiles: Pick<AttachmentRepository, "listByUploader" | "remove">;
  tracks: Pick<TrackRepository, "list" | "remove">;
  playlists: Pick<PlaylistRepository, "listOwned" | "remove">;
  exports: Pick<AccountExportRepository, "listOf" | "removeAllOf">;
  /** Told of what fails after the account is gone (friends' notices): nothing can be retried then. */
  onError?: (err: unknown, what: string) => void;
  now?: () => Date;
}

// A page of the user's messages is read, then tombstoned room by room, several rooms at once
// (each room's changes queue on its own head row). A room's part of a page is one short
// transaction: a user with 100,000 messages never holds one giant one.
const MESSAGE_PAGE = 200;
const ROOMS_AT_ONCE = 4;
const MENTION_REMOVALS_AT_ONCE = 8;
const FILE_PAGE = 100;

const clock = (deps: AccountDeletionDeps) => (deps.now ? deps.now() : new Date());

export async function deleteAccount(deps: AccountDeletionDeps, caller: { userId: string; sessionId: string }, password: string): Promise<void> {
  const { userId } = caller;
  const user = await deps.users.findById(userId);
  if (!user) throw new Unauthorized("account no longer exists");
  await checkPassword(deps, user, password);

  await deps.sessions.revokeMany((await deps.sessions.liveIdsOf(userId)).filter((id) => id !== caller.sessionId), clock(deps));
  await eraseBotsOf(deps, userId);
  await tombstoneMessagesOf(deps, userId);
  await eraseFilesOf(deps, user);
  await leaveEveryRoom(deps, userId);
  // Out of every room, the caller's own session can send nothing more: what it sent while the
  // first pass ran is caught here (a pass over tombstones writes nothing).
  await tombstoneMessagesOf(deps, userId);
  const friends = await deps.friends.listFriends(userId);

  const { sessionIds } = await deps.users.remove(userId);
  await deps.sessions.revokeMany([...new Set([caller.sessionId, ...sessionIds])], clock(deps));

  // The friends' lists drop the account; the view is the profile as it was, without the avatar.
  const gone = viewUser({ ...user, avatarKey: null }, null);
  for (const friend of friends) {
    await deps.feed.publish(friend.id, { type: "friend.updated", data: { user: gone, friends: false } }).catch((err: unknown) => deps.onError?.(err, "friend notice of a deleted account"));
  }
}

/**
 * Each bot of the account, revoked ones included (their users stayed for their messages' sake):
 * all revoked on every node first (tokens refused, sockets closed), then each erased as an account
 * is: messages tombstoned, files gone, out of every room, then its user row, which takes the bot's
 * row with it. A retry finds the bots not yet erased.
 */
async function eraseBotsOf(deps: AccountDeletionDeps, ownerId: string): Promise<void> {
  const bots = await deps.bots.listOf(ownerId, { includeRevoked: true });
  await deps.bots.revoke(bots.map((b) => b.id), clock(deps));
  for (const bot of bots) {
    const user = await deps.users.findById(bot.userId);
    await tombstoneMessagesOf(deps, bot.userId);
    if (user) await eraseFilesOf(deps, user);
    await leaveEveryRoom(deps, bot.userId);
    await deps.users.remove(bot.userId);
  }
}

async function checkPassword(deps: AccountDeletionDeps, user: UserRecord, password: string): Promise<void> {
  await deps.loginFailures.check(user.email);
  if (await deps.hasher.verify(password, user.passwordHash)) return;
  await deps.loginFailures.consume(user.email);
  // Not 401: the caller's token is good, and a client that reads 401 as "refresh the token and
  // try again" would spend a second failed login on the same wrong password.
  throw new Forbidden("wrong password");
}

/**
 * Every keyed message of the user, in every room (left ones too), becomes a tombstone: senderId
 * and seq kept, text and attachments dropped. What a delete does (messages.ts tombstoneMessage)
 * is done for a room's page of them at once: the store's delete (MessageStore.deleteMany: one
 * transaction per page on PostgreSQL, about 15 ms per message one by one), then the same
 * follow-ups, mentions dropped, search told, message:updated to the joined sockets, the room list.
 * Tombstones found on a retry are skipped without a write. Returns how many messages it deleted.
 */
export async function tombstoneMessagesOf(deps: AccountDeletionDeps, userId: string): Promise<number> {
  let deleted = 0;
  for (let after: SentRef | undefined; ; ) {
    const page = await deps.messages.sentBy(userId, { after, limit: MESSAGE_PAGE });
    const byRoom = new Map<string, number[]>();
    for (const ref of page) byRoom.set(ref.roomId, [...(byRoom.get(ref.roomId) ?? []), ref.seq]);
    await inPool([...byRoom], ROOMS_AT_ONCE, async ([roomId, seqs]) => {
      const n = await tombstonePage(deps, roomId, seqs);
      deleted += n;
    });
    if (page.length < MESSAGE_PAGE) return deleted;
    after = page.at(-1);
  }
}

async function tombstonePage(deps: AccountDeletionDeps, roomId: string, seqs: number[]): Promise<number> {
  const deleted = await deps.messages.deleteMany(roomId, seqs, new Date());
  if (!deleted.length) return 0;
  await inPool(deleted, MENTION_REMOVALS_AT_ONCE, (m) => deps.mentions.remove(roomId, m.seq));
  for (const message of await withReplyExcerpts(deps, roomId, deleted)) {
    deps.onMessageChanged?.(message);
    deps.broadcaster.toRoom(roomId, "message:updated", forEveryone(message));
  }
  await deps.feed.roomChanged(roomId, await deps.rooms.memberIds(roomId));
  return deleted.length;
}

/** Bytes first, then the row that names them: a retry still finds the row, and deleting bytes twice is fine. */
async function eraseFilesOf(deps: AccountDeletionDeps, user: UserRecord): Promise<void> {
  const { blobs } = deps;
  for (;;) {
    const page = await deps.attachmentFiles.listByUploader(user.id, { limit: FILE_PAGE });
    for (const a of page) {
      await blobs.delete(a.storageKey);
      if (a.thumbnailKey) await blobs.delete(a.thumbnailKey);
      await deps.attachmentFiles.remove(a.id);
    }
    if (page.length < FILE_PAGE) break;
  }
  for (;;) {
    const page = await deps.tracks.list({ ownerId: user.id, limit: FILE_PAGE });
    for (const t of page) {
      // tracks.ts trackSourceKey and trackHlsKey: everything of a track is under tracks/<id>/.
      await blobs.deleteAll(`tracks/${t.id}`);
      // The row takes its transcode job with it; a transcode running right now may still write a
      // segment before it finds its job gone, so the folder is cleared once more after.
      await deps.tracks.remove(t.id);
      await blobs.deleteAll(`tracks/${t.id}`);
    }
    if (page.length < FILE_PAGE) break;
  }
  for (const p of await deps.playlists.listOwned(user.id)) await deps.playlists.remove(p.id, user.id);
  for (const e of await deps.exports.listOf(user.id)) await blobs.deleteAll(exportDir(e.id));
  await deps.exports.removeAllOf(user.id);
  if (user.avatarKey) {
    await blobs.delete(`avatars/${user.avatarKey}`);
    await deps.users.update(user.id, { avatarKey: null });
  }
}

/**
 * Each room as a leave does it (rooms.ts): an owned group goes to the oldest admin, else the oldest
 * member (room-ranks.ts handOverOnLeave, the rule leaving by hand follows), then the membership
 * goes with its sockets, and the members left get room.updated.
 */
async function leaveEveryRoom(deps: AccountDeletionDeps, userId: string): Promise<void> {
  for (const { room } of await deps.rooms.roomsOf(userId)) {
    await handOverOnLeave(deps, userId, room.id);
    await removeFromRoom(deps, room.id, userId);
  }
}

async function inPool<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}
