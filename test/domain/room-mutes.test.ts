// Mutes (src/domain/room-mutes.ts) on the in-memory fakes: PROTOCOL.md "Accounts and rooms over
// their life". Ranks, the refusal of a muted member's sends with the time left, the end of a mute
// by the clock alone, unmuting, what a mute does not refuse (reactions, edits: sends only), and
// the notices.
import { expect } from "chai";
import type { Invalid } from "../../src/domain/errors.js";
import type { Message } from "../../src/domain/message.js";
import { editMessage, sendMessage } from "../../src/domain/messages.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { react } from "../../src/domain/reactions.js";
import { muteMember, refuseMutedOrBanned, unmuteMember } from "../../src/domain/room-mutes.js";
import { spokenDuration } from "../../src/domain/room-notices.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { group, refusal, users } from "../fakes/scenario.js";

describe("room mutes (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, dan: UserRecord;
  let team: RoomRecord;
  let sends = 0;

  const send = (who: UserRecord) => sendMessage(d, who.id, { roomId: team.id, clientMsgId: `c-${++sends}`, text: "hi" });
  const notices = () => (d.broadcaster.roomEvents("message:new", team.id) as Message[]).filter((m) => m.type === "system");

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat, dan] = await users(d, "Ann", "Bob", "Cat", "Dan");
    // Ann owns Team; Bob and Cat are admins; Dan is a member.
    team = await group(d, ann, [bob, cat, dan]);
    await d.rooms.setRole(team.id, bob.id, "admin");
    await d.rooms.setRole(team.id, cat.id, "admin");
    d.broadcaster.clear();
    d.feed.clear();
  });

  it("an admin mutes a member: their sends are FORBIDDEN with the time left, and nothing is stored or sent", async () => {
    const mute = await muteMember(d, bob.id, team.id, dan.id, 600);
    expect(mute.userId).to.equal(dan.id);
    expect(Date.parse(mute.until) - d.clock.nowMs()).to.be.within(599_000, 600_000);
    d.broadcaster.clear();
    const refused = await refusal(send(dan), "FORBIDDEN");
    expect(refused.message).to.match(/muted/).and.to.include("10 minutes").and.to.include(mute.until);
    expect(d.broadcaster.count).to.equal(0);
    expect(d.hooks.stored).to.have.length(1); // the notice alone
    // Others still send.
    expect((await send(cat)).created).to.equal(true);
  });

  it("ends by the clock alone: the time left shrinks, and past `until` the member sends again", async () => {
    await muteMember(d, ann.id, team.id, dan.id, 90);
    expect((await refusal(send(dan), "FORBIDDEN")).message).to.include("1 minute 30 seconds");
    d.clock.advance(60_000);
    expect((await refusal(send(dan), "FORBIDDEN")).message).to.include("30 seconds");
    d.clock.advance(30_000);
    expect((await send(dan)).created).to.equal(true);
  });

  it("muting again sets a new end, each with a notice by the admin", async () => {
    await muteMember(d, bob.id, team.id, dan.id, 60);
    await muteMember(d, cat.id, team.id, dan.id, 3_600);
    d.clock.advance(120_000);
    await refusal(send(dan), "FORBIDDEN");
    expect(notices().map((m) => [m.senderId, m.text])).to.deep.equal([
      [bob.id, "muted Dan for 1 minute"],
      [cat.id, "muted Dan for 1 hour"],
    ]);
    expect(d.feed.usersToldOf(team.id)).to.deep.equal([ann.id, bob.id, cat.id, dan.id].sort());
  });

  it("an unmute lets the member send at once, with a notice; unmuting someone not muted is a no-op", async () => {
    await muteMember(d, bob.id, team.id, dan.id, 600);
    await unmuteMember(d, cat.id, team.id, dan.id);
    await unmuteMember(d, cat.id, team.id, dan.id);
    await unmuteMember(d, cat.id, team.id, ann.id);
    expect((await send(dan)).created).to.equal(true);
    expect(notices().map((m) => [m.senderId, m.text])).to.deep.equal([
      [bob.id, "muted Dan for 10 minutes"],
      [cat.id, "unmuted Dan"],
    ]);
  });

  it("an expired mute is not unmuted again (no notice)", async () => {
    await muteMember(d, bob.id, team.id, dan.id, 5);
    d.clock.advance(5_000);
    await unmuteMember(d, bob.id, team.id, dan.id);
    expect(notices()).to.have.length(1);
  });

  describe("ranks", () => {
    it("an admin cannot mute the owner or another admin, nor lift an admin's mute; the owner can", async () => {
      await refusal(muteMember(d, bob.id, team.id, ann.id, 60), "FORBIDDEN");
      await refusal(muteMember(d, bob.id, team.id, cat.id, 60), "FORBIDDEN");
      await muteMember(d, ann.id, team.id, cat.id, 60);
      await refusal(send(cat), "FORBIDDEN");
      // Nor their own: only a higher rank lifts a mute.
      await refusal(unmuteMember(d, bob.id, team.id, cat.id), "FORBIDDEN");
      await refusal(unmuteMember(d, cat.id, team.id, cat.id), "FORBIDDEN");
      await unmuteMember(d, ann.id, team.id, cat.id);
      expect((await send(cat)).created).to.equal(true);
    });

    it("nobody mutes themselves (VALIDATION); a non-member target is NOT_FOUND; seconds out of range VALIDATION", async () => {
      const self = (await refusal(muteMember(d, bob.id, team.id, bob.id, 60), "VALIDATION")) as Invalid;
      expect(self.errors.map((e) => e.path)).to.deep.equal(["userId"]);
      const [eve] = await users(d, "Eve");
      await refusal(muteMember(d, bob.id, team.id, eve!.id, 60), "NOT_FOUND");
      for (const seconds of [0, -1, 1.5, 365 * 86_400 + 1]) {
        const bad = (await refusal(muteMember(d, bob.id, team.id, dan.id, seconds), "VALIDATION")) as Invalid;
        expect(bad.errors.map((e) => e.path)).to.deep.equal(["seconds"]);
      }
      expect(notices()).to.deep.equal([]);
    });
  });

  it("refuses sends only: a muted member still reacts and edits their own messages", async () => {
    const { message } = await send(dan);
    await muteMember(d, ann.id, team.id, dan.id, 600);
    expect(await react(d, dan.id, { roomId: team.id, seq: message.seq, emoji: "👍" }, true)).to.have.property("reactions");
    expect(await editMessage(d, dan.id, { roomId: team.id, messageId: message.id, text: "edited" })).to.include({ text: "edited" });
  });

  it("the send check of a member asks only what the member cache answers (isMember, mutedUntil): no room, membership or ban read", async () => {
    const read: string[] = [];
    for (const method of ["isMember", "mutedUntil", "membership", "find", "members", "findBan", "bans"] as const) {
      const original = d.rooms[method].bind(d.rooms) as (...a: unknown[]) => Promise<unknown>;
      (d.rooms as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => (read.push(method), original(...a));
    }
    await refuseMutedOrBanned(d, dan.id, team.id);
    expect(read).to.deep.equal(["isMember", "mutedUntil"]);
  });

  it("speaks durations as people do, two units at most", () => {
    expect([1, 59, 60, 61, 3_600, 5_400, 86_400 + 3_600 + 60, 0.2].map(spokenDuration)).to.deep.equal([
      "1 second",
      "59 seconds",
      "1 minute",
      "1 minute 1 second",
      "1 hour",
      "1 hour 30 minutes",
      "1 day 1 hour",
      "1 second",
    ]);
  });
});
