import jwt from "jsonwebtoken";
import { Unauthorized } from "../domain/errors.js";
import type { AccessClaims, AccessTokens } from "../domain/ports/security.js";

const ISSUER = "chat-backend";

export class JwtAccessTokens implements AccessTokens {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  issue(claims: AccessClaims): string {
    return jwt.sign({ sid: claims.sessionId }, this.secret, {
      algorithm: "HS256",
      subject: claims.userId,
      issuer: ISSUER,
      expiresIn: this.ttlSeconds,
    });
  }

  verify(token: string): AccessClaims {
    try {
      // Pinning the algorithm refuses `alg: none` and key-confusion tokens.
      const payload = jwt.verify(token, this.secret, { algorithms: ["HS256"], issuer: ISSUER });
      if (typeof payload === "string" || typeof payload.sub !== "string" || typeof payload.sid !== "string") {
        throw new Unauthorized("malformed access token");
      }
      return { userId: payload.sub, sessionId: payload.sid };
    } catch (err) {
      if (err instanceof Unauthorized) throw err;
      throw new Unauthorized(err instanceof jwt.TokenExpiredError ? "access token expired" : "invalid access token");
    }
  }
}
