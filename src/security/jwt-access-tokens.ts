import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { Unauthorized } from "../domain/errors.js";
import type { AccessClaims, AccessTokens } from "../domain/ports/security.js";

const ISSUER = "chat-backend";

export class JwtAccessTokens implements AccessTokens {
  // A KeyObject made once: given a string, jsonwebtoken first tries to parse it as a PEM public
  // key on every verify and throws, which cost ~12% of a node's CPU under load.
  private readonly secret: KeyObject;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.secret = createSecretKey(Buffer.from(secret, "utf8"));
  }

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
