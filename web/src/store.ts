/**
 * What the signed-in user sees outside a chat: rooms, invites, friends, requests, presence.
 * Filled by HTTP loads and kept live by feed events (from the socket's `event`, or the
 * long-poll feed when no socket is connected). Views subscribe per topic.
 */
import { ChatError } from "@chat-backend/client";
import { rest } from "./client.js";
import type { FeedEvent, Friend, FriendRequest, Invite, Presence, Room, User } from "./types.js";

export type Topic = "rooms" | "invites" | "friends" | "requests" | "presence" | "users" | "blocks";

export interface PendingInvite {
  invite: Invite;
  room: Room | null;
}

/** Most recent activity first: the last message's time, or the room's creation when empty. */
function byActivity(a: Room, b: Room): number {
  const at = (r: Room) => r.lastMessage?.createdAt ?? r.createdAt;
  return at(b).localeCompare(at(a));
}

export class Store {
  readonly rooms = new Map<string, Room>();
  readonly invites = new Map<string, PendingInvite>();
  readonly friends = new Map<string, Friend>();
  incoming: FriendRequest[] = [];
  outgoing: FriendRequest[] = [];
  readonly users = new Map<string, User>();
  readonly presence = new Map<string, Presence>();
  /** The users the signed-in user has blocked (GET /api/blocks). */
  readonly blocked = new Set<string>();
  /** Accounts that no longer exist (GET /api/users/:id is 404): their tombstones show "Deleted user". */
  readonly deletedUsers = new Set<string>();
  private readonly listeners = new Map<Topic, Set<() => void>>();
  private readonly removedListeners = new Set<(roomId: string, room: Room | undefined) => void>();
  private readonly fetchingUsers = new Map<string, Promise<void>>();

  constructor(public me: User) {
    this.users.set(me.id, me);
  }

