import { createHash, randomBytes } from "node:crypto";
import type { PasswordHasher } from "../../src/domain/ports/security.js";

/**
 * PasswordHasher (src/domain/ports/security.ts) without bcrypt's cost: a salted SHA-256, so two
 * hashes of one password differ (as bcrypt's do) and the whole password counts (as the real
 * hasher's HMAC pre-hash makes it, src/security/bcrypt-hasher.ts). Verifying against something
 * that is not one of its hashes is false, not an error. Counts its calls: a login of an unknown
 * email must still pay one comparison (src/domain/accounts.ts, the decoy hash).
 */
export class FastPasswordHasher implements PasswordHasher {
  hashes = 0;
  verifications = 0;

  async hash(password: string): Promise<string> {
    this.hashes++;
    const salt = randomBytes(8).toString("hex");
    return `fake$${salt}$${digest(salt, password)}`;
  }

  async verify(password: string, hash: string): Promise<boolean> {
    this.verifications++;
    const [tag, salt, hex] = hash.split("$");
    return tag === "fake" && salt !== undefined && hex === digest(salt, password);
  }
}

const digest = (salt: string, password: string) => createHash("sha256").update(`${salt}:${password}`, "utf8").digest("hex");
