import { setAway, type PresenceDeps } from "../domain/presence.js";
import { acked } from "./ack.js";
import type { ChatSocket, GroupDeps } from "./deps.js";

/**
 * presence:set { status: "online" | "away" }: this device is idle or back. The ack carries the
 * user's resulting status across all their devices (away only when every one says away).
 * Connect and disconnect are reported by the server's onConnect/onDisconnect hooks (node.ts).
 */
export function register(socket: ChatSocket, deps: GroupDeps & PresenceDeps) {
  const userId = socket.data.userId;
  socket.on(
    "presence:set",
    acked(socket, deps, "presence:set", async ({ status }) => ({
      status: await setAway(deps, userId, socket.id, status === "away"),
    })),
  );
}
