/** A bot as stored (src/domain/bots.ts): the user it is, the user who owns it. */
export interface BotRecord {
  id: string;
  /** The bot's own user: it acts through every route and event as this user. */
  userId: string;
  ownerId: string;
  name: string;
  createdAt: Date;
  /** Set once deleted: its token is refused from then on; the row and its user stay (its messages keep their sender). */
  revokedAt: Date | null;
}

export interface NewBot {
  ownerId: string;
  /** Also the display name of the bot's user. */
  name: string;
  /** SHA-256 of the token, hex: the token itself is never stored. */
  tokenHash: string;
  /** The bot's user: an email nobody can receive mail at, and a password hash no password matches. */
  user: { email: string; passwordHash: string };
}

/** The bot a token belongs to, as authentication needs it. */
export interface UsableBot {
  id: string;
  userId: string;
}

export interface BotRepository {
  /**
   * The bot's user and the bot, in one transaction, unless the owner already has `maxLive` bots
   * not revoked: then "limit", and nothing is written. Creations by one owner are serialized, so
   * concurrent ones cannot pass the limit together. Throws Unauthorized if the owner is gone.
   */
  create(bot: NewBot, maxLive: number): Promise<{ created: BotRecord } | "limit">;
  /** The owner's bots, oldest first; revoked ones too with `includeRevoked` (account deletion). */
  listOf(ownerId: string, opts?: { includeRevoked?: boolean }): Promise<BotRecord[]>;
  find(botId: string): Promise<BotRecord | null>;
  /** Whether this user is a bot's user. */
  isBot(userId: string): Promise<boolean>;
  /**
   * Revokes these bots (a revoked one keeps its first revokedAt) and tells every node: their
   * tokens are refused and their sockets closed within ms. Unknown ids are skipped.
   */
  revoke(botIds: string[], now: Date): Promise<void>;
  /**
   * The bot whose token has this hash, if the token may be used: the bot is not revoked and
   * neither its user nor its owner is suspended. Asked on every request and handshake a bot
   * makes, so implementations answer from memory almost always.
   */
  findUsable(tokenHash: string): Promise<UsableBot | null>;
  /** The bots a suspension of this user stops: those it owns and the one it is, not revoked. */
  liveIdsFor(userId: string): Promise<string[]>;
  /**
   * Tells every node these bots' tokens are refused now and closes their sockets, storing nothing:
   * a suspension (their owner's or their own user's), which findUsable already refuses in the store.
   */
  cutOff(botIds: string[]): Promise<void>;
}

/** Bots revoked on any node, told to this one (as SessionRevocations tells of sessions). */
export interface BotRevocations {
  onRevoked(handler: (botIds: string[]) => void): void;
}
