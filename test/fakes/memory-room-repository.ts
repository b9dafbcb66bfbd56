import type { BanRecord, InviteRecord, MembershipRecord, RoomRecord, RoomRepository } from "../../src/domain/ports/room-repository.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";

interface RoomRow extends RoomRecord {
  /** "<smaller id>:<larger id>" for direct rooms (unique: one direct room per pair). */
  directKey: string | null;
}

interface InviteRow extends InviteRecord {
  respondedAt: Date | null;
}

const key = (roomId: string, userId: string) => `${roomId} ${userId}`;

/**
 * RoomRepository (src/domain/ports/room-repository.ts) in memory, as PrismaRoomRepository
 * (src/store/prisma-rooms.ts) with its ReadCursors (src/store/read-cursors.ts) behaves.
 *
 * Each method does its work in one synchronous step, standing for the adapter's transaction or
 * conditional statement. Records are handed out as copies, so a use case cannot change stored
 * state by mutating what it read.
 */
export class MemoryRoomRepository implements RoomRepository {
  private readonly rooms = new Map<string, RoomRow>();
  /** Keyed by key(roomId, userId), in insertion (= joinedAt) order. */
  private readonly memberships = new Map<string, MembershipRecord>();
  private readonly invites = new Map<string, InviteRow>();
  /** Keyed by key(roomId, userId), in insertion (= createdAt) order. */
  private readonly roomBans = new Map<string, BanRecord>();
  private readonly roomIds = new IdSequence("room");
  private readonly inviteIds = new IdSequence("invite");
  /** advanceReadLater's cursors not yet written: key -> highest seq asked. */
  private pendingReads = new Map<string, number>();

  constructor(private readonly clock: TestClock) {}

  async ensureDirect(a: string, b: string) {
    const directKey = [a, b].sort().join(":");
    let room = [...this.rooms.values()].find((r) => r.directKey === directKey);
    let created = false;
    if (!room) {
      room = { id: this.roomIds.next(), type: "direct", name: null, topic: null, createdById: a, createdAt: this.clock.now(), directKey };
      this.rooms.set(room.id, room);
      created = true;
    }
    // prisma-rooms.ts ensureDirect: both users are (again) members, skipDuplicates; role "member".
    for (const userId of [a, b]) this.addMember(room.id, userId, "member");
    return { room: roomView(room), created };
  }

  async createGroup(ownerId: string, name: string) {
    const room: RoomRow = { id: this.roomIds.next(), type: "group", name, topic: null, createdById: ownerId, createdAt: this.clock.now(), directKey: null };
    this.rooms.set(room.id, room);
    this.addMember(room.id, ownerId, "owner");
    return roomView(room);
  }

  async find(roomId: string) {
    const r = this.rooms.get(roomId);
    return r ? roomView(r) : null;
  }

  async findMany(roomIds: string[]) {
    return [...new Set(roomIds)].flatMap((id) => {
      const r = this.rooms.get(id);
      return r ? [roomView(r)] : [];
    });
  }

  async membership(roomId: string, userId: string) {
    const m = this.memberships.get(key(roomId, userId));
    return m ? { ...m } : null;
  }

  async isMember(roomId: string, userId: string) {
    return this.memberships.has(key(roomId, userId));
  }

  async membershipsFor(pairs: { roomId: string; userId: string }[]) {
    // A JOIN on the pairs: one row per pair given (a pair given twice comes back twice).
    return pairs.flatMap((p) => {
      const m = this.memberships.get(key(p.roomId, p.userId));
      return m ? [{ ...m }] : [];
    });
  }

