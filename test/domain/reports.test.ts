// Reports (src/domain/reports.ts) on the in-memory fakes: who may report what, what the room's
// moderators hear, and what a repeat does.
import { expect } from "chai";
import { createReport } from "../../src/domain/reports.js";
import { fakeAdminDeps, type FakeAdminDeps } from "../fakes/admin-deps.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("reports (unit)", () => {
  let d: FakeAdminDeps;
  beforeEach(() => {
    d = fakeAdminDeps();
  });

  describe("refusals first", () => {
    it("a message of a room the reporter is not in is NOT_FOUND, exactly as for a room that does not exist", async () => {
      const [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
      const room = await group(d, ann, [bob]);
      const [seq] = await messagesIn(d, room.id, bob, 1);
      const outsider = await refusal(createReport(d, eve.id, { messageId: `${room.id}:${seq}`, reason: "spam" }), "NOT_FOUND");
      const madeUp = await refusal(createReport(d, eve.id, { messageId: `00000003-0000-7000-8000-0000000000ff:1`, reason: "spam" }), "NOT_FOUND");
      expect(outsider.message).to.equal(madeUp.message);
      expect(await d.reports.page({ limit: 10 })).to.deep.include({ items: [] });
    });

    it("a message id that names no message of the room is NOT_FOUND", async () => {
      const [ann] = await users(d, "Ann");
      const room = await group(d, ann);
      await refusal(createReport(d, ann.id, { messageId: `${room.id}:7`, reason: "spam" }), "NOT_FOUND");
      await refusal(createReport(d, ann.id, { messageId: "not-a-message-id", reason: "spam" }), "NOT_FOUND");
    });

    it("an unknown user is NOT_FOUND, and reporting oneself is VALIDATION", async () => {
      const [ann] = await users(d, "Ann");
      await refusal(createReport(d, ann.id, { userId: "00000001-0000-7000-8000-0000000000ff", reason: "troll" }), "NOT_FOUND");
      const self = await refusal(createReport(d, ann.id, { userId: ann.id, reason: "me" }), "VALIDATION");
      expect(self).to.have.nested.property("errors[0].path", "userId");
    });

    it("needs exactly one of messageId and userId", async () => {
      const [ann, bob] = await users(d, "Ann", "Bob");
      await refusal(createReport(d, ann.id, { reason: "nothing named" }), "VALIDATION");
      await refusal(createReport(d, ann.id, { userId: bob.id, messageId: "x:1", reason: "both" }), "VALIDATION");
    });
  });

  it("a message report names the room, seq and sender, and reaches the room's owner (not the reporter) as report.created without the reporter", async () => {
    const [owner, bob, carol] = await users(d, "Owner", "Bob", "Carol");
    const room = await group(d, owner, [bob, carol]);
    const [seq] = await messagesIn(d, room.id, bob, 1);
    const report = await createReport(d, carol.id, { messageId: `${room.id}:${seq}`, reason: "  rude  " });
    expect(report).to.include({ reporterId: carol.id, messageId: `${room.id}:${seq}`, roomId: room.id, seq, userId: bob.id, reason: "rude", status: "open", resolvedBy: null });
    expect(d.feed.typesFor(owner.id)).to.deep.equal(["report.created"]);
    const event = d.feed.eventsOfType(owner.id, "report.created")[0]!;
    expect(event.data.report).to.deep.equal({ id: report.id, messageId: report.messageId, roomId: room.id, seq, userId: bob.id, reason: "rude", createdAt: report.createdAt });
    expect(d.feed.typesFor(carol.id)).to.deep.equal([]);
    expect(d.feed.typesFor(bob.id)).to.deep.equal([]);
  });

  it("the room's admins hear of it too; the owner reporting is not told of their own report", async () => {
    const [owner, admin, bob] = await users(d, "Owner", "Admin", "Bob");
    const room = await group(d, owner, [bob]);
    d.rooms.addMember(room.id, admin.id, "admin");
    const [seq] = await messagesIn(d, room.id, bob, 1);
    await createReport(d, owner.id, { messageId: `${room.id}:${seq}`, reason: "rude" });
    expect(d.feed.typesFor(admin.id)).to.deep.equal(["report.created"]);
    expect(d.feed.typesFor(owner.id)).to.deep.equal([]);
  });

  it("a user report goes to the operators only (no feed event), naming the user", async () => {
    const [ann, bob] = await users(d, "Ann", "Bob");
    const report = await createReport(d, ann.id, { userId: bob.id, reason: "impersonation" });
    expect(report).to.include({ userId: bob.id, messageId: null, roomId: null, seq: null, status: "open" });
    expect(d.feed.published).to.deep.equal([]);
    expect((await d.reports.page({ status: "open", limit: 10 })).items.map((r) => r.id)).to.deep.equal([report.id]);
  });

  it("the same reporter's repeat of an open report returns it again and tells nobody twice", async () => {
    const [owner, bob] = await users(d, "Owner", "Bob");
    const room = await group(d, owner, [bob]);
    const [seq] = await messagesIn(d, room.id, owner, 1);
    const first = await createReport(d, bob.id, { messageId: `${room.id}:${seq}`, reason: "rude" });
    const again = await createReport(d, bob.id, { messageId: `${room.id}:${seq}`, reason: "still rude" });
    expect(again.id).to.equal(first.id);
    expect(d.feed.typesFor(owner.id)).to.deep.equal(["report.created"]);
    const userReport = await createReport(d, bob.id, { userId: owner.id, reason: "x" });
    expect((await createReport(d, bob.id, { userId: owner.id, reason: "y" })).id).to.equal(userReport.id);
    expect((await d.reports.page({ limit: 10 })).items).to.have.length(2);
  });
});
