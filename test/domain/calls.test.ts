// Call signaling (src/domain/calls.ts) on the in-memory fakes: who may join, see and signal.
import { expect } from "chai";
import { CALL_MAX_PARTICIPANTS, callParticipants, connectionClosed, joinCall, leaveCall, relaySignal, SIGNAL_DATA_MAX_BYTES } from "../../src/domain/calls.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { leaveRoom } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, refusal, users } from "../fakes/scenario.js";

describe("calls (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  const signal = (from: UserRecord, conn: string, to: UserRecord, data: unknown = { sdp: "v=0" }) =>
    relaySignal(d, from.id, conn, { roomId: team.id, toUserId: to.id, kind: "offer", data });

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat, eve] = await users(d, "Ann", "Bob", "Cat", "Eve");
    team = await group(d, ann, [bob, cat]);
  });

  describe("access", () => {
    it("a non-member can neither join, list nor signal: NOT_FOUND, as for a room that does not exist", async () => {
      await joinCall(d, ann.id, "ann-1", team.id);
      d.broadcaster.clear();
      const stranger = await refusal(joinCall(d, eve.id, "eve-1", team.id), "NOT_FOUND");
      const missing = await refusal(joinCall(d, eve.id, "eve-1", UNKNOWN_ID), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
      await refusal(callParticipants(d, eve.id, team.id), "NOT_FOUND");
      await refusal(signal(eve, "eve-1", ann), "NOT_FOUND");
      expect(await callParticipants(d, ann.id, team.id)).to.deep.equal([ann.id]);
      expect(d.broadcaster.count + d.callRelay.deliveries.length).to.equal(0);
    });

    it("a member not in the call may not signal: FORBIDDEN", async () => {
      await joinCall(d, ann.id, "ann-1", team.id);
      await refusal(signal(bob, "bob-1", ann), "FORBIDDEN");
      expect(d.callRelay.deliveries).to.deep.equal([]);
    });

    it("a member in the call from another connection may not signal from this one: FORBIDDEN", async () => {
      await joinCall(d, ann.id, "ann-1", team.id);
      await joinCall(d, bob.id, "bob-1", team.id);
      await refusal(signal(bob, "bob-2", ann), "FORBIDDEN");
    });

    it("a member removed mid-call can still hang up", async () => {
      await joinCall(d, bob.id, "bob-1", team.id);
      await leaveRoom(d, bob.id, team.id);
      await leaveCall(d, bob.id, "bob-1", team.id);
      expect(await callParticipants(d, ann.id, team.id)).to.deep.equal([]);
    });
  });

  describe("joining and leaving", () => {
    it("joining announces call:updated with the participants in order of arrival", async () => {
      expect(await joinCall(d, ann.id, "ann-1", team.id)).to.deep.equal([ann.id]);
      expect(await joinCall(d, bob.id, "bob-1", team.id)).to.deep.equal([ann.id, bob.id]);
      expect(d.broadcaster.roomEvents("call:updated", team.id)).to.deep.equal([
        { roomId: team.id, participants: [ann.id] },
        { roomId: team.id, participants: [ann.id, bob.id] },
      ]);
    });

    it("a second connection of a participant changes nothing to announce", async () => {
      await joinCall(d, ann.id, "ann-1", team.id);
      d.broadcaster.clear();
      expect(await joinCall(d, ann.id, "ann-2", team.id)).to.deep.equal([ann.id]);
      await leaveCall(d, ann.id, "ann-1", team.id);
      expect(d.broadcaster.count).to.equal(0);
      expect(await callParticipants(d, ann.id, team.id)).to.deep.equal([ann.id]);
    });

    it(`a call holds at most ${CALL_MAX_PARTICIPANTS} users: the next is CONFLICT`, async () => {
      const more = await users(d, "Dan", "Fay");
      for (const u of more) d.rooms.addMember(team.id, u.id);
      for (const u of [ann, bob, cat, more[0]!]) await joinCall(d, u.id, `${u.id}-1`, team.id);
      await refusal(joinCall(d, more[1]!.id, "fay-1", team.id), "CONFLICT");
      expect(await joinCall(d, ann.id, "ann-again", team.id), "a participant's other device still joins").to.have.length(CALL_MAX_PARTICIPANTS);
    });

    it("a closed connection leaves every call it was in", async () => {
      const other = await group(d, ann, [], "Other");
      await joinCall(d, ann.id, "ann-1", team.id);
      await joinCall(d, ann.id, "ann-1", other.id);
      d.broadcaster.clear();
      await connectionClosed(d, ann.id, "ann-1");
      expect(d.broadcaster.roomEvents("call:updated").length).to.equal(2);
      expect(await callParticipants(d, ann.id, team.id)).to.deep.equal([]);
    });
  });

  describe("signaling", () => {
    beforeEach(async () => {
      await joinCall(d, ann.id, "ann-1", team.id);
      await joinCall(d, bob.id, "bob-1", team.id);
      await joinCall(d, bob.id, "bob-2", team.id);
    });

    it("relays to every connection of the addressee in the call", async () => {
      await signal(ann, "ann-1", bob, { sdp: "offer" });
      expect(d.callRelay.deliveries).to.deep.equal([
        { connectionIds: ["bob-1", "bob-2"], signal: { roomId: team.id, fromUserId: ann.id, kind: "offer", data: { sdp: "offer" } } },
      ]);
    });

    it("a signal to oneself is VALIDATION; to a user not in the call NOT_FOUND", async () => {
      await refusal(signal(ann, "ann-1", ann), "VALIDATION");
      await refusal(signal(ann, "ann-1", cat), "NOT_FOUND");
      expect(d.callRelay.deliveries).to.deep.equal([]);
    });

    it(`signal data over ${SIGNAL_DATA_MAX_BYTES} bytes is PAYLOAD_TOO_LARGE`, async () => {
      await refusal(signal(ann, "ann-1", bob, "x".repeat(SIGNAL_DATA_MAX_BYTES)), "PAYLOAD_TOO_LARGE");
      await signal(ann, "ann-1", bob, "x".repeat(SIGNAL_DATA_MAX_BYTES - 2));
      expect(d.callRelay.deliveries).to.have.length(1);
    });
  });
});
