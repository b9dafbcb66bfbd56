/**
 * The socket event catalogue (PROTOCOL.md, "Socket.IO"), as data: for each client event its payload
 * schema, the schema of its ack on success and a one-line summary; for each server event its
 * payload schema. Handlers parse with these (realtime/ack.ts), the Socket.IO event maps are derived
 * from them (socket-maps.ts) and so is the AsyncAPI document (asyncapi.ts): one declaration, checked
 * at every `on`, `emit` and ack, and published as it is enforced.
 *
 * Every ack is `{ ok: true, ...ack }` or `{ ok: false, error: { code, message } }` (errors.ts).
 * Every schema is a module constant, built once: a zod schema instance costs kilobytes of heap, so
 * none may be built per socket or per request.
 */
import type { z } from "zod";
import { CallJoinAck, CallSignalPayload, CallSignalSchema, CallUpdatedSchema } from "./calls.js";
import { OkAck, RoomPayload } from "./common.js";
import { FeedEventSchema } from "./feed.js";
import { MessageDeletePayload, MessageEditPayload, MessageReply, MessageSchema, MessageSendPayload, SyncAck, SyncPayload } from "./messages.js";
import { PlayerGetAck, PlayerSchema, PlayerSetAck, PlayerSetPayload } from "./player.js";
import { PresenceSetAck, PresenceSetPayload, PresenceUpdatedSchema } from "./presence.js";
import { ReactionPayload } from "./reactions.js";
import { ReadReply, ReceiptReadPayload, ReceiptUpdatedSchema } from "./receipts.js";
import { RoomJoinAck, RoomJoinPayload } from "./rooms.js";
import { TypingPayload, TypingSchema } from "./typing.js";

export interface ClientEventSpec {
  summary: string;
  payload: z.ZodType;
  /** The fields of the success ack besides `ok: true`. */
  ack: z.ZodType;
}

export interface ServerEventSpec {
  summary: string;
  payload: z.ZodType;
}

export const CLIENT_EVENT_CATALOGUE = {
  "room:join": {
    summary: "Receive the room's live traffic on this socket; with afterSeq, also the messages missed since",
    payload: RoomJoinPayload,
    ack: RoomJoinAck,
  },
  "room:leave": { summary: "Stop receiving the room's live traffic on this socket (membership is unchanged)", payload: RoomPayload, ack: OkAck },
  "message:send": {
    summary: "Send a message (the body of POST /api/rooms/:id/messages plus roomId); the same clientMsgId again acks the stored one",
    payload: MessageSendPayload,
    ack: MessageReply,
  },
  "message:edit": { summary: "Edit the text of one's own message; joined sockets get message:updated", payload: MessageEditPayload, ack: MessageReply },
  "message:delete": { summary: "Delete one's own message (it keeps its seq); joined sockets get message:updated", payload: MessageDeletePayload, ack: OkAck },
  "reaction:add": { summary: "React to a message (idempotent); joined sockets get message:updated", payload: ReactionPayload, ack: MessageReply },
  "reaction:remove": { summary: "Take one's reaction back (idempotent); joined sockets get message:updated", payload: ReactionPayload, ack: MessageReply },
  "receipt:read": {
    summary: "Move the caller's read cursor forward (the body of POST /api/rooms/:id/read plus roomId); never backwards",
    payload: ReceiptReadPayload,
    ack: ReadReply,
  },
  typing: { summary: "Show or clear the typing indicator to the room's other joined sockets", payload: TypingPayload, ack: OkAck },
  sync: {
    summary: "After a reconnect: for each room, exactly the messages after the last seq seen and, with afterRev, the older ones changed since",
    payload: SyncPayload,
    ack: SyncAck,
  },
  "presence:set": { summary: "This device is idle (away) or back (online); the ack carries the user's status over all devices", payload: PresenceSetPayload, ack: PresenceSetAck },
  "call:join": { summary: "Start or join the room's call from this connection; the ack lists the participants, the caller included", payload: RoomPayload, ack: CallJoinAck },
  "call:leave": { summary: "Leave the room's call from this connection", payload: RoomPayload, ack: OkAck },
  "call:signal": { summary: "Relay a WebRTC offer, answer or ICE candidate to every connection of toUserId in the call", payload: CallSignalPayload, ack: OkAck },
  "player:set": { summary: "Set the room's shared player (trackId null stops it); joined sockets get player:updated", payload: PlayerSetPayload, ack: PlayerSetAck },
  "player:get": { summary: "The room's shared player now (null when never set), e.g. after joining", payload: RoomPayload, ack: PlayerGetAck },
} as const satisfies Record<string, ClientEventSpec>;

export const SERVER_EVENT_CATALOGUE = {
  "message:new": { summary: "A new message: every socket joined to the room, the sender's other sockets included, on every node", payload: MessageSchema },
  "message:updated": { summary: "A message changed (edited, deleted with deletedAt, reacted to, pinned): the room's joined sockets", payload: MessageSchema },
  "receipt:updated": { summary: "A member's read cursor moved: the room's joined sockets", payload: ReceiptUpdatedSchema },
  typing: { summary: "A member started or stopped typing: the room's joined sockets except the typist's", payload: TypingSchema },
  "presence:updated": { summary: "A user's presence changed: the connected sockets of their friends and room peers", payload: PresenceUpdatedSchema },
  event: { summary: "A feed event (as GET /api/events returns it): every socket of the addressed user", payload: FeedEventSchema },
  "call:updated": { summary: "Who is in the room's call, after a join, a leave or an expiry: the room's joined sockets", payload: CallUpdatedSchema },
  "call:signal": { summary: "A signal relayed from another participant: each socket of the addressee in the call, once", payload: CallSignalSchema },
  "player:updated": { summary: "The room's shared player changed: the room's joined sockets", payload: PlayerSchema },
} as const satisfies Record<string, ServerEventSpec>;
