/**
 * Room roles and settings (PROTOCOL.md, "Accounts and rooms over their life"): PATCH
 * /api/rooms/:id, a member's role, the transfer of ownership, bans and mutes. The target member is
 * named in the path (`MemberParams` of rooms.ts: `:id` the room, `:userId` the user).
 */
import { z } from "zod";
import { Id } from "./common.js";
import { BAN_REASON_MAX, MUTE_SECONDS_MAX, ROOM_NAME_MAX, ROOM_TOPIC_MAX } from "./limits.js";

/** Either field may be left out (left as it is); a topic of null or "" clears it. */
export const RoomPatchBody = z.strictObject({
  name: z.string().trim().min(1).max(ROOM_NAME_MAX).optional(),
  topic: z.string().max(ROOM_TOPIC_MAX).nullable().optional(),
});

/** The owner's role moves by transfer only, so it is not one to set. */
export const RoleBody = z.strictObject({ role: z.enum(["admin", "member"]) });
export const TransferBody = z.strictObject({ userId: Id });

export const BanBody = z.strictObject({ reason: z.string().max(BAN_REASON_MAX).optional() });
export const BanSchema = z
  .object({ userId: z.string(), bannedBy: z.string(), reason: z.string(), createdAt: z.string() })
  .meta({ id: "RoomBan" });
export const BanReply = z.object({ ban: BanSchema });
export const BansReply = z.object({ bans: z.array(BanSchema) });

/** A mute by the owner or an admin: the member's sends are refused until `until` (not the member's own notification mute). */
export const MuteMemberBody = z.strictObject({ seconds: z.number().int().min(1).max(MUTE_SECONDS_MAX) });
export const MuteSchema = z.object({ userId: z.string(), until: z.string() }).meta({ id: "RoomMute" });
export const MuteMemberReply = z.object({ mute: MuteSchema });

export type RoomBan = z.output<typeof BanSchema>;
export type RoomMute = z.output<typeof MuteSchema>;
