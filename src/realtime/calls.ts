import { connectionClosed, joinCall, leaveCall, relaySignal, type CallDeps } from "../domain/calls.js";
import { acked } from "./ack.js";
import type { ChatSocket, GroupDeps } from "./deps.js";

/** call:join / call:leave / call:signal, and leaving every call when the socket goes. */
export function register(socket: ChatSocket, deps: GroupDeps & CallDeps) {
  const userId = socket.data.userId;

  socket.on(
    "call:join",
    acked(socket, deps, "call:join", async ({ roomId }) => ({ participants: await joinCall(deps, userId, socket.id, roomId) })),
  );

  socket.on(
    "call:leave",
    acked(socket, deps, "call:leave", async ({ roomId }) => {
      await leaveCall(deps, userId, socket.id, roomId);
      return {};
    }),
  );

  socket.on(
    "call:signal",
    acked(socket, deps, "call:signal", async (input) => {
      await relaySignal(deps, userId, socket.id, input);
      return {};
    }),
  );

  // Tracked, so a draining node announces its departures before it closes Redis.
  socket.on("disconnect", () => {
    void deps.inflight.track(connectionClosed(deps, userId, socket.id)).catch((err) => deps.log.warn({ err, userId }, "leaving calls on disconnect failed"));
  });
}
