import type { RequestHandler } from "express";
import { authenticate } from "../domain/accounts.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { AccessTokens } from "../domain/ports/security.js";
import type { SessionRepository } from "../domain/ports/session-repository.js";

export interface BearerAuthDeps {
  tokens: AccessTokens;
  sessions: SessionRepository;
  /** Requests per user and second, across nodes when Redis is configured. */
  perUser: RateLimiter;
}

/** `Authorization: Bearer <access token>` of a live session (domain/accounts.ts `authenticate`), then the per-user limit. */
export function bearerAuth(deps: BearerAuthDeps): RequestHandler {
  return async (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const claims = await authenticate(deps, token);
    await deps.perUser.consume(claims.userId);
    res.locals.auth = claims;
    next();
  };
}
