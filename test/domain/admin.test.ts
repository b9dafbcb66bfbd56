// The operators' use cases (src/domain/admin.ts, moderation.ts) on the in-memory fakes: the
// operator check of every action, statistics, the reports queue, deletions, and one audit entry
// per action.
import { expect } from "chai";
import { getStats, listAudit, listReports, resolveReport } from "../../src/domain/admin.js";
import { removeMessage, removeRoom } from "../../src/domain/moderation.js";
import { createReport } from "../../src/domain/reports.js";
import { suspendUser, unsuspendUser } from "../../src/domain/suspensions.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeAdminDeps, type FakeAdminDeps } from "../fakes/admin-deps.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("operators (unit)", () => {
  let d: FakeAdminDeps;
  let op: UserRecord;
  let ann: UserRecord;
  let bob: UserRecord;
  beforeEach(async () => {
    d = fakeAdminDeps();
    [op, ann, bob] = await users(d, "Op", "Ann", "Bob");
    op = d.users.moderate(op.id, { operator: true })!;
  });

  describe("only operators", () => {
    it("every operator use case refuses a user without the flag with FORBIDDEN, and writes nothing", async () => {
      const room = await group(d, ann, [bob]);
      const [seq] = await messagesIn(d, room.id, bob, 1);
      const report = await createReport(d, ann.id, { userId: bob.id, reason: "x" });
      const attempts = [
        getStats(d, ann.id),
        listReports(d, ann.id, { limit: 10 }),
        resolveReport(d, ann.id, report.id, "done"),
        suspendUser(d, ann.id, bob.id, "spam"),
        unsuspendUser(d, ann.id, bob.id),
        removeMessage(d, ann.id, `${room.id}:${seq}`),
        removeRoom(d, ann.id, room.id),
        listAudit(d, ann.id, { limit: 10 }),
      ];
      for (const attempt of attempts) await refusal(attempt, "FORBIDDEN");
      expect(d.audit.entries).to.deep.equal([]);
      expect(await d.rooms.find(room.id)).to.not.equal(null);
      expect((await d.messages.get(room.id, seq!))?.deletedAt).to.equal(undefined);
      expect((await d.users.findById(bob.id))?.suspendedAt).to.equal(null);
    });

    it("the flag is read at each call: revoked, the next call is FORBIDDEN", async () => {
      await getStats(d, op.id);
      d.users.moderate(op.id, { operator: false });
      await refusal(getStats(d, op.id), "FORBIDDEN");
    });
  });

  it("stats count users, rooms, messages (the rooms' last seqs) and each node's sockets", async () => {
    const r1 = await group(d, ann, [bob]);
    const r2 = await group(d, bob);
    await messagesIn(d, r1.id, ann, 3);
    await messagesIn(d, r2.id, bob, 2);
    d.nodes = [
      { node: "a", sockets: 4 },
      { node: "b", sockets: 1 },
    ];
    expect(await getStats(d, op.id)).to.deep.equal({ users: 3, rooms: 2, messages: 5, sockets: { total: 5, nodes: d.nodes } });
  });

  describe("the reports queue", () => {
    it("lists newest first with the message as it is now, by status, in pages", async () => {
      const room = await group(d, ann, [bob]);
      const [seq] = await messagesIn(d, room.id, bob, 1);
      const byMessage = await createReport(d, ann.id, { messageId: `${room.id}:${seq}`, reason: "rude" });
      const byUser = await createReport(d, ann.id, { userId: bob.id, reason: "troll" });
      const all = await listReports(d, op.id, { limit: 10 });
      expect(all.reports.map((r) => r.id)).to.deep.equal([byUser.id, byMessage.id]);
      expect(all.reports[1]!.message).to.include({ id: `${room.id}:${seq}`, text: "m1" });
      expect(all.reports[0]!.message).to.equal(null);
      const first = await listReports(d, op.id, { limit: 1 });
      expect(first.reports.map((r) => r.id)).to.deep.equal([byUser.id]);
      const second = await listReports(d, op.id, { limit: 1, cursor: first.nextCursor! });
      expect(second.reports.map((r) => r.id)).to.deep.equal([byMessage.id]);
      expect(second.nextCursor).to.equal(null);
      await resolveReport(d, op.id, byUser.id, "warned");
      expect((await listReports(d, op.id, { status: "open", limit: 10 })).reports.map((r) => r.id)).to.deep.equal([byMessage.id]);
      expect((await listReports(d, op.id, { status: "resolved", limit: 10 })).reports.map((r) => r.id)).to.deep.equal([byUser.id]);
    });

    it("resolving records who, when and how, once: again is CONFLICT, an unknown report NOT_FOUND", async () => {
      const report = await createReport(d, ann.id, { userId: bob.id, reason: "troll" });
      const resolved = await resolveReport(d, op.id, report.id, " warned ");
      expect(resolved).to.include({ status: "resolved", resolvedBy: op.id, resolution: "warned" });
      expect(resolved.resolvedAt).to.be.a("string");
      await refusal(resolveReport(d, op.id, report.id, "again"), "CONFLICT");
      await refusal(resolveReport(d, op.id, "00000010-0000-7000-8000-0000000000ff", "x"), "NOT_FOUND");
      expect(d.audit.entries.map((e) => [e.action, e.targetId, e.reason])).to.deep.equal([["report.resolve", report.id, "warned"]]);
    });
  });

  describe("deletions", () => {
    it("a message is tombstoned through the sender's path: the room's sockets, search and the room list hear of it", async () => {
      const room = await group(d, ann, [bob]);
      const [seq] = await messagesIn(d, room.id, bob, 1);
      await removeMessage(d, op.id, `${room.id}:${seq}`, "spam");
      const stored = await d.messages.get(room.id, seq!);
      expect(stored).to.include({ text: "" });
      expect(stored?.deletedAt).to.be.a("string");
      expect(d.broadcaster.roomEvents("message:updated", room.id)).to.have.length(1);
      expect(d.hooks.changed.map((m) => m.id)).to.deep.equal([`${room.id}:${seq}`]);
      expect(d.feed.usersToldOf(room.id)).to.deep.equal([ann.id, bob.id].sort());
      expect(d.audit.entries.map((e) => [e.actorId, e.action, e.targetId, e.reason])).to.deep.equal([[op.id, "message.delete", `${room.id}:${seq}`, "spam"]]);
    });

    it("an unknown message or room is NOT_FOUND and writes no entry", async () => {
      const room = await group(d, ann);
      await refusal(removeMessage(d, op.id, `${room.id}:9`), "NOT_FOUND");
      await refusal(removeMessage(d, op.id, "00000003-0000-7000-8000-0000000000ff:1"), "NOT_FOUND");
      await refusal(removeRoom(d, op.id, "00000003-0000-7000-8000-0000000000ff"), "NOT_FOUND");
      expect(d.audit.entries).to.deep.equal([]);
    });

    it("a room is gone for its members: each gets room.removed and leaves it on every socket; its messages stay stored", async () => {
      const room = await group(d, ann, [bob]);
      await messagesIn(d, room.id, bob, 2);
      await removeRoom(d, op.id, room.id, "illegal content");
      expect(await d.rooms.find(room.id)).to.equal(null);
      expect(await d.rooms.isMember(room.id, bob.id)).to.equal(false);
      for (const u of [ann, bob]) expect(d.feed.eventsOf(u.id)).to.deep.equal([{ type: "room.removed", data: { roomId: room.id } }]);
      expect(d.broadcaster.detached).to.have.deep.members([
        { userId: ann.id, roomId: room.id },
        { userId: bob.id, roomId: room.id },
      ]);
      expect(await d.messages.get(room.id, 2)).to.include({ text: "m2" });
      expect(d.audit.entries.map((e) => [e.action, e.targetId, e.reason])).to.deep.equal([["room.delete", room.id, "illegal content"]]);
    });
  });

  it("the audit log lists each action once, newest first, in pages", async () => {
    const room = await group(d, ann, [bob]);
    const [seq] = await messagesIn(d, room.id, bob, 1);
    const report = await createReport(d, ann.id, { userId: bob.id, reason: "troll" });
    await suspendUser(d, op.id, bob.id, "spam");
    await unsuspendUser(d, op.id, bob.id, "appeal");
    await resolveReport(d, op.id, report.id, "handled");
    await removeMessage(d, op.id, `${room.id}:${seq}`);
    await removeRoom(d, op.id, room.id);
    const { entries, nextCursor } = await listAudit(d, op.id, { limit: 10 });
    expect(entries.map((e) => e.action)).to.deep.equal(["room.delete", "message.delete", "report.resolve", "user.unsuspend", "user.suspend"]);
    expect(entries.every((e) => e.actorId === op.id)).to.equal(true);
    expect(nextCursor).to.equal(null);
    const page1 = await listAudit(d, op.id, { limit: 2 });
    const page2 = await listAudit(d, op.id, { limit: 2, cursor: page1.nextCursor! });
    const page3 = await listAudit(d, op.id, { limit: 2, cursor: page2.nextCursor! });
    expect([...page1.entries, ...page2.entries, ...page3.entries].map((e) => e.id)).to.deep.equal(entries.map((e) => e.id));
    expect(page3.nextCursor).to.equal(null);
  });
});
