/**
 * Bots (PROTOCOL.md, "Integrations"; docs/integrations.md): POST /api/bots, GET /api/bots,
 * DELETE /api/bots/:id. A bot is a user owned by the caller; its token is shown once.
 */
import { z } from "zod";
import { DisplayName } from "./users.js";

/** A bot's name is its user's display name, checked as one (1–50 characters, trimmed). */
export const CreateBotBody = z.strictObject({ name: DisplayName });

/** A bot as its owner sees it: never its token, nor the hash of it. */
export const BotSchema = z
  .strictObject({
    id: z.string(),
    userId: z.string(),
    name: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: "Bot" });

/** POST /api/bots: the only reply that ever carries the token. */
export const CreatedBotReply = z.strictObject({ bot: BotSchema, token: z.string() });
export const BotsReply = z.strictObject({ bots: z.array(BotSchema) });

export type Bot = z.output<typeof BotSchema>;
