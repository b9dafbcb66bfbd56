/**
 * Operators' deletions (PROTOCOL.md, "Accounts and rooms over their life"): a message, through the
 * sender's own delete path (messages.ts tombstoneMessage: the room's sockets get message:updated,
 * search drops the text, the room list follows), and a whole room.
 *
 * A deleted room's messages are kept in storage, unreachable: the room, its memberships and its
 * invites are gone, so every route and event answers NOT_FOUND for it, as for any room that does
 * not exist; the messages stay as the record behind any report of them. They may live in another
 * database (MongoDB), so they could not go in the room's transaction anyway; purging them is a
 * separate job, not built.
 */
import { clockOf, requireOperator, type AdminDeps } from "./admin.js";
import { NotFound } from "./errors.js";
import { tombstoneMessage } from "./messages.js";
import { parseMessageId } from "./reports.js";

// Former members told at once when a room is deleted: bounds the feed writes in flight.
const REMOVAL_NOTICES_IN_FLIGHT = 50;

/**
 * Tombstones a message of any room. The message store is not in PostgreSQL's transaction (it may
 * be MongoDB), so the audit entry is written first: a failure after it leaves an entry for an
 * attempt, never a deletion without one. Deleting a deleted message changes nothing and is 204.
 */
export async function removeMessage(deps: AdminDeps, operatorId: string, messageId: string, reason = ""): Promise<void> {
  await requireOperator(deps, operatorId);
  const at = parseMessageId(messageId);
  if (!at || !(await deps.rooms.find(at.roomId))) throw new NotFound("no such message");
  if (!(await deps.messages.get(at.roomId, at.seq))) throw new NotFound("no such message");
  await deps.audit.record({ actorId: operatorId, action: "message.delete", targetId: messageId, reason: reason.trim(), at: clockOf(deps) });
  await tombstoneMessage(deps, at.roomId, at.seq);
}

/**
 * Deletes a room with its audit entry (one transaction), then takes every former member's sockets
 * out of it on every node and tells each member `room.removed`.
 */
export async function removeRoom(deps: AdminDeps, operatorId: string, roomId: string, reason = ""): Promise<void> {
  await requireOperator(deps, operatorId);
  const members = await deps.moderation.deleteRoom(roomId, { actorId: operatorId, action: "room.delete", targetId: roomId, reason: reason.trim(), at: clockOf(deps) });
  if (!members) throw new NotFound("no such room");
  for (let i = 0; i < members.length; i += REMOVAL_NOTICES_IN_FLIGHT) {
    await Promise.all(
      members.slice(i, i + REMOVAL_NOTICES_IN_FLIGHT).map((userId) => {
        deps.broadcaster.detachUser(userId, roomId);
        return deps.feed.publish(userId, { type: "room.removed", data: { roomId } });
      }),
    );
  }
}
