import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * JWT_SECRET when configured; otherwise one generated on first start and kept in DATA_DIR, so
 * tokens survive restarts and nodes sharing a DATA_DIR agree. `wx` makes concurrent first starts
 * converge on whichever file was written first.
 */
export async function resolveJwtSecret(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, "jwt-secret");
  await fs.mkdir(dataDir, { recursive: true });
  try {
    await fs.writeFile(file, randomBytes(48).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  // Another starter may have created the file an instant ago and not yet written it.
  for (let attempt = 0; attempt < 50; attempt++) {
    const secret = (await fs.readFile(file, "utf8")).trim();
    if (secret.length >= 32) return secret;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${file} exists but holds no usable secret; delete it or set JWT_SECRET`);
}
