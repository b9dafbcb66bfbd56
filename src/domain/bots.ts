/**
 * Bots (PROTOCOL.md, "Integrations"; docs/integrations.md). A bot is a user of its own, made and
 * owned by another user: it joins the rooms it is added to, sends, reacts, reads, as that user,
 * through every route and event and under the same rate limits. It differs in how it signs in:
 * a long-lived token (`Authorization: Bot <token>`, or `auth: { botToken }` in the handshake)
 * instead of a password and a session, so it cannot log in, has nothing to refresh, and cannot
 * make bots of its own. Deleting a bot revokes its token on every node (its sockets close) and
 * takes it out of every room; its user stays, so its messages keep their sender. Its owner's
 * account deletion removes it altogether (account-deletion.ts).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Bot } from "../protocol/bots.js";
import { DISPLAY_NAME_MAX } from "../protocol/limits.js";
import { Conflict, Forbidden, Invalid, NotFound, Unauthorized } from "./errors.js";
import type { BotRecord, BotRepository } from "./ports/bot-repository.js";
import type { AccessClaims } from "./ports/security.js";
import { handOverOnLeave } from "./room-ranks.js";
import type { NoticeDeps } from "./room-notices.js";
import { removeFromRoom } from "./rooms.js";

export interface BotDeps extends NoticeDeps {
  bots: BotRepository;
  now?: () => Date;
}

/** Bots one account may have at once (revoked ones do not count); past it, CONFLICT with this at the head of the detail. */
export const BOTS_PER_OWNER_MAX = 20;
export const BOT_LIMIT = "BOT_LIMIT";

// 32 random bytes: 256 bits, far beyond guessing, so a fast unsalted SHA-256 is the right store
// (bcrypt's cost exists to slow the guessing of low-entropy passwords; here it would only make
// every bot request pay it). The prefix lets secret scanners and people tell a bot token at a
// glance. base64url of 32 bytes is 43 characters.
const TOKEN_PREFIX = "cb_";
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^cb_[A-Za-z0-9_-]{43}$/;

// Not a bcrypt hash (nor any hash a PasswordHasher makes): verifying any password against it is
// false, so a bot's user can never log in, nor pass the password check of DELETE /api/me.
export const UNUSABLE_PASSWORD_HASH = "!bot: no password";

// `.invalid` can never resolve (RFC 2606), so no mail reaches anyone, and the UUID keeps it unique.
const botEmail = () => `bot-${randomUUID()}@bots.invalid`;

export const hashBotToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

const clock = (deps: Pick<BotDeps, "now">) => (deps.now ? deps.now() : new Date());

export function viewBot(bot: BotRecord): Bot {
  return { id: bot.id, userId: bot.userId, name: bot.name, createdAt: bot.createdAt.toISOString() };
}

/** A new bot of `ownerId`, with its token: the only time the token is ever shown. */
export async function createBot(deps: BotDeps, ownerId: string, name: string): Promise<{ bot: Bot; token: string }> {
  if (await deps.bots.isBot(ownerId)) throw new Forbidden("a bot cannot create bots");
  const displayName = name.trim();
  if (!displayName || displayName.length > DISPLAY_NAME_MAX) {
    throw new Invalid(`name must be 1–${DISPLAY_NAME_MAX} characters`, [{ path: "name", message: "must be a display name" }]);
  }
  const token = `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString("base64url")}`;
  const result = await deps.bots.create(
    { ownerId, name: displayName, tokenHash: hashBotToken(token), user: { email: botEmail(), passwordHash: UNUSABLE_PASSWORD_HASH } },
    BOTS_PER_OWNER_MAX,
  );
  if (result === "limit") throw new Conflict(`${BOT_LIMIT}: an account has at most ${BOTS_PER_OWNER_MAX} bots; delete one first`);
  return { bot: viewBot(result.created), token };
}

/** The caller's bots, oldest first (never a token). */
export async function listBots(deps: Pick<BotDeps, "bots">, ownerId: string): Promise<Bot[]> {
  return (await deps.bots.listOf(ownerId)).map(viewBot);
}

/**
 * Revokes the bot on every node (its token refused, its sockets closed), then takes it out of
 * every room as a leave does (an owned group passes on first). Someone else's bot is NOT_FOUND,
 * as one that does not exist. Deleting a deleted bot finishes what a failed attempt left undone.
 */
export async function deleteBot(deps: BotDeps, ownerId: string, botId: string): Promise<void> {
  const bot = await deps.bots.find(botId);
  if (!bot || bot.ownerId !== ownerId) throw new NotFound("no such bot");
  await deps.bots.revoke([bot.id], clock(deps));
  for (const { room } of await deps.rooms.roomsOf(bot.userId)) {
    await handOverOnLeave(deps, bot.userId, room.id);
    await removeFromRoom(deps, room.id, bot.userId);
  }
}

/**
 * The claims of a usable bot token, shaped as a session's (domain/accounts.ts `authenticate`):
 * the bot's id stands in for the session id, so the bot's sockets share one `session:<bot id>`
 * channel, which its revocation closes on every node.
 */
export async function authenticateBot(deps: { bots: Pick<BotRepository, "findUsable"> }, token: string | undefined): Promise<AccessClaims> {
  if (!token) throw new Unauthorized("missing bot token");
  // Malformed tokens never reach the store.
  if (!TOKEN_PATTERN.test(token)) throw new Unauthorized("malformed bot token");
  const bot = await deps.bots.findUsable(hashBotToken(token));
  if (!bot) throw new Unauthorized("invalid or revoked bot token");
  return { userId: bot.userId, sessionId: bot.id };
}
