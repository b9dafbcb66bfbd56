/**
 * The header of an open room: back to the list, the room's name and topic, who is there (a direct
 * chat's peer online or last seen; a group's size and how many are online), buttons of other
 * features and, in a group, Invite and the room's settings.
 */
import { el, fullTime, setText } from "./dom.js";
import type { Store } from "./store.js";
import type { Room } from "./types.js";

export class RoomHeader {
  readonly el: HTMLElement;
  private readonly title = el("h2", { class: "chat-title", id: "chat-title" });
  private readonly topic = el("p", { class: "chat-topic", hidden: true });
  private readonly subtitle = el("p", { class: "chat-subtitle" });
  private readonly inviteButton = el("button", { type: "button", class: "secondary", hidden: true }, "Invite");
  private readonly settingsButton = el("button", { type: "button", class: "secondary", hidden: true, "aria-haspopup": "dialog", "aria-label": "Room settings" }, "Settings");

  constructor(
    private readonly store: Store,
    onBack: () => void,
    actions: HTMLElement[],
    onInvite: () => void,
    onSettings: () => void,
  ) {
    const back = el("button", { type: "button", class: "back", "aria-label": "Back to chats" }, "‹");
    back.addEventListener("click", () => onBack());
    this.inviteButton.addEventListener("click", () => onInvite());
    this.settingsButton.addEventListener("click", () => onSettings());
    this.el = el("header", { class: "chat-head" }, back, el("div", { class: "chat-heading" }, this.title, this.topic, this.subtitle), ...actions, this.inviteButton, this.settingsButton);
  }

  render(room: Room | null, memberIds: string[]): void {
    const store = this.store;
    setText(this.title, room?.name ?? "…");
    this.inviteButton.hidden = room?.type !== "group";
    this.settingsButton.hidden = room?.type !== "group";
    const topic = room?.type === "group" ? (room.topic ?? "") : "";
    setText(this.topic, topic);
    this.topic.hidden = !topic;
    this.topic.title = topic;
    let sub = "";
    if (room?.type === "direct") {
      const peer = memberIds.find((id) => id !== store.me.id);
      const p = peer ? store.presence.get(peer) : undefined;
      sub = p ? (p.status === "offline" ? (p.lastSeenAt ? `last seen ${fullTime(p.lastSeenAt)}` : "offline") : p.status) : "";
    } else if (room) {
      const online = memberIds.filter((id) => id === store.me.id || (store.presence.get(id)?.status ?? "offline") !== "offline").length;
      sub = `${room.memberCount} member${room.memberCount === 1 ? "" : "s"}${memberIds.length ? ` · ${online} online` : ""}`;
    }
    setText(this.subtitle, sub);
  }
}
