/**
 * What the reader does to a message, sent to the server: save an edit, delete, react, pin or
 * unpin. Edits, reactions and pins apply the copy their answer carries at once; a failure shows
 * as a note.
 */
import { api } from "./api.js";
import { AckError, type Connection } from "./socket.js";
import type { Message } from "./types.js";

export class MessageActions {
  constructor(
    private readonly roomId: string,
    private readonly conn: Connection,
    private readonly apply: (message: Message) => void,
    private readonly flash: (text: string) => void,
  ) {}

  async edit(message: Message, text: string): Promise<void> {
    try {
      const { message: edited } = await this.conn.call("message:edit", { roomId: this.roomId, messageId: message.id, text });
      this.apply(edited);
    } catch (err) {
      this.flash(`Could not edit: ${(err as Error).message}`);
    }
  }

  async remove(message: Message): Promise<void> {
    try {
      await this.conn.call("message:delete", { roomId: this.roomId, messageId: message.id });
    } catch (err) {
      this.flash(`Could not delete: ${(err as Error).message}`);
    }
  }

  async react(message: Message, emoji: string, add: boolean): Promise<void> {
    try {
      const payload = { roomId: this.roomId, messageId: message.id, emoji };
      let reply: { message: Message };
      try {
        reply = await this.conn.call(add ? "reaction:add" : "reaction:remove", payload);
      } catch (err) {
        // No socket: the same idempotent change over HTTP.
        if (!(err instanceof AckError && err.code === "NOT_CONNECTED")) throw err;
        reply = await api.react(this.roomId, message.seq, emoji, add);
      }
      this.apply(reply.message);
    } catch (err) {
      this.flash(`Could not react: ${(err as Error).message}`);
    }
  }

  async pin(message: Message, pinned: boolean): Promise<void> {
    try {
      const { message: changed } = await api.pin(this.roomId, message.seq, pinned);
      this.apply(changed);
    } catch (err) {
      this.flash(`Could not ${pinned ? "pin" : "unpin"}: ${(err as Error).message}`);
    }
  }
}
