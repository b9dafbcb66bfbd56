/** Wire field schemas shared by both doors (HTTP routes and socket events). */
import { z } from "zod";
import { MESSAGE_TEXT_MAX } from "../domain/messages.js";

/** Payload pieces shared by several event groups. Strings and numbers only: no operator objects get through. */
export const RoomId = z.uuid({ error: "must be a room id" });
export const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const ClientMsgId = z.string().min(1).max(100);
export const MessageText = z.string().max(MESSAGE_TEXT_MAX, { error: `must be at most ${MESSAGE_TEXT_MAX} characters` });
export const MessageId = z.string().min(3).max(64);
export const RoomPayload = z.strictObject({ roomId: RoomId });
