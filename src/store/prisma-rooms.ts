import type {
  BanRecord,
  InviteRecord,
  InviteStatus,
  MemberRole,
  MembershipRecord,
  RoomRecord,
  RoomRepository,
  RoomType,
} from "../domain/ports/room-repository.js";
import type { Prisma, PlainSql } from "./database.js";
import { isUniqueViolation } from "./prisma-errors.js";
import { ReadCursors } from "./read-cursors.js";

type Row<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };
const toRoom = (r: Row<RoomRecord, "type">): RoomRecord => ({ ...r, type: r.type as RoomType });
const toMember = (m: Row<MembershipRecord, "role">): MembershipRecord => ({ ...m, role: m.role as MemberRole });
const toInvite = (i: Row<InviteRecord, "status"> & { respondedAt?: Date | null }): InviteRecord => ({
  id: i.id,
  roomId: i.roomId,
  inviterId: i.inviterId,
  inviteeId: i.inviteeId,
  status: i.status as InviteStatus,
  createdAt: i.createdAt,
});
const toBan = (b: BanRecord): BanRecord => ({ roomId: b.roomId, userId: b.userId, bannedBy: b.bannedBy, reason: b.reason, createdAt: b.createdAt });

/** Thrown inside a transaction to roll it back when a conditional step matched nothing. */
class NothingChanged extends Error {}

export class PrismaRoomRepository implements RoomRepository {
  private readonly cursors: ReadCursors;

  /** `sql`: the pool for the hottest statements (Database.sql), which receipts go through. */
  constructor(
    private readonly prisma: Prisma,
    onError: (err: unknown, what: string) => void = () => {},
    sql?: PlainSql | null,
  ) {
    this.cursors = new ReadCursors(prisma, onError, sql);
  }

  async ensureDirect(a: string, b: string) {
    const directKey = [a, b].sort().join(":");
    let created = false;
    let room = await this.prisma.room.findUnique({ where: { directKey } });
    if (!room) {
      try {
        room = await this.prisma.room.create({ data: { type: "direct", directKey, createdById: a } });
        created = true;
      } catch (err) {
        // Both users opened the chat at once: the other request created it.
        if (!isUniqueViolation(err)) throw err;
        room = await this.prisma.room.findUniqueOrThrow({ where: { directKey } });
      }
    }
    await this.prisma.membership.createMany({
      data: [a, b].map((userId) => ({ roomId: room.id, userId, role: "member" })),
      skipDuplicates: true,
    });
    return { room: toRoom(room), created };
  }

  async createGroup(ownerId: string, name: string) {
    const room = await this.prisma.room.create({
      data: { type: "group", name, createdById: ownerId, members: { create: { userId: ownerId, role: "owner" } } },
    });
    return toRoom(room);
  }

  async find(roomId: string) {
    const room = await this.prisma.room.findUnique({ where: { id: roomId } });
    return room ? toRoom(room) : null;
  }

  async findMany(roomIds: string[]) {
    if (!roomIds.length) return [];
    return (await this.prisma.room.findMany({ where: { id: { in: roomIds } } })).map(toRoom);
  }

  async membership(roomId: string, userId: string) {
    const m = await this.prisma.membership.findUnique({ where: { roomId_userId: { roomId, userId } } });
    return m ? toMember(m) : null;
  }

  async members(roomId: string) {
    return (await this.prisma.membership.findMany({ where: { roomId }, orderBy: { joinedAt: "asc" } })).map(toMember);
  }

  async memberIds(roomId: string) {
    return (await this.prisma.membership.findMany({ where: { roomId }, select: { userId: true } })).map((m) => m.userId);
  }

  async roomsOf(userId: string) {
    const rows = await this.prisma.membership.findMany({ where: { userId }, include: { room: true } });
    return rows.map(({ room, ...membership }) => ({ room: toRoom(room), membership: toMember(membership) }));
  }

