// Wire objects for the SDK's unit tests: messages as the server sends them (src/protocol's
// Message), built from a seq and a rev with anything else overridden.
import type { Message } from "../../packages/client/src/index.js";

export const ROOM = "00000000-0000-4000-8000-000000000001";
export const ME = "00000000-0000-4000-8000-00000000000a";
export const OTHER = "00000000-0000-4000-8000-00000000000b";

export function message(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `${ROOM}:${seq}`,
    roomId: ROOM,
    seq,
    senderId: OTHER,
    type: "text",
    text: `message ${seq}`,
    attachments: [],
    clientMsgId: `c${seq}`,
    createdAt: new Date(Date.UTC(2026, 11, 6, 0, 0, seq)).toISOString(),
    rev: seq,
    reactions: [],
    ...over,
  };
}
