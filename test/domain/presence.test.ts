// Presence use cases (src/domain/presence.ts) on the in-memory fakes: who is told, and when.
import { expect } from "chai";
import { PresenceFanout, setAway, socketConnected, socketDisconnected, type PresenceDeps } from "../../src/domain/presence.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { MemoryPresenceTracker } from "../fakes/memory-presence-tracker.js";
import { group, users } from "../fakes/scenario.js";

describe("presence (unit)", () => {
  let d: FakeDeps;
  let p: PresenceDeps;
  let tracker: MemoryPresenceTracker;
  let errors: unknown[];
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, eve: UserRecord;
  const told = () => d.broadcaster.toUserCalls.map((c) => ({ to: [...c.userIds].sort(), ...(c.payload as { userId: string; status: string }) })).map(({ to, userId, status }) => ({ to, userId, status }));

  beforeEach(async () => {
    d = fakeDeps();
    errors = [];
    tracker = new MemoryPresenceTracker(() => d.clock.nowMs());
    p = { presenceTracker: tracker, presenceFanout: new PresenceFanout({ ...d, presenceTracker: tracker, onError: (err) => errors.push(err) }) };
    [ann, bob, cat, eve] = await users(d, "Ann", "Bob", "Cat", "Eve");
    // Bob is Ann's friend, Cat shares a room with her, Eve has nothing to do with her.
    await d.friends.createRequest(ann.id, bob.id).then((r) => d.friends.respond(r.id, "accepted", d.clock.now()));
    await group(d, ann, [cat]);
  });

  afterEach(() => expect(errors).to.deep.equal([]));

  it("tells friends and room peers, never strangers or the user, when a user comes online and goes offline", async () => {
    await socketConnected(p, ann.id, "s1");
    await socketDisconnected(p, ann.id, "s1");
    expect(told()).to.deep.equal([
      { to: [bob.id, cat.id].sort(), userId: ann.id, status: "online" },
      { to: [bob.id, cat.id].sort(), userId: ann.id, status: "offline" },
    ]);
    expect(JSON.stringify(d.broadcaster.toUserCalls)).to.not.include(eve.id);
  });

  it("a second device changes nothing; only the last one going makes the user offline", async () => {
    await socketConnected(p, ann.id, "s1");
    await socketConnected(p, ann.id, "s2");
    await socketDisconnected(p, ann.id, "s1");
    expect(told().map((t) => t.status)).to.deep.equal(["online"]);
    await socketDisconnected(p, ann.id, "s2");
    expect(told().map((t) => t.status)).to.deep.equal(["online", "offline"]);
  });

  it("away only when every device says away", async () => {
    await socketConnected(p, ann.id, "s1");
    await socketConnected(p, ann.id, "s2");
    expect(await setAway(p, ann.id, "s1", true)).to.equal("online");
    expect(await setAway(p, ann.id, "s2", true)).to.equal("away");
    await p.presenceFanout.idle();
    expect(told().map((t) => t.status)).to.deep.equal(["online", "away"]);
  });

  it("a user nobody knows is told to nobody", async () => {
    await socketConnected(p, eve.id, "s1");
    expect(d.broadcaster.toUserCalls).to.deep.equal([]);
  });

  it("a change overtaken by a newer one before it went out is dropped: only the current status is told", async () => {
    const connected = socketConnected(p, ann.id, "s1");
    const disconnected = socketDisconnected(p, ann.id, "s1");
    await Promise.all([connected, disconnected]);
    await p.presenceFanout.idle();
    // The online change, looked up after the disconnect, is dropped; only the offline one goes out.
    expect(told().map((t) => t.status)).to.deep.equal(["offline"]);
  });
});
