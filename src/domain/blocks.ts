// Blocks (PROTOCOL.md, "Conversations": blocks): the use cases behind PUT/DELETE/GET /api/blocks,
// and the checks other use cases call so that a blocked user cannot reach the blocker. A block is
// one-way: only the blocked user is refused, the blocker keeps every door open.
import { Forbidden, Invalid, NotFound } from "./errors.js";
import type { BlockRepository } from "./ports/block-repository.js";
import type { RoomRepository } from "./ports/room-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import { viewUser, type UserView } from "./user.js";

export interface BlockDeps {
  users: UserRepository;
  blocks: BlockRepository;
}

/** What the checks read: the block adapter's cached sets, never a query per target. */
export type BlockCheckDeps = Pick<BlockDeps, "blocks">;

// A refusal says that this action is not possible, never who blocked whom or since when: the
// same words as for any other refusal of that action to that user.
export const CANNOT_MESSAGE = "you cannot message this user";
export const CANNOT_CONTACT = "you cannot contact this user";

/** Idempotent: blocking twice is one block. */
export async function blockUser(deps: BlockDeps, blockerId: string, blockedId: string): Promise<void> {
  if (blockerId === blockedId) throw new Invalid("cannot block yourself", [{ path: "userId", message: "is yourself" }]);
  if (!(await deps.users.findById(blockedId))) throw new NotFound("no such user");
  await deps.blocks.block(blockerId, blockedId);
}

/**
 * Idempotent: unblocking someone not blocked, oneself or an unknown user is a no-op (204), as
 * DELETE /api/follows/:userId is; there is nothing to refuse and nothing to reveal.
 */
export async function unblockUser(deps: BlockDeps, blockerId: string, blockedId: string): Promise<void> {
  if (blockerId === blockedId) return;
  await deps.blocks.unblock(blockerId, blockedId);
}

/** The users the caller has blocked, oldest block first, as other users are shown (no email). */
export async function listBlocked(deps: BlockDeps, blockerId: string): Promise<UserView[]> {
  return (await deps.blocks.list(blockerId)).map((u) => viewUser(u, blockerId));
}

/**
 * FORBIDDEN when any of `targetIds` has blocked `actorId`: for actions that reach those users
 * (a direct room, a friend request, an invite). One refusal for the whole request; it names no
 * one. Costs one cached lookup, whatever the number of targets.
 */
export async function refuseIfAnyBlocked(deps: BlockCheckDeps, actorId: string, targetIds: Iterable<string>, refusal = CANNOT_CONTACT): Promise<void> {
  const blockers = await deps.blocks.blockersOf(actorId);
  if (blockers.size === 0) return;
  for (const id of targetIds) if (blockers.has(id)) throw new Forbidden(refusal);
}

/** FORBIDDEN when `targetId` has blocked `actorId`. */
export async function refuseIfBlocked(deps: BlockCheckDeps, actorId: string, targetId: string, refusal = CANNOT_CONTACT): Promise<void> {
  await refuseIfAnyBlocked(deps, actorId, [targetId], refusal);
}

/**
 * For the send path, after the membership check: FORBIDDEN when `roomId` is a direct room whose
 * other member has blocked `senderId`. Group rooms are not affected (the blocker's own view
 * filters there). Nearly every sender is blocked by nobody, and then this is one cached lookup
 * and no room read.
 */
export async function refuseBlockedDirectSend(
  deps: BlockCheckDeps & { rooms: Pick<RoomRepository, "find" | "memberIds"> },
  senderId: string,
  roomId: string,
): Promise<void> {
  const blockers = await deps.blocks.blockersOf(senderId);
  if (blockers.size === 0) return;
  const room = await deps.rooms.find(roomId);
  if (room?.type !== "direct") return;
  const members = await deps.rooms.memberIds(roomId);
  if (members.some((id) => id !== senderId && blockers.has(id))) throw new Forbidden(CANNOT_MESSAGE);
}
