/**
 * Where the login lives in this browser: localStorage `chat.session` ({ user, accessToken,
 * refreshToken }), so a reload or another tab keeps it. It is the SDK's TokenStore (read again
 * on every load: another tab may have rotated the tokens; the SDK refreshes under a Web Lock, as a
 * reused refresh token revokes the whole login) and it says when the signed-in user changes, here
 * or in another tab: a sign-in, a sign-out, a refused refresh.
 */
import type { Tokens, TokenStore, User } from "@chat-backend/client";

export interface SavedSession extends Tokens {
  user: User;
}

const KEY = "chat.session";

function read(): SavedSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? "null") as Partial<SavedSession> | null;
    return s && s.user && typeof s.accessToken === "string" && typeof s.refreshToken === "string" ? (s as SavedSession) : null;
  } catch {
    return null;
  }
}

function write(session: SavedSession | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

type Listener = (session: SavedSession | null) => void;

export class LocalSession implements TokenStore {
  private readonly listeners = new Set<Listener>();
  private userId: string | null = read()?.user.id ?? null;

  constructor() {
    window.addEventListener("storage", (e) => {
      if (e.key === KEY || e.key === null) this.changed();
    });
  }

  /** The login kept here, with its user. */
  get session(): SavedSession | null {
    return read();
  }

  load(): Tokens | null {
    const s = read();
    return s ? { accessToken: s.accessToken, refreshToken: s.refreshToken } : null;
  }

  /** New tokens of the same login (a refresh), or null: the login is over. */
  save(tokens: Tokens | null): void {
    const s = read();
    write(tokens && s ? { ...s, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } : null);
    this.changed();
  }

  /** A login made (the log-in or sign-up form): its tokens and user, kept together. */
  signIn(session: SavedSession): void {
    write(session);
    this.changed();
  }

  /** The signed-in user's profile, read again. */
  updateUser(user: User): void {
    const s = read();
    if (s?.user.id === user.id) write({ ...s, user });
  }

  /** Called when the signed-in user changes (sign-in, sign-out, here or in another tab). */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    const session = read();
    if ((session?.user.id ?? null) === this.userId) return;
    this.userId = session?.user.id ?? null;
    for (const l of this.listeners) l(session);
  }
}
