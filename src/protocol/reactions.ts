/**
 * Reactions (PROTOCOL.md, "Conversations"): socket `reaction:add` / `reaction:remove` and
 * PUT / DELETE /api/rooms/:id/messages/:seq/reactions/:emoji, one use case behind both.
 */
import { z } from "zod";
import { isReactionEmoji } from "./emoji.js";
import { Id, RoomId, SeqParam } from "./common.js";
import { MessageId } from "./messages.js";

/** One emoji (a single grapheme) or a :shortcode: of [a-z0-9_+-]. */
export const Emoji = z.string().max(64).refine(isReactionEmoji, { error: "must be one emoji or a :shortcode:" });

export const ReactionPayload = z.strictObject({ roomId: RoomId, messageId: MessageId, emoji: Emoji });
export const ReactionParams = z.object({ id: Id, seq: SeqParam.min(1), emoji: Emoji });
