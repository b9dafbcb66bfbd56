/** Blocks (PROTOCOL.md, "Conversations": blocks): PUT/DELETE /api/blocks/:userId, GET /api/blocks. */
import { z } from "zod";
import { UserSchema } from "./users.js";

/** The users the caller has blocked, oldest block first, shown as other users are (no email). */
export const BlockedUsersReply = z.object({ users: z.array(UserSchema) });

export type BlockedUsers = z.output<typeof BlockedUsersReply>;
