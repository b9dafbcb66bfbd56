/**
 * Mentions (PROTOCOL.md, "Conversations"): `mentions` names members of the room, `mentionsRoom`
 * all of them. Each mentioned member (not the sender) gets an entry in the mention index: their
 * mentions list and the room list's mentionCount. Mentions by someone the member blocked are left
 * out when read (the index joins the blocks), so an unblock brings them back.
 */
import { Invalid } from "./errors.js";
import type { Message } from "./message.js";
import type { MentionIndex, MentionRef } from "./ports/mention-index.js";
import type { MessageStore } from "./ports/message-store.js";
import type { RoomRepository } from "./ports/room-repository.js";
import { withReplyExcerpts } from "./replies.js";
import { PAGE_LIMIT_MAX } from "../protocol/limits.js";
import type { MentionsPageReply } from "../protocol/mentions.js";

export interface MentionDeps {
  rooms: RoomRepository;
  messages: MessageStore;
  mentions: MentionIndex;
}

/** The room's member ids when the draft mentions anyone (after checking every id is a member), else null. */
export async function checkMentions(deps: Pick<MentionDeps, "rooms">, roomId: string, input: { mentions?: string[]; mentionsRoom?: boolean }): Promise<string[] | null> {
  if (!input.mentions?.length && !input.mentionsRoom) return null;
  const members = await deps.rooms.memberIds(roomId);
  const isMember = new Set(members);
  input.mentions?.forEach((id, i) => {
    if (!isMember.has(id)) throw new Invalid("only members of the room can be mentioned", [{ path: `mentions.${i}`, message: "not a member of this room" }]);
  });
  return members;
}

/** Who the stored message mentions, the sender left out. */
export function mentionedIds(message: Pick<Message, "senderId" | "mentions" | "mentionsRoom">, members: string[]): string[] {
  const ids = message.mentionsRoom ? members : (message.mentions ?? []);
  return [...new Set(ids)].filter((id) => id !== message.senderId);
}

const encodeCursor = (m: MentionRef) => Buffer.from(JSON.stringify([m.createdAt.toISOString(), m.roomId, m.seq])).toString("base64url");

function decodeCursor(cursor: string): MentionRef {
  try {
    const [at, roomId, seq] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    const createdAt = new Date(String(at));
    if (typeof roomId === "string" && roomId.length <= 64 && Number.isSafeInteger(seq) && !Number.isNaN(createdAt.getTime())) return { createdAt, roomId, seq: seq as number };
  } catch {
    // falls through to the refusal
  }
  throw new Invalid("cursor is not one this server gave", [{ path: "cursor", message: "unreadable" }]);
}

/**
 * The caller's mentions, newest first, as messages in their current state. Rooms the caller has
 * left are skipped (a mention is not a way into a room); a page may then hold fewer than `limit`.
 */
export async function listMentions(deps: MentionDeps, userId: string, query: { cursor?: string; limit: number }): Promise<MentionsPageReply> {
  const limit = Math.min(query.limit, PAGE_LIMIT_MAX);
  const refs = await deps.mentions.list(userId, { before: query.cursor === undefined ? undefined : decodeCursor(query.cursor), limit });
  const memberOf = new Set((await deps.rooms.roomsOf(userId)).map((r) => r.room.id));
  const byRoom = new Map<string, number[]>();
  for (const r of refs) if (memberOf.has(r.roomId)) byRoom.set(r.roomId, [...(byRoom.get(r.roomId) ?? []), r.seq]);
  const found = new Map<string, Message>();
  await Promise.all(
    [...byRoom].map(async ([roomId, seqs]) => {
      const messages = await withReplyExcerpts(deps, roomId, await deps.messages.getMany(roomId, seqs, userId));
      for (const m of messages) found.set(m.id, m);
    }),
  );
  const messages = refs.flatMap((r) => {
    const m = found.get(`${r.roomId}:${r.seq}`);
    return m ? [m] : [];
  });
  return { messages, nextCursor: refs.length === limit ? encodeCursor(refs.at(-1)!) : null };
}
