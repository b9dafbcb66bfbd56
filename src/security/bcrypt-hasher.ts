import bcrypt from "bcrypt";
import type { PasswordHasher } from "../domain/ports/security.js";

export class BcryptHasher implements PasswordHasher {
  constructor(private readonly cost: number) {}

  hash(password: string) {
    return bcrypt.hash(password, this.cost);
  }

  verify(password: string, hash: string) {
    return bcrypt.compare(password, hash);
  }
}
