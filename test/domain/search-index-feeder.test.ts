// The feeder between the message hooks and the search index: batching, coalescing, retries.
import { expect } from "chai";
import { messageId, type Message } from "../../src/domain/message.js";
import type { MessageSearchIndex } from "../../src/domain/ports/message-search.js";
import { SearchIndexFeeder } from "../../src/domain/search-index-feeder.js";
import { until } from "../helpers/sockets.js";

const message = (seq: number, over: Partial<Message> = {}): Message => ({
  id: messageId("room-1", seq), roomId: "room-1", seq, senderId: "u", type: "text", text: `m${seq}`, attachments: [],
  clientMsgId: null, createdAt: "2026-11-23T10:00:00.000Z", ...over,
});

/** Records each batch it is given; fails the next `failures` batches. */
class RecordingIndex implements MessageSearchIndex {
  batches: Message[][] = [];
  failures = 0;
  async apply(messages: Message[]) {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("index unreachable");
    }
    this.batches.push(messages);
  }
  async search() {
    return { hits: [], hasMore: false };
  }
  async close() {}
}

describe("SearchIndexFeeder", () => {
  it("writes what was put, in one batch, after the flush interval", async () => {
    const index = new RecordingIndex();
    const feeder = new SearchIndexFeeder(index, { flushMs: 20 });
    feeder.put(message(1));
    feeder.put(message(2));
    expect(index.batches, "nothing is written synchronously").to.deep.equal([]);
    await until(() => index.batches.length > 0, 5_000, "a batch");
    expect(index.batches.map((b) => b.map((m) => m.seq))).to.deep.equal([[1, 2]]);
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
    const feeder = new SearchIndexFeeder(index, { flushMs: 60_000 });
    for (let seq = 1; seq <= 1_200; seq++) feeder.put(message(seq));
    await until(() => index.batches.length === 2, 5_000, "full batches written without waiting for the timer");
    await feeder.flush();
    expect(index.batches.map((b) => b.length)).to.deep.equal([500, 500, 200]);
    await feeder.close();
  });

  it("retries a failed write, keeping newer versions that arrived meanwhile", async () => {
    const index = new RecordingIndex();
    const errors: string[] = [];
    const feeder = new SearchIndexFeeder(index, { flushMs: 10, onError: (_err, what) => errors.push(what) });
    index.failures = 1;
    feeder.put(message(1, { text: "first" }));
    await until(() => errors.length === 1, 5_000, "the failed write");
    feeder.put(message(1, { text: "second", editedAt: "2026-11-23T10:00:05.000Z" }));
    await until(() => index.batches.length === 1, 5_000, "the retry");
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
