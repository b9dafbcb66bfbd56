/** Mentions (PROTOCOL.md, "Conversations"): GET /api/mentions, the caller's, newest first. */
import { z } from "zod";
import { PageLimit } from "./common.js";
import { MessageSchema } from "./messages.js";

/** An opaque cursor from the previous page's nextCursor. */
export const MentionsQuery = z.object({ cursor: z.string().min(1).max(200).optional(), limit: PageLimit });
export const MentionsPage = z.object({ messages: z.array(MessageSchema), nextCursor: z.string().nullable() }).meta({ id: "MentionsPage" });

export type MentionsPageReply = z.output<typeof MentionsPage>;
