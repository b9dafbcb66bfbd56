// Room use cases (src/domain/rooms.ts) on the in-memory fakes: membership, direct rooms, the room
// list, leaving and removal, mute; and read cursors (src/domain/receipts.ts).
import { expect } from "chai";
import { markRead } from "../../src/domain/receipts.js";
import { createDirectRoom, getRoom, leaveRoom, listRooms, removeMember, setMuted } from "../../src/domain/rooms.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { direct, group, messagesIn, refusal, users } from "../fakes/scenario.js";
import type { UserRecord } from "../../src/domain/user.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";

describe("rooms (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, eve: UserRecord;
  let team: RoomRecord;

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat, eve] = await users(d, "Ann", "Bob", "Cat", "Eve");
    team = await group(d, ann, [bob, cat]);
  });

  describe("access", () => {
    // Every room use case that takes a room id, called by `who` on `roomId`.
    const calls: [string, (who: string, roomId: string) => Promise<unknown>][] = [
      ["getRoom", (who, roomId) => getRoom(d, who, roomId)],
      ["leaveRoom", (who, roomId) => leaveRoom(d, who, roomId)],
      ["removeMember", (who, roomId) => removeMember(d, who, roomId, bob.id)],
      ["markRead", (who, roomId) => markRead(d, who, roomId, 1)],
      ["setMuted", (who, roomId) => setMuted(d, who, roomId, true)],
    ];

    for (const [name, call] of calls) {
      it(`${name} refuses a non-member with NOT_FOUND, word for word as for a room that does not exist`, async () => {
        await messagesIn(d, team.id, ann, 2);
        const stranger = await refusal(call(eve.id, team.id), "NOT_FOUND");
        const missing = await refusal(call(eve.id, UNKNOWN_ID), "NOT_FOUND");
        expect(stranger.message).to.equal(missing.message);
        expect(d.broadcaster.count, "nothing broadcast").to.equal(0);
        expect(d.feed.published.length + d.feed.roomChanges.length, "nothing published").to.equal(0);
        expect(await d.rooms.memberIds(team.id)).to.have.members([ann.id, bob.id, cat.id]);
        expect((await d.rooms.membership(team.id, bob.id))?.muted).to.equal(false);
      });
    }

    it("refuses a non-member before reading anything of the room", async () => {
      const read: string[] = [];
      for (const method of ["heads", "page", "get"] as const) {
        const original = d.messages[method].bind(d.messages) as (...a: unknown[]) => Promise<unknown>;
        (d.messages as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => (read.push(method), original(...a));
      }
      for (const method of ["members", "membership", "find", "advanceRead"] as const) {
        const original = d.rooms[method].bind(d.rooms) as (...a: unknown[]) => Promise<unknown>;
        (d.rooms as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => (read.push(method), original(...a));
      }
      await refusal(markRead(d, eve.id, team.id, 1), "NOT_FOUND");
      await refusal(getRoom(d, eve.id, team.id), "NOT_FOUND");
      await refusal(removeMember(d, eve.id, team.id, bob.id), "NOT_FOUND");
      expect(read).to.deep.equal([]);
    });

    it("a member who is not the owner may not remove members: FORBIDDEN, and nobody is removed", async () => {
      const err = await refusal(removeMember(d, bob.id, team.id, cat.id), "FORBIDDEN");
      expect(err.message).to.match(/owner/);
      expect(await d.rooms.isMember(team.id, cat.id)).to.equal(true);
    });

    it("an admin may remove a member, not the owner; the room is told by a system message", async () => {
      await d.rooms.setRole(team.id, bob.id, "admin");
      await removeMember(d, bob.id, team.id, cat.id);
      expect(await d.rooms.isMember(team.id, cat.id)).to.equal(false);
      const { messages } = await d.messages.page(team.id, { limit: 10 });
      expect(messages.at(-1)).to.include({ type: "system", senderId: bob.id, text: "removed Cat" });
      await refusal(removeMember(d, bob.id, team.id, ann.id), "FORBIDDEN");
      expect(await d.rooms.isMember(team.id, ann.id)).to.equal(true);
    });

    it("a member lacking the role is FORBIDDEN even for a target who is not in the room (the role is checked first)", async () => {
      await refusal(removeMember(d, bob.id, team.id, eve.id), "FORBIDDEN");
    });

    it("a member who left is a non-member at once: NOT_FOUND on the next call", async () => {
      await leaveRoom(d, bob.id, team.id);
      await refusal(getRoom(d, bob.id, team.id), "NOT_FOUND");
      await refusal(leaveRoom(d, bob.id, team.id), "NOT_FOUND");
    });

    it("a removed member is a non-member at once", async () => {
      await removeMember(d, ann.id, team.id, bob.id);
      await refusal(markRead(d, bob.id, team.id, 1), "NOT_FOUND");
    });
  });

  describe("direct rooms", () => {
    it("a direct room with oneself is VALIDATION", async () => {
      const err = await refusal(createDirectRoom(d, ann.id, ann.id), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "userId");
    });

    it("a direct room with a user who does not exist is NOT_FOUND, and no room is made", async () => {
      await refusal(createDirectRoom(d, ann.id, UNKNOWN_ID), "NOT_FOUND");
      expect((await d.rooms.roomsOf(ann.id)).map((r) => r.room.type)).to.deep.equal(["group"]);
    });

    it("is made once per pair: the second call, from either side, returns the same room with created false", async () => {
      const first = await createDirectRoom(d, ann.id, bob.id);
      const again = await createDirectRoom(d, ann.id, bob.id);
      const reverse = await createDirectRoom(d, bob.id, ann.id);
      expect([first.created, again.created, reverse.created]).to.deep.equal([true, false, false]);
      expect(new Set([first.room.id, again.room.id, reverse.room.id]).size).to.equal(1);
      expect(d.feed.roomChanges, "only the creation is news").to.deep.equal([{ roomId: first.room.id, userIds: [ann.id, bob.id] }]);
    });

    it("is named, for each member, after the other member", async () => {
      const { room } = await createDirectRoom(d, ann.id, bob.id);
      expect(room).to.include({ type: "direct", name: "Bob", memberCount: 2, lastSeq: 0, unreadCount: 0 });
      expect((await listRooms(d, bob.id)).find((r) => r.id === room.id)?.name).to.equal("Ann");
    });

    it("after one member left, it is named \"Only you\" for the other", async () => {
      const room = await direct(d, ann, bob);
      await leaveRoom(d, bob.id, room.id);
      expect((await listRooms(d, ann.id)).find((r) => r.id === room.id)).to.include({ name: "Only you", memberCount: 1 });
    });

    it("opening it again after the other member left brings them back into it", async () => {
      const room = await direct(d, ann, bob);
      await leaveRoom(d, bob.id, room.id);
      const again = await createDirectRoom(d, ann.id, bob.id);
      expect(again.created).to.equal(false);
      expect(await d.rooms.isMember(room.id, bob.id)).to.equal(true);
    });
  });

  describe("listing and viewing", () => {
    it("lists only the user's own rooms", async () => {
      const mine = await direct(d, ann, eve);
      expect((await listRooms(d, eve.id)).map((r) => r.id)).to.deep.equal([mine.id]);
      expect(await listRooms(d, (await users(d, "Zed"))[0]!.id)).to.deep.equal([]);
    });

    it("orders rooms by latest activity: the last message's time, else the room's creation", async () => {
      const older = await group(d, ann, [], "Older");
      const newer = await group(d, ann, [], "Newer");
      expect((await listRooms(d, ann.id)).map((r) => r.name)).to.deep.equal(["Newer", "Older", "Team"]);
      await d.messages.append({ roomId: older.id, senderId: ann.id, type: "text", text: "hi", attachments: [], clientMsgId: "c1" }, new Date());
      expect((await listRooms(d, ann.id)).map((r) => r.name)).to.deep.equal(["Older", "Newer", "Team"]);
      expect(newer.id).to.not.equal(older.id);
    });

    it("counts unread messages as lastSeq minus the member's own read cursor", async () => {
      await messagesIn(d, team.id, ann, 5);
      await markRead(d, bob.id, team.id, 2);
      const [view] = (await listRooms(d, bob.id)).filter((r) => r.id === team.id);
      expect(view).to.include({ lastSeq: 5, lastReadSeq: 2, unreadCount: 3, memberCount: 3 });
      expect(view?.lastMessage?.text).to.equal("m5");
    });

    it("shows the members with role, read cursor and presence; other members' emails are hidden", async () => {
      d.presence.set(bob.id, { status: "online", lastSeenAt: "2026-01-01T00:00:00.000Z" });
      const { room, members } = await getRoom(d, ann.id, team.id);
      expect(room).to.include({ id: team.id, name: "Team", memberCount: 3 });
      expect(members.map((m) => [m.user.displayName, m.role, m.lastReadSeq, m.presence.status])).to.deep.equal([
        ["Ann", "owner", 0, "offline"],
        ["Bob", "member", 0, "online"],
        ["Cat", "member", 0, "offline"],
      ]);
      expect(members[0]!.user.email, "own email").to.equal("ann@example.test");
      expect(members[1]!.user).to.not.have.property("email");
      expect(JSON.stringify(members)).to.not.include("passwordHash");
    });
  });

  describe("leaving and removal", () => {
    it("leaving detaches the user's sockets, tells them room.removed, and tells the rest the room changed", async () => {
      await leaveRoom(d, bob.id, team.id);
      expect(await d.rooms.memberIds(team.id)).to.have.members([ann.id, cat.id]);
      expect(d.broadcaster.detached).to.deep.equal([{ userId: bob.id, roomId: team.id }]);
      expect(d.feed.eventsOf(bob.id)).to.deep.equal([{ type: "room.removed", data: { roomId: team.id } }]);
      expect(d.feed.roomChanges).to.deep.equal([{ roomId: team.id, userIds: [ann.id, cat.id] }]);
    });

    it("the owner removes a member with the same effects as a leave", async () => {
      await removeMember(d, ann.id, team.id, cat.id);
      expect(await d.rooms.isMember(team.id, cat.id)).to.equal(false);
      expect(d.broadcaster.detached).to.deep.equal([{ userId: cat.id, roomId: team.id }]);
      expect(d.feed.typesFor(cat.id)).to.deep.equal(["room.removed"]);
      expect(d.feed.usersToldOf(team.id)).to.deep.equal([ann.id, bob.id].sort());
    });

    it("the owner removing themselves is VALIDATION (the owner leaves with leave)", async () => {
      await refusal(removeMember(d, ann.id, team.id, ann.id), "VALIDATION");
      expect(await d.rooms.isMember(team.id, ann.id)).to.equal(true);
    });

    it("removing someone who is not in the room is NOT_FOUND", async () => {
      const err = await refusal(removeMember(d, ann.id, team.id, eve.id), "NOT_FOUND");
      expect(err.message).to.match(/not a member/);
      expect(d.broadcaster.count).to.equal(0);
    });
  });

  describe("read cursors", () => {
    it("move forward, broadcast receipt:updated once and tell the reader's feed", async () => {
      await messagesIn(d, team.id, ann, 3);
      expect(await markRead(d, bob.id, team.id, 2)).to.equal(2);
      expect(d.broadcaster.roomEvents("receipt:updated", team.id)).to.deep.equal([{ roomId: team.id, userId: bob.id, lastReadSeq: 2 }]);
      expect(d.feed.roomChanges).to.deep.equal([{ roomId: team.id, userIds: [bob.id] }]);
      expect((await d.rooms.membership(team.id, bob.id))?.lastReadSeq).to.equal(2);
    });

    it("never move backwards: an older seq answers the cursor as it is and broadcasts nothing", async () => {
      await messagesIn(d, team.id, ann, 5);
      await markRead(d, bob.id, team.id, 4);
      d.broadcaster.clear();
      d.feed.clear();
      expect(await markRead(d, bob.id, team.id, 2)).to.equal(4);
      expect(await markRead(d, bob.id, team.id, 4), "the same seq again").to.equal(4);
      expect((await d.rooms.membership(team.id, bob.id))?.lastReadSeq).to.equal(4);
      expect(d.broadcaster.count).to.equal(0);
      expect(d.feed.roomChanges).to.deep.equal([]);
    });

    it("never move past the room's last message", async () => {
      await messagesIn(d, team.id, ann, 3);
      expect(await markRead(d, bob.id, team.id, 1_000)).to.equal(3);
      expect(d.broadcaster.roomEvents("receipt:updated")).to.deep.equal([{ roomId: team.id, userId: bob.id, lastReadSeq: 3 }]);
    });

    it("stay at 0 in a room without messages, without a receipt", async () => {
      expect(await markRead(d, bob.id, team.id, 7)).to.equal(0);
      expect(d.broadcaster.count).to.equal(0);
    });

    it("two devices marking read at once move the cursor once, to the higher seq, with one receipt", async () => {
      await messagesIn(d, team.id, ann, 5);
      const [a, b] = await Promise.all([markRead(d, bob.id, team.id, 3), markRead(d, bob.id, team.id, 5)]);
      expect([a, b]).to.deep.equal([5, 5]);
      expect(d.broadcaster.roomEvents("receipt:updated")).to.deep.equal([{ roomId: team.id, userId: bob.id, lastReadSeq: 5 }]);
    });

    it("are each member's own: one member's read moves nobody else's cursor", async () => {
      await messagesIn(d, team.id, ann, 3);
      await markRead(d, bob.id, team.id, 3);
      expect((await d.rooms.membership(team.id, cat.id))?.lastReadSeq).to.equal(0);
    });
  });

  describe("mute", () => {
    it("sets and clears the member's own mute flag", async () => {
      expect(await setMuted(d, bob.id, team.id, true)).to.equal(true);
      expect((await d.rooms.membership(team.id, bob.id))?.muted).to.equal(true);
      expect((await d.rooms.membership(team.id, cat.id))?.muted).to.equal(false);
      expect(await setMuted(d, bob.id, team.id, false)).to.equal(false);
      expect((await d.rooms.membership(team.id, bob.id))?.muted).to.equal(false);
    });
  });
});
