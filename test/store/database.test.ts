// openDatabase on PostgreSQL: the connections it keeps idle may be closed by the server at any time
// (a restart, a failover, pg_terminate_backend); the node must carry on with new ones.

import { expect } from "chai";
import pg from "pg";
import { pino } from "pino";

import { openDatabase, type Database } from "../../src/store/database.js";
import { eventually } from "../helpers/eventually.js";
import { databaseName, testDatabase } from "../helpers/services.js";

describe("database on PostgreSQL", function () {
  this.timeout(30_000);
  // A database of its own: the backends this test terminates are only its own.
  let name: string;
  let url: string;
  let db: Database;
  before(async () => {
    url = await testDatabase("chat_test_pools");
    name = databaseName(url);
    db = await openDatabase({ databaseUrl: url, dataDir: "(unused with a database URL)", poolSize: 4 }, pino({ level: "silent" }));
  });
  after(() => db?.close());

  it("survives PostgreSQL closing its idle connections: every pool answers again", async () => {
    const one = async () => [
      (await db.sql.query<{ x: number }>("SELECT 1 AS x", []))[0]?.x,
      (await db.messageWrites!.query<{ x: number }>("SELECT 1 AS x", []))[0]?.x,
      (await db.prisma.$queryRaw<{ x: number }[]>`SELECT 1 AS x`)[0]?.x,
    ];
    expect(await one()).to.deep.equal([1, 1, 1]);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
      expect(killed.rowCount).to.be.at.least(3);
      // Each pool's idle client sees its connection end; wait until PostgreSQL shows none left.
      await eventually(
        async () => {
          const left = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
          expect(left.rows[0].n, "connections left").to.equal(0);
        },
        { every: 20, what: "the killed connections to be gone" },
      );
    } finally {
      await admin.end();
    }
    expect(await one()).to.deep.equal([1, 1, 1]);
  });
});
