import { NotFound } from "../domain/errors.js";
import { renderRoomFor } from "../domain/room-views.js";
import type { MessageDeps } from "../domain/messages.js";
import { requireMember } from "../domain/rooms.js";
import { catchUp } from "../domain/timeline.js";
import { acked, type AckDeps } from "./ack.js";
import type { ChatSocket } from "./deps.js";
import { roomChannel } from "./events.js";

const MISSED_LIMIT = 100;

/** room:join / room:leave: which rooms' live traffic this socket receives. */
export function register(socket: ChatSocket, deps: MessageDeps & AckDeps) {
  const userId = socket.data.userId;

  socket.on(
    "room:join",
    acked(socket, deps, "room:join", async ({ roomId, afterSeq, afterRev }) => {
      await requireMember(deps, roomId, userId);
      // Join before reading: a message committed meanwhile is then either in `missed` or
      // broadcast to this socket (or both; clients drop duplicates by seq).
      await socket.join(roomChannel(roomId));
      const [room, members, page] = await Promise.all([
        renderRoomFor(deps, userId, roomId),
        deps.rooms.members(roomId),
        catchUp(deps, userId, roomId, { afterSeq, afterRev }, MISSED_LIMIT),
      ]);
      if (!room) throw new NotFound("no such room");
      const presence = await deps.presence.statusOf(members.map((m) => m.userId));
      const online = (id: string) => (presence.get(id)?.status ?? "offline") !== "offline";
      return {
        room,
        members: members.map((m) => ({ userId: m.userId, lastReadSeq: m.lastReadSeq, online: online(m.userId) })),
        missed: page.messages,
        hasMore: page.hasMore,
        ...(page.updated ? { updated: page.updated } : {}),
        rev: page.rev,
      };
    }),
  );

  socket.on(
    "room:leave",
    acked(socket, deps, "room:leave", async ({ roomId }) => {
      await socket.leave(roomChannel(roomId));
      return {};
    }),
  );
}
