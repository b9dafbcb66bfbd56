/**
 * Friends: find people, friend requests (incoming to answer, outgoing pending), and the
 * friends list with presence dots, each with a button to open the direct chat (and the name
 * opening the person's card: block, unblock).
 */
import { ChatError } from "@chat-backend/client";
import { rest } from "./client.js";
import { avatar, el, replaceChildren, setText } from "./dom.js";
import type { Store } from "./store.js";
import type { Presence, User } from "./types.js";
import { personButton } from "./user-menu.js";

export class FriendsView {
  readonly root: HTMLElement;
  private readonly results = el("ul", { class: "people search-results", "aria-label": "Search results" });
  private readonly searchStatus = el("p", { class: "muted", role: "status" });
  private readonly requests = el("section", { class: "requests", "aria-labelledby": "requests-title" });
  private readonly list = el("ul", { class: "people friend-list", "aria-label": "Friends" });
  private readonly cleanups: (() => void)[] = [];
  private lastResults: User[] = [];

  constructor(private readonly store: Store) {
    const query = el("input", {
      type: "search",
      name: "q",
      placeholder: "Name or email",
      "aria-label": "Find people by name or email",
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      required: true,
      maxlength: "100",
    });
    const search = el("form", { role: "search", class: "find" }, query, el("button", { type: "submit" }, "Search"));
    search.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.search(query.value.trim());
    });
    this.root = el(
      "section",
      { class: "friends-view" },
      el("h2", {}, "Find people"),
      search,
      this.searchStatus,
      this.results,
      this.requests,
      el("h2", {}, "Friends"),
      this.list,
    );
    const rerender = () => {
      this.renderRequests();
      this.renderFriends();
      this.renderResults();
    };
    for (const topic of ["friends", "requests", "presence", "users"] as const) this.cleanups.push(store.on(topic, rerender));
    rerender();
  }

  destroy(): void {
    for (const c of this.cleanups) c();
  }

  private async search(q: string): Promise<void> {
    if (!q) return;
    setText(this.searchStatus, "Searching…");
    try {
      const { users } = await rest().call("searchUsers", { query: { q, limit: 20 } });
      this.lastResults = users.filter((u) => u.id !== this.store.me.id);
      this.store.rememberUsers(this.lastResults);
      setText(this.searchStatus, this.lastResults.length ? "" : "Nobody found.");
      this.renderResults();
    } catch (err) {
      setText(this.searchStatus, (err as Error).message);
    }
  }

  private renderResults(): void {
    const store = this.store;
    replaceChildren(
      this.results,
      ...this.lastResults.map((u) => {
        let action: HTMLElement;
        if (store.friends.has(u.id)) action = el("span", { class: "muted" }, "Friend");
        else if (store.outgoing.some((r) => r.toUserId === u.id)) action = el("span", { class: "muted" }, "Request sent");
        else {
          const incoming = store.incoming.find((r) => r.fromUserId === u.id);
          action = incoming
            ? el("button", { type: "button", onclick: () => void this.answer(incoming.id, "accept") }, "Accept request")
            : el("button", { type: "button", "aria-label": `Add ${u.displayName} as a friend`, onclick: () => void this.add(u.id) }, "Add friend");
        }
        return el("li", { class: "person" }, avatar(u.id, u.displayName), el("span", { class: "person-name" }, u.displayName), action);
      }),
    );
  }

  private renderRequests(): void {
    const store = this.store;
    const incoming = store.incoming.map((r) => {
      const name = store.userName(r.fromUserId);
      return el(
        "li",
        { class: "person request" },
        avatar(r.fromUserId, name),
        el("span", { class: "person-name" }, name),
        el(
          "span",
          { class: "row-actions" },
          el("button", { type: "button", "aria-label": `Accept friend request from ${name}`, onclick: () => void this.answer(r.id, "accept") }, "Accept"),
          el("button", { type: "button", class: "secondary", "aria-label": `Decline friend request from ${name}`, onclick: () => void this.answer(r.id, "decline") }, "Decline"),
        ),
      );
    });
    const outgoing = store.outgoing.map((r) => {
      const name = store.userName(r.toUserId);
      return el("li", { class: "person" }, avatar(r.toUserId, name), el("span", { class: "person-name" }, name), el("span", { class: "muted" }, "Pending"));
    });
    this.requests.hidden = incoming.length + outgoing.length === 0;
    replaceChildren(
      this.requests,
      el("h2", { id: "requests-title" }, "Friend requests"),
      incoming.length ? el("ul", { class: "people incoming", "aria-label": "Incoming requests" }, ...incoming) : null,
      outgoing.length ? el("ul", { class: "people outgoing", "aria-label": "Sent requests" }, ...outgoing) : null,
    );
  }

  private renderFriends(): void {
    const friends = [...this.store.friends.values()].sort((a, b) => rank(a.presence) - rank(b.presence) || a.user.displayName.localeCompare(b.user.displayName));
    if (!friends.length) {
      replaceChildren(this.list, el("li", { class: "empty muted" }, "No friends yet. Search for people above."));
      return;
    }
    replaceChildren(
      this.list,
      ...friends.map(({ user, presence }) => {
        const p = this.store.presence.get(user.id) ?? presence;
        return el(
          "li",
          { class: "person friend", "data-user-id": user.id },
          el("span", { class: "avatar-wrap" }, avatar(user.id, user.displayName), el("span", { class: `dot ${p.status}`, title: p.status, role: "img", "aria-label": p.status })),
          el("span", { class: "person-main" }, el("span", { class: "person-name" }, personButton(this.store, user.id, user.displayName)), user.statusMessage ? el("span", { class: "person-status muted" }, user.statusMessage) : null),
          el("button", { type: "button", class: "secondary", "aria-label": `Message ${user.displayName}`, onclick: () => void this.message(user.id) }, "Message"),
        );
      }),
    );
  }

  private async add(userId: string): Promise<void> {
    try {
      await rest().call("requestFriend", { body: { userId } });
    } catch (err) {
      if (!(err instanceof ChatError && err.code === "CONFLICT")) setText(this.searchStatus, (err as Error).message);
    }
    await this.store.loadRequests().catch(() => {});
    await this.store.loadFriends().catch(() => {});
  }

  private async answer(requestId: string, verb: "accept" | "decline"): Promise<void> {
    try {
      await rest().call(verb === "accept" ? "acceptFriend" : "declineFriend", { params: { id: requestId } });
    } catch (err) {
      setText(this.searchStatus, (err as Error).message);
    }
    await Promise.all([this.store.loadRequests(), this.store.loadFriends()]).catch(() => {});
  }

  private async message(userId: string): Promise<void> {
    try {
      const { room } = await rest().openDirect(userId);
      this.store.upsertRoom(room);
      location.hash = `#/room/${room.id}`;
    } catch (err) {
      setText(this.searchStatus, (err as Error).message);
    }
  }
}

function rank(p: Presence): number {
  return p.status === "online" ? 0 : p.status === "away" ? 1 : 2;
}
