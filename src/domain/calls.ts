/**
 * Call signaling: who is in a room's call, and relaying WebRTC offers, answers and ICE
 * candidates between its participants (docs/calls-and-push.md). Media never passes through
 * here: peers connect to each other (a mesh) with the STUN/TURN servers of iceServersFor.
 */
import { Conflict, Forbidden, Invalid, NotFound, PayloadTooLarge } from "./errors.js";
import { participantsOf, type CallChange, type CallRegistry } from "./ports/call-registry.js";
import type { CallRelay, SignalKind } from "./ports/call-relay.js";
import type { Broadcaster } from "./ports/broadcaster.js";
import type { IceServerSource } from "./ports/ice-servers.js";
import { requireMember, type RoomDeps } from "./rooms.js";
import type { IceServers } from "../protocol/calls.js";

// In a mesh every peer sends its media to every other: 3 uplinks at 4 people is what a home
// connection carries; larger calls need an SFU (see the design doc).
export const CALL_MAX_PARTICIPANTS = 4;
// PROTOCOL: call:signal data at most 64 KB (an SDP with many codecs and candidates is ~10 KB).
export const SIGNAL_DATA_MAX_BYTES = 64 * 1024;

export interface CallDeps extends Pick<RoomDeps, "rooms"> {
  broadcaster: Broadcaster;
  calls: CallRegistry;
  callRelay: CallRelay;
}

function announce(deps: CallDeps, change: CallChange) {
  deps.broadcaster.toRoom(change.roomId, "call:updated", { roomId: change.roomId, participants: change.participants });
}

/** Starts or joins the room's call from one connection; returns the participants, the caller included. */
export async function joinCall(deps: CallDeps, userId: string, connectionId: string, roomId: string): Promise<string[]> {
  await requireMember(deps, roomId, userId);
  const result = await deps.calls.join(roomId, userId, connectionId, CALL_MAX_PARTICIPANTS);
  if (!result.joined) throw new Conflict(`the call is full (at most ${CALL_MAX_PARTICIPANTS} participants)`);
  if (result.changed) announce(deps, { roomId, participants: result.participants });
  return result.participants;
}

/**
 * Hangs up one connection. No membership check: it only removes the caller's own entry, and a
 * member removed from the room mid-call must still be able to hang up.
 */
export async function leaveCall(deps: CallDeps, userId: string, connectionId: string, roomId: string): Promise<void> {
  const change = await deps.calls.leave(roomId, userId, connectionId);
  if (change) announce(deps, change);
}

/** A connection closed (socket disconnect): it leaves every call it was in. */
export async function connectionClosed(deps: CallDeps, userId: string, connectionId: string): Promise<void> {
  for (const change of await deps.calls.leaveAll(userId, connectionId)) announce(deps, change);
}

/** Calls' participants that expired (a crashed node's) are announced like a leave. */
export function announceExpiries(deps: CallDeps) {
  deps.calls.onChange((change) => announce(deps, change));
}

/** JSON size of a signal's data, in UTF-8 bytes (what the wire carries). */
function dataBytes(data: unknown): number {
  return Buffer.byteLength(JSON.stringify(data) ?? "", "utf8");
}

/**
 * Relays one offer, answer or candidate from a connection in the call to every connection of
 * `toUserId` in it. The sender must be a member of the room and in its call from this connection.
 */
export async function relaySignal(
  deps: CallDeps,
  fromUserId: string,
  connectionId: string,
  input: { roomId: string; toUserId: string; kind: SignalKind; data: unknown },
): Promise<void> {
  if (input.toUserId === fromUserId) throw new Invalid("a signal goes to another participant", [{ path: "toUserId", message: "is yourself" }]);
  if (dataBytes(input.data) > SIGNAL_DATA_MAX_BYTES) throw new PayloadTooLarge(`signal data is over ${SIGNAL_DATA_MAX_BYTES} bytes`);
  await requireMember(deps, input.roomId, fromUserId);
  const entries = await deps.calls.entries(input.roomId);
  if (!entries.some((e) => e.connectionId === connectionId && e.userId === fromUserId)) throw new Forbidden("join the call before signaling");
  const targets = entries.filter((e) => e.userId === input.toUserId).map((e) => e.connectionId);
  if (!targets.length) throw new NotFound("that user is not in this call");
  deps.callRelay.toConnections(targets, { roomId: input.roomId, fromUserId, kind: input.kind, data: input.data });
}

/** The participants of a room's call (members only). */
export async function callParticipants(deps: CallDeps, userId: string, roomId: string): Promise<string[]> {
  await requireMember(deps, roomId, userId);
  return participantsOf(await deps.calls.entries(roomId));
}

/** STUN/TURN servers for the caller; TURN credentials are time-limited and tied to the user. */
export function iceServersFor(deps: { iceServers: IceServerSource }, userId: string, now = new Date()): IceServers {
  return deps.iceServers.forUser(userId, now);
}
