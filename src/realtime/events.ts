/**
 * The Socket.IO event maps (PROTOCOL.md, "Socket.IO") come from the protocol's catalogue
 * (src/protocol/socket-events.ts, derived in socket-maps.ts); they are re-exported here for the
 * realtime code and the test clients. What stays here is Socket.IO's own business: room names.
 */
export type { AckReply, ClientEvent, ClientToServerEvents, InterServerEvents, ServerEvent, ServerToClientEvents, SocketData } from "../protocol/socket-maps.js";
export type { JoinedMember } from "../protocol/rooms.js";

/** Socket.IO room names: one per user (all their sockets), one per chat room (joined sockets). */
export const userChannel = (userId: string) => `user:${userId}`;
export const roomChannel = (roomId: string) => `room:${roomId}`;
/** Every socket of one login, so a revoked session's sockets can be closed together. */
export const sessionChannel = (sessionId: string) => `session:${sessionId}`;
