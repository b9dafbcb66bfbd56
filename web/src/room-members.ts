/**
 * The member list and the ban list of a group's settings (room-settings.ts): each member with
 * their role, and the actions the viewer's own role allows on them. Ranks follow the server's
 * (owner > admin > member; one acts only on lower ranks): the owner sets roles, hands the room
 * over and removes members; the owner and admins mute and ban. Members see the list, no actions.
 */
import { avatar, clockTime, el, fullTime } from "./dom.js";
import type { Store } from "./store.js";
import type { RoomBan, RoomMember } from "./types.js";

export type Role = "owner" | "admin" | "member";

const RANK: Record<string, number> = { owner: 3, admin: 2, member: 1 };
export const rankOf = (role: string | undefined): number => RANK[role ?? ""] ?? 1;
export const isModerator = (role: string | undefined): boolean => rankOf(role) >= RANK.admin!;

/** What a mute may last, as offered. */
export const MUTE_CHOICES: [number, string][] = [
  [10 * 60, "10 minutes"],
  [60 * 60, "1 hour"],
  [24 * 60 * 60, "1 day"],
];

export interface MemberActions {
  setRole(userId: string, role: "admin" | "member"): void;
  transfer(userId: string): void;
  remove(userId: string): void;
  mute(userId: string, seconds: number): void;
  unmute(userId: string): void;
  ban(userId: string): void;
  unban(userId: string): void;
}

export interface MemberListInput {
  store: Store;
  /** The viewer's role in the room. */
  myRole: string;
  members: RoomMember[];
  /** Mutes made or seen here: userId → until (ISO). The member list itself does not carry them. */
  mutes: Map<string, string>;
  actions: MemberActions;
}

const byRankThenName = (store: Store) => (a: RoomMember, b: RoomMember) =>
  rankOf(b.role) - rankOf(a.role) || store.userName(a.user.id).localeCompare(store.userName(b.user.id));

export function memberList({ store, myRole, members, mutes, actions }: MemberListInput): HTMLUListElement {
  const me = store.me.id;
  const rows = [...members].sort(byRankThenName(store)).map((m) => {
    const id = m.user.id;
    const name = store.userName(id);
    const until = mutes.get(id);
    const muted = until && Date.parse(until) > Date.now() ? until : null;
    const info = el(
      "div",
      { class: "member-main" },
      el("span", { class: "member-name" }, name, id === me ? el("span", { class: "muted" }, " (you)") : null),
      el("span", { class: `role-badge role-${m.role}` }, m.role),
      muted ? el("span", { class: "muted member-muted", title: fullTime(muted) }, `muted until ${clockTime(muted)}`) : null,
    );
    const buttons = id === me ? [] : memberButtons(m, name, myRole, !!muted, actions);
    return el("li", { class: "member", "data-user-id": id }, avatar(id, name), el("div", { class: "member-body" }, info, buttons.length ? el("div", { class: "member-actions" }, ...buttons) : null));
  });
  return el("ul", { class: "member-admin-list", "aria-label": "Members" }, ...rows);
}

function memberButtons(m: RoomMember, name: string, myRole: string, muted: boolean, actions: MemberActions): HTMLElement[] {
  const id = m.user.id;
  const button = (label: string, aria: string, run: () => void, cls = "secondary") => el("button", { type: "button", class: `${cls} small`, "aria-label": aria, onclick: run }, label);
  const out: HTMLElement[] = [];
  if (myRole === "owner") {
    if (m.role === "admin") out.push(button("Make member", `Make ${name} a member`, () => actions.setRole(id, "member")));
    else if (m.role === "member") out.push(button("Make admin", `Make ${name} an admin`, () => actions.setRole(id, "admin")));
    out.push(button("Make owner", `Make ${name} the owner`, () => actions.transfer(id)));
  }
  if (isModerator(myRole) && rankOf(myRole) > rankOf(m.role)) {
    const duration = el("select", { class: "small", "aria-label": `Mute ${name} for` }, ...MUTE_CHOICES.map(([s, label]) => el("option", { value: String(s) }, label)));
    out.push(
      el("span", { class: "mute-group" }, duration, button("Mute", `Mute ${name}`, () => actions.mute(id, Number(duration.value)))),
      button("Unmute", `Unmute ${name}`, () => actions.unmute(id), muted ? "secondary" : "secondary quiet"),
    );
  }
  // The server lets the owner alone remove a member (DELETE /api/rooms/:id/members/:userId).
  if (myRole === "owner") out.push(button("Remove", `Remove ${name} from the room`, () => actions.remove(id), "secondary danger"));
  if (isModerator(myRole) && rankOf(myRole) > rankOf(m.role)) out.push(button("Ban…", `Ban ${name}`, () => actions.ban(id), "secondary danger"));
  return out;
}

export function banList(store: Store, bans: RoomBan[], unban: (userId: string) => void): HTMLElement {
  if (!bans.length) return el("p", { class: "muted empty-bans" }, "Nobody is banned.");
  const rows = bans.map((b) => {
    const name = store.userName(b.userId);
    return el(
      "li",
      { class: "ban", "data-user-id": b.userId },
      el(
        "div",
        { class: "member-main" },
        el("span", { class: "member-name" }, name),
        el("span", { class: "muted ban-reason" }, b.reason ? `Reason: ${b.reason}` : "No reason given"),
        el("span", { class: "muted ban-by" }, `by ${store.userName(b.bannedBy)}, ${fullTime(b.createdAt)}`),
      ),
      el("button", { type: "button", class: "secondary small", "aria-label": `Lift the ban on ${name}`, onclick: () => unban(b.userId) }, "Unban"),
    );
  });
  return el("ul", { class: "ban-list", "aria-label": "Banned users" }, ...rows);
}
