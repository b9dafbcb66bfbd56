import { expect } from "chai";
import { ChatError, MemoryOutboxStorage, Outbox, WebStorageOutbox, type Message, type OutboxItem, type WebStorageLike } from "../../packages/client/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { message, ROOM } from "./fixtures.js";

/** A transport whose every call waits until the test answers it. */
class FakeTransport {
  readonly calls: { item: OutboxItem; resolve: (m: Message) => void; reject: (e: unknown) => void }[] = [];
  readonly send = (item: OutboxItem) => new Promise<Message>((resolve, reject) => this.calls.push({ item: { ...item }, resolve, reject }));
  ids(): string[] {
    return this.calls.map((c) => c.item.clientMsgId);
  }
  /** Acks call `i` with a stored message carrying its clientMsgId. */
  ack(i: number, seq = i + 1): Message {
    const call = this.calls[i]!;
    const m = message(seq, { clientMsgId: call.item.clientMsgId, text: call.item.text });
    call.resolve(m);
    return m;
  }
}

/** localStorage's interface over a Map, as a page reload sees it: the same entries, a new Outbox. */
class FakeWebStorage implements WebStorageLike {
  readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("client SDK: outbox", () => {
  it("sends nothing until it is ready, then sends in queue order", async () => {
    const t = new FakeTransport();
    const outbox = new Outbox(t.send);
    outbox.send(ROOM, "one");
    outbox.send(ROOM, "two");
    expect(t.calls).to.have.length(0);
    outbox.setReady(true);
    expect(t.calls.map((c) => c.item.text)).to.deep.equal(["one", "two"]);
  });

  it("keeps a send (in storage too) until it is acknowledged", async () => {
    const t = new FakeTransport();
    const storage = new MemoryOutboxStorage();
    const outbox = new Outbox(t.send, { storage });
    outbox.setReady(true);
    const sent: Message[] = [];
    outbox.on("sent", (m) => sent.push(m));
    const { clientMsgId, acked } = outbox.send(ROOM, "hello", { mentionsRoom: true });
    expect(storage.load().map((i) => [i.clientMsgId, i.text, i.mentionsRoom])).to.deep.equal([[clientMsgId, "hello", true]]);
    const stored = t.ack(0);
    expect(await acked).to.deep.equal(stored);
    expect(outbox.size).to.equal(0);
    expect(storage.load()).to.deep.equal([]);
    expect(sent).to.deep.equal([stored]);
  });

  it("sends again with the same clientMsgId after the connection dropped before the ack", async () => {
    const t = new FakeTransport();
    const outbox = new Outbox(t.send);
    outbox.setReady(true);
    const { clientMsgId, acked } = outbox.send(ROOM, "hello");
    t.calls[0]!.reject(new ChatError("NOT_CONNECTED", "dropped"));
    await flush();
    expect(t.calls).to.have.length(1); // waits for the next ready (after the resync), no busy loop
    outbox.setReady(true);
    expect(t.ids()).to.deep.equal([clientMsgId, clientMsgId]);
    t.ack(1);
    expect((await acked).clientMsgId).to.equal(clientMsgId);
    expect(outbox.size).to.equal(0);
  });

  it("retries a timed-out or refused-for-now send after a backoff, with the same clientMsgId", async () => {
    const t = new FakeTransport();
    const outbox = new Outbox(t.send, { retry: { baseMs: 1, maxMs: 2 } });
    outbox.setReady(true);
    const { clientMsgId } = outbox.send(ROOM, "hello");
    t.calls[0]!.reject(new ChatError("TIMEOUT", "no ack"));
    await eventually(() => t.calls.length === 2, { what: "a second attempt" });
    t.calls[1]!.reject(new ChatError("RATE_LIMITED", "slow down"));
    await eventually(() => t.calls.length === 3, { what: "a third attempt" });
    expect(new Set(t.ids())).to.deep.equal(new Set([clientMsgId]));
    t.ack(2);
    await outbox.drained();
    expect(outbox.size).to.equal(0);
  });

  it("sets a refused send aside, tells why, and sends it again only on retry()", async () => {
    const t = new FakeTransport();
    const outbox = new Outbox(t.send);
    outbox.setReady(true);
    const failures: string[] = [];
    outbox.on("failed", (_item, err) => failures.push(err.code));
    const { clientMsgId, acked } = outbox.send(ROOM, "x".repeat(5000));
    t.calls[0]!.reject(new ChatError("VALIDATION", "text too long"));
    const refusal = await acked.then(() => null, (e: unknown) => e);
    expect(refusal).to.be.instanceOf(ChatError).with.property("code", "VALIDATION");
    expect(failures).to.deep.equal(["VALIDATION"]);
    expect(outbox.pending()[0]?.failed?.code).to.equal("VALIDATION");
    outbox.setReady(true);
    await outbox.drained(); // a failed item does not count as left to send
    expect(t.calls).to.have.length(1);
    outbox.retry(clientMsgId);
    expect(t.ids()).to.deep.equal([clientMsgId, clientMsgId]);
  });

  it("completes a send whose message arrived by another way (a resync), and ignores its late ack", async () => {
    const t = new FakeTransport();
    const outbox = new Outbox(t.send);
    outbox.setReady(true);
    const sent: string[] = [];
    outbox.on("sent", (m) => sent.push(m.clientMsgId!));
    const { clientMsgId, acked } = outbox.send(ROOM, "hello");
    const stored = message(7, { clientMsgId, text: "hello" });
    expect(outbox.delivered(message(8, { clientMsgId: "someone-else" }))).to.equal(false);
    expect(outbox.delivered(stored)).to.equal(true);
    expect(await acked).to.deep.equal(stored);
    t.calls[0]!.resolve(stored);
    await flush();
    expect(sent).to.deep.equal([clientMsgId]);
    expect(outbox.size).to.equal(0);
  });

  it("keeps at most maxInFlight sends waiting for their acks", async () => {
    const t = new FakeTransport();
    const outbox = new Outbox(t.send, { maxInFlight: 2 });
    outbox.setReady(true);
    for (const text of ["a", "b", "c", "d"]) outbox.send(ROOM, text);
    expect(t.calls.map((c) => c.item.text)).to.deep.equal(["a", "b"]);
    t.ack(0);
    await flush();
    expect(t.calls.map((c) => c.item.text)).to.deep.equal(["a", "b", "c"]);
  });

  it("survives a page reload in Web Storage: the same sends, same clientMsgIds, same order", async () => {
    const web = new FakeWebStorage();
    web.setItem("unrelated", "kept");
    const before = new Outbox(new FakeTransport().send, { storage: new WebStorageOutbox(web, "chat.outbox.u1.") });
    const queued = ["one", "two", "three"].map((text) => before.send(ROOM, text, { replyToSeq: 1 }).clientMsgId);
    before.close();

    const t = new FakeTransport();
    const after = new Outbox(t.send, { storage: new WebStorageOutbox(web, "chat.outbox.u1.") });
    expect(after.pending().map((i) => i.clientMsgId)).to.deep.equal(queued);
    after.setReady(true);
    expect(t.ids()).to.deep.equal(queued);
    expect(t.calls.map((c) => c.item.replyToSeq)).to.deep.equal([1, 1, 1]);
    t.ack(0);
    t.ack(1);
    t.ack(2);
    await after.drained();
    expect([...web.map.keys()]).to.deep.equal(["unrelated"]);
    // Another user's outbox in the same storage sees none of it.
    expect(new WebStorageOutbox(web, "chat.outbox.u2.").load()).to.deep.equal([]);
  });

  it("moves sends the old web client kept as one array into keys of their own, once, ahead of newer ones", async () => {
    const web = new FakeWebStorage();
    const old = [
      { roomId: ROOM, clientMsgId: "old-1", text: "first", createdAt: "2026-12-01T00:00:00.000Z", extras: { replyToSeq: 3, mentions: ["u9"] }, replyTo: { seq: 3, senderId: "u9", text: "q" } },
      { roomId: ROOM, clientMsgId: "old-2", text: "second", createdAt: "2026-12-01T00:00:01.000Z" },
      { clientMsgId: "damaged" },
    ];
    web.setItem("chat.outbox.u1", JSON.stringify(old));
    web.setItem("chat.outbox.u1.new-1", JSON.stringify({ roomId: ROOM, clientMsgId: "new-1", text: "newer", createdAt: "2026-12-02T00:00:00.000Z", order: 0 }));
    const t = new FakeTransport();
    const outbox = new Outbox(t.send, { storage: new WebStorageOutbox(web, "chat.outbox.u1.", "chat.outbox.u1") });
    expect(web.getItem("chat.outbox.u1")).to.equal(null);
    expect(outbox.pending().map((i) => [i.clientMsgId, i.text, i.replyToSeq, i.mentions])).to.deep.equal([
      ["old-1", "first", 3, ["u9"]],
      ["old-2", "second", undefined, undefined],
      ["new-1", "newer", undefined, undefined],
    ]);
    outbox.setReady(true);
    expect(t.ids()).to.deep.equal(["old-1", "old-2", "new-1"]);
    // Loaded again (another page load): moved once, nothing twice.
    expect(new WebStorageOutbox(web, "chat.outbox.u1.", "chat.outbox.u1").load().map((i) => i.clientMsgId).sort()).to.deep.equal(["new-1", "old-1", "old-2"]);
  });

  it("shows a send's last failure while it waits to be tried again, and retry() sends it at once", async () => {
    const t = new FakeTransport();
    const outbox = new Outbox(t.send, { retry: { baseMs: 60_000, maxMs: 60_000 } });
    outbox.setReady(true);
    let changes = 0;
    outbox.on("change", () => changes++);
    const { clientMsgId, acked } = outbox.send(ROOM, "hello");
    t.calls[0]!.reject(new ChatError("NETWORK", "the server cannot be reached"));
    await eventually(() => outbox.pending()[0]?.lastError?.code === "NETWORK", { what: "the failure noted" });
    expect(changes).to.equal(2);
    expect(outbox.pending()[0]?.failed).to.equal(undefined);
    outbox.retry(clientMsgId); // not a minute later: now
    expect(t.ids()).to.deep.equal([clientMsgId, clientMsgId]);
    t.ack(1);
    expect((await acked).clientMsgId).to.equal(clientMsgId);
    expect(outbox.size).to.equal(0);
    outbox.close();
  });

  it("queues a new send after reloaded ones", () => {
    const storage = new MemoryOutboxStorage();
    const first = new Outbox(new FakeTransport().send, { storage });
    first.send(ROOM, "old");
    const second = new Outbox(new FakeTransport().send, { storage });
    second.send(ROOM, "new");
    expect(second.pending().map((i) => i.text)).to.deep.equal(["old", "new"]);
  });
});
