import { createHmac } from "node:crypto";
import type { IceServer, IceServerSource } from "../domain/ports/ice-servers.js";

/**
 * The "TURN REST API" credential (draft-uberti-behave-turn-rest), which coturn accepts with
 * `use-auth-secret` + `static-auth-secret`: username `<expiry unix seconds>:<userId>`, password
 * base64(HMAC-SHA1(secret, username)). The TURN server needs no user database and refuses the
 * credential after its expiry, so a leaked one is good for at most `ttlSeconds`.
 */
export function turnCredential(secret: string, userId: string, expiresAtSeconds: number): { username: string; credential: string } {
  const username = `${expiresAtSeconds}:${userId}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
}

export interface IceConfig {
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | undefined;
  ttlSeconds: number;
}

/** ICE servers from configuration: STUN as is, TURN with fresh credentials per request. */
export class ConfiguredIceServers implements IceServerSource {
  constructor(private readonly config: IceConfig) {}

  forUser(userId: string, now: Date): { iceServers: IceServer[]; ttlSeconds: number } {
    const { stunUrls, turnUrls, turnSecret, ttlSeconds } = this.config;
    const iceServers: IceServer[] = [];
    if (stunUrls.length) iceServers.push({ urls: stunUrls });
    if (turnUrls.length && turnSecret) {
      const expiresAt = Math.floor(now.getTime() / 1000) + ttlSeconds;
      iceServers.push({ urls: turnUrls, ...turnCredential(turnSecret, userId, expiresAt) });
    }
    return { iceServers, ttlSeconds };
  }
}