  async memberCounts(roomIds: string[]) {
    if (!roomIds.length) return new Map<string, number>();
    const rows = await this.prisma.membership.groupBy({ by: ["roomId"], where: { roomId: { in: roomIds } }, _count: { _all: true } });
    return new Map(rows.map((r) => [r.roomId, r._count._all]));
  }

  async isMember(roomId: string, userId: string) {
    return (await this.prisma.membership.count({ where: { roomId, userId } })) > 0;
  }

  async membershipsFor(pairs: { roomId: string; userId: string }[]) {
    if (!pairs.length) return [];
    const rows = await this.prisma.$queryRaw<Row<MembershipRecord, "role">[]>`
      SELECT m."roomId"::text AS "roomId", m."userId"::text AS "userId", m.role, m."lastReadSeq", m.muted, m."mutedUntil", m."joinedAt"
      FROM "Membership" m JOIN unnest(${pairs.map((p) => p.roomId)}::uuid[], ${pairs.map((p) => p.userId)}::uuid[]) AS t(r, u)
        ON m."roomId" = t.r AND m."userId" = t.u`;
    return rows.map(toMember);
  }

  async directMembers(roomIds: string[]) {
    const out = new Map<string, string[]>();
    if (!roomIds.length) return out;
    const rows = await this.prisma.membership.findMany({ where: { roomId: { in: roomIds } }, select: { roomId: true, userId: true } });
    for (const r of rows) out.set(r.roomId, [...(out.get(r.roomId) ?? []), r.userId]);
    return out;
  }

  async roomPeers(userId: string) {
    const rows = await this.prisma.$queryRaw<{ userId: string }[]>`
      SELECT DISTINCT peer."userId"::text AS "userId"
      FROM "Membership" mine JOIN "Membership" peer ON peer."roomId" = mine."roomId"
      WHERE mine."userId" = ${userId}::uuid AND peer."userId" <> ${userId}::uuid`;
    return rows.map((r) => r.userId);
  }

  async removeMember(roomId: string, userId: string) {
    const { count } = await this.prisma.membership.deleteMany({ where: { roomId, userId } });
    return count > 0;
  }

  advanceRead(roomId: string, userId: string, seq: number) {
    return this.cursors.advance(roomId, userId, seq);
  }

  advanceReadLater(roomId: string, userId: string, seq: number) {
    this.cursors.later(roomId, userId, seq);
  }

  flush() {
    return this.cursors.flush();
  }

  async setMuted(roomId: string, userId: string, muted: boolean) {
    const { count } = await this.prisma.membership.updateMany({ where: { roomId, userId }, data: { muted } });
    return count > 0;
  }

  async createInvites(roomId: string, inviterId: string, inviteeIds: string[]) {
    return this.prisma.$transaction(async (tx) => {
      // Serialise invites into one room so two inviters cannot create twin pending invites.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`invites:${roomId}`}, 0))`;
      const members = new Set(
        (await tx.membership.findMany({ where: { roomId, userId: { in: inviteeIds } }, select: { userId: true } })).map((m) => m.userId),
      );
      const pending = new Map(
        (await tx.invite.findMany({ where: { roomId, inviteeId: { in: inviteeIds }, status: "pending" } })).map((i) => [i.inviteeId, i]),
      );
      const fresh = inviteeIds.filter((id) => !members.has(id) && !pending.has(id));
      // One statement for all new invites: a 100-member group must not be 100 round trips in one transaction.
      const created = new Map(
        (await tx.invite.createManyAndReturn({ data: fresh.map((inviteeId) => ({ roomId, inviterId, inviteeId })) })).map((i) => [i.inviteeId, i]),
      );
      return inviteeIds.flatMap((inviteeId) => {
        const existing = pending.get(inviteeId);
        if (existing) return [{ invite: toInvite(existing), created: false }];
        const made = created.get(inviteeId);
        return made ? [{ invite: toInvite(made), created: true }] : [];
      });
    });
  }

