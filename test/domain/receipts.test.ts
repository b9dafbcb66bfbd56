// Read receipts taken in batches (src/domain/receipts.ts) on the in-memory fakes: the receipts of
// one turn share one read of their rooms' heads, each cursor moves once to the newest seq asked,
// and a receipt at or below what the node knows a room has reached (from a head read, or from a
// message it stored) reads no head at all.
import { expect } from "chai";
import { sendMessage } from "../../src/domain/messages.js";
import { markRead } from "../../src/domain/receipts.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("read receipts in batches (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord;
  let team: RoomRecord, club: RoomRecord;
  /** The room ids of each heads() call. */
  let headReads: string[][];

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat] = await users(d, "Ann", "Bob", "Cat");
    team = await group(d, ann, [bob, cat]);
    club = await group(d, ann, [bob, cat]);
    headReads = [];
    const heads = d.messages.heads.bind(d.messages);
    d.messages.heads = (roomIds) => (headReads.push([...roomIds].sort()), heads(roomIds));
  });

  it("receipts of one turn, several readers and rooms: one head read for them all, each cursor at its newest seq, one receipt:updated per cursor", async () => {
    await messagesIn(d, team.id, ann, 9);
    await messagesIn(d, club.id, ann, 4);
    const asked = [
      { who: bob, room: team, seq: 3 }, { who: bob, room: team, seq: 8 }, { who: cat, room: team, seq: 5 },
      { who: bob, room: club, seq: 4 }, { who: bob, room: team, seq: 6 }, { who: cat, room: club, seq: 2 },
    ];
    const answers = await Promise.all(asked.map((r) => markRead(d, r.who.id, r.room.id, r.seq)));
    expect(answers).to.deep.equal([8, 8, 5, 4, 8, 2]);
    expect(headReads).to.deep.equal([[team.id, club.id].sort()]);
    expect(d.broadcaster.roomEvents("receipt:updated", team.id)).to.have.deep.members([
      { roomId: team.id, userId: bob.id, lastReadSeq: 8 },
      { roomId: team.id, userId: cat.id, lastReadSeq: 5 },
    ]);
    expect(d.broadcaster.roomEvents("receipt:updated", club.id)).to.have.deep.members([
      { roomId: club.id, userId: bob.id, lastReadSeq: 4 },
      { roomId: club.id, userId: cat.id, lastReadSeq: 2 },
    ]);
    expect(d.broadcaster.count).to.equal(4);
  });

  it("a receipt at or below what the room is known to have reached reads no head; past it, the head is read again and still clamps", async () => {
    await messagesIn(d, team.id, ann, 5);
    expect(await markRead(d, bob.id, team.id, 5)).to.equal(5);
    expect(headReads).to.have.length(1);
    expect(await markRead(d, cat.id, team.id, 4)).to.equal(4);
    expect(await markRead(d, bob.id, team.id, 3), "behind the cursor").to.equal(5);
    expect(headReads, "no read for seqs the room has reached").to.have.length(1);
    await messagesIn(d, team.id, ann, 2);
    expect(await markRead(d, cat.id, team.id, 1_000), "past the last message").to.equal(7);
    expect(headReads).to.have.length(2);
    expect((await d.rooms.membership(team.id, cat.id))?.lastReadSeq).to.equal(7);
  });

  it("receipts of messages this node stored read no head (its sends say how far the room goes); a seq past them still does, and is clamped", async () => {
    for (const text of ["one", "two", "three"]) await sendMessage(d, ann.id, { roomId: team.id, clientMsgId: text, text });
    expect(await Promise.all([markRead(d, bob.id, team.id, 3), markRead(d, cat.id, team.id, 2)])).to.deep.equal([3, 2]);
    expect(headReads, "no head read for seqs this node stored").to.deep.equal([]);
    expect(await markRead(d, cat.id, team.id, 99), "past the last message").to.equal(3);
    expect(headReads).to.deep.equal([[team.id]]);
  });

  it("a cursor never moves back, whichever receipt of a turn comes first", async () => {
    await messagesIn(d, team.id, ann, 6);
    await markRead(d, bob.id, team.id, 6);
    d.broadcaster.clear();
    const answers = await Promise.all([2, 6, 1].map((seq) => markRead(d, bob.id, team.id, seq)));
    expect(answers).to.deep.equal([6, 6, 6]);
    expect(d.broadcaster.count).to.equal(0);
    expect((await d.rooms.membership(team.id, bob.id))?.lastReadSeq).to.equal(6);
  });

  it("a failed head read fails its batch only: the next receipts go through", async () => {
    await messagesIn(d, team.id, ann, 3);
    const heads = d.messages.heads;
    d.messages.heads = async () => {
      throw new Error("database down");
    };
    const failed = await Promise.allSettled([markRead(d, bob.id, team.id, 2), markRead(d, cat.id, team.id, 3)]);
    expect(failed.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
    d.messages.heads = heads;
    expect(await markRead(d, bob.id, team.id, 2)).to.equal(2);
    expect((await d.rooms.membership(team.id, cat.id))?.lastReadSeq).to.equal(0);
  });

  it("a non-member is refused before any batch, and the members of the same turn are answered", async () => {
    const [eve] = await users(d, "Eve");
    await messagesIn(d, team.id, ann, 2);
    const [mine, theirs] = await Promise.allSettled([markRead(d, bob.id, team.id, 2), markRead(d, eve!.id, team.id, 2)]);
    expect(mine).to.deep.equal({ status: "fulfilled", value: 2 });
    expect(theirs.status).to.equal("rejected");
    await refusal(markRead(d, eve!.id, team.id, 2), "NOT_FOUND");
  });
});
