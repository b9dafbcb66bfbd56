// Which message store a node builds from MONGO_URL, and how a start with an unusable MongoDB ends.
// No MongoDB server can be installed here: the Mongo path is checked up to the connection (a closed
// port), and against a real server only when MONGO_URL is set.

import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { pino } from "pino";

import { openDatabase, type Database } from "../../src/store/database.js";
import { MessageBackendUnavailable, mongoHosts, openMessageBackend } from "../../src/store/message-backend.js";
import { MongoMessageSearch } from "../../src/store/mongo-message-search.js";
import { MongoMessageStore } from "../../src/store/mongo-message-store.js";
import { PgMessageSearch } from "../../src/store/pg-message-search.js";
import { PgMessageStore } from "../../src/store/pg-message-store.js";
import { startTestNode } from "../helpers/nodes.js";
import { mongoUrl, testDatabase } from "../helpers/services.js";

const silent = pino({ level: "silent" });

// Nothing listens on port 1; the URL's own timeout keeps the failure quick.
const CLOSED_MONGO = "mongodb://chat:not-this-password@127.0.0.1:1/chat?serverSelectionTimeoutMS=500";

/** A database that fails the test if the backend touches it: with MONGO_URL nothing may be built on PostgreSQL. */
const untouchableDb = new Proxy({} as Database, {
  get: (_t, prop) => {
    throw new Error(`the Mongo backend used the PostgreSQL database (${String(prop)})`);
  },
});

const failureOf = (p: Promise<unknown>) => p.then(() => expect.fail("expected the start to fail"), (err: unknown) => err as Error);

describe("message backend selection (MONGO_URL)", function () {
  this.timeout(30_000);

  it("without MONGO_URL: the PostgreSQL chunk store and search, working on the node's database", async () => {
    const db = await openDatabase({ databaseUrl: await testDatabase(), dataDir: "(unused with a database URL)", poolSize: 4 }, silent);
    try {
      const backend = await openMessageBackend({ mongoUrl: undefined }, db, silent);
      expect(backend.kind).to.equal("postgres");
      expect(backend.messages).to.be.instanceOf(PgMessageStore);
      expect(backend.search).to.be.instanceOf(PgMessageSearch);
      const roomId = randomUUID();
      const draft = { roomId, senderId: "u", type: "text" as const, text: "hello", attachments: [], clientMsgId: randomUUID() };
      const { message } = await backend.messages.append(draft, new Date());
      expect((await backend.messages.get(roomId, message.seq))?.text).to.equal("hello");
      await backend.ping();
      await backend.close();
    } finally {
      await db.close();
    }
  });

  it("with MONGO_URL: goes to MongoDB, never PostgreSQL, and fails with a clear message when MongoDB does not answer", async () => {
    const started = Date.now();
    const err = await failureOf(openMessageBackend({ mongoUrl: CLOSED_MONGO }, untouchableDb, silent));
    expect(err).to.be.instanceOf(MessageBackendUnavailable);
    expect(err.message).to.include("MONGO_URL").and.include("MongoDB at 127.0.0.1:1 cannot be used").and.include("ECONNREFUSED");
    expect(err.message, "credentials stay out of the message").to.not.include("not-this-password");
    // The URL's serverSelectionTimeoutMS wins over the 10 s default.
    expect(Date.now() - started).to.be.below(5_000);
  });

  it("a node configured with an unreachable MONGO_URL does not start (it must not fall back to PostgreSQL)", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "chat-test-"));
    try {
      const err = await failureOf(startTestNode({ dataDir, env: { MONGO_URL: CLOSED_MONGO } }));
      expect(err).to.be.instanceOf(MessageBackendUnavailable);
      expect(err.message).to.include("127.0.0.1:1");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("names a URL's hosts without its credentials", () => {
    expect(mongoHosts("mongodb://u:p@a:27017,b:27018/chat?replicaSet=rs0")).to.equal("a:27017,b:27018");
    expect(mongoHosts("mongodb+srv://u:p@cluster0.example.net/chat")).to.equal("cluster0.example.net");
    expect(mongoHosts("mongodb://mongo:27017/chat?replicaSet=rs0")).to.equal("mongo:27017");
    expect(mongoHosts("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500")).to.equal("127.0.0.1:1");
  });

  if (mongoUrl) {
    const url = mongoUrl;
    it("with MONGO_URL on a real MongoDB: the Mongoose store and search, answering ping", async () => {
      const backend = await openMessageBackend({ mongoUrl: url }, untouchableDb, silent);
      try {
        expect(backend.kind).to.equal("mongo");
        expect(backend.messages).to.be.instanceOf(MongoMessageStore);
        expect(backend.search).to.be.instanceOf(MongoMessageSearch);
        await backend.ping();
      } finally {
        await backend.close();
      }
    });
  } else {
    it("with MONGO_URL on a real MongoDB (needs MONGO_URL)", function () {
      console.log("    Mongo backend against a server SKIPPED: MONGO_URL not set (no MongoDB server can be installed here)");
      this.skip();
    });
  }
});
