import { getPlayer, setPlayer, type PlayerDeps } from "../domain/player.js";
import { acked } from "./ack.js";
import type { ChatSocket, GroupDeps } from "./deps.js";

/** player:set / player:get: a room's shared player ("listening together"). */
export function register(socket: ChatSocket, deps: PlayerDeps & GroupDeps) {
  const userId = socket.data.userId;

  socket.on(
    "player:set",
    acked(socket, deps, "player:set", async (input) => ({ player: await setPlayer(deps, userId, input) })),
  );

  socket.on(
    "player:get",
    acked(socket, deps, "player:get", async ({ roomId }) => ({ player: await getPlayer(deps, userId, roomId) })),
  );
}
