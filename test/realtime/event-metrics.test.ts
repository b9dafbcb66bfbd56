// Per-phase metrics of acked socket events (src/metrics.ts, docs/metrics.md): every message sent
// moves each phase's histogram by exactly one, and the store's and broadcaster's own histograms
// account for the same messages.
import { randomUUID } from "node:crypto";

import { expect } from "chai";

import { signUp } from "../helpers/api.js";
import { emitAck } from "../helpers/sockets.js";
import { useNode } from "../helpers/suite.js";

/** The value of each sample line `name{labels} value` of a Prometheus text page, by its full name with labels. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe("per-phase metrics of socket events", function () {
  this.timeout(30_000);
  const { node, api, connect } = useNode();
  const scrape = async () => samples(await (await fetch(`${node.url}/metrics`)).text());

  it("each message:send moves every phase by one, and the commit and broadcast histograms by the same messages", async () => {
    const alice = await signUp(api, "Alice");
    const roomId = (await api.post("/api/rooms", { type: "group", name: "Metrics" }, alice.accessToken)).body.room.id as string;
    const socket = await connect(node, alice);
    // One send first, so every series exists before the baseline is read.
    expect((await emitAck(socket, "message:send", { roomId, clientMsgId: randomUUID(), text: "warm" })).ok).to.equal(true);
    const before = await scrape();
    const sends = 25;
    const acks = await Promise.all(Array.from({ length: sends }, (_, i) => emitAck(socket, "message:send", { roomId, clientMsgId: randomUUID(), text: `m${i}` })));
    expect(acks.every((a) => a.ok)).to.equal(true);
    const bad = await emitAck(socket, "message:send", { roomId, clientMsgId: randomUUID(), text: 42 });
    expect(bad.error.code).to.equal("VALIDATION");
    const after = await scrape();
    const rose = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

    expect(rose('socketio_event_duration_seconds_count{event="message:send",outcome="ok"}')).to.equal(sends);
    expect(rose('socketio_event_duration_seconds_count{event="message:send",outcome="VALIDATION"}')).to.equal(1);
    // The refused payload was validated and acked, never handled.
    expect(rose('socketio_event_phase_seconds_count{event="message:send",phase="validate"}')).to.equal(sends + 1);
    expect(rose('socketio_event_phase_seconds_count{event="message:send",phase="handler"}')).to.equal(sends);
    expect(rose('socketio_event_phase_seconds_count{event="message:send",phase="ack"}')).to.equal(sends + 1);
    expect(rose("chat_message_commit_wait_seconds_count")).to.equal(sends);
    expect(rose("chat_message_commit_batch_size_sum"), "the batches hold exactly the sends").to.equal(sends);
    expect(rose("chat_message_commit_seconds_count")).to.equal(rose("chat_message_commit_batch_size_count")).and.to.be.within(1, sends);
    expect(rose('chat_broadcast_seconds_count{event="message:new"}')).to.equal(sends);
    // A phase never takes longer than the whole.
    const sum = (name: string) => rose(name);
    expect(sum('socketio_event_phase_seconds_sum{event="message:send",phase="handler"}')).to.be.at.most(sum('socketio_event_duration_seconds_sum{event="message:send",outcome="ok"}'));
  });
});

describe("per-phase metrics switched off (METRICS_PHASES=false)", function () {
  this.timeout(30_000);
  const { node, api, connect } = useNode({ env: { METRICS_PHASES: "false" } });

  it("leaves the message path untimed: sends are stored and counted, no event, phase, commit or broadcast is observed", async () => {
    const alice = await signUp(api, "Alice");
    const roomId = (await api.post("/api/rooms", { type: "group", name: "Untimed" }, alice.accessToken)).body.room.id as string;
    const socket = await connect(node, alice);
    const acks = await Promise.all(Array.from({ length: 5 }, (_, i) => emitAck(socket, "message:send", { roomId, clientMsgId: randomUUID(), text: `m${i}` })));
    expect(acks.every((a) => a.ok)).to.equal(true);
    const page = samples(await (await fetch(`${node.url}/metrics`)).text());
    expect(page.get("chat_messages_sent_total")).to.be.at.least(5);
    const timed = [...page].filter(([name, value]) => /^(socketio_event_|chat_message_commit|chat_broadcast_)\w*_count/.test(name) && value > 0);
    expect(timed).to.deep.equal([]);
  });
});
