/** Friends and follows (PROTOCOL.md, "Users, friends, follows"). */
import { z } from "zod";
import { Id } from "./common.js";
import { PresenceSchema } from "./presence.js";
import { UserSchema } from "./users.js";

export const FriendRequestSchema = z
  .object({ id: z.string(), fromUserId: z.string(), toUserId: z.string(), status: z.string(), createdAt: z.string() })
  .meta({ id: "FriendRequest" });

export const FriendSchema = z.object({ user: UserSchema, presence: PresenceSchema }).meta({ id: "Friend" });

export const FriendRequestBody = z.object({ userId: Id });
export const FriendRequestReply = z.object({ request: FriendRequestSchema });
export const FriendRequestLists = z.object({ incoming: z.array(FriendRequestSchema), outgoing: z.array(FriendRequestSchema) });
export const FriendsReply = z.object({ friends: z.array(FriendSchema) });

export type FriendRequest = z.output<typeof FriendRequestSchema>;
export type Friend = z.output<typeof FriendSchema>;
export type PendingFriendRequests = z.output<typeof FriendRequestLists>;
