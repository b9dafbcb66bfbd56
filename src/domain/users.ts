/**
 * Users' profiles (PROTOCOL.md, "Users, friends, follows"): one's own and others' views, avatars,
 * search. The user record and how it is shown live in user.ts, as a message does in message.ts.
 */
import { randomBytes } from "node:crypto";
import { requireContentType } from "./content-type.js";
import { Invalid, NotFound, Unauthorized } from "./errors.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { UserRepository } from "./ports/user-repository.js";
import { viewUser, type UserView } from "./user.js";
import type { UserPageReply } from "../protocol/users.js";

export interface UserDeps {
  users: UserRepository;
  blobs: BlobStorage;
}

export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
export const AVATAR_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
// Avatar keys are public URLs: unguessable, and shaped so the route can validate them by pattern.
export const AVATAR_KEY = /^[0-9a-f-]{36}-[0-9a-f]{16}\.(png|jpg|webp)$/;

export async function getMe(deps: UserDeps, userId: string): Promise<UserView> {
  const user = await deps.users.findById(userId);
  if (!user) throw new Unauthorized("account no longer exists");
  return viewUser(user, userId);
}

export async function updateMe(
  deps: UserDeps,
  userId: string,
  patch: { displayName?: string; statusMessage?: string },
): Promise<UserView> {
  const clean: { displayName?: string; statusMessage?: string } = {};
  if (patch.displayName !== undefined) clean.displayName = patch.displayName.trim();
  if (patch.statusMessage !== undefined) clean.statusMessage = patch.statusMessage.trim();
  return viewUser(await deps.users.update(userId, clean), userId);
}

export async function setAvatar(deps: UserDeps, userId: string, bytes: Buffer): Promise<UserView> {
  if (bytes.length === 0) throw new Invalid("empty file", [{ path: "avatar", message: "is empty" }]);
  const { ext } = await requireContentType(bytes, AVATAR_TYPES);
  const before = await deps.users.findById(userId);
  if (!before) throw new Unauthorized("account no longer exists");
  const key = `${userId}-${randomBytes(8).toString("hex")}.${ext}`;
  await deps.blobs.put(`avatars/${key}`, bytes);
  const user = await deps.users.update(userId, { avatarKey: key });
  if (before.avatarKey) await deps.blobs.delete(`avatars/${before.avatarKey}`);
  return viewUser(user, userId);
}

export async function openAvatar(deps: UserDeps, key: string) {
  if (!AVATAR_KEY.test(key)) throw new NotFound("no such avatar");
  const blob = await deps.blobs.open(`avatars/${key}`);
  if (!blob) throw new NotFound("no such avatar");
  const ext = key.slice(key.lastIndexOf(".") + 1);
  return { ...blob, contentType: ext === "jpg" ? "image/jpeg" : `image/${ext}` };
}

export async function getUser(deps: UserDeps, viewerId: string, userId: string): Promise<UserView> {
  const user = await deps.users.findById(userId);
  if (!user) throw new NotFound("no such user");
  return viewUser(user, viewerId);
}

export async function searchUsers(
  deps: UserDeps,
  viewerId: string,
  query: { q: string; limit: number; cursor: string | null },
): Promise<UserPageReply> {
  const page = await deps.users.search(query.q.trim(), query.limit, query.cursor);
  return { users: page.items.map((u) => viewUser(u, viewerId)), nextCursor: page.nextCursor };
}
