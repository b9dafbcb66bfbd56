import { refuseIfBlocked } from "./blocks.js";
import { Conflict, Invalid, NotFound } from "./errors.js";
import type { BlockRepository } from "./ports/block-repository.js";
import type { FeedPublisher } from "./ports/feed.js";
import type { PresenceReader } from "./ports/presence.js";
import type { FriendRepository, FriendRequestRecord } from "./ports/social-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import { viewUser } from "./user.js";
import type { Friend, FriendRequest, PendingFriendRequests } from "../protocol/friends.js";

export interface FriendDeps {
  users: UserRepository;
  friends: FriendRepository;
  presence: PresenceReader;
  feed: FeedPublisher;
  /** A blocked user cannot send the blocker a friend request (blocks.ts). */
  blocks: BlockRepository;
  now?: () => Date;
}

/** The contract's friend request (src/protocol/friends.ts). */
export type FriendRequestView = FriendRequest;

const viewRequest = (r: FriendRequestRecord): FriendRequestView => ({
  id: r.id,
  fromUserId: r.fromUserId,
  toUserId: r.toUserId,
  status: r.status,
  createdAt: r.createdAt.toISOString(),
});

export async function sendFriendRequest(deps: FriendDeps, fromUserId: string, toUserId: string): Promise<FriendRequestView> {
  if (fromUserId === toUserId) throw new Invalid("cannot befriend yourself", [{ path: "userId", message: "is yourself" }]);
  if (!(await deps.users.findById(toUserId))) throw new NotFound("no such user");
  await refuseIfBlocked(deps, fromUserId, toUserId);
  const request = viewRequest(await deps.friends.createRequest(fromUserId, toUserId));
  await deps.feed.publish(toUserId, { type: "friend.request", data: { request } });
  return request;
}

export async function listFriendRequests(deps: FriendDeps, userId: string): Promise<PendingFriendRequests> {
  const { incoming, outgoing } = await deps.friends.listPending(userId);
  return { incoming: incoming.map(viewRequest), outgoing: outgoing.map(viewRequest) };
}

/** Only the addressee may answer; to anyone else the request does not exist. */
export async function answerFriendRequest(
  deps: FriendDeps,
  userId: string,
  requestId: string,
  answer: "accepted" | "declined",
): Promise<FriendRequestView> {
  const found = await deps.friends.findRequest(requestId);
  if (!found || (found.toUserId !== userId && found.fromUserId !== userId)) throw new NotFound("no such friend request");
  if (found.toUserId !== userId) throw new NotFound("no such friend request addressed to you");
  if (found.status !== "pending") throw new Conflict(`request already ${found.status}`);
  const updated = await deps.friends.respond(requestId, answer, deps.now ? deps.now() : new Date());
  if (!updated) throw new Conflict("request was answered meanwhile");
  if (answer === "accepted") await announceFriendship(deps, updated.fromUserId, updated.toUserId, true);
  return viewRequest(updated);
}

async function announceFriendship(deps: FriendDeps, a: string, b: string, friends: boolean) {
  const [ua, ub] = await Promise.all([deps.users.findById(a), deps.users.findById(b)]);
  if (ua && ub) {
    await deps.feed.publish(a, { type: "friend.updated", data: { user: viewUser(ub, a), friends } });
    await deps.feed.publish(b, { type: "friend.updated", data: { user: viewUser(ua, b), friends } });
  }
}

export async function listFriends(deps: FriendDeps, userId: string): Promise<Friend[]> {
  const friends = await deps.friends.listFriends(userId);
  const presence = await deps.presence.statusOf(friends.map((f) => f.id));
  return friends.map((f) => ({
    user: viewUser(f, userId),
    presence: presence.get(f.id) ?? { status: "offline", lastSeenAt: null },
  }));
}

/** Idempotent: removing someone who is not a friend is a no-op. */
export async function removeFriend(deps: FriendDeps, userId: string, friendId: string): Promise<void> {
  if (await deps.friends.removeFriend(userId, friendId)) await announceFriendship(deps, userId, friendId, false);
}
