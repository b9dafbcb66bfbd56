// Where messages live, chosen once from config: MongoDB when MONGO_URL is set, otherwise the
// PostgreSQL chunk store in the database the node already uses (the embedded one included).
// Both adapters pass one contract suite; the rest of the node sees only the two ports.

import type { Connection } from "mongoose";

import type { MessageSearchIndex } from "../domain/ports/message-search.js";
import type { MessageStore } from "../domain/ports/message-store.js";
import type { Logger } from "../logger.js";
import { MESSAGE_WRITES_IN_FLIGHT, type Database } from "./database.js";
import type { CommitObserver } from "./group-commit.js";
import { PgMessageSearch } from "./pg-message-search.js";
import { PgMessageStore } from "./pg-message-store.js";

export type MessageBackendKind = "postgres" | "mongo";

export interface MessageBackend {
  kind: MessageBackendKind;
  messages: MessageStore;
  search: MessageSearchIndex;
  /** Rejects when the store's server does not answer (readiness). */
  ping(): Promise<void>;
  /** Closes what this backend opened; the PostgreSQL database stays the caller's. */
  close(): Promise<void>;
}

export interface MessageBackendOptions {
  /** MONGO_URL; absent: PostgreSQL. */
  mongoUrl: string | undefined;
  /** Told each group commit's timings (metrics; the MongoDB store appends one by one and has none). */
  commitObserver?: CommitObserver;
}

/** MongoDB was configured but cannot be used: the node must not start (and silently use PostgreSQL). */
export class MessageBackendUnavailable extends Error {}

export async function openMessageBackend(
  opts: MessageBackendOptions,
  db: Pick<Database, "prisma" | "sql" | "messageWrites" | "kind" | "ping">,
  log: Logger,
): Promise<MessageBackend> {
  if (opts.mongoUrl) return openMongo(opts.mongoUrl, log);
  // One connection on PGlite: batches in flight there would only queue.
  const messages = new PgMessageStore(db.prisma, {
    maxInFlight: db.kind === "embedded" ? 1 : MESSAGE_WRITES_IN_FLIGHT,
    writes: db.messageWrites,
    reads: db.sql,
    observer: opts.commitObserver,
  });
  // Search is fed after the fact, in batches, off the send path (docs/search.md).
  const search = new PgMessageSearch(db.prisma, db.sql);
  return {
    kind: "postgres",
    messages,
    search,
    ping: () => db.ping(),
    close: async () => {
      await search.close();
      await messages.close();
    },
  };
}

/** The hosts of a MongoDB URL without its credentials, for messages and logs. */
export function mongoHosts(url: string): string {
  return url.replace(/^mongodb(\+srv)?:\/\//i, "").replace(/^[^@/?]*@/, "").split(/[/?]/)[0] ?? "";
}

async function openMongo(url: string, log: Logger): Promise<MessageBackend> {
  // Loaded only here: mongoose costs every process 1.1–1.3 s of start-up, and without MONGO_URL
  // (the usual case) nothing of it runs.
  const [{ connectMongo, MongoMessageStore }, { MongoMessageSearch }] = await Promise.all([import("./mongo-message-store.js"), import("./mongo-message-search.js")]);
  const hosts = mongoHosts(url);
  let connection: Connection;
  try {
    connection = await connectMongo(url);
  } catch (err) {
    throw new MessageBackendUnavailable(
      `MONGO_URL is set but MongoDB at ${hosts} cannot be used (${(err as Error).message}); ` +
        `start it or fix MONGO_URL, or unset MONGO_URL to keep messages in PostgreSQL`,
      { cause: err },
    );
  }
  try {
    const hello = (await connection.db!.admin().command({ hello: 1 })) as { setName?: string; msg?: string };
    // The store's changes and chunk openings are transactions (see mongo-message-store.ts): its
    // init() refuses a standalone server with the way to start a one-member replica set.
    const topology = hello.setName ? "replica set" : hello.msg === "isdbgrid" ? "sharded" : "standalone";
    const messages = new MongoMessageStore(connection);
    const search = new MongoMessageSearch(connection);
    await messages.init();
    await search.init();
    const fields = { messageStore: "mongo", hosts, topology, replicaSet: hello.setName ?? null };
    log.info(fields, "messages are stored in MongoDB");
    return {
      kind: "mongo",
      messages,
      search,
      ping: async () => void (await connection.db!.admin().ping()),
      close: async () => {
        await search.close();
        await messages.close();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close().catch(() => {});
    throw new MessageBackendUnavailable(`MongoDB at ${hosts} answered but could not be prepared for messages: ${(err as Error).message}`, { cause: err });
  }
}
