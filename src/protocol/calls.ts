/**
 * Calls (PROTOCOL.md, "Calls, push, search"; docs/calls-and-push.md): who is in a room's call, and
 * WebRTC signaling relayed between its participants. Media never passes through the server.
 */
import { z } from "zod";
import { RoomId } from "./common.js";

export const SignalKindSchema = z.enum(["offer", "answer", "candidate"]);

/** An RTCIceServer as the browser takes it. */
export const IceServerSchema = z
  .object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })
  .meta({ id: "IceServer" });
/** TURN credentials are the caller's own and expire after `ttlSeconds`. */
export const IceServersReply = z.object({ iceServers: z.array(IceServerSchema), ttlSeconds: z.number().int() });
export const CallParticipantsReply = z.object({ roomId: z.string(), participants: z.array(z.string()) });

export const CallJoinAck = z.object({ participants: z.array(z.string()) });
export const CallSignalPayload = z.strictObject({
  roomId: RoomId,
  toUserId: z.uuid({ error: "must be a user id" }),
  kind: SignalKindSchema,
  // Any JSON (an RTCSessionDescriptionInit, an RTCIceCandidateInit, or null for end of
  // candidates); its size is checked by the use case (PAYLOAD_TOO_LARGE, not VALIDATION).
  data: z.unknown().refine((v) => v !== undefined, { error: "is required" }),
});

/** What each socket of `toUserId` in the call receives, once. */
export const CallSignalSchema = z.object({ roomId: z.string(), fromUserId: z.string(), kind: SignalKindSchema, data: z.unknown() }).meta({ id: "CallSignal" });
/** Whenever someone joins or leaves (or drops out by expiry): the room's joined sockets. */
export const CallUpdatedSchema = z.object({ roomId: z.string(), participants: z.array(z.string()) }).meta({ id: "CallUpdated" });

export type SignalKind = z.output<typeof SignalKindSchema>;
export type IceServer = z.output<typeof IceServerSchema>;
export type IceServers = z.output<typeof IceServersReply>;
export type CallSignal = z.output<typeof CallSignalSchema>;
export type CallUpdated = z.output<typeof CallUpdatedSchema>;
