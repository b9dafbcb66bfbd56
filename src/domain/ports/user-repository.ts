import type { UserRecord } from "../user.js";

export interface NewUser {
  email: string;
  passwordHash: string;
  displayName: string;
}

export interface UserPatch {
  displayName?: string;
  statusMessage?: string;
  avatarKey?: string | null;
  emailVerified?: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface UserRepository {
  /** Throws Conflict when the email is taken. */
  create(user: NewUser): Promise<UserRecord>;
  findById(id: string): Promise<UserRecord | null>;
  findByEmail(email: string): Promise<UserRecord | null>;
  findManyByIds(ids: string[]): Promise<UserRecord[]>;
  /** Throws NotFound when the user does not exist. */
  update(id: string, patch: UserPatch): Promise<UserRecord>;
  /**
   * Deletes the user and, with it, every row that references the user (sessions, email code,
   * friendships and requests, follows, blocks, memberships, invites, push subscriptions: the
   * foreign keys cascade), which frees the email. Returns the ids of the sessions that went with
   * it, so the caller can announce them revoked. An unknown id removes nothing.
   */
  remove(id: string): Promise<{ sessionIds: string[] }>;
  /** Display-name substring (case-insensitive) or exact email; ordered by id. */
  search(query: string, limit: number, afterId: string | null): Promise<Page<UserRecord>>;
}
