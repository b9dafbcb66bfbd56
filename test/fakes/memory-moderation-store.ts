import type { AuditDraft } from "../../src/domain/ports/audit-log.js";
import type { ModerationStore, Suspension } from "../../src/domain/ports/moderation-store.js";
import type { MemoryAuditLog } from "./memory-audit-log.js";
import type { MemoryRoomRepository } from "./memory-room-repository.js";
import type { MemoryUserRepository } from "./memory-user-repository.js";

/**
 * ModerationStore (src/domain/ports/moderation-store.ts) over the user and room fakes, as
 * PrismaModerationStore behaves: each write and its audit entry are one synchronous step (the
 * transaction), and nothing is written when the user or room does not exist.
 */
export class MemoryModerationStore implements ModerationStore {
  constructor(
    private readonly users: MemoryUserRepository,
    private readonly rooms: MemoryRoomRepository,
    private readonly audit: MemoryAuditLog,
  ) {}

  async setSuspension(userId: string, suspension: Suspension | null, audit: AuditDraft) {
    const user = await this.users.findById(userId);
    if (!user) return null;
    const fields = suspension ? { suspendedAt: user.suspendedAt ?? suspension.at, suspendReason: suspension.reason } : { suspendedAt: null, suspendReason: null };
    const updated = this.users.moderate(userId, fields);
    await this.audit.record(audit);
    return updated;
  }

  async setOperator(email: string, operator: boolean, audit: Omit<AuditDraft, "targetId">) {
    const user = await this.users.findByEmail(email);
    if (!user) return null;
    const updated = this.users.moderate(user.id, { operator });
    await this.audit.record({ ...audit, targetId: user.id });
    return updated;
  }

  async deleteRoom(roomId: string, audit: AuditDraft) {
    const members = this.rooms.deleteRoom(roomId);
    if (members) await this.audit.record(audit);
    return members;
  }

  async counts() {
    return { users: this.users.size, rooms: (await this.roomIds(null, Number.MAX_SAFE_INTEGER)).length };
  }

  async roomIds(afterId: string | null, limit: number) {
    return this.rooms.allRoomIds().filter((id) => afterId === null || id > afterId).sort().slice(0, limit);
  }
}
