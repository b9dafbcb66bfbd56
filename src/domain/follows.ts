import { Invalid, NotFound } from "./errors.js";
import type { FollowRepository } from "./ports/social-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import { viewUser } from "./user.js";
import type { UserPageReply } from "../protocol/users.js";

export interface FollowDeps {
  users: UserRepository;
  follows: FollowRepository;
}

async function requireUser(deps: FollowDeps, userId: string) {
  if (!(await deps.users.findById(userId))) throw new NotFound("no such user");
}

/** Idempotent: following twice is one follow. */
export async function follow(deps: FollowDeps, followerId: string, followeeId: string): Promise<void> {
  if (followerId === followeeId) throw new Invalid("cannot follow yourself", [{ path: "userId", message: "is yourself" }]);
  await requireUser(deps, followeeId);
  await deps.follows.follow(followerId, followeeId);
}

export async function unfollow(deps: FollowDeps, followerId: string, followeeId: string): Promise<void> {
  await deps.follows.unfollow(followerId, followeeId);
}

export async function listFollows(
  deps: FollowDeps,
  viewerId: string,
  userId: string,
  direction: "followers" | "following",
  page: { limit: number; cursor: string | null },
): Promise<UserPageReply> {
  await requireUser(deps, userId);
  const result = await deps.follows[direction](userId, page.limit, page.cursor);
  return { users: result.items.map((u) => viewUser(u, viewerId)), nextCursor: result.nextCursor };
}
