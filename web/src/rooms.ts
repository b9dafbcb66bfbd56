/**
 * The room list: pending invites to accept or decline, a form to start a group, and the rooms
 * by recent activity with unread and mention badges and the last message's preview. Kept live by the
 * store (feed events from the socket, or the long-poll feed).
 */
import { rest } from "./client.js";
import { avatar, el, replaceChildren, setText, shortTime } from "./dom.js";
import { MessageSearch } from "./search.js";
import type { Store } from "./store.js";
import { noticeText } from "./message-text.js";
import type { Room } from "./types.js";

export class RoomsView {
  readonly root: HTMLElement;
  private readonly invitesBox = el("section", { class: "invites", "aria-labelledby": "invites-title", hidden: true });
  private readonly list = el("ul", { class: "room-list", "aria-label": "Chats" });
  private readonly empty = el("p", { class: "empty muted" }, "No chats yet. Start a group, or message a friend from the Friends tab.");
  private readonly newGroup = el("form", { class: "new-group card", hidden: true, "aria-labelledby": "new-group-title" });
  private readonly cleanups: (() => void)[] = [];
  private activeId: string | null = null;

  constructor(private readonly store: Store) {
    const toggle = el("button", { type: "button", class: "secondary", "aria-expanded": "false" }, "New group");
    toggle.addEventListener("click", () => {
      const open = this.newGroup.hidden;
      this.newGroup.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) this.renderNewGroup();
    });
    // While a message search is active its results take the room list's place.
    const body = el("div", { class: "rooms-body" }, this.invitesBox, el("div", { class: "list-head" }, el("h2", {}, "Chats"), toggle), this.newGroup, this.list, this.empty);
    const search = new MessageSearch((active) => (body.hidden = active));
    this.cleanups.push(() => search.destroy());
    this.root = el("section", { class: "rooms-view" }, search.root, search.panel, body);
    this.newGroup.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.createGroup(toggle);
    });
    this.cleanups.push(store.on("rooms", () => this.renderRooms()));
    this.cleanups.push(store.on("users", () => this.renderRooms()));
    this.cleanups.push(store.on("invites", () => this.renderInvites()));
    this.cleanups.push(store.on("friends", () => !this.newGroup.hidden && this.renderNewGroup()));
    this.renderRooms();
    this.renderInvites();
  }

  destroy(): void {
    for (const c of this.cleanups) c();
  }

  setActive(roomId: string | null): void {
    this.activeId = roomId;
    this.renderRooms();
  }

  private renderInvites(): void {
    const invites = [...this.store.invites.values()];
    this.invitesBox.hidden = invites.length === 0;
    const items = invites.map(({ invite, room }) => {
      const status = el("p", { class: "form-error", role: "alert" });
      const answer = (verb: "accept" | "decline") => async (e: Event) => {
        const li = (e.currentTarget as HTMLElement).closest("li");
        li?.querySelectorAll("button").forEach((b) => (b.disabled = true));
        try {
          const reply = await rest().call(verb === "accept" ? "acceptInvite" : "declineInvite", { params: { id: invite.id } });
          this.store.invites.delete(invite.id);
          this.store.emit("invites");
          if (reply.room) {
            this.store.upsertRoom(reply.room);
            location.hash = `#/room/${reply.room.id}`;
          }
        } catch (err) {
          setText(status, (err as Error).message);
          li?.querySelectorAll("button").forEach((b) => (b.disabled = false));
          void this.store.loadInvites().catch(() => {});
        }
      };
      const roomName = room?.name ?? "a group";
      return el(
        "li",
        { class: "invite" },
        el("p", {}, el("strong", {}, this.store.userName(invite.inviterId)), " invited you to ", el("strong", { class: "invite-room" }, roomName)),
        el(
          "div",
          { class: "row-actions" },
          el("button", { type: "button", onclick: answer("accept"), "aria-label": `Accept invite to ${roomName}` }, "Accept"),
          el("button", { type: "button", class: "secondary", onclick: answer("decline"), "aria-label": `Decline invite to ${roomName}` }, "Decline"),
        ),
        status,
      );
    });
    replaceChildren(this.invitesBox, el("h2", { id: "invites-title" }, "Invites"), el("ul", { class: "invite-list" }, ...items));
  }

  private renderRooms(): void {
    const rooms = this.store.sortedRooms();
    this.empty.hidden = rooms.length > 0;
    replaceChildren(this.list, ...rooms.map((r) => this.item(r)));
  }

  private item(room: Room): HTMLLIElement {
    const unread = room.unreadCount;
    // Older servers' rooms have no mentionCount.
    const mentions = room.mentionCount ?? 0;
    const link = el(
      "a",
      { href: `#/room/${room.id}`, class: `room-item${room.id === this.activeId ? " active" : ""}${unread ? " has-unread" : ""}`, "aria-current": room.id === this.activeId ? "page" : null },
      avatar(room.id, room.name, room.type),
      el(
        "span",
        { class: "room-main" },
        el("span", { class: "room-top" }, el("span", { class: "room-name" }, room.name || "Untitled"), el("time", { class: "room-time" }, shortTime(room.lastMessage?.createdAt ?? room.createdAt))),
        el(
          "span",
          { class: "room-bottom" },
          el("span", { class: "room-preview" }, this.preview(room)),
          mentions > 0 ? el("span", { class: "badge mention-badge", title: "Unread mentions of you", "aria-label": `${mentions} mention${mentions === 1 ? "" : "s"}` }, `@${mentions > 99 ? "99+" : mentions}`) : null,
          unread > 0 ? el("span", { class: "badge", "aria-label": `${unread} unread` }, unread > 99 ? "99+" : String(unread)) : null,
        ),
      ),
    );
    return el("li", { "data-room-id": room.id }, link);
  }

  private preview(room: Room): string {
    const m = room.lastMessage;
    if (!m) return room.type === "group" ? `${room.memberCount} member${room.memberCount === 1 ? "" : "s"}` : "No messages yet";
    const who = m.senderId === this.store.me.id ? "You: " : room.type === "group" ? `${this.store.userName(m.senderId)}: ` : "";
    if (room.type === "group" && m.senderId !== this.store.me.id) void this.store.ensureUsers([m.senderId]);
    if (m.deletedAt) return `${who}Message deleted`;
    if (m.type === "system") {
      const actor = m.senderId === this.store.me.id ? "You" : this.store.userName(m.senderId);
      return noticeText(m, actor);
    }
    if (m.type === "file") return `${who}📎 ${m.attachments[0]?.name ?? "file"}`;
    return `${who}${m.text.replace(/\s+/g, " ").slice(0, 140)}`;
  }

  private renderNewGroup(): void {
    const friends = [...this.store.friends.values()].sort((a, b) => a.user.displayName.localeCompare(b.user.displayName));
    const pick = el("fieldset", { class: "pick" }, el("legend", {}, "Invite friends"));
    for (const f of friends) pick.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "memberIds", value: f.user.id }), f.user.displayName));
    if (!friends.length) pick.append(el("p", { class: "muted" }, "No friends yet: you can invite people later."));
    replaceChildren(
      this.newGroup,
      el("h3", { id: "new-group-title" }, "New group"),
      el("label", { class: "field" }, "Group name", el("input", { name: "name", required: true, maxlength: "100", autocomplete: "off" })),
      pick,
      el("p", { class: "form-error", role: "alert" }),
      el("button", { type: "submit" }, "Create group"),
    );
  }

  private async createGroup(toggle: HTMLButtonElement): Promise<void> {
    const form = this.newGroup;
    const name = (form.elements.namedItem("name") as HTMLInputElement).value.trim();
    const ids = [...form.querySelectorAll<HTMLInputElement>("input[name=memberIds]:checked")].map((i) => i.value);
    const error = form.querySelector(".form-error")!;
    const submit = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
    submit.disabled = true;
    try {
      const { room } = await rest().createGroup(name, ids);
      this.store.upsertRoom(room);
      form.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      location.hash = `#/room/${room.id}`;
    } catch (err) {
      setText(error, (err as Error).message);
    } finally {
      submit.disabled = false;
    }
  }
}
