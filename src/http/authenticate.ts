import type { RequestHandler } from "express";
import { authenticate } from "../domain/accounts.js";
import { authenticateBot } from "../domain/bots.js";
import type { BotRepository } from "../domain/ports/bot-repository.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { AccessTokens } from "../domain/ports/security.js";
import type { SessionRepository } from "../domain/ports/session-repository.js";

export interface BearerAuthDeps {
  tokens: AccessTokens;
  sessions: SessionRepository;
  /** Whose a `Bot <token>` is (domain/bots.ts `authenticateBot`). */
  bots: Pick<BotRepository, "findUsable">;
  /** Requests per user and second, across nodes when Redis is configured. */
  perUser: RateLimiter;
}

/**
 * `Authorization: Bearer <access token>` of a live session (domain/accounts.ts `authenticate`), or
 * `Bot <token>` of a live bot (domain/bots.ts `authenticateBot`: the same claims' shape, for the
 * bot's user), then the per-user limit.
 */
export function bearerAuth(deps: BearerAuthDeps): RequestHandler {
  return async (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const [, scheme, token] = /^(Bearer|Bot)\s+(\S+)$/i.exec(header) ?? [];
    const claims = scheme?.toLowerCase() === "bot" ? await authenticateBot(deps, token) : await authenticate(deps, token);
    await deps.perUser.consume(claims.userId);
    res.locals.auth = claims;
    next();
  };
}
