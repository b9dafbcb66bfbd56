/**
 * The signed-in session, kept in localStorage so a reload (or another tab) keeps it.
 * Tabs share one refresh token; api.ts serialises refreshes across tabs with a Web Lock,
 * because presenting a spent refresh token revokes the whole login (PROTOCOL.md).
 */
import type { User } from "./types.js";

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

const KEY = "chat.session";
type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    return s && s.user && typeof s.accessToken === "string" && typeof s.refreshToken === "string" ? (s as Session) : null;
  } catch {
    return null;
  }
}

let current: Session | null = read();

export function getSession(): Session | null {
  return current;
}

/** Reads storage again: another tab may have refreshed the tokens meanwhile. */
export function reloadSession(): Session | null {
  current = read();
  return current;
}

export function setSession(session: Session | null): void {
  const hadUser = current?.user.id;
  current = session;
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  if (hadUser !== session?.user.id) for (const l of listeners) l(session);
}

export function updateTokens(accessToken: string, refreshToken: string): void {
  if (current) setSession({ ...current, accessToken, refreshToken });
}

export function updateUser(user: User): void {
  if (current) setSession({ ...current, user });
}

/** Called when the signed-in user changes (sign-in, sign-out, here or in another tab). */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

window.addEventListener("storage", (e) => {
  if (e.key !== KEY) return;
  const before = current?.user.id;
  current = read();
  if (before !== current?.user.id) for (const l of listeners) l(current);
});

function claims(token: string): { exp?: number; iat?: number } {
  try {
    const part = token.split(".")[1];
    if (!part) return {};
    return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: number; iat?: number };
  } catch {
    return {};
  }
}

/**
 * Whether the access token is still good for a while: more than 30 s left, or a quarter of its
 * lifetime for short-lived tokens. An unreadable token counts as stale (it gets refreshed).
 */
export function accessTokenFresh(token: string): boolean {
  const { exp, iat } = claims(token);
  if (typeof exp !== "number") return false;
  const margin = typeof iat === "number" ? Math.min(30, (exp - iat) / 4) : 30;
  return exp - Date.now() / 1000 > margin;
}
