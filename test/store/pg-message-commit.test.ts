// A group commit's appends and changes on PostgreSQL (src/store/pg-message-store.ts): a turn that
// holds both is one statement (message_commit), and a change to a message this process wrote last
// is planned without reading it (recent-messages.ts). Stale memory must never show: these tests
// change messages behind the store's back (a second store, as a second node) and check what it
// answers and what it stores.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { MessageDraft } from "../../src/domain/ports/message-store.js";
import type { PlainSql } from "../../src/store/database.js";
import { PgMessageStore } from "../../src/store/pg-message-store.js";
import { useNodeDatabases } from "../helpers/node-databases.js";

describe("PgMessageStore: appends and changes in one commit", function () {
  this.timeout(30_000);
  const nodes = useNodeDatabases(4);

  /** A store as a node opens it, with every statement of its commits (the `writes` pool) recorded. */
  async function writer() {
    const db = await nodes.open();
    const statements: string[] = [];
    const writes: PlainSql = { query: (text, params) => (statements.push(text), db.messageWrites!.query(text, params)) };
    const store = nodes.closing(new PgMessageStore(db.prisma, { writes }));
    return { store, statements, db };
  }

  const draft = (roomId: string, text: string, senderId = "ann"): MessageDraft => ({
    roomId, senderId, type: "text", text, attachments: [], clientMsgId: randomUUID(),
  });
  const now = () => new Date();
  const isRead = (sql: string) => sql.includes("coalesce(") && !sql.includes("message_");

  it("a turn with new messages and changes to recent ones is one statement, and every rev is taken once", async () => {
    const { store, statements } = await writer();
    const room = randomUUID();
    const first = await store.append(draft(room, "one"), now());
    await store.append(draft(room, "two"), now());
    statements.length = 0;
    // Submitted in one turn: they share the room's lane, so one commit.
    const [three, reacted, edited, four] = await Promise.all([
      store.append(draft(room, "three"), now()),
      store.change(room, 1, { kind: "react", emoji: "👍", userId: "bob", add: true }, now()),
      store.change(room, 2, { kind: "edit", text: "two, edited", by: "ann" }, now()),
      store.append(draft(room, "four"), now()),
    ]);
    expect(statements.filter((s) => s.includes("message_commit(")), "combined statements").to.have.length(1);
    expect(statements.filter(isRead), "reads of the changed messages").to.deep.equal([]);
    expect(statements, "statements of the turn").to.have.length(1);
    expect([three.message.seq, four.message.seq]).to.deep.equal([3, 4]);
    expect(reacted!.changed && edited!.changed).to.equal(true);
    const page = await store.page(room, { after: 0, limit: 10 });
    expect(page.messages.map((m) => m.text)).to.deep.equal(["one", "two, edited", "three", "four"]);
    expect(page.messages[0]!.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: ["bob"] }]);
    // Revs 1..6: two sends, then two sends and two changes, each a rev of its own.
    const revs = page.messages.map((m) => m.rev);
    expect(new Set(revs).size).to.equal(4);
    expect(Math.max(...revs)).to.equal(6);
    expect(first.message.rev).to.equal(1);
    const changes = await store.changes(room, { afterRev: 2, limit: 10 });
    expect(changes.rev).to.equal(6);
  });

  it("a change planned from what another node has since changed is written on top of it, not over it", async () => {
    const [a, b] = [await writer(), await writer()];
    const room = randomUUID();
    await a.store.append(draft(room, "hello"), now());
    // b (another node) reacts: a's memory of message 1 is now stale.
    await b.store.change(room, 1, { kind: "react", emoji: "🎉", userId: "cy", add: true }, now());
    const [edited] = await Promise.all([
      a.store.change(room, 1, { kind: "edit", text: "hello, edited", by: "ann" }, now()),
      a.store.append(draft(room, "more"), now()),
    ]);
    expect(edited!.message.text).to.equal("hello, edited");
    expect(edited!.message.reactions.map((r) => r.emoji)).to.deep.equal(["🎉"]);
    const [stored] = (await b.store.page(room, { after: 0, limit: 1 })).messages;
    expect(stored!.text).to.equal("hello, edited");
    expect(stored!.reactions.map((r) => r.emoji)).to.deep.equal(["🎉"]);
    expect((await b.store.changes(room, { afterRev: 0, limit: 10 })).rev).to.equal(4);
  });

  it("a change that would do nothing by its memory is answered from the database", async () => {
    const [a, b] = [await writer(), await writer()];
    const room = randomUUID();
    await a.store.append(draft(room, "hello"), now());
    await a.store.change(room, 1, { kind: "react", emoji: "👍", userId: "bob", add: true }, now());
    await b.store.change(room, 1, { kind: "edit", text: "changed on b", by: "ann" }, now());
    a.statements.length = 0;
    // By a's memory bob's second 👍 changes nothing; the answer must still be the message as it is.
    const again = await a.store.change(room, 1, { kind: "react", emoji: "👍", userId: "bob", add: true }, now());
    expect(again!.changed).to.equal(false);
    expect(again!.message.text).to.equal("changed on b");
    expect(a.statements.filter(isRead), "the read that checked it").to.have.length(1);
  });

  it("a reply's and a mention's index entries go in with the message, in its one statement", async () => {
    const { store, statements, db } = await writer();
    const room = randomUUID();
    const [ann, bob, cy] = [randomUUID(), randomUUID(), randomUUID()];
    await store.append(draft(room, "question", ann), now());
    statements.length = 0;
    const [answer, shout] = await Promise.all([
      store.append({ ...draft(room, "answer", bob), replyToSeq: 1 }, now()),
      store.append({ ...draft(room, "@bob @cy", ann), mentions: [bob, cy], mentioned: [bob, cy] }, now()),
    ]);
    expect(statements, "statements of the turn").to.have.length(1);
    expect(statements[0]).to.include("message_append(");
    const replies = await db.prisma.$queryRaw<{ toSeq: number; seq: number }[]>`SELECT "toSeq", seq FROM "MessageReply" WHERE "roomId" = ${room}`;
    expect(replies).to.deep.equal([{ toSeq: 1, seq: answer.message.seq }]);
    const mentions = await db.prisma.$queryRaw<{ userId: string; seq: number; senderId: string }[]>`
      SELECT "userId"::text, seq, "senderId"::text FROM "Mention" WHERE "roomId" = ${room} ORDER BY "userId"`;
    expect(mentions).to.deep.equal([bob, cy].sort().map((userId) => ({ userId, seq: shout.message.seq, senderId: ann })));
    // `mentioned` is the index's, not the message's.
    expect(shout.message).to.not.have.property("mentioned");
    expect((await store.get(room, shout.message.seq))!.mentions).to.deep.equal([bob, cy]);
  });

  it("a reply to a seq the room has not reached is refused alone; its batch is stored", async () => {
    const { store, statements } = await writer();
    const room = randomUUID();
    await store.append(draft(room, "first"), now());
    statements.length = 0;
    const outcomes = await Promise.allSettled([
      store.append(draft(room, "fine"), now()),
      store.append({ ...draft(room, "to nothing"), replyToSeq: 5 }, now()),
      // Seq 2 is "fine", planned just before it in the same batch.
      store.append({ ...draft(room, "to fine"), replyToSeq: 2 }, now()),
      store.append({ ...draft(room, "to zero"), replyToSeq: 0 }, now()),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled", "rejected"]);
    const errors = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as { code?: string; errors?: { path: string }[] }] : []));
    expect(errors.map((e) => [e.code, e.errors?.[0]?.path])).to.deep.equal([["VALIDATION", "replyToSeq"], ["VALIDATION", "replyToSeq"]]);
    expect(statements, "one statement: no retry for the refused ones").to.have.length(1);
    const page = await store.page(room, { after: 0, limit: 10 });
    expect(page.messages.map((m) => [m.seq, m.text, m.replyToSeq])).to.deep.equal([[1, "first", undefined], [2, "fine", undefined], [3, "to fine", 2]]);
  });

  it("only the sender edits or deletes, and not a deleted message: refused in the change itself", async () => {
    const { store } = await writer();
    const room = randomUUID();
    await store.append(draft(room, "mine"), now());
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "resolved";
    };
    expect(await refusal(store.change(room, 1, { kind: "edit", text: "not yours", by: "bob" }, now()))).to.equal("FORBIDDEN");
    expect(await refusal(store.change(room, 1, { kind: "delete", by: "bob" }, now()))).to.equal("FORBIDDEN");
    expect((await store.change(room, 1, { kind: "delete", by: "ann" }, now()))!.changed).to.equal(true);
    expect(await refusal(store.change(room, 1, { kind: "delete", by: "ann" }, now()))).to.equal("CONFLICT");
    expect(await refusal(store.change(room, 1, { kind: "edit", text: "back", by: "ann" }, now()))).to.equal("CONFLICT");
    // An operator's delete (no `by`) of a deleted message changes nothing and is not refused.
    expect((await store.change(room, 1, { kind: "delete" }, now()))!.changed).to.equal(false);
    const [m] = (await store.page(room, { after: 0, limit: 1 })).messages;
    expect(m!.text).to.equal("");
    expect(m!.rev).to.equal(2);
  });
});
