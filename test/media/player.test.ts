// Listening together: a room's shared player across two nodes.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp, type TestUser } from "../helpers/api.js";
import { mediaEnv, postTrack, sineAudio, waitForTrack } from "../helpers/media.js";
import { groupWith } from "../helpers/rooms.js";
import { emitAck, nextEvent } from "../helpers/sockets.js";
import { describeTopologies, useCluster } from "../helpers/suite.js";

describeTopologies("shared player across two nodes", function (topology) {
  this.timeout(60_000);
  // One DATA_DIR for both nodes, as in production: either may run the upload's transcode.
  const { nodes, apis, connect } = useCluster(2, async () => ({ topology, env: await mediaEnv("postgres") }), { sharedDataDir: true });
  let a: TestUser;
  let b: TestUser;
  let outsider: TestUser;
  let roomId: string;
  let trackId: string;

  before(async () => {
    [a, b, outsider] = await Promise.all([signUp(apis[0], "A"), signUp(apis[0], "B"), signUp(apis[0], "Outsider")]);
    roomId = await groupWith(apis[0], a, [b]);
    trackId = (await postTrack(apis[0], a, await sineAudio(2))).body.track.id;
    expect((await waitForTrack(apis[1], b.accessToken, trackId)).status).to.equal("ready");
  });

  it("player:set acks the player and every joined socket on both nodes gets player:updated with the server time", async () => {
    const [sa, sb] = [await connect(nodes[0], a), await connect(nodes[1], b)];
    const sa2 = await connect(nodes[1], a);
    for (const s of [sa, sb, sa2]) expect((await emitAck(s, "room:join", { roomId })).ok).to.equal(true);
    const seen = [sb, sa2, sa].map((s) => nextEvent(s, "player:updated", (p: { roomId: string }) => p.roomId === roomId));
    const before = Date.now();
    const ack = await emitAck(sa, "player:set", { roomId, trackId, positionMs: 1500, playing: true });
    expect(ack.ok, JSON.stringify(ack)).to.equal(true);
    expect(ack.player).to.include({ roomId, trackId, positionMs: 1500, playing: true, updatedBy: a.id });
    const serverTime = Date.parse(ack.player.serverTime);
    expect(serverTime).to.be.within(before - 5_000, Date.now() + 5_000);
    for (const p of await Promise.all(seen)) {
      expect(p).to.deep.equal(ack.player);
    }
  });

  it("player:get on the other node returns the state with the position advanced while playing", async () => {
    const sa = await connect(nodes[0], a);
    const sb = await connect(nodes[1], b);
    await emitAck(sa, "player:set", { roomId, trackId, positionMs: 10_000, playing: true });
    const got = await emitAck(sb, "player:get", { roomId });
    expect(got.ok).to.equal(true);
    const elapsed = Date.parse(got.player.serverTime) - Date.now();
    expect(got.player).to.include({ roomId, trackId, playing: true });
    expect(got.player.positionMs).to.be.at.least(10_000).and.below(10_000 + 30_000 + Math.abs(elapsed));

    await emitAck(sb, "player:set", { roomId, trackId, positionMs: 4_000, playing: false });
    const paused = await emitAck(sa, "player:get", { roomId });
    expect(paused.player).to.include({ positionMs: 4_000, playing: false, updatedBy: b.id });
    expect((await emitAck(sa, "player:set", { roomId, trackId: null, positionMs: 0, playing: true })).player).to.include({ trackId: null, playing: false });
  });

  it("refuses non-members, unknown tracks and malformed payloads, and sends non-members nothing", async () => {
    const so = await connect(nodes[0], outsider);
    const sa = await connect(nodes[1], a);
    const sb = await connect(nodes[0], b); // a member on the outsider's node
    for (const s of [sa, sb]) expect((await emitAck(s, "room:join", { roomId })).ok).to.equal(true);
    expect((await emitAck(so, "room:join", { roomId })).error.code).to.equal("NOT_FOUND");
    const leaked: string[] = [];
    so.onAny((event: string) => leaked.push(event));
    expect((await emitAck(so, "player:set", { roomId, trackId, positionMs: 0, playing: true })).error.code).to.equal("NOT_FOUND");
    expect((await emitAck(so, "player:get", { roomId })).error.code).to.equal("NOT_FOUND");
    expect((await emitAck(sa, "player:set", { roomId, trackId: randomUUID(), positionMs: 0, playing: true })).error.code).to.equal("NOT_FOUND");
    for (const bad of [{ roomId }, { roomId, trackId, positionMs: -1, playing: true }, { roomId, trackId, positionMs: 0, playing: "yes" }, "x"]) {
      expect((await emitAck(sa, "player:set", bad)).error.code, JSON.stringify(bad)).to.equal("VALIDATION");
    }
    // A member's update afterwards reaches the members and not the outsider; the member on the
    // outsider's node is the barrier: a leak would be in the same broadcast.
    const members = [sa, sb].map((s) => nextEvent(s, "player:updated"));
    await emitAck(sa, "player:set", { roomId, trackId, positionMs: 1, playing: false });
    await Promise.all(members);
    expect(leaked).to.deep.equal([]);
    expect(sa.connected && so.connected).to.equal(true);
  });

  it("a room without a player answers player:get with null", async () => {
    const room = await groupWith(apis[0], a, [b], "Quiet");
    const sa = await connect(nodes[0], a);
    const got = await emitAck(sa, "player:get", { roomId: room });
    expect(got).to.deep.equal({ ok: true, player: null });
  });
});
