import type { AuditDraft } from "../domain/ports/audit-log.js";
import type { ModerationStore, Suspension } from "../domain/ports/moderation-store.js";
import type { UserRecord } from "../domain/user.js";
import { announceRoomsChanged } from "./cached-rooms.js";
import type { ClusterBus } from "./cluster-bus.js";
import type { Prisma } from "./database.js";

/** The operators' writes in PostgreSQL, each with its audit entry in the same transaction. */
export class PrismaModerationStore implements ModerationStore {
  constructor(
    private readonly prisma: Prisma,
    /** Where the rooms' member caches listen (store/cached-rooms.ts). */
    private readonly bus: ClusterBus,
  ) {}

  async setSuspension(userId: string, suspension: Suspension | null, audit: AuditDraft): Promise<UserRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { id: userId }, select: { suspendedAt: true } });
      if (!user) return null;
      const data = suspension ? { suspendedAt: user.suspendedAt ?? suspension.at, suspendReason: suspension.reason } : { suspendedAt: null, suspendReason: null };
      const updated = await tx.user.update({ where: { id: userId }, data });
      await tx.auditEntry.create({ data: audit });
      return updated;
    });
  }

  async setOperator(email: string, operator: boolean, audit: Omit<AuditDraft, "targetId">): Promise<UserRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { email }, select: { id: true } });
      if (!user) return null;
      const updated = await tx.user.update({ where: { id: user.id }, data: { operator } });
      await tx.auditEntry.create({ data: { ...audit, targetId: user.id } });
      return updated;
    });
  }

  async deleteRoom(roomId: string, audit: AuditDraft): Promise<string[] | null> {
    const members = await this.prisma.$transaction(async (tx) => {
      // The room's row locked first: a join (its membership's foreign key takes a key-share lock on
      // the room) waits for this transaction, then fails, so the list below is every member.
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM "Room" WHERE id = ${roomId}::uuid FOR UPDATE`;
      if (!locked.length) return null;
      const rows = await tx.membership.findMany({ where: { roomId }, select: { userId: true } });
      // Memberships and invites cascade (prisma/schema.prisma); bans have no foreign key and go
      // here; messages (no foreign key either, maybe in MongoDB) stay: see domain/moderation.ts.
      await tx.roomBan.deleteMany({ where: { roomId } });
      await tx.room.delete({ where: { id: roomId } });
      await tx.auditEntry.create({ data: audit });
      return rows.map((r) => r.userId);
    });
    if (members) await announceRoomsChanged(this.bus, [roomId]);
    return members;
  }

  async counts() {
    const [users, rooms] = await Promise.all([this.prisma.user.count(), this.prisma.room.count()]);
    return { users, rooms };
  }

  async roomIds(afterId: string | null, limit: number): Promise<string[]> {
    const rows = await this.prisma.room.findMany({ where: afterId ? { id: { gt: afterId } } : {}, orderBy: { id: "asc" }, take: limit, select: { id: true } });
    return rows.map((r) => r.id);
  }
}
