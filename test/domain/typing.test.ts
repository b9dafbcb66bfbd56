// Typing indicators (src/domain/typing.ts) on the in-memory fakes: who hears it, and how often.
import { expect } from "chai";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { reportTyping, TypingThrottle } from "../../src/domain/typing.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, refusal, users } from "../fakes/scenario.js";

describe("typing (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  let throttle: TypingThrottle;
  const at = (ms: number) => () => ms;

  beforeEach(async () => {
    d = fakeDeps();
    [ann, eve] = await users(d, "Ann", "Eve");
    team = await group(d, ann);
    throttle = new TypingThrottle();
  });

  it("a non-member is refused NOT_FOUND, as for a room that does not exist, and nothing is sent", async () => {
    const stranger = await refusal(reportTyping(d, eve.id, { roomId: team.id, isTyping: true }, throttle), "NOT_FOUND");
    const missing = await refusal(reportTyping(d, eve.id, { roomId: UNKNOWN_ID, isTyping: true }, throttle), "NOT_FOUND");
    expect(stranger.message).to.equal(missing.message);
    expect(d.broadcaster.count).to.equal(0);
  });

  it("goes to the room without the typist's own sockets", async () => {
    await reportTyping(d, ann.id, { roomId: team.id, isTyping: true }, throttle, at(10_000));
    expect(d.broadcaster.toRooms).to.deep.equal([
      { roomId: team.id, event: "typing", payload: { roomId: team.id, userId: ann.id, isTyping: true }, exceptUserId: ann.id },
    ]);
  });

  it("repeats within 2 s are dropped; 'stopped' always goes out and ends the quiet period", async () => {
    const typing = (isTyping: boolean, ms: number) => reportTyping(d, ann.id, { roomId: team.id, isTyping }, throttle, at(ms));
    await typing(true, 10_000);
    await typing(true, 11_999);
    await typing(true, 12_000);
    await typing(false, 12_001);
    await typing(true, 12_002);
    expect(d.broadcaster.roomEvents("typing").map((p) => (p as { isTyping: boolean }).isTyping)).to.deep.equal([true, true, false, true]);
  });
});
