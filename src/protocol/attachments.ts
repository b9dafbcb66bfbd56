/** Files in rooms (PROTOCOL.md, "Files and music"): what an upload returns and a message carries. */
import { z } from "zod";

export const AttachmentSchema = z
  .object({ id: z.string(), name: z.string(), size: z.number().int(), contentType: z.string(), url: z.string(), thumbnailUrl: z.string().optional() })
  .meta({ id: "Attachment" });

export const AttachmentReply = z.object({ attachment: AttachmentSchema });

export type Attachment = z.output<typeof AttachmentSchema>;
