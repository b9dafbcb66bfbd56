/**
 * Reactions (PROTOCOL.md, "Conversations"): any member may add or remove their own reaction to
 * any message of the room, of any age. Idempotent: a second identical add changes nothing and
 * broadcasts nothing. The store keeps the rules (one per user and emoji, 20 distinct emoji).
 */
import { Invalid } from "./errors.js";
import type { Message } from "./message.js";
import { changeMessage, type MessageDeps } from "./messages.js";
import { requireMember } from "./rooms.js";
import { isReactionEmoji } from "../protocol/emoji.js";

export async function react(deps: MessageDeps, userId: string, input: { roomId: string; seq: number; emoji: string }, add: boolean): Promise<Message> {
  await requireMember(deps, input.roomId, userId);
  if (!isReactionEmoji(input.emoji)) throw new Invalid("emoji must be one emoji or a :shortcode:", [{ path: "emoji", message: "not one emoji" }]);
  const { message } = await changeMessage(deps, input.roomId, input.seq, { kind: "react", emoji: input.emoji, userId, add }, userId);
  return message;
}
