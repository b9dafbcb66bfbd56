import { z } from "zod";
import { getPlayer, POSITION_MAX_MS, setPlayer, type PlayerDeps } from "../domain/player.js";
import type { Logger } from "../logger.js";
import { RoomId, RoomPayload } from "../protocol/fields.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";
import type { Inflight } from "./inflight.js";

const SetPayload = z.strictObject({
  roomId: RoomId,
  // null stops the room's player.
  trackId: z.uuid({ error: "must be a track id" }).nullable(),
  positionMs: z.number().min(0).max(POSITION_MAX_MS),
  playing: z.boolean(),
});

/** player:set / player:get: a room's shared player ("listening together"). */
export function register(socket: ChatSocket, deps: PlayerDeps & Pick<RealtimeDeps, "log" | "inflight" | "classify">) {
  const userId = socket.data.userId;

  socket.on(
    "player:set",
    acked(socket, deps, "player:set", SetPayload, async (input) => ({ player: await setPlayer(deps, userId, input) })),
  );

  socket.on(
    "player:get",
    acked(socket, deps, "player:get", RoomPayload, async ({ roomId }) => ({ player: await getPlayer(deps, userId, roomId) })),
  );
}
