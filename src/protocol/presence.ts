/**
 * Presence (PROTOCOL.md, `presence.status`): online, away or offline. A device reports itself away
 * or back with `presence:set`; friends and room peers get `presence:updated`.
 */
import { z } from "zod";

export const PresenceStatusSchema = z.enum(["online", "away", "offline"]);

export const PresenceSchema = z.object({ status: PresenceStatusSchema, lastSeenAt: z.string().nullable() }).meta({ id: "Presence" });

/** presence:set: this device is idle (away) or back (online); offline is the server's to decide. */
export const PresenceSetPayload = z.strictObject({ status: z.enum(["online", "away"]) });
/** The user's status across all their devices: away only while every one says away. */
export const PresenceSetAck = z.object({ status: PresenceStatusSchema });

export const PresenceUpdatedSchema = z.object({ userId: z.string(), status: PresenceStatusSchema, lastSeenAt: z.string().nullable() }).meta({ id: "PresenceUpdated" });

export type PresenceStatus = z.output<typeof PresenceStatusSchema>;
export type Presence = z.output<typeof PresenceSchema>;
export type PresenceUpdated = z.output<typeof PresenceUpdatedSchema>;