  async members(roomId: string) {
    // orderBy joinedAt asc
    return this.membersOf(roomId)
      .sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime())
      .map((m) => ({ ...m }));
  }

  async memberIds(roomId: string) {
    return this.membersOf(roomId).map((m) => m.userId);
  }

  async roomsOf(userId: string) {
    return [...this.memberships.values()]
      .filter((m) => m.userId === userId)
      .map((m) => ({ room: roomView(this.rooms.get(m.roomId)!), membership: { ...m } }));
  }

  async memberCounts(roomIds: string[]) {
    // A groupBy over memberships: a room without members is absent from the map, not 0.
    const out = new Map<string, number>();
    for (const id of new Set(roomIds)) {
      const n = this.membersOf(id).length;
      if (n) out.set(id, n);
    }
    return out;
  }

  async directMembers(roomIds: string[]) {
    const out = new Map<string, string[]>();
    for (const id of new Set(roomIds)) {
      const ids = this.membersOf(id).map((m) => m.userId);
      if (ids.length) out.set(id, ids);
    }
    return out;
  }

  async roomPeers(userId: string) {
    const mine = new Set([...this.memberships.values()].filter((m) => m.userId === userId).map((m) => m.roomId));
    const peers = new Set([...this.memberships.values()].filter((m) => mine.has(m.roomId) && m.userId !== userId).map((m) => m.userId));
    return [...peers];
  }

  async removeMember(roomId: string, userId: string) {
    return this.memberships.delete(key(roomId, userId));
  }

  advanceRead(roomId: string, userId: string, seq: number): Promise<{ lastReadSeq: number; moved: boolean } | null> {
    // src/store/read-cursors.ts:30 batches the receipts of one tick (DataLoader, dispatched on
    // process.nextTick after the current promise jobs) and advanceAll (:54-83) moves each cursor
    // once, to the highest seq asked in the batch; every receipt answers where the cursor ended,
    // and only a receipt carrying that highest seq reports moved. Mirrored here, so two devices
    // marking read at once cause one receipt, as in production. Null for a non-member; the
    // update is conditional (`lastReadSeq < new`), so a cursor never moves back.
    return new Promise((resolve) => {
      this.receipts.push({ roomId, userId, seq, resolve });
      if (this.receipts.length === 1) void Promise.resolve().then(() => process.nextTick(() => this.advanceBatch()));
    });
  }

  private receipts: { roomId: string; userId: string; seq: number; resolve: (r: { lastReadSeq: number; moved: boolean } | null) => void }[] = [];

  private advanceBatch() {
    const batch = this.receipts;
    this.receipts = [];
    const target = new Map<string, number>();
    for (const r of batch) target.set(key(r.roomId, r.userId), Math.max(r.seq, target.get(key(r.roomId, r.userId)) ?? -1));
    const moved = new Set<string>();
    for (const [k, seq] of target) {
      const m = this.memberships.get(k);
      if (m && m.lastReadSeq < seq) {
        m.lastReadSeq = seq;
        moved.add(k);
      }
    }
    for (const r of batch) {
      const k = key(r.roomId, r.userId);
      const m = this.memberships.get(k);
      r.resolve(m ? { lastReadSeq: m.lastReadSeq, moved: moved.has(k) && r.seq === target.get(k) } : null);
    }
  }

  advanceReadLater(roomId: string, userId: string, seq: number) {
    // read-cursors.ts later: written behind (within 100 ms there; here only at flush(), so a
    // test sees exactly what is pending). Per cursor the highest seq asked wins.
    const k = key(roomId, userId);
    this.pendingReads.set(k, Math.max(seq, this.pendingReads.get(k) ?? 0));
  }

  async flush() {
    const batch = this.pendingReads;
    this.pendingReads = new Map();
    // The same conditional update as advanceRead; rows of users no longer members are skipped.
    for (const [k, seq] of batch) {
      const m = this.memberships.get(k);
      if (m && m.lastReadSeq < seq) m.lastReadSeq = seq;
    }
  }

  async setMuted(roomId: string, userId: string, muted: boolean) {
    const m = this.memberships.get(key(roomId, userId));
    if (!m) return false;
    m.muted = muted;
    return true;
  }

  async createInvites(roomId: string, inviterId: string, inviteeIds: string[]) {
    // prisma-rooms.ts createInvites, in one step (the advisory lock per room there): members are
    // skipped (no entry in the result at all), an existing pending invite is returned as it is
    // (created false), everyone else gets a new pending invite; the result follows inviteeIds.
    const out: { invite: InviteRecord; created: boolean }[] = [];
    for (const inviteeId of inviteeIds) {
      if (this.memberships.has(key(roomId, inviteeId))) continue;
      const pending = [...this.invites.values()].find((i) => i.roomId === roomId && i.inviteeId === inviteeId && i.status === "pending");
      if (pending) {
        out.push({ invite: inviteView(pending), created: false });
        continue;
      }
      const row: InviteRow = { id: this.inviteIds.next(), roomId, inviterId, inviteeId, status: "pending", createdAt: this.clock.now(), respondedAt: null };
      this.invites.set(row.id, row);
      out.push({ invite: inviteView(row), created: true });
    }
    return out;
  }

  async findInvite(id: string) {
    const i = this.invites.get(id);
    return i ? inviteView(i) : null;
  }

  async pendingInvites(userId: string) {
    // orderBy createdAt desc
    return [...this.invites.values()]
      .filter((i) => i.inviteeId === userId && i.status === "pending")
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .map(inviteView);
  }

  async answerInvite(id: string, status: "accepted" | "declined", now: Date) {
    const i = this.invites.get(id);
    // The conditional update `where status = 'pending'`; accepting adds the membership in the
    // same transaction (skipDuplicates), role "member".
    if (!i || i.status !== "pending") return null;
    i.status = status;
    i.respondedAt = now;
    if (status === "accepted") this.addMember(i.roomId, i.inviteeId, "member");
    return inviteView(i);
  }

  async updateRoom(roomId: string, patch: { name?: string; topic?: string | null }) {
    const r = this.rooms.get(roomId);
    if (r?.type !== "group") return null;
    if (patch.name !== undefined) r.name = patch.name;
    if (patch.topic !== undefined) r.topic = patch.topic;
    return roomView(r);
  }

  async setRole(roomId: string, userId: string, role: "admin" | "member") {
    // prisma-rooms.ts: `where role <> 'owner'`: the owner's role moves by transfer only.
    const m = this.memberships.get(key(roomId, userId));
    if (!m || m.role === "owner") return false;
    m.role = role;
    return true;
  }

  async transferOwnership(roomId: string, fromId: string, toId: string) {
    // One transaction there: both rows change, or neither.
    const from = this.memberships.get(key(roomId, fromId));
    const to = this.memberships.get(key(roomId, toId));
    if (from?.role !== "owner" || !to) return false;
    to.role = "owner";
    from.role = "admin";
    return true;
  }

  async setMutedUntil(roomId: string, userId: string, until: Date | null) {
    const m = this.memberships.get(key(roomId, userId));
    if (!m) return false;
    m.mutedUntil = until;
    return true;
  }

  async mutedUntil(roomId: string, userId: string) {
    return this.memberships.get(key(roomId, userId))?.mutedUntil ?? null;
  }

  async ban(roomId: string, userId: string, bannedBy: string, reason: string, now: Date) {
    // prisma-rooms.ts ban, in one step: an existing ban stays as it was (skipDuplicates); the
    // user's pending invites to the room are cancelled; the membership is left to removeMember.
    const k = key(roomId, userId);
    const existing = this.roomBans.get(k);
    if (!existing) this.roomBans.set(k, { roomId, userId, bannedBy, reason, createdAt: now });
    const canceled: InviteRecord[] = [];
    for (const i of this.invites.values()) {
      if (i.roomId !== roomId || i.inviteeId !== userId || i.status !== "pending") continue;
      i.status = "canceled";
      i.respondedAt = now;
      canceled.push(inviteView(i));
    }
    return { ban: { ...this.roomBans.get(k)! }, created: !existing, canceled };
  }

  async unban(roomId: string, userId: string) {
    return this.roomBans.delete(key(roomId, userId));
  }

  async findBan(roomId: string, userId: string) {
    const b = this.roomBans.get(key(roomId, userId));
    return b ? { ...b } : null;
  }

  async bans(roomId: string) {
    // orderBy createdAt asc
    return [...this.roomBans.values()].filter((b) => b.roomId === roomId).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((b) => ({ ...b }));
  }

  // ---- Not part of the port: test set-up and inspection.

  /**
   * Deletes the room with its memberships, invites and bans, as
   * PrismaModerationStore.deleteRoom does; the former members, or null if there was no such room.
   */
  deleteRoom(roomId: string): string[] | null {
    if (!this.rooms.delete(roomId)) return null;
    const members = this.membersOf(roomId).map((m) => m.userId);
    for (const userId of members) this.memberships.delete(key(roomId, userId));
    for (const [id, invite] of this.invites) if (invite.roomId === roomId) this.invites.delete(id);
    for (const [k, ban] of this.roomBans) if (ban.roomId === roomId) this.roomBans.delete(k);
    return members;
  }

  /** Every room's id (the operators' store counts and pages them). */
  allRoomIds(): string[] {
    return [...this.rooms.keys()];
  }

  /** Adds a membership directly (skipDuplicates: an existing one is left as it is). */
  addMember(roomId: string, userId: string, role: MembershipRecord["role"] = "member"): void {
    const k = key(roomId, userId);
    if (this.memberships.has(k)) return;
    this.memberships.set(k, { roomId, userId, role, lastReadSeq: 0, muted: false, mutedUntil: null, joinedAt: this.clock.now() });
  }

  /** Cursors advanceReadLater holds until flush(). */
  pendingReadCursors(): Map<string, number> {
    return new Map(this.pendingReads);
  }

  private membersOf(roomId: string): MembershipRecord[] {
    return [...this.memberships.values()].filter((m) => m.roomId === roomId);
  }
}

const roomView = (r: RoomRow): RoomRecord => ({ id: r.id, type: r.type, name: r.name, topic: r.topic, createdById: r.createdById, createdAt: r.createdAt });
const inviteView = (i: InviteRow): InviteRecord => ({ id: i.id, roomId: i.roomId, inviterId: i.inviterId, inviteeId: i.inviteeId, status: i.status, createdAt: i.createdAt });
