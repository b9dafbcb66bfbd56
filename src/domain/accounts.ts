import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { Invalid, Unauthorized, Conflict } from "./errors.js";
import type { MailTransport } from "./ports/mail-transport.js";
import type { RateLimiter } from "./ports/rate-limiter.js";
import type { AccessClaims, AccessTokens, PasswordHasher } from "./ports/security.js";
import type { EmailCodeRepository, SessionRepository } from "./ports/session-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import { normalizeEmail, viewUser, type UserView } from "./user.js";
import { refuseIfSuspendedMeanwhile, refuseSuspended } from "./suspensions.js";
import type { AuthReply, TokenPairReply } from "../protocol/accounts.js";

export interface AccountDeps {
  users: UserRepository;
  sessions: SessionRepository;
  emailCodes: EmailCodeRepository;
  hasher: PasswordHasher;
  tokens: AccessTokens;
  mail: MailTransport;
  /** Failed logins per account (PROTOCOL: never fewer than 5 per 15 minutes). */
  loginFailures: RateLimiter;
  refreshTtlMs: number;
  now?: () => Date;
}

/** The contract's answer to sign-up and log-in (src/protocol/accounts.ts). */
export type AuthResult = AuthReply;

// A code lives 15 minutes and allows 5 guesses: 5 in 10^6 odds per code for a guesser.
const EMAIL_CODE_TTL_MS = 15 * 60_000;
const EMAIL_CODE_MAX_ATTEMPTS = 5;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const clock = (deps: AccountDeps) => (deps.now ? deps.now() : new Date());

// A hash of a random password: login of an unknown email still pays one bcrypt comparison,
// so response time does not reveal which emails have accounts.
let decoyHash: Promise<string> | undefined;

async function openSession(deps: AccountDeps, userId: string) {
  const secret = randomBytes(32).toString("base64url");
  const expiresAt = new Date(clock(deps).getTime() + deps.refreshTtlMs);
  const { id } = await deps.sessions.create(userId, sha256(secret), expiresAt);
  return {
    accessToken: deps.tokens.issue({ userId, sessionId: id }),
    refreshToken: `${id}.${secret}`,
  };
}

export async function signup(
  deps: AccountDeps,
  input: { email: string; password: string; displayName: string },
): Promise<AuthResult> {
  const passwordHash = await deps.hasher.hash(input.password);
  const user = await deps.users.create({
    email: normalizeEmail(input.email),
    passwordHash,
    displayName: input.displayName.trim(),
  });
  return { user: viewUser(user, user.id), ...(await openSession(deps, user.id)) };
}

export async function login(deps: AccountDeps, input: { email: string; password: string }): Promise<AuthResult> {
  const email = normalizeEmail(input.email);
  await deps.loginFailures.check(email);
  const user = await deps.users.findByEmail(email);
  // A failed computation is forgotten, not kept: it would fail every unknown-email login after.
  decoyHash ??= deps.hasher.hash(randomBytes(16).toString("hex")).catch((err: unknown) => {
    decoyHash = undefined;
    throw err;
  });
  const ok = await deps.hasher.verify(input.password, user?.passwordHash ?? (await decoyHash));
  if (!user || !ok) {
    await deps.loginFailures.consume(email);
    throw new Unauthorized("wrong email or password");
  }
  await deps.loginFailures.reset(email);
  refuseSuspended(user);
  const session = await openSession(deps, user.id);
  await refuseIfSuspendedMeanwhile(deps, user.id, clock(deps));
  return { user: viewUser(user, user.id), ...session };
}

function parseRefreshToken(token: string): { sessionId: string; secret: string } {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot === token.length - 1) throw new Unauthorized("invalid refresh token");
  return { sessionId: token.slice(0, dot), secret: token.slice(dot + 1) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rotates the refresh token. A spent token revokes the whole login (reuse detection). */
export async function refresh(deps: AccountDeps, refreshToken: string): Promise<TokenPairReply> {
  const { sessionId, secret } = parseRefreshToken(refreshToken);
  if (!UUID.test(sessionId)) throw new Unauthorized("invalid refresh token");
  const next = randomBytes(32).toString("base64url");
  const now = clock(deps);
  const expiresAt = new Date(now.getTime() + deps.refreshTtlMs);
  const { outcome, userId } = await deps.sessions.rotate(sessionId, sha256(secret), sha256(next), expiresAt, now);
  if (outcome === "reused") {
    await deps.sessions.revoke(sessionId, now);
    throw new Unauthorized("refresh token already used; this login has been revoked");
  }
  if (outcome !== "rotated" || !userId) throw new Unauthorized("invalid or expired refresh token");
  return { accessToken: deps.tokens.issue({ userId, sessionId }), refreshToken: `${sessionId}.${next}` };
}

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a, "hex"), Buffer.from(b, "hex"));

