// The feeder between the message hooks and the search index: batching, coalescing, retries.
import { expect } from "chai";
import { messageId, type Message } from "../../src/domain/message.js";
import type { MessageSearchIndex } from "../../src/domain/ports/message-search.js";
import { SearchIndexFeeder } from "../../src/domain/search-index-feeder.js";
import { eventually } from "../helpers/eventually.js";

const message = (seq: number, over: Partial<Message> = {}): Message => ({
  id: messageId("room-1", seq), roomId: "room-1", seq, rev: seq, senderId: "u", type: "text", text: `m${seq}`, attachments: [], reactions: [],
  clientMsgId: null, createdAt: "2026-11-23T10:00:00.000Z", ...over,
});

/** Records each batch it is given, and when (`at`, ms); fails the next `failures` batches. */
class RecordingIndex implements MessageSearchIndex {
  batches: Message[][] = [];
  at: number[] = [];
  failures = 0;
  async apply(messages: Message[]) {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("index unreachable");
    }
    this.batches.push(messages);
    this.at.push(Date.now());
  }
  async search() {
    return { hits: [], hasMore: false };
  }
  async close() {}
}

describe("SearchIndexFeeder", () => {
  it("writes what was put, in one batch, after the flush interval", async () => {
    const index = new RecordingIndex();
    const flushMs = 100;
    const feeder = new SearchIndexFeeder(index, { flushMs });
    const putAt = Date.now();
    feeder.put(message(1));
    feeder.put(message(2));
    expect(index.batches, "nothing is written synchronously").to.deep.equal([]);
    await eventually(() => index.batches.length > 0, { within: 5_000, what: "a batch" });
    expect(index.batches.map((b) => b.map((m) => m.seq))).to.deep.equal([[1, 2]]);
    expect(index.at[0]! - putAt, "written after the flush interval").to.be.at.least(flushMs - 2);
    await feeder.close();
  });

  it("keeps only the latest version of a message queued twice, and a deletion over anything", async () => {
    const index = new RecordingIndex();
    const feeder = new SearchIndexFeeder(index, { flushMs: 60_000 });
    feeder.put(message(1, { text: "v1", editedAt: "2026-11-23T10:00:02.000Z" }));
    feeder.put(message(1, { text: "v0" })); // arrives late, older
    feeder.put(message(2, { text: "", deletedAt: "2026-11-23T10:00:03.000Z" }));
    feeder.put(message(2, { text: "edited after?", editedAt: "2026-11-23T10:00:09.000Z" }));
    await feeder.flush();
    expect(index.batches.flat().map((m) => [m.seq, m.text])).to.deep.equal([[1, "v1"], [2, ""]]);
    await feeder.close();
  });

  it("writes full batches of 500 at once, the rest on the timer", async () => {
    const index = new RecordingIndex();
    const flushMs = 500;
    const feeder = new SearchIndexFeeder(index, { flushMs });
    const putAt = Date.now();
    for (let seq = 1; seq <= 1_200; seq++) feeder.put(message(seq));
    await eventually(() => index.batches.length >= 2, { within: 5_000, what: "full batches written without waiting for the timer" });
    expect(index.at[1]! - putAt, "full batches do not wait for the timer").to.be.below(flushMs);
    await eventually(() => index.batches.length === 3, { within: 5_000, what: "the rest, on the timer" });
    expect(index.at[2]! - index.at[1]!, "the rest waits for the timer").to.be.at.least(flushMs - 2);
    expect(index.batches.map((b) => b.length)).to.deep.equal([500, 500, 200]);
    await feeder.close();
  });

  it("retries a failed write, keeping newer versions that arrived meanwhile", async () => {
    const index = new RecordingIndex();
    const errors: string[] = [];
    const feeder = new SearchIndexFeeder(index, { flushMs: 10, onError: (_err, what) => errors.push(what) });
    index.failures = 1;
    feeder.put(message(1, { text: "first" }));
    await eventually(() => errors.length === 1, { within: 5_000, what: "the failed write" });
    feeder.put(message(1, { text: "second", editedAt: "2026-11-23T10:00:05.000Z" }));
    await eventually(() => index.batches.length === 1, { within: 5_000, what: "the retry" });
    expect(index.batches[0]!.map((m) => m.text)).to.deep.equal(["second"]);
    await feeder.close();
  });

  it("writes what is queued on close, and ignores puts after it", async () => {
    const index = new RecordingIndex();
    const feeder = new SearchIndexFeeder(index, { flushMs: 60_000 });
    feeder.put(message(1));
    await feeder.close();
    feeder.put(message(2));
    expect(index.batches.flat().map((m) => m.seq)).to.deep.equal([1]);
  });
});
