/**
 * How both doors say no (PROTOCOL.md, "Errors"): an HTTP problem document (RFC 9457) and a failed
 * Socket.IO ack carry the same stable `code`, and VALIDATION names each bad field by its path.
 */
import { z } from "zod";

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() }).meta({ id: "FieldError" });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .meta({ id: "Problem" });

/** `{ code, message }`, and for VALIDATION the fields at fault. */
export const AckErrorBody = z.object({ code: z.string(), message: z.string(), errors: z.array(FieldErrorSchema).optional() });

/** Every client event's ack when it fails. */
export const AckErrorSchema = z.object({ ok: z.literal(false), error: AckErrorBody }).meta({ id: "AckError" });

export type FieldErrorWire = z.output<typeof FieldErrorSchema>;
export type Problem = z.output<typeof ProblemSchema>;
export type AckError = z.output<typeof AckErrorSchema>;
