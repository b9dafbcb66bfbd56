import { expect } from "chai";
import { GapRepair } from "../../packages/client/src/gap-repair.js";
import { resync, RoomTimeline, type ClientPayload, type Message } from "../../packages/client/src/index.js";
import { eventually } from "../helpers/eventually.js";
import { message, ROOM } from "./fixtures.js";

type SyncPayload = ClientPayload<"sync">;
type Position = { afterSeq: number; afterRev?: number };

/** A server of `rooms`, each with `count` messages, answering sync in pages of `page`. */
function fakeServer(rooms: Map<string, Message[]>, page = 100) {
  const asked: SyncPayload[] = [];
  const call = async (payload: SyncPayload) => {
    asked.push(structuredClone(payload));
    const answer: Record<string, { messages: Message[]; updated: Message[]; rev: number; hasMore: boolean; error?: { code: string; message: string } }> = {};
    for (const [roomId, at] of Object.entries(payload.rooms)) {
      const all = rooms.get(roomId);
      if (!all) {
        answer[roomId] = { messages: [], updated: [], rev: 0, hasMore: false, error: { code: "NOT_FOUND", message: "no such room" } };
        continue;
      }
      const from = typeof at === "number" ? at : at.afterSeq;
      const after = all.filter((m) => m.seq > from);
      answer[roomId] = { messages: after.slice(0, page), updated: [], rev: all.length, hasMore: after.length > page };
    }
    return { rooms: answer };
  };
  return { call, asked };
}

const roomId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const history = (room: string, n: number) => Array.from({ length: n }, (_, i) => message(i + 1, { roomId: room, id: `${room}:${i + 1}` }));

describe("client SDK: resync", () => {
  it("pages a room while it answers hasMore, each time from what is now held", async () => {
    const server = fakeServer(new Map([[ROOM, history(ROOM, 250)]]));
    const t = new RoomTimeline(ROOM);
    const report = await resync(server.call, [t]);
    expect(server.asked.map((p) => (p.rooms[ROOM] as Position).afterSeq)).to.deep.equal([0, 100, 200]);
    expect(t.messages().map((m) => m.seq)).to.deep.equal(history(ROOM, 250).map((m) => m.seq));
    expect(t.position()).to.deep.equal({ afterSeq: 250, afterRev: 250 });
    expect(report).to.include({ roundTrips: 3, messages: 250 });
  });

  it("asks for at most 200 rooms per call and sends each room's afterSeq and afterRev", async () => {
    const rooms = new Map(Array.from({ length: 450 }, (_, i) => [roomId(i + 10), history(roomId(i + 10), 1)]));
    const server = fakeServer(rooms);
    const timelines = [...rooms.keys()].map((id) => new RoomTimeline(id));
    await resync(server.call, timelines);
    expect(server.asked.map((p) => Object.keys(p.rooms).length)).to.deep.equal([200, 200, 50]);
    expect(server.asked[0]!.rooms[roomId(10)]).to.deep.equal({ afterSeq: 0, afterRev: 0 });
    expect(timelines.every((t) => t.lastSeq === 1)).to.equal(true);
  });

  it("reports a room the server refuses and goes on with the others", async () => {
    const server = fakeServer(new Map([[ROOM, history(ROOM, 3)]]));
    const gone = new RoomTimeline(roomId(99));
    const report = await resync(server.call, [gone, new RoomTimeline(ROOM)]);
    expect([...report.errors].map(([id, e]) => [id, e.code])).to.deep.equal([[roomId(99), "NOT_FOUND"]]);
    expect(report.messages).to.equal(3);
  });

  it("stops asking a room that answers hasMore without moving on", async () => {
    const call = async (payload: SyncPayload) => ({ rooms: Object.fromEntries(Object.keys(payload.rooms).map((id) => [id, { messages: [], rev: 0, hasMore: true }])) });
    const report = await resync(call, [new RoomTimeline(ROOM)]);
    expect(report.roundTrips).to.equal(1);
    expect(report.errors.get(ROOM)?.code).to.equal("PROTOCOL");
  });
});

describe("client SDK: gap repair", () => {
  it("fetches a gap that outlives the grace, and leaves alone one that closes by itself", async () => {
    const repaired: number[] = [];
    const gaps = new GapRepair(async (t) => {
      repaired.push(t.lastSeq);
      t.applyCatchUp({ messages: [message(2)], rev: 3 });
    }, 5);
    const closing = new RoomTimeline(ROOM);
    closing.applyCatchUp({ messages: [message(1)], rev: 1 });
    closing.apply([message(3)]);
    gaps.check(closing);
    closing.apply([message(2)]); // the interleaved one arrives within the grace
    const open = new RoomTimeline(ROOM);
    open.applyCatchUp({ messages: [message(1)], rev: 1 });
    open.apply([message(3)]);
    gaps.check(open);
    await eventually(() => repaired.length === 1, { what: "one repair" });
    expect(repaired).to.deep.equal([1]);
    expect(open.position()).to.deep.equal({ afterSeq: 3, afterRev: 3 });
    gaps.close();
  });

  it("fetches up to a seq the room list names beyond everything held", async () => {
    const gaps = new GapRepair(async (t) => void t.applyCatchUp({ messages: [message(2)], rev: 2 }), 5);
    const t = new RoomTimeline(ROOM);
    t.applyCatchUp({ messages: [message(1)], rev: 1 });
    expect(t.behind).to.equal(false);
    gaps.check(t, 2);
    await eventually(() => t.lastSeq === 2, { what: "the repair" });
    gaps.close();
  });
});
