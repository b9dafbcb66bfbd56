import { z } from "zod";
import { DISPLAY_NAME_MAX, PASSWORD_MAX, PASSWORD_MIN } from "../domain/accounts.js";
import { STATUS_MESSAGE_MAX } from "../domain/profiles.js";

/** Wire shapes shared by several routers; they validate input and document output in OpenAPI. */

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });

export const Id = z.uuid({ error: "must be an id" });
export const IdParams = z.object({ id: Id });
export const UserIdParams = z.object({ userId: Id });

// Paged routes: limit defaults to 50 and is capped at 100 (PROTOCOL.md).
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: Id.optional(),
});

export const Email = z.string().trim().pipe(z.email({ error: "must be an email address" }).max(254));
export const Password = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);
export const DisplayName = z.string().trim().min(1).max(DISPLAY_NAME_MAX);
export const StatusMessage = z.string().max(STATUS_MESSAGE_MAX);

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

export const PresenceSchema = z
  .object({ status: z.enum(["online", "away", "offline"]), lastSeenAt: z.string().nullable() })
  .meta({ id: "Presence" });

export const FriendRequestSchema = z
  .object({ id: z.string(), fromUserId: z.string(), toUserId: z.string(), status: z.string(), createdAt: z.string() })
  .meta({ id: "FriendRequest" });

export const UserPage = z.object({ users: z.array(UserSchema), nextCursor: z.string().nullable() });
