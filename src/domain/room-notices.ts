/**
 * The system message an admin action leaves in its room (PROTOCOL.md, "Accounts and rooms over
 * their life": every role change, ban, mute and transfer is a system message in the room and a
 * feed event). The same way a pin leaves its notice (pins.ts): appended by the actor, broadcast as
 * message:new to the joined sockets, and room.updated to every member through the feed, so members
 * who were away see who did what when they come back.
 */
import type { Message } from "./message.js";
import type { RoomDeps } from "./rooms.js";

export interface NoticeDeps extends RoomDeps {
  /** Metrics, push and the search index see a notice as any other stored message. */
  onMessageStored?: (message: Message) => void;
}

export async function postNotice(deps: NoticeDeps, roomId: string, actorId: string, text: string): Promise<Message> {
  const { message, created } = await deps.messages.append({ roomId, senderId: actorId, type: "system", text, attachments: [], clientMsgId: null }, new Date());
  if (created) {
    deps.onMessageStored?.(message);
    // The actor has read their own notice, as a sender has read their message.
    deps.receipts.readOwn(deps.rooms, roomId, actorId, message.seq);
    deps.broadcaster.toRoom(roomId, "message:new", message);
  }
  await deps.feed.roomChanged(roomId, await deps.rooms.memberIds(roomId));
  return message;
}

/** "42 seconds", "10 minutes", "1 hour 30 minutes": a mute's length and what is left of it, as people say it. */
export function spokenDuration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  const units: [number, string][] = [
    [86_400, "day"],
    [3_600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (!n) continue;
    parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
    rest -= n * size;
    // Two units are precise enough for people ("2 days 3 hours", not "… 4 minutes 5 seconds").
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}
