import { setAway, socketConnected, socketDisconnected, type PresenceDeps } from "../domain/presence.js";
import { acked } from "./ack.js";
import type { ChatSocket, GroupDeps } from "./deps.js";

/**
 * The socket counts towards its user's presence from now until it disconnects. presence:set
 * { status: "online" | "away" }: this device is idle or back. The ack carries the user's resulting
 * status across all their devices (away only when every one says away).
 */
export function register(socket: ChatSocket, deps: GroupDeps & PresenceDeps) {
  const userId = socket.data.userId;
  socket.on(
    "presence:set",
    acked(socket, deps, "presence:set", async ({ status }) => ({
      status: await setAway(deps, userId, socket.id, status === "away"),
    })),
  );
  void socketConnected(deps, userId, socket.id);
  socket.on("disconnect", () => void socketDisconnected(deps, userId, socket.id));
}