  on(topic: Topic, fn: () => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit(topic: Topic): void {
    for (const fn of this.listeners.get(topic) ?? []) fn();
  }

  sortedRooms(): Room[] {
    return [...this.rooms.values()].sort(byActivity);
  }

  /** Called when the signed-in user is no longer in a room (left, removed, banned). */
  onRoomRemoved(fn: (roomId: string, room: Room | undefined) => void): () => void {
    this.removedListeners.add(fn);
    return () => this.removedListeners.delete(fn);
  }

  userName(id: string): string {
    if (id === this.me.id) return this.me.displayName;
    if (this.deletedUsers.has(id)) return "Deleted user";
    return this.users.get(id)?.displayName ?? "…";
  }

  /**
   * Reads the profiles of `ids` again, known or not (people who left a room: a deleted account
   * leaves its rooms, and its profile is then 404).
   */
  async refreshUsers(ids: Iterable<string>): Promise<void> {
    await Promise.all([...new Set(ids)].map((id) => this.fetchUser(id)));
  }

  rememberUsers(users: User[]): void {
    let changed = false;
    for (const u of users) {
      const known = this.users.get(u.id);
      if (!known || known.displayName !== u.displayName) changed = true;
      this.users.set(u.id, { ...known, ...u });
    }
    if (changed) this.emit("users");
  }

  /** Fetches the profiles of ids not known yet (names of senders, inviters, requesters). */
  async ensureUsers(ids: Iterable<string>): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.users.has(id) && !this.deletedUsers.has(id));
    await Promise.all(wanted.map((id) => this.fetchUser(id)));
  }

  private fetchUser(id: string): Promise<void> {
    let p = this.fetchingUsers.get(id);
    if (!p) {
      p = rest()
        .call("user", { params: { id } })
        .then(({ user }) => this.rememberUsers([user]))
        .catch((err: unknown) => {
          if (!(err instanceof ChatError && err.status === 404) || this.deletedUsers.has(id)) return;
          this.deletedUsers.add(id);
          this.emit("users");
        })
        .finally(() => this.fetchingUsers.delete(id));
      this.fetchingUsers.set(id, p);
    }
    return p;
  }

  async loadRooms(): Promise<void> {
    const { rooms } = await rest().rooms();
    this.rooms.clear();
    for (const r of rooms) this.rooms.set(r.id, r);
    this.emit("rooms");
  }

  async loadInvites(): Promise<void> {
    const { invites } = await rest().invites();
    const previews = new Map([...this.invites.values()].map((p) => [p.invite.id, p.room]));
    this.invites.clear();
    for (const invite of invites) this.invites.set(invite.id, { invite, room: previews.get(invite.id) ?? null });
    this.emit("invites");
    void this.ensureUsers(invites.map((i) => i.inviterId)).then(() => this.emit("invites"));
  }

  async loadFriends(): Promise<void> {
    const { friends } = await rest().call("friends");
    this.friends.clear();
    for (const f of friends) {
      this.friends.set(f.user.id, f);
      this.presence.set(f.user.id, f.presence);
    }
    this.rememberUsers(friends.map((f) => f.user));
    this.emit("friends");
  }

  async loadRequests(): Promise<void> {
    const { incoming, outgoing } = await rest().call("friendRequests");
    this.incoming = incoming;
    this.outgoing = outgoing;
    this.emit("requests");
    void this.ensureUsers([...incoming.map((r) => r.fromUserId), ...outgoing.map((r) => r.toUserId)]).then(() => this.emit("requests"));
  }

  async loadBlocks(): Promise<void> {
    const { users } = await rest().call("blocks");
    this.blocked.clear();
    for (const u of users) this.blocked.add(u.id);
    this.rememberUsers(users);
    this.emit("blocks");
  }

  /** Blocks or unblocks `userId` (PUT / DELETE /api/blocks/:userId); throws the server's refusal. */
  async setBlocked(userId: string, blocked: boolean): Promise<void> {
    await rest().call(blocked ? "block" : "unblock", { params: { userId } });
    if (blocked) this.blocked.add(userId);
    else this.blocked.delete(userId);
    this.emit("blocks");
  }

  /** Everything again: at start, after a reconnect, and when the feed cursor is gone (410). */
  async loadAll(): Promise<void> {
    // The block list only marks people in menus: its failure must not fail the rest.
    await Promise.all([this.loadRooms(), this.loadInvites(), this.loadFriends(), this.loadRequests(), this.loadBlocks().catch(() => {})]);
  }

  upsertRoom(room: Room): void {
    this.rooms.set(room.id, room);
    this.emit("rooms");
  }

  applyEvent(event: FeedEvent): void {
    switch (event.type) {
      case "room.updated":
        this.upsertRoom(event.data.room);
        break;
      case "room.removed": {
        const room = this.rooms.get(event.data.roomId);
        if (this.rooms.delete(event.data.roomId)) this.emit("rooms");
        for (const fn of this.removedListeners) fn(event.data.roomId, room);
        break;
      }
      case "invite.created":
      case "invite.updated": {
        const { invite, room } = event.data;
        if (invite.inviteeId !== this.me.id) break; // the inviter's copy: nothing to show
        if (invite.status === "pending") this.invites.set(invite.id, { invite, room });
        else this.invites.delete(invite.id);
        this.emit("invites");
        void this.ensureUsers([invite.inviterId]).then(() => this.emit("invites"));
        break;
      }
      case "friend.request":
      case "friend.updated":
        void this.loadRequests().catch(() => {});
        void this.loadFriends().catch(() => {});
        // Sent to friends after an account is deleted, its user row gone: the profile read then
        // answers 404 and the account's tombstones say "Deleted user". A read made when the account
        // left its rooms (chat.ts reloadMembers) can come before the row is gone, and answer 200.
        if (event.type === "friend.updated" && !event.data.friends) void this.refreshUsers([event.data.user.id]);
        break;
    }
  }

  setPresence(userId: string, presence: Presence): void {
    this.presence.set(userId, presence);
    const friend = this.friends.get(userId);
    if (friend) friend.presence = presence;
    this.emit("presence");
  }
}
