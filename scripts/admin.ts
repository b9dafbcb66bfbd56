// `npm run admin -- grant <email>` / `npm run admin -- revoke <email>`: makes an account an
// operator (it may use /api/admin/*), or no longer one. The only way to do either: no route grants
// it (PROTOCOL.md, "Accounts and rooms over their life"). The change and its audit entry are one
// transaction; a revoke binds from the operator's next request. Reads the node's configuration
// (DATABASE_URL, or the embedded database in DATA_DIR, which a running node holds locked: stop it
// first, or use PostgreSQL). Exit codes: 0 done, 1 no such account or a failure, 2 usage.

import os from "node:os";
import { pino } from "pino";

import { loadConfig } from "../src/config.js";
import { setOperator } from "../src/domain/admin.js";
import { DomainError } from "../src/domain/errors.js";
import { LocalBus } from "../src/store/cluster-bus.js";
import { openDatabase } from "../src/store/database.js";
import { PrismaModerationStore } from "../src/store/prisma-moderation.js";

const USAGE = "usage: npm run admin -- grant <email>\n       npm run admin -- revoke <email>";

async function main(args: string[]): Promise<number> {
  const [verb, email, ...rest] = args;
  if ((verb !== "grant" && verb !== "revoke") || !email || rest.length) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  // Warnings only: the migrations a start applies log at info, which is noise here.
  const log = pino({ level: "warn" }, pino.destination(2));
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 }, log);
  try {
    // Rooms are not deleted from here, so no node's member cache needs telling: a local bus.
    const moderation = new PrismaModerationStore(db.prisma, new LocalBus());
    const who = `npm run admin -- ${verb} (${os.userInfo().username}@${os.hostname()})`;
    const user = await setOperator({ moderation }, email, verb === "grant", who);
    console.log(`${user.email} (${user.id}) ${user.operator ? "is now an operator" : "is no longer an operator"}`);
    return 0;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    console.error(err.message);
    return 1;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
