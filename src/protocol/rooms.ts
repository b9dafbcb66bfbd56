/**
 * Rooms (PROTOCOL.md, "Rooms, invites, messages"): the room as its member sees it, the room routes,
 * and `room:join` / `room:leave`, which choose the rooms whose live traffic a socket gets.
 */
import { z } from "zod";
import { Id, RoomId, Seq } from "./common.js";
import { GROUP_INVITES_MAX, ROOM_NAME_MAX } from "./limits.js";
import { MessageSchema } from "./messages.js";
import { PresenceSchema } from "./presence.js";
import { UserSchema } from "./users.js";

/** A room as one member sees it: the name of a direct room is the other member's display name. */
export const RoomSchema = z
  .object({
    id: z.string(),
    type: z.enum(["direct", "group"]),
    name: z.string(),
    /** Group rooms only (PATCH /api/rooms/:id); null when none is set. */
    topic: z.string().nullable(),
    memberCount: z.number().int(),
    lastMessage: MessageSchema.nullable(),
    lastSeq: z.number().int(),
    unreadCount: z.number().int(),
    /** Unread messages mentioning the caller (by id or the whole room). */
    mentionCount: z.number().int(),
    lastReadSeq: z.number().int(),
    /** The caller's role: "owner", "admin" or "member" (direct rooms: always "member"). */
    role: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: "Room" });

export const RoomMemberSchema = z
  .object({
    user: UserSchema,
    role: z.string(),
    lastReadSeq: z.number().int(),
    presence: PresenceSchema,
    /** Until when the room's owner or an admin muted them (sends refused), or null. */
    mutedUntil: z.string().nullable(),
  })
  .meta({ id: "RoomMember" });

/** POST /api/rooms: the direct room of a pair, or a group whose other members get invites. */
export const CreateRoomBody = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("direct"), userId: Id }),
  z.strictObject({ type: z.literal("group"), name: z.string().trim().min(1).max(ROOM_NAME_MAX), memberIds: z.array(Id).max(GROUP_INVITES_MAX).default([]) }),
]);
export const MemberParams = z.object({ id: Id, userId: Id });
export const MuteBody = z.strictObject({ muted: z.boolean() });

export const RoomReply = z.object({ room: RoomSchema });
export const RoomsReply = z.object({ rooms: z.array(RoomSchema) });
export const RoomDetailReply = z.object({ room: RoomSchema, members: z.array(RoomMemberSchema) });
export const MuteReply = z.object({ muted: z.boolean() });

/** room:join: `afterSeq` asks for the messages missed since, `afterRev` for older ones changed since (PROTOCOL guarantee 3). */
export const RoomJoinPayload = z.strictObject({ roomId: RoomId, afterSeq: Seq.optional(), afterRev: Seq.optional() });
/** A member as room:join lists it: enough for read counts and online dots, no profile. */
export const JoinedMemberSchema = z.object({ userId: z.string(), lastReadSeq: z.number().int(), online: z.boolean() }).meta({ id: "JoinedMember" });
export const RoomJoinAck = z.object({
  room: RoomSchema,
  members: z.array(JoinedMemberSchema),
  missed: z.array(MessageSchema),
  hasMore: z.boolean(),
  /** With afterRev: older messages changed since, in their current state. */
  updated: z.array(MessageSchema).optional(),
  rev: z.number().int(),
});

export type Room = z.output<typeof RoomSchema>;
export type RoomMember = z.output<typeof RoomMemberSchema>;
export type JoinedMember = z.output<typeof JoinedMemberSchema>;
export type RoomDetail = z.output<typeof RoomDetailReply>;
