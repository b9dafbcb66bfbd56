/**
 * What the reader does to a message, sent to the server: save an edit, delete, react, pin or
 * unpin. Edits, reactions and pins apply the copy their answer carries at once (the room's
 * timeline keeps the newest copy, whichever way it came); a failure shows as a note.
 */
import { ChatError, type ChatClient, type RoomTimeline } from "@chat-backend/client";
import type { Message } from "./types.js";

export class MessageActions {
  constructor(
    private readonly client: ChatClient,
    private readonly timeline: RoomTimeline,
    private readonly flash: (text: string) => void,
  ) {}

  private get roomId(): string {
    return this.timeline.roomId;
  }

  async edit(message: Message, text: string): Promise<void> {
    try {
      const { message: edited } = await this.client.connection.call("message:edit", { roomId: this.roomId, messageId: message.id, text });
      this.timeline.apply([edited]);
    } catch (err) {
      this.flash(`Could not edit: ${(err as Error).message}`);
    }
  }

  async remove(message: Message): Promise<void> {
    try {
      // The ack carries nothing: the deleted state comes as message:updated.
      await this.client.connection.call("message:delete", { roomId: this.roomId, messageId: message.id });
    } catch (err) {
      this.flash(`Could not delete: ${(err as Error).message}`);
    }
  }

  async react(message: Message, emoji: string, add: boolean): Promise<void> {
    try {
      let changed: Message;
      try {
        const payload = { roomId: this.roomId, messageId: message.id, emoji };
        changed = (await this.client.connection.call(add ? "reaction:add" : "reaction:remove", payload)).message;
      } catch (err) {
        // No socket: the same idempotent change over HTTP.
        if (!(err instanceof ChatError && err.code === "NOT_CONNECTED")) throw err;
        changed = (await this.client.rest.react(this.roomId, message.seq, emoji, add)).message;
      }
      this.timeline.apply([changed]);
    } catch (err) {
      this.flash(`Could not react: ${(err as Error).message}`);
    }
  }

  async pin(message: Message, pinned: boolean): Promise<void> {
    try {
      const { message: changed } = await this.client.rest.pin(this.roomId, message.seq, pinned);
      this.timeline.apply([changed]);
    } catch (err) {
      this.flash(`Could not ${pinned ? "pin" : "unpin"}: ${(err as Error).message}`);
    }
  }
}
