/** Users and profiles (PROTOCOL.md, "Users, friends, follows"): the user view and the profile routes. */
import { z } from "zod";
import { PageQuery } from "./common.js";
import { DISPLAY_NAME_MAX, STATUS_MESSAGE_MAX } from "./limits.js";

/** A user as the API shows it: other users' views omit `email`, and no view carries a password hash. */
export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string().optional(),
    displayName: z.string(),
    statusMessage: z.string(),
    avatarUrl: z.string().nullable(),
    emailVerified: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: "User" });

export const DisplayName = z.string().trim().min(1).max(DISPLAY_NAME_MAX);
export const StatusMessage = z.string().max(STATUS_MESSAGE_MAX);

/** PATCH /api/me: strict, so a misspelt field is refused rather than silently ignored. */
export const UpdateMeBody = z.strictObject({ displayName: DisplayName.optional(), statusMessage: StatusMessage.optional() });
/** Avatar keys are checked by pattern in the use case; this only bounds their length. */
export const AvatarParams = z.object({ key: z.string().max(100) });
/** GET /api/users: display-name substring or exact email. */
export const UserSearchQuery = PageQuery.extend({ q: z.string().trim().min(1).max(100) });

export const UserReply = z.object({ user: UserSchema });
export const UserPage = z.object({ users: z.array(UserSchema), nextCursor: z.string().nullable() });

export type User = z.output<typeof UserSchema>;
export type UserPageReply = z.output<typeof UserPage>;
