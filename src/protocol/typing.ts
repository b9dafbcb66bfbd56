/** Typing indicators (PROTOCOL.md, "Socket.IO"): socket only, never stored. */
import { z } from "zod";
import { RoomId } from "./common.js";

export const TypingPayload = z.strictObject({ roomId: RoomId, isTyping: z.boolean() });
/** What the room's other joined sockets get: the typist's own sockets are left out. */
export const TypingSchema = z.object({ roomId: z.string(), userId: z.string(), isTyping: z.boolean() }).meta({ id: "Typing" });

export type Typing = z.output<typeof TypingSchema>;
