/**
 * Ids for the fakes: well-formed UUIDs (the domain checks session and attachment ids against a
 * UUID pattern, src/domain/accounts.ts and attachments.ts), version 7 like the database's
 * `uuid(7)` defaults (prisma/schema.prisma), and sorting in creation order like them. Each kind
 * of record has its own namespace in the first group, so ids of different kinds never collide
 * and a failure message shows what an id is ("00000001-…" is a user).
 */
export const ID_KINDS = {
  user: 1,
  session: 2,
  room: 3,
  invite: 4,
  friendRequest: 5,
  attachment: 6,
  accountExport: 0x0e,
  track: 0x20,
  playlist: 0x21,
  report: 0x10,
  auditEntry: 0x11,
  bot: 0x30,
} as const;

export type IdKind = keyof typeof ID_KINDS;

export class IdSequence {
  private n = 0;

  constructor(private readonly kind: IdKind) {}

  next(): string {
    this.n++;
    const ns = ID_KINDS[this.kind].toString(16).padStart(8, "0");
    return `${ns}-0000-7000-8000-${this.n.toString(16).padStart(12, "0")}`;
  }
}

/** A well-formed id no fake ever hands out (a room or user that does not exist). */
export const UNKNOWN_ID = "0000ffff-0000-7000-8000-000000000001";
