import { randomBytes } from "node:crypto";
import { Unauthorized } from "../../src/domain/errors.js";
import type { AccessClaims, AccessTokens } from "../../src/domain/ports/security.js";
import type { TestClock } from "./clock.js";

/**
 * AccessTokens (src/domain/ports/security.ts) without JWT: a token is an opaque random string this
 * instance issued, valid for `ttlMs` of the test clock. Like JwtAccessTokens
 * (src/security/jwt-access-tokens.ts), verify throws Unauthorized for anything it did not issue
 * (missing, malformed, tampered, another issuer's) and for an expired token; it knows nothing of
 * sessions (authenticate asks the session repository whether the login is still live).
 */
export class FakeAccessTokens implements AccessTokens {
  private readonly issued = new Map<string, { claims: AccessClaims; expiresAt: number }>();

  constructor(
    private readonly clock: TestClock,
    private readonly ttlMs = 15 * 60_000,
  ) {}

  issue(claims: AccessClaims): string {
    const token = `at.${randomBytes(12).toString("base64url")}`;
    this.issued.set(token, { claims: { ...claims }, expiresAt: this.clock.nowMs() + this.ttlMs });
    return token;
  }

  verify(token: string): AccessClaims {
    const entry = this.issued.get(token);
    if (!entry) throw new Unauthorized("invalid access token");
    if (entry.expiresAt <= this.clock.nowMs()) throw new Unauthorized("access token expired");
    return { ...entry.claims };
  }

  /** The claims a token was issued with, without checking it (not part of the port). */
  claimsOf(token: string): AccessClaims | undefined {
    return this.issued.get(token)?.claims;
  }
}