  async findInvite(id: string) {
    const i = await this.prisma.invite.findUnique({ where: { id } });
    return i ? toInvite(i) : null;
  }

  async pendingInvites(userId: string) {
    return (await this.prisma.invite.findMany({ where: { inviteeId: userId, status: "pending" }, orderBy: { createdAt: "desc" } })).map(toInvite);
  }

  async answerInvite(id: string, status: "accepted" | "declined", now: Date) {
    const row = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.invite.updateMany({ where: { id, status: "pending" }, data: { status, respondedAt: now } });
      if (count === 0) return null;
      const invite = await tx.invite.findUniqueOrThrow({ where: { id } });
      if (status === "accepted") {
        await tx.membership.createMany({ data: [{ roomId: invite.roomId, userId: invite.inviteeId, role: "member" }], skipDuplicates: true });
      }
      return invite;
    });
    return row ? toInvite(row) : null;
  }

  async updateRoom(roomId: string, patch: { name?: string; topic?: string | null }) {
    const { count } = await this.prisma.room.updateMany({ where: { id: roomId, type: "group" }, data: patch });
    return count ? this.find(roomId) : null;
  }

  async setRole(roomId: string, userId: string, role: "admin" | "member") {
    const { count } = await this.prisma.membership.updateMany({ where: { roomId, userId, role: { not: "owner" } }, data: { role } });
    return count > 0;
  }

  async transferOwnership(roomId: string, fromId: string, toId: string) {
    try {
      await this.prisma.$transaction(async (tx) => {
        // Conditional on the current owner: of two transfers at once, the second waits on the
        // owner's row lock, then matches nothing and rolls back its promotion.
        const promoted = await tx.membership.updateMany({ where: { roomId, userId: toId }, data: { role: "owner" } });
        const demoted = await tx.membership.updateMany({ where: { roomId, userId: fromId, role: "owner" }, data: { role: "admin" } });
        if (!promoted.count || !demoted.count) throw new NothingChanged();
      });
      return true;
    } catch (err) {
      if (err instanceof NothingChanged) return false;
      throw err;
    }
  }

  async setMutedUntil(roomId: string, userId: string, until: Date | null) {
    const { count } = await this.prisma.membership.updateMany({ where: { roomId, userId }, data: { mutedUntil: until } });
    return count > 0;
  }

  async mutedUntil(roomId: string, userId: string) {
    const m = await this.prisma.membership.findUnique({ where: { roomId_userId: { roomId, userId } }, select: { mutedUntil: true } });
    return m?.mutedUntil ?? null;
  }

  async ban(roomId: string, userId: string, bannedBy: string, reason: string, now: Date) {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.roomBan.createMany({ data: [{ roomId, userId, bannedBy, reason, createdAt: now }], skipDuplicates: true });
      const ban = await tx.roomBan.findUniqueOrThrow({ where: { roomId_userId: { roomId, userId } } });
      // Cancelling takes the invite's row lock, so an acceptance running at once either commits
      // first (and the membership it adds is removed after this) or finds the invite cancelled.
      const canceled = await tx.invite.updateManyAndReturn({ where: { roomId, inviteeId: userId, status: "pending" }, data: { status: "canceled", respondedAt: now } });
      return { ban: toBan(ban), created: count > 0, canceled: canceled.map(toInvite) };
    });
  }

  async unban(roomId: string, userId: string) {
    const { count } = await this.prisma.roomBan.deleteMany({ where: { roomId, userId } });
    return count > 0;
  }

  async findBan(roomId: string, userId: string) {
    const ban = await this.prisma.roomBan.findUnique({ where: { roomId_userId: { roomId, userId } } });
    return ban ? toBan(ban) : null;
  }

  async bans(roomId: string) {
    return (await this.prisma.roomBan.findMany({ where: { roomId }, orderBy: { createdAt: "asc" } })).map(toBan);
  }
}
