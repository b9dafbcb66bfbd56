import { requireMember } from "../domain/rooms.js";
import { renderRoomFor } from "../domain/room-views.js";
import { NotFound } from "../domain/errors.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";
import { roomChannel } from "./events.js";

const MISSED_LIMIT = 100;

/** room:join / room:leave: which rooms' live traffic this socket receives. */
export function register(socket: ChatSocket, deps: RealtimeDeps) {
  const userId = socket.data.userId;

  socket.on(
    "room:join",
    acked(socket, deps, "room:join", async ({ roomId, afterSeq }) => {
      await requireMember(deps, roomId, userId);
      // Join before reading: a message committed meanwhile is then either in `missed` or
      // broadcast to this socket (or both; clients drop duplicates by seq).
      await socket.join(roomChannel(roomId));
      const [room, members, page] = await Promise.all([
        renderRoomFor(deps, userId, roomId),
        deps.rooms.members(roomId),
        afterSeq === undefined ? Promise.resolve({ messages: [], hasMore: false }) : deps.messages.page(roomId, { after: afterSeq, limit: MISSED_LIMIT }),
      ]);
      if (!room) throw new NotFound("no such room");
      const online = await deps.isOnline(members.map((m) => m.userId));
      return {
        room,
        members: members.map((m) => ({ userId: m.userId, lastReadSeq: m.lastReadSeq, online: online.has(m.userId) })),
        missed: page.messages,
        hasMore: page.hasMore,
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