/**
 * Ends the login the token belongs to, on every node: its access tokens stop working and its
 * sockets close. Only a secret issued for the session does it (its current one, or a recently
 * spent one, as a client that missed a rotation holds): the session id is in every access
 * token, so an id with a made-up secret must not log anyone out. Unknown or wrong tokens change
 * nothing and get the same 204: logout is idempotent and says nothing about other sessions.
 */
export async function logout(deps: AccountDeps, refreshToken: string): Promise<void> {
  const dot = refreshToken.indexOf(".");
  if (dot <= 0 || dot === refreshToken.length - 1) return;
  const sessionId = refreshToken.slice(0, dot);
  if (!UUID.test(sessionId)) return;
  const session = await deps.sessions.find(sessionId);
  const given = sha256(refreshToken.slice(dot + 1));
  // Every stored hash is compared (no early exit), in constant time each.
  const matches = [session?.currentHash ?? "", ...(session?.spentHashes ?? [])].map((h) => sameHash(h, given));
  if (!session || session.revokedAt || !matches.includes(true)) return;
  await deps.sessions.revoke(sessionId, clock(deps));
}

/**
 * The claims of a usable access token: signed by us, unexpired, and of a session that is still
 * live (not logged out, not revoked for reuse, its account not deleted). Every door calls this.
 */
export async function authenticate(deps: Pick<AccountDeps, "tokens" | "sessions">, accessToken: string | undefined): Promise<AccessClaims> {
  if (!accessToken) throw new Unauthorized("missing access token");
  const claims = deps.tokens.verify(accessToken);
  if (!(await deps.sessions.isLive(claims.sessionId, claims.userId))) throw new Unauthorized("this login has ended: sign in again");
  return claims;
}

export async function requestEmailVerification(deps: AccountDeps, userId: string): Promise<void> {
  const user = await deps.users.findById(userId);
  if (!user) throw new Unauthorized("account no longer exists");
  if (user.emailVerified) throw new Conflict("email already verified");
  const code = randomInt(0, 1_000_000).toString().padStart(6, "0");
  await deps.emailCodes.put(userId, sha256(`${userId}:${code}`), new Date(clock(deps).getTime() + EMAIL_CODE_TTL_MS));
  await deps.mail.send({
    to: user.email,
    subject: "Your verification code",
    text: `Your verification code is ${code}. It expires in 15 minutes.`,
  });
}

export async function verifyEmail(deps: AccountDeps, userId: string, code: string): Promise<UserView> {
  // Counted before comparing: each increment is atomic, so of any number of concurrent guesses
  // only the first EMAIL_CODE_MAX_ATTEMPTS read a count within the limit and get compared.
  await deps.emailCodes.countAttempt(userId);
  const stored = await deps.emailCodes.get(userId);
  if (!stored || stored.expiresAt <= clock(deps)) {
    throw new Invalid("no valid code: request a new one", [{ path: "code", message: "expired or not requested" }]);
  }
  if (stored.attempts > EMAIL_CODE_MAX_ATTEMPTS) {
    await deps.emailCodes.delete(userId);
    throw new Invalid("too many attempts: request a new code", [{ path: "code", message: "too many attempts" }]);
  }
  const expected = Buffer.from(stored.codeHash, "hex");
  const given = Buffer.from(sha256(`${userId}:${code}`), "hex");
  if (!timingSafeEqual(expected, given)) {
    throw new Invalid("wrong code", [{ path: "code", message: "does not match" }]);
  }
  await deps.emailCodes.delete(userId);
  const user = await deps.users.update(userId, { emailVerified: true });
  return viewUser(user, userId);
}
