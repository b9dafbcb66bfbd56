import type { UserRecord } from "../user.js";
import type { AuditDraft } from "./audit-log.js";

export interface Suspension {
  at: Date;
  reason: string;
}

/**
 * The operators' writes to accounts and rooms. Each writes its change and its audit entry in one
 * transaction, so the log holds exactly the actions that happened.
 */
export interface ModerationStore {
  /**
   * Suspends the user (a suspension already in force keeps its time and takes the new reason) or,
   * with null, lifts it. Null (and nothing written) when there is no such user.
   */
  setSuspension(userId: string, suspension: Suspension | null, audit: AuditDraft): Promise<UserRecord | null>;
  /** Grants or revokes the operator flag of the account with this email. Null when there is none. */
  setOperator(email: string, operator: boolean, audit: Omit<AuditDraft, "targetId">): Promise<UserRecord | null>;
  /**
   * Deletes the room; its memberships and invites go with it. Returns the former members, or null
   * (nothing written) when there is no such room. Every node's member cache forgets the room
   * before this resolves, so no node lets a former member in afterwards.
   */
  deleteRoom(roomId: string, audit: AuditDraft): Promise<string[] | null>;
  /** Accounts and rooms as stored now. */
  counts(): Promise<{ users: number; rooms: number }>;
  /** Room ids in id order, after `afterId` (stats walk every room in pages). */
  roomIds(afterId: string | null, limit: number): Promise<string[]>;
}
