/**
 * A group's settings, opened from the room header: its name and topic (editable by the owner and
 * admins, read-only for members), the members with their roles and the actions the viewer's role
 * allows (room-members.ts), and, for the owner and admins, the ban list. Kept live while open:
 * the viewer's own role (room.updated), the members after every notice of a change, and closed
 * when the viewer is no longer in the room. Every refusal shows as the server words it.
 */
import { rest } from "./client.js";
import { ask } from "./ask-dialog.js";
import { el, replaceChildren, setText } from "./dom.js";
import { banList, isModerator, memberList, type MemberActions } from "./room-members.js";
import type { Store } from "./store.js";
import type { Room, RoomBan, RoomMember } from "./types.js";
import { BAN_REASON_MAX, ROOM_NAME_MAX, ROOM_TOPIC_MAX } from "../../src/protocol/limits.js";

const RELOAD_DELAY_MS = 200;

const roleLine: Record<string, string> = {
  owner: "You own this room.",
  admin: "You are an admin of this room.",
  member: "You are a member of this room. Its owner and admins manage it.",
};

export function openRoomSettings(store: Store, roomId: string): void {
  new RoomSettings(store, roomId).open();
}

class RoomSettings {
  private readonly dialog = el("dialog", { class: "dialog room-settings", "aria-labelledby": "room-settings-title" });
  private readonly role = el("p", { class: "muted room-role" });
  private readonly about = el("section", { class: "room-about", "aria-label": "About this room" });
  private readonly membersBox = el("section", { class: "room-members", "aria-labelledby": "room-members-title" });
  private readonly bansBox = el("section", { class: "room-bans", "aria-labelledby": "room-bans-title", hidden: true });
  private readonly error = el("p", { class: "form-error", role: "alert" });
  private room: Room | null;
  private members: RoomMember[] = [];
  private bans: RoomBan[] | null = null;
  private readonly mutes = new Map<string, string>();
  /** What the name and topic fields were last filled with (a user's unsaved edit is kept). */
  private aboutShown = "";
  private lastNoticeSeq = 0;
  private reloadTimer = 0;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly roomId: string,
  ) {
    this.room = store.rooms.get(roomId) ?? null;
    this.lastNoticeSeq = this.room?.lastSeq ?? 0;
    this.dialog.append(
      el("h2", { id: "room-settings-title" }, "Room settings"),
      this.role,
      this.about,
      this.error,
      this.membersBox,
      this.bansBox,
      el("div", { class: "dialog-actions" }, el("button", { type: "button", class: "secondary", onclick: () => this.dialog.close() }, "Close")),
    );
    this.offs.push(store.on("rooms", () => this.onRoomsChanged()));
    this.offs.push(store.on("users", () => this.render()));
    this.offs.push(store.onRoomRemoved((id) => id === roomId && this.dialog.close()));
    this.dialog.addEventListener("close", () => {
      clearTimeout(this.reloadTimer);
      this.offs.forEach((off) => off());
      this.dialog.remove();
    });
  }

  open(): void {
    document.body.append(this.dialog);
    this.render();
    this.dialog.showModal();
    void this.reload();
  }

  private get myRole(): string {
    return this.room?.role ?? "member";
  }

  /** The members (with roles) and, for the owner and admins, the bans, as the server has them now. */
  private async reload(): Promise<void> {
    try {
      const [{ room, members }, bans] = await Promise.all([rest().room(this.roomId), isModerator(this.myRole) ? this.loadBans().catch(() => null) : null]);
      this.room = room;
      this.members = members;
      this.store.rememberUsers(members.map((m) => m.user));
      this.bans = isModerator(room.role) ? (bans ?? (await this.loadBans())) : null;
      if (this.bans) void this.store.ensureUsers(this.bans.flatMap((b) => [b.userId, b.bannedBy]));
      this.render();
    } catch (err) {
      setText(this.error, (err as Error).message);
    }
  }

  private async loadBans(): Promise<RoomBan[]> {
    return (await rest().call("bans", { params: { id: this.roomId } })).bans;
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => void this.reload(), RELOAD_DELAY_MS);
  }

  private onRoomsChanged(): void {
    const room = this.store.rooms.get(this.roomId);
    if (!room) return;
    const roleChanged = room.role !== this.room?.role;
    this.room = room;
    // A notice is what every change leaves (a role, a ban, a mute): the lists may have changed.
    const m = room.lastMessage;
    if (roleChanged || (m?.type === "system" && m.seq > this.lastNoticeSeq)) {
      this.lastNoticeSeq = Math.max(this.lastNoticeSeq, m?.seq ?? 0);
      this.scheduleReload();
    }
    this.render();
  }

  private render(): void {
    const role = this.myRole;
    setText(this.role, roleLine[role] ?? roleLine.member!);
    this.renderAbout();
    const actions: MemberActions = {
      setRole: (id, r) => this.run(`Could not change ${this.name(id)}'s role`, () => rest().call("setRole", { params: { id: this.roomId, userId: id }, body: { role: r } }).then(({ room }) => this.store.upsertRoom(room))),
      transfer: (id) => void this.transfer(id),
      remove: (id) => void this.confirmThen(`Remove ${this.name(id)}?`, "They leave the room; they can be invited again.", "Remove", `Could not remove ${this.name(id)}`, () => rest().call("removeMember", { params: { id: this.roomId, userId: id } })),
      mute: (id, seconds) => this.run(`Could not mute ${this.name(id)}`, () => rest().call("mute", { params: { id: this.roomId, userId: id }, body: { seconds } }).then(({ mute }) => void this.mutes.set(mute.userId, mute.until))),
      unmute: (id) => this.run(`Could not unmute ${this.name(id)}`, () => rest().call("unmute", { params: { id: this.roomId, userId: id } }).then(() => void this.mutes.delete(id))),
      ban: (id) => void this.ban(id),
      unban: (id) => this.run(`Could not lift the ban on ${this.name(id)}`, () => rest().call("unban", { params: { id: this.roomId, userId: id } })),
    };
    replaceChildren(
      this.membersBox,
      el("h3", { id: "room-members-title" }, `Members (${this.members.length || this.room?.memberCount || 0})`),
      this.members.length ? memberList({ store: this.store, myRole: role, members: this.members, mutes: this.mutes, actions }) : el("p", { class: "muted" }, "Loading…"),
    );
    this.bansBox.hidden = !isModerator(role) || !this.bans;
    if (!this.bansBox.hidden) replaceChildren(this.bansBox, el("h3", { id: "room-bans-title" }, "Banned users"), banList(this.store, this.bans ?? [], actions.unban));
  }

  /** The name and topic: a form for the owner and admins, plain text for members. */
  private renderAbout(): void {
    const room = this.room;
    const canEdit = isModerator(this.myRole);
    const key = JSON.stringify([canEdit, room?.name, room?.topic]);
    const form = this.about.querySelector("form");
    if (key === this.aboutShown) return;
    if (form && canEdit && this.dirty(form)) return; // an edit under way is not overwritten
    this.aboutShown = key;
    if (!canEdit) {
      replaceChildren(
        this.about,
        el("dl", { class: "room-facts" }, el("dt", {}, "Name"), el("dd", { class: "room-name-value" }, room?.name ?? "…"), el("dt", {}, "Topic"), el("dd", { class: "room-topic-value" }, room?.topic || "No topic")),
      );
      return;
    }
    const name = el("input", { id: "room-name-input", name: "name", required: true, maxlength: String(ROOM_NAME_MAX), autocomplete: "off" });
    const topic = el("textarea", { id: "room-topic-input", name: "topic", rows: "2", maxlength: String(ROOM_TOPIC_MAX), placeholder: "What this room is about" });
    name.value = name.defaultValue = room?.name ?? "";
    topic.value = topic.defaultValue = room?.topic ?? "";
    const save = el("button", { type: "submit" }, "Save");
    const edit = el(
      "form",
      { class: "room-about-form" },
      el("div", { class: "field" }, el("label", { for: name.id }, "Room name"), name),
      el("div", { class: "field" }, el("label", { for: topic.id }, "Topic"), topic),
      el("div", { class: "dialog-actions" }, save),
    );
    edit.addEventListener("submit", (e) => {
      e.preventDefault();
      const patch: { name?: string; topic?: string | null } = {};
      if (name.value.trim() !== (room?.name ?? "")) patch.name = name.value.trim();
      if (topic.value.trim() !== (room?.topic ?? "")) patch.topic = topic.value.trim() || null;
      if (!Object.keys(patch).length) return;
      this.run("Could not save", async () => {
        const { room: saved } = await rest().call("updateRoom", { params: { id: this.roomId }, body: patch });
        this.room = saved;
        this.aboutShown = "";
        this.store.upsertRoom(saved);
      });
    });
    replaceChildren(this.about, edit);
  }

  private dirty(form: HTMLFormElement): boolean {
    return [...form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea")].some((i) => i.value !== i.defaultValue);
  }

  private name(userId: string): string {
    return this.store.userName(userId);
  }

  /** One action: the error line cleared, the dialog busy meanwhile, the lists read again after. */
  private run(failure: string, action: () => Promise<unknown>): void {
    setText(this.error, "");
    this.dialog.setAttribute("aria-busy", "true");
    action().then(
      () => {
        this.dialog.removeAttribute("aria-busy");
        this.render();
        void this.reload();
      },
      (err: Error) => {
        this.dialog.removeAttribute("aria-busy");
        setText(this.error, `${failure}: ${err.message}`);
        void this.reload();
      },
    );
  }

  private async confirmThen(title: string, text: string, confirm: string, failure: string, action: () => Promise<unknown>): Promise<void> {
    if ((await ask({ title, text, confirm, danger: true })) !== null) this.run(failure, action);
  }

  private transfer(userId: string): Promise<void> {
    const name = this.name(userId);
    return this.confirmThen(`Make ${name} the owner?`, `${name} will own the room and you will be one of its admins.`, "Hand over", `Could not hand the room to ${name}`, () =>
      rest().call("transferRoom", { params: { id: this.roomId }, body: { userId } }).then(({ room }) => this.store.upsertRoom(room)),
    );
  }

  private async ban(userId: string): Promise<void> {
    const name = this.name(userId);
    const failure = `Could not ban ${name}`;
    const banned = await ask({
      title: `Ban ${name}?`,
      text: `${name} leaves the room and cannot come back, be invited or send here until the ban is lifted. The reason is seen by the owner and admins only.`,
      field: { label: "Reason (optional)", maxLength: BAN_REASON_MAX, placeholder: "Spam, harassment…" },
      confirm: "Ban",
      danger: true,
      submit: async (reason) => {
        try {
          await rest().call("ban", { params: { id: this.roomId, userId }, body: reason ? { reason } : {} });
        } catch (err) {
          throw new Error(`${failure}: ${(err as Error).message}`);
        }
      },
    });
    if (banned !== null) void this.reload();
  }
}
