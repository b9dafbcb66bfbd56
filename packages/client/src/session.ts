/**
 * The login this client acts as (PROTOCOL.md, "Accounts and sessions"): a short-lived access token
 * and a refresh token that is spent by use. Presenting a spent refresh token revokes the whole
 * login, so a refresh is never run twice at once: callers share the one in flight, and a caller
 * whose token was already replaced gets the new one instead of refreshing again. Tokens live in a
 * TokenStore, read again just before a refresh: another tab (sharing a store) may have rotated them.
 * A bot authenticates with its own long-lived token and never refreshes.
 */
import { Emitter } from "./emitter.js";
import { ChatError } from "./errors.js";

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** Where the tokens are kept (memory by default; a browser app may keep them in localStorage). */
export interface TokenStore {
  load(): Tokens | null;
  save(tokens: Tokens | null): void;
}

export class MemoryTokenStore implements TokenStore {
  constructor(private tokens: Tokens | null = null) {}
  load(): Tokens | null {
    return this.tokens;
  }
  save(tokens: Tokens | null): void {
    this.tokens = tokens;
  }
}

/** Trades a refresh token for a new pair: throws a ChatError with the server's status when refused. */
export type Refresher = (refreshToken: string) => Promise<Tokens>;
/** Runs `fn` alone across the tabs sharing a store (e.g. navigator.locks.request): optional. */
export type RefreshLock = <T>(fn: () => Promise<T>) => Promise<T>;

/** What the socket handshake presents (PROTOCOL.md, "Socket.IO" and "Integrations"). */
export type HandshakeAuth = { token: string } | { botToken: string };

interface SessionEvents {
  /** New tokens (after login or a refresh), or null once signed out. */
  tokens: [Tokens | null];
  /** The login is over: signed out here, or its refresh token refused (revoked, expired, reused). */
  ended: [reason: string];
}

export class Session extends Emitter<SessionEvents> {
  private refreshing: Promise<string> | null = null;
  private botToken: string | null = null;

  constructor(
    private readonly store: TokenStore,
    private readonly refresher: Refresher,
    private readonly lock: RefreshLock = (fn) => fn(),
  ) {
    super();
  }

  get tokens(): Tokens | null {
    return this.store.load();
  }

  get signedIn(): boolean {
    return this.botToken !== null || this.store.load() !== null;
  }

  /** The user the access token names (its `sub`), or null (a bot, or no login). */
  get userId(): string | null {
    const t = this.store.load();
    return t ? (claims(t.accessToken).sub ?? null) : null;
  }

  setTokens(tokens: Tokens): void {
    this.store.save(tokens);
    this.emit("tokens", tokens);
  }

  useBotToken(token: string): void {
    this.botToken = token;
  }

  /** Forgets the login (after logout, or when it was refused). */
  end(reason: string): void {
    const had = this.signedIn;
    this.botToken = null;
    this.store.save(null);
    if (!had) return;
    this.emit("tokens", null);
    this.emit("ended", reason);
  }

  /** The Authorization header value, refreshed first when the access token is close to expiry. */
  async authorization(): Promise<string> {
    return (await this.credential()).header;
  }

  /**
   * The Authorization header and the token it presents: pass that token to refresh() when it is
   * refused, so a refusal that comes after another caller's refresh takes the new token instead of
   * refreshing again.
   */
  async credential(): Promise<{ header: string; token: string }> {
    if (this.botToken) return { header: `Bot ${this.botToken}`, token: this.botToken };
    const token = await this.freshAccessToken();
    return { header: `Bearer ${token}`, token };
  }

  async handshakeAuth(): Promise<HandshakeAuth> {
    if (this.botToken) return { botToken: this.botToken };
    return { token: await this.freshAccessToken() };
  }

  /** The credential presented last, to pass to refresh() when it is refused. */
  get current(): string | null {
    return this.botToken ?? this.store.load()?.accessToken ?? null;
  }

  async freshAccessToken(): Promise<string> {
    const t = this.store.load();
    if (!t) throw new ChatError("SIGNED_OUT", "not signed in");
    if (accessTokenFresh(t.accessToken)) return t.accessToken;
    return this.refresh(t.accessToken);
  }

  /**
   * A new access token after `stale` was refused (or is about to expire). Resolves with the token
   * in use if another caller already replaced `stale`; throws SIGNED_OUT when the login is over
   * (a bot's refused token too: it has nothing to refresh with), NETWORK when the server could
   * not be asked (the tokens are kept).
   */
  refresh(stale?: string): Promise<string> {
    if (this.botToken) {
      this.end("bot token refused");
      return Promise.reject(new ChatError("SIGNED_OUT", "the bot token was refused"));
    }
    this.refreshing ??= this.lock(() => this.rotate(stale)).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(stale: string | undefined): Promise<string> {
    const t = this.store.load();
    if (!t) throw new ChatError("SIGNED_OUT", "not signed in");
    if (stale !== undefined && t.accessToken !== stale && accessTokenFresh(t.accessToken)) return t.accessToken;
    let next: Tokens;
    try {
      next = await this.refresher(t.refreshToken);
    } catch (err) {
      // 401: spent, revoked or expired; 400: not a refresh token. Either way this login is over.
      if (err instanceof ChatError && (err.status === 401 || err.status === 400)) {
        this.end(`refresh refused: ${err.code}`);
        throw new ChatError("SIGNED_OUT", "the login has ended; sign in again", { cause: err });
      }
      throw err;
    }
    this.setTokens(next);
    return next.accessToken;
  }
}

interface Claims {
  sub?: string;
  exp?: number;
  iat?: number;
}

/** The JWT's payload, read without verifying it (only the server can): for its expiry and subject. */
function claims(token: string): Claims {
  try {
    const part = token.split(".")[1];
    if (!part) return {};
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const parsed: unknown = JSON.parse(json);
    return parsed && typeof parsed === "object" ? (parsed as Claims) : {};
  } catch {
    return {};
  }
}

/**
 * Whether the access token is good for a while yet: more than 30 s left, or a quarter of its life
 * for short-lived tokens. One whose expiry cannot be read is used as it is: the server decides,
 * and a 401 refreshes it.
 */
export function accessTokenFresh(token: string): boolean {
  const { exp, iat } = claims(token);
  if (typeof exp !== "number") return true;
  const margin = typeof iat === "number" ? Math.min(30, (exp - iat) / 4) : 30;
  return exp - Date.now() / 1000 > margin;
}
