/** Pins (PROTOCOL.md, "Conversations"): PUT / DELETE /api/rooms/:id/pins/:seq, GET /api/rooms/:id/pins. */
import { z } from "zod";
import { MessageSchema } from "./messages.js";

export const PinsReply = z.object({ pins: z.array(MessageSchema) });
