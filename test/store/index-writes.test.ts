// The mention and reply indexes on PostgreSQL (src/store/prisma-mentions.ts, prisma-replies.ts):
// what is recorded in one tick (a group commit's messages resolve together) goes into one
// statement, and every caller's rows are there when its record resolves.
import { randomUUID } from "node:crypto";

import { expect } from "chai";
import { pino } from "pino";

import { openDatabase, type Database, type PlainSql } from "../../src/store/database.js";
import { PrismaMentionIndex } from "../../src/store/prisma-mentions.js";
import { PrismaReplyIndex } from "../../src/store/prisma-replies.js";
import { testDatabase } from "../helpers/services.js";

describe("mention and reply index writes (PostgreSQL)", function () {
  this.timeout(30_000);
  let db: Database;
  let statements: string[];
  let counting: PlainSql;

  before(async () => {
    db = await openDatabase({ databaseUrl: await testDatabase(), dataDir: "(unused with a database URL)", poolSize: 4 }, pino({ level: "silent" }));
    counting = { query: (text, params) => (statements.push(text), db.sql!.query(text, params)) };
  });
  after(() => db?.close());
  beforeEach(() => {
    statements = [];
  });

  it("records the mentions of one tick with one statement; each is listed once its record resolves", async () => {
    const index = new PrismaMentionIndex(db.prisma, counting);
    const [room, sender, ann, bob] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const at = new Date();
    await Promise.all([index.record(room, 1, sender, [ann, bob], at), index.record(room, 2, sender, [ann], at), index.record(room, 3, sender, [], at)]);
    expect(statements.filter((s) => s.includes('INSERT INTO "Mention"'))).to.have.length(1);
    const seqsOf = async (userId: string) => (await index.list(userId, { limit: 10 })).map((m) => m.seq).sort();
    expect(await seqsOf(ann)).to.deep.equal([1, 2]);
    expect(await seqsOf(bob)).to.deep.equal([1]);
    // Recorded again (a retried send): nothing doubles.
    await index.record(room, 1, sender, [ann, bob], at);
    expect(await seqsOf(ann)).to.deep.equal([1, 2]);
  });

  it("records the replies of one tick with one statement", async () => {
    const index = new PrismaReplyIndex(db.prisma, counting);
    const room = randomUUID();
    await Promise.all([index.record(room, 1, 2), index.record(room, 1, 3), index.record(room, 2, 4), index.record(room, 1, 3)]);
    expect(statements.filter((s) => s.includes('INSERT INTO "MessageReply"'))).to.have.length(1);
    expect(await index.list(room, 1, { limit: 10 })).to.deep.equal({ seqs: [2, 3], hasMore: false });
    expect((await index.list(room, 2, { limit: 10 })).seqs).to.deep.equal([4]);
  });
});
