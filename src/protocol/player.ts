/**
 * A room's shared player, "listening together" (PROTOCOL.md, "Files and music"). `positionMs` is the
 * position at `serverTime`: a client plays from positionMs + (its now - when it received this) while
 * `playing`, which needs no clock agreement between client and server.
 */
import { z } from "zod";
import { RoomId } from "./common.js";
import { POSITION_MAX_MS } from "./limits.js";

export const PlayerSchema = z
  .object({ roomId: z.string(), trackId: z.string().nullable(), positionMs: z.number(), playing: z.boolean(), serverTime: z.string(), updatedBy: z.string() })
  .meta({ id: "Player" });

export const PlayerSetPayload = z.strictObject({
  roomId: RoomId,
  // null stops the room's player.
  trackId: z.uuid({ error: "must be a track id" }).nullable(),
  positionMs: z.number().min(0).max(POSITION_MAX_MS),
  playing: z.boolean(),
});
export const PlayerSetAck = z.object({ player: PlayerSchema });
/** null when the room's player was never set. */
export const PlayerGetAck = z.object({ player: PlayerSchema.nullable() });

export type Player = z.output<typeof PlayerSchema>;
