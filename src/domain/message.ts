/** A chat message as stored and as sent on the wire (PROTOCOL.md, "Rooms, invites, messages"). */
export type MessageType = "text" | "file" | "system";

export interface AttachmentRef {
  id: string;
  name: string;
  size: number;
  contentType: string;
  url: string;
  thumbnailUrl?: string;
}

export interface Message {
  /** `${roomId}:${seq}`: unique, and it locates the message's chunk without a lookup table. */
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  type: MessageType;
  text: string;
  attachments: AttachmentRef[];
  clientMsgId: string | null;
  createdAt: string;
  editedAt?: string;
  deletedAt?: string;
}

export function messageId(roomId: string, seq: number): string {
  return `${roomId}:${seq}`;
}

/** Null when the id is not of this room or not well formed. */
export function seqOfMessageId(roomId: string, id: string): number | null {
  const prefix = `${roomId}:`;
  if (!id.startsWith(prefix)) return null;
  const rest = id.slice(prefix.length);
  if (!/^[1-9]\d{0,14}$/.test(rest)) return null;
  return Number(rest);
}
