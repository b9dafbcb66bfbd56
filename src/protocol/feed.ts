/**
 * The per-user event feed (PROTOCOL.md, "Long-poll event feed"; docs/events-feed.md): one log, two
 * deliveries, GET /api/events and the socket's `event`. Each type carries its own `data`.
 */
import { z } from "zod";
import { FriendRequestSchema } from "./friends.js";
import { InviteSchema } from "./invites.js";
import { RoomReportSchema } from "./reports.js";
import { RoomSchema } from "./rooms.js";
import { UserSchema } from "./users.js";

const envelope = { id: z.string(), at: z.string() };

export const FeedEventSchema = z
  .discriminatedUnion("type", [
    z.object({ ...envelope, type: z.enum(["invite.created", "invite.updated"]), data: z.object({ invite: InviteSchema, room: RoomSchema.nullable() }) }),
    // The room's state when delivered: its last message and the member's unread count.
    z.object({ ...envelope, type: z.literal("room.updated"), data: z.object({ room: RoomSchema }) }),
    z.object({ ...envelope, type: z.literal("room.removed"), data: z.object({ roomId: z.string() }) }),
    z.object({ ...envelope, type: z.literal("friend.request"), data: z.object({ request: FriendRequestSchema }) }),
    z.object({ ...envelope, type: z.literal("friend.updated"), data: z.object({ user: UserSchema, friends: z.boolean() }) }),
    // A message of a room reported: to the room's owner and admins (protocol/reports.ts).
    z.object({ ...envelope, type: z.literal("report.created"), data: z.object({ report: RoomReportSchema }) }),
  ])
  .meta({ id: "FeedEvent" });

/** Without a cursor: the cursor of now, at once. With one: held until an event or the timeout. */
export const EventsQuery = z.object({
  cursor: z.string().min(1).max(64).optional(),
  timeout: z.coerce.number().int().min(0).max(55).default(25),
});
export const EventsReply = z.object({ events: z.array(FeedEventSchema), cursor: z.string() });

export type FeedEvent = z.output<typeof FeedEventSchema>;
export type FeedEventType = FeedEvent["type"];
