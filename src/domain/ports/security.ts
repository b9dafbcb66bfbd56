export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

export interface AccessTokens {
  issue(claims: AccessClaims): string;
  /** Throws Unauthorized for a missing, malformed, tampered or expired token. */
  verify(token: string): AccessClaims;
}
