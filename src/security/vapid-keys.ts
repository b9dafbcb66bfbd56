import fs from "node:fs/promises";
import path from "node:path";
import webpush from "web-push";

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

function valid(keys: Partial<VapidKeys> | null): keys is VapidKeys {
  // base64url: an uncompressed P-256 point (65 bytes) and its 32-byte private scalar.
  return (
    typeof keys?.publicKey === "string" &&
    typeof keys.privateKey === "string" &&
    Buffer.from(keys.publicKey, "base64url").length === 65 &&
    Buffer.from(keys.privateKey, "base64url").length === 32
  );
}

/**
 * VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY when configured; otherwise a pair generated on first start
 * and kept in DATA_DIR (like the JWT secret). Browsers subscribe with the public key, so it must
 * not change: nodes that do not share DATA_DIR need the variables.
 */
export async function resolveVapidKeys(configured: VapidKeys | undefined, dataDir: string): Promise<VapidKeys> {
  if (configured) {
    if (!valid(configured)) throw new Error("VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY are not a P-256 key pair in base64url");
    return configured;
  }
  const file = path.join(dataDir, "vapid-keys.json");
  await fs.mkdir(dataDir, { recursive: true });
  try {
    await fs.writeFile(file, JSON.stringify(webpush.generateVAPIDKeys()), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  // Another starter may have created the file an instant ago and not yet written it.
  for (let attempt = 0; attempt < 50; attempt++) {
    let keys: Partial<VapidKeys> | null = null;
    try {
      keys = JSON.parse(await fs.readFile(file, "utf8")) as Partial<VapidKeys>;
    } catch {
      // empty or half-written
    }
    if (valid(keys)) return { publicKey: keys.publicKey, privateKey: keys.privateKey };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${file} exists but holds no usable VAPID key pair; delete it or set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY`);
}
