// PgMessageStore with several writers on one database, as with several nodes: each store plans a
// room's next batch from the head its own last batch left (message-head-cache.ts) and its batch
// statement checks that nobody moved it. These tests make the others move it.

import { randomUUID } from "node:crypto";

import { expect } from "chai";
import pg from "pg";

import type { MessageDraft } from "../../src/domain/ports/message-store.js";
import { PgMessageStore } from "../../src/store/pg-message-store.js";
import { eventually } from "../helpers/eventually.js";
import { useNodeDatabases } from "../helpers/node-databases.js";

describe("PgMessageStore: several writers on one PostgreSQL", function () {
  this.timeout(30_000);
  const nodes = useNodeDatabases(4);

  /** A store on pools of its own, opened as a node opens them. */
  async function writer(options: ConstructorParameters<typeof PgMessageStore>[1] = {}) {
    const db = await nodes.open();
    return nodes.closing(new PgMessageStore(db.prisma, { writes: db.messageWrites, ...options }));
  }

  const draft = (roomId: string, text: string, clientMsgId: string | null = randomUUID()): MessageDraft => ({
    roomId, senderId: "u", type: "text", text, attachments: [], clientMsgId,
  });

  it("two writers taking turns in one room: every message once, seqs without gaps", async () => {
    const [a, b] = await Promise.all([writer({ limits: { maxCount: 7 } }), writer({ limits: { maxCount: 7 } })]);
    const room = randomUUID();
    const texts: string[] = [];
    // Turns, so each writer's remembered head is always stale; then both at once.
    for (let i = 0; i < 20; i++) {
      texts.push(`t${i}`);
      await (i % 2 ? b : a).append(draft(room, `t${i}`), new Date());
    }
    const burst = Array.from({ length: 60 }, (_, i) => `c${i}`);
    texts.push(...burst);
    await Promise.all(burst.map((t, i) => (i % 2 ? b : a).append(draft(room, t), new Date())));
    const page = await a.page(room, { after: 0, limit: 100 });
    expect(page.messages.map((m) => m.seq)).to.deep.equal(texts.map((_, i) => i + 1));
    expect(page.messages.map((m) => m.text).sort()).to.deep.equal([...texts].sort());
  });

  it("a clientMsgId retried through the other writer returns the original and takes no seq", async () => {
    const [a, b] = await Promise.all([writer(), writer()]);
    const room = randomUUID();
    await b.append(draft(room, "warm b"), new Date());
    const first = await a.append(draft(room, "once", "retry-1"), new Date());
    const again = await b.append(draft(room, "once", "retry-1"), new Date());
    expect(again.created).to.equal(false);
    expect(again.message.seq).to.equal(first.message.seq);
    const next = await b.append(draft(room, "after"), new Date());
    expect(next.message.seq).to.equal(first.message.seq + 1);
  });

  it("an edit that commits while a batch folds its chunk is not lost", async () => {
    const store = await writer({ limits: { maxCount: 5 }, foldSpread: 0 });
    const room = randomUUID();
    for (let i = 1; i <= 5; i++) await store.append(draft(room, `m${i}`), new Date());
    // The chunk is full; the next append folds its tail rows 1–5 into a chunk row. Meanwhile
    // another connection edits message 3 the way edits do: head lock first, then the tail row.
    const editor = new pg.Client({ connectionString: nodes.url() });
    await editor.connect();
    try {
      await editor.query("BEGIN");
      await editor.query(`SELECT 1 FROM "MessageHead" WHERE "roomId" = $1 FOR NO KEY UPDATE`, [room]);
      await editor.query(`UPDATE "MessageTail" SET message = message || '{"text":"edited"}'::jsonb WHERE "roomId" = $1 AND seq = 3`, [room]);
      const folding = store.append(draft(room, "m6"), new Date());
      // The batch (planned from the remembered head, no lock taken before it) has started and
      // waits for the head lock: it began before the edit committed.
      await eventually(
        async () => {
          const { rowCount } = await editor.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%message_append(%'`);
          expect(rowCount, "batch statements waiting for a lock").to.be.above(0);
        },
        { within: 10_000, every: 20, what: "the batch statement to wait for the head lock" },
      );
      await editor.query("COMMIT");
      expect((await folding).message.seq).to.equal(6);
    } finally {
      await editor.end();
    }
    const page = await store.page(room, { after: 0, limit: 10 });
    expect(page.messages.map((m) => m.text)).to.deep.equal(["m1", "m2", "edited", "m4", "m5", "m6"]);
    const [chunk] = await (await nodes.open()).prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "MessageChunk" WHERE "roomId" = ${room}`;
    expect(chunk!.n).to.equal(1);
  });
});
