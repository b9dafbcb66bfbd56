// The per-node member cache (src/store/cached-rooms.ts) and the send mutes it carries: two caches
// on one bus stand for two nodes; the store behind them is the in-memory fake, counting its reads.
import { expect } from "chai";
import { withMemberCache } from "../../src/store/cached-rooms.js";
import { LocalBus } from "../../src/store/cluster-bus.js";
import { TestClock } from "../fakes/clock.js";
import { MemoryRoomRepository } from "../fakes/memory-room-repository.js";

const ANN = "00000001-0000-7000-8000-000000000001";
const BOB = "00000001-0000-7000-8000-000000000002";

async function twoNodes() {
  const store = new MemoryRoomRepository(new TestClock());
  const reads = { members: 0 };
  const members = store.members.bind(store);
  // On the instance: the cache binds the store's methods by name, and finds this one.
  store.members = (roomId) => (reads.members++, members(roomId));
  const room = await store.createGroup(ANN, "Team");
  store.addMember(room.id, BOB);
  const bus = new LocalBus();
  return { store, reads, roomId: room.id, a: withMemberCache(store, bus), b: withMemberCache(store, bus) };
}

describe("member cache (unit)", () => {
  it("answers the member and mute checks of every send from one read of the room while nobody changes it", async () => {
    const { reads, roomId, a } = await twoNodes();
    for (let i = 0; i < 10; i++) {
      expect(await a.isMember(roomId, BOB)).to.equal(true);
      expect(await a.mutedUntil(roomId, BOB)).to.equal(null);
    }
    expect(reads.members).to.equal(1);
  });

  it("a mute through one node is in force on the other at once, though the other had the room cached; so is the unmute", async () => {
    const { roomId, a, b } = await twoNodes();
    expect(await b.mutedUntil(roomId, BOB)).to.equal(null);
    const until = new Date(Date.now() + 60_000);
    expect(await a.setMutedUntil(roomId, BOB, until)).to.equal(true);
    expect((await b.mutedUntil(roomId, BOB))?.getTime()).to.equal(until.getTime());
    expect(await b.mutedUntil(roomId, ANN)).to.equal(null);
    await a.setMutedUntil(roomId, BOB, null);
    expect(await b.mutedUntil(roomId, BOB)).to.equal(null);
  });

  it("a removal through one node (leave, removal, ban) ends the membership on the other at once", async () => {
    const { roomId, a, b } = await twoNodes();
    expect(await b.isMember(roomId, BOB)).to.equal(true);
    await a.removeMember(roomId, BOB);
    expect(await b.isMember(roomId, BOB)).to.equal(false);
    expect(await b.memberIds(roomId)).to.deep.equal([ANN]);
  });

  it("shares one read among the sends that arrive while a room is being read, but not across a change", async () => {
    const { store, reads, roomId, a } = await twoNodes();
    const answers = await Promise.all(Array.from({ length: 20 }, () => a.isMember(roomId, BOB)));
    expect(answers).to.deep.equal(Array(20).fill(true));
    expect(reads.members).to.equal(1);

    // A removal while a read is under way: callers after the notice get a read of their own.
    const c = withMemberCache(store, new LocalBus());
    const during = c.isMember(roomId, BOB);
    await c.removeMember(roomId, BOB);
    expect(await c.isMember(roomId, BOB)).to.equal(false);
    expect(reads.members).to.equal(3);
    await during;
  });
});
