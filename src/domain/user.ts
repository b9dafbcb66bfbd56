/** The user as stored, and the two views of it the API shows (own and other). */
import type { User } from "../protocol/users.js";

export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string;
  statusMessage: string;
  avatarKey: string | null;
  emailVerified: boolean;
  createdAt: Date;
  /** May use /api/admin/* (granted by `npm run admin` only, src/domain/admin.ts). */
  operator: boolean;
  /** Set while an operator has suspended the account (src/domain/suspensions.ts). */
  suspendedAt: Date | null;
  suspendReason: string | null;
}

/** What views need: never the password hash, nor what operators keep about the account. */
export type UserProfile = Omit<UserRecord, "passwordHash" | "operator" | "suspendedAt" | "suspendReason">;

/** The contract's user (src/protocol/users.ts): `email` only in the owner's own view. */
export type UserView = User;

export function avatarUrl(avatarKey: string | null): string | null {
  return avatarKey ? `/api/avatars/${avatarKey}` : null;
}

/** Other users never see an email address; only the owner's own view carries it. */
export function viewUser(user: UserProfile, viewerId: string | null): UserView {
  const view: UserView = {
    id: user.id,
    displayName: user.displayName,
    statusMessage: user.statusMessage,
    avatarUrl: avatarUrl(user.avatarKey),
    emailVerified: user.emailVerified,
    createdAt: user.createdAt.toISOString(),
  };
  if (viewerId === user.id) view.email = user.email;
  return view;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
