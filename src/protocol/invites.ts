/** Invites to group rooms (PROTOCOL.md, "Rooms, invites, messages"): sent by members, answered by the invitee. */
import { z } from "zod";
import { Id } from "./common.js";
import { GROUP_INVITES_MAX } from "./limits.js";
import { RoomSchema } from "./rooms.js";

export const InviteSchema = z
  .object({ id: z.string(), roomId: z.string(), inviterId: z.string(), inviteeId: z.string(), status: z.string(), createdAt: z.string() })
  .meta({ id: "Invite" });

export const InviteBody = z.strictObject({ userIds: z.array(Id).min(1).max(GROUP_INVITES_MAX) });

export const InvitesReply = z.object({ invites: z.array(InviteSchema) });
/** Accepting also returns the room just joined. */
export const InviteAnswerReply = z.object({ invite: InviteSchema, room: RoomSchema.optional() });

export type Invite = z.output<typeof InviteSchema>;
