/**
 * The composer of an open room: the message box (Enter sends, Shift+Enter breaks the line, it
 * grows with its text), the @-mention list, the banner of the message being edited or replied
 * to, and our typing signal to the room (the SDK renews it while typing goes on and says it
 * stopped after a pause or a send).
 */
import type { ChatClient, SendExtras } from "@chat-backend/client";
import { el, replaceChildren, setText } from "./dom.js";
import { MentionPicker, mentionsOf } from "./mentions.js";
import type { Store } from "./store.js";
import { excerptOf } from "./message-text.js";
import type { Message } from "./types.js";

export interface ComposerDeps {
  roomId: string;
  store: Store;
  client: ChatClient;
  /** Controls of other features beside the box (attach a file). */
  actions: HTMLElement[];
  /** The room's members known here, for mentions. */
  memberIds: () => string[];
  send: (text: string, extras: SendExtras, replyTo: Message["replyTo"] | undefined) => void;
  saveEdit: (message: Message, text: string) => void;
}

export class Composer {
  readonly el = el("form", { class: "composer", "aria-label": "Send a message" });
  private readonly input = el("textarea", {
    name: "message",
    rows: "1",
    maxlength: "4000",
    placeholder: "Write a message",
    "aria-label": "Message",
    enterkeyhint: "send",
    autocomplete: "off",
  });
  private readonly sendButton = el("button", { type: "submit", class: "send" }, "Send");
  private readonly editBanner = el("div", { class: "edit-banner", hidden: true });
  private readonly replyBanner = el("div", { class: "reply-banner", hidden: true, role: "status" });
  private readonly mentionPicker: MentionPicker;
  private editing: Message | null = null;
  private replying: Message | null = null;

  constructor(private readonly deps: ComposerDeps) {
    const store = deps.store;
    this.mentionPicker = new MentionPicker(this.input, () =>
      deps.memberIds().filter((id) => id !== store.me.id && store.users.has(id)).map((id) => ({ id, name: store.userName(id) })),
    );
    this.el.append(this.mentionPicker.el, this.editBanner, this.replyBanner, el("div", { class: "composer-row" }, ...deps.actions, this.input, this.sendButton));
    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (this.mentionPicker.handleKey(e)) return; // the @-list is open: the key was for it
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      } else if (e.key === "Escape" && this.editing) {
        this.stopEditing();
      } else if (e.key === "Escape" && this.replying) {
        this.stopReplying();
      }
    });
    this.input.addEventListener("input", () => this.onInput());
  }

  focus(options?: FocusOptions): void {
    this.input.focus(options);
  }

  /** A message being edited or replied to was deleted meanwhile: that ends. */
  onMessageUpdated(message: Message): void {
    if (this.editing?.seq === message.seq && message.deletedAt) this.stopEditing();
    if (this.replying?.seq === message.seq && message.deletedAt) this.stopReplying();
  }

  startEditing(message: Message): void {
    this.stopReplying(false);
    this.editing = message;
    this.input.value = message.text;
    replaceChildren(
      this.editBanner,
      el("span", {}, "Editing message"),
      el("button", { type: "button", class: "link", onclick: () => this.stopEditing() }, "Cancel"),
    );
    this.editBanner.hidden = false;
    setText(this.sendButton, "Save");
    this.autosize();
    this.input.focus();
  }

  startReplying(message: Message): void {
    if (this.editing) this.stopEditing();
    this.replying = message;
    const quote = excerptOf(message);
    replaceChildren(
      this.replyBanner,
      el("span", { class: "reply-label" }, "Replying to ", el("strong", {}, this.deps.store.userName(message.senderId))),
      el("span", { class: "quote-text" }, quote.text ?? ""),
      el("button", { type: "button", class: "link", "aria-label": "Cancel reply", onclick: () => this.stopReplying() }, "Cancel"),
    );
    this.replyBanner.hidden = false;
    this.input.focus();
  }

  /** Tells the room we stopped typing, if we said we were. */
  stopTyping(): void {
    this.deps.client.stopTyping(this.deps.roomId);
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim()) return;
    if (this.editing) {
      const target = this.editing;
      this.stopEditing();
      if (text !== target.text) this.deps.saveEdit(target, text);
      return;
    }
    const store = this.deps.store;
    const members = this.deps.memberIds().filter((id) => id !== store.me.id).map((id) => ({ id, name: store.userName(id) }));
    const { mentions, mentionsRoom } = mentionsOf(text, this.mentionPicker.picked, members);
    const extras: SendExtras = {};
    const replyTo = this.replying ? excerptOf(this.replying) : undefined;
    if (replyTo) extras.replyToSeq = replyTo.seq;
    if (mentions.length) extras.mentions = mentions;
    if (mentionsRoom) extras.mentionsRoom = true;
    this.input.value = "";
    this.mentionPicker.reset();
    this.stopReplying(false);
    this.autosize();
    this.stopTyping();
    this.deps.send(text, extras, replyTo);
  }

  private stopEditing(): void {
    this.editing = null;
    this.editBanner.hidden = true;
    this.input.value = "";
    setText(this.sendButton, "Send");
    this.autosize();
  }

  private stopReplying(focus = true): void {
    if (!this.replying) return;
    this.replying = null;
    this.replyBanner.hidden = true;
    replaceChildren(this.replyBanner);
    if (focus) this.input.focus();
  }

  private onInput(): void {
    this.autosize();
    if (this.editing) return;
    if (this.input.value.trim()) this.deps.client.typing(this.deps.roomId);
    else this.stopTyping();
  }

  private autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
  }
}
