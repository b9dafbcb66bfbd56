import { createHmac } from "node:crypto";
import bcrypt from "bcrypt";
import type { PasswordHasher } from "../domain/ports/security.js";

// bcrypt reads only the first 72 bytes of its input, and a 128-character password can be up to
// 512 bytes of UTF-8: without this step, two passwords sharing their first 72 bytes would be
// equal. The digest (44 base64 characters, no NUL) keeps every character significant. A keyed
// HMAC rather than a bare SHA-256, so leaked unsalted SHA-256 lists cannot be tried against it.
const prehash = (password: string) => createHmac("sha256", "chat-backend/password/v1").update(password, "utf8").digest("base64");

export class BcryptHasher implements PasswordHasher {
  constructor(private readonly cost: number) {}

  hash(password: string) {
    return bcrypt.hash(prehash(password), this.cost);
  }

  verify(password: string, hash: string) {
    return bcrypt.compare(prehash(password), hash);
  }
}
