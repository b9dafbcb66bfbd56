// Follows (src/domain/follows.ts) on the in-memory fakes: one-way, idempotent, paged by user id.
import { expect } from "chai";
import { follow, listFollows, unfollow } from "../../src/domain/follows.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { refusal, users } from "../fakes/scenario.js";

describe("follows (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord;
  const ids = async (viewer: UserRecord, of: UserRecord, direction: "followers" | "following", limit = 10, cursor: string | null = null) => {
    const page = await listFollows(d, viewer.id, of.id, direction, { limit, cursor });
    return { ids: page.users.map((u) => u.id), nextCursor: page.nextCursor };
  };

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat] = await users(d, "Ann", "Bob", "Cat");
  });

  describe("refusals", () => {
    it("following oneself is VALIDATION", async () => {
      const err = await refusal(follow(d, ann.id, ann.id), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "userId");
    });

    it("following a user who does not exist is NOT_FOUND", async () => {
      await refusal(follow(d, ann.id, UNKNOWN_ID), "NOT_FOUND");
    });

    it("listing the follows of a user who does not exist is NOT_FOUND", async () => {
      await refusal(listFollows(d, ann.id, UNKNOWN_ID, "followers", { limit: 10, cursor: null }), "NOT_FOUND");
    });
  });

  describe("following", () => {
    it("is one-way: the followee gains a follower, the follower a followee, nothing else", async () => {
      await follow(d, ann.id, bob.id);
      expect((await ids(cat, bob, "followers")).ids).to.deep.equal([ann.id]);
      expect((await ids(cat, ann, "following")).ids).to.deep.equal([bob.id]);
      expect((await ids(cat, ann, "followers")).ids).to.deep.equal([]);
      expect((await ids(cat, bob, "following")).ids).to.deep.equal([]);
    });

    it("following twice is one follow", async () => {
      await follow(d, ann.id, bob.id);
      await follow(d, ann.id, bob.id);
      expect((await ids(ann, bob, "followers")).ids).to.deep.equal([ann.id]);
    });

    it("unfollow is idempotent, also for someone never followed", async () => {
      await follow(d, ann.id, bob.id);
      await unfollow(d, ann.id, bob.id);
      await unfollow(d, ann.id, bob.id);
      await unfollow(d, ann.id, cat.id);
      expect((await ids(ann, bob, "followers")).ids).to.deep.equal([]);
    });

    it("shows other users without their email, and the viewer's own entry with it", async () => {
      await follow(d, ann.id, bob.id);
      const asBob = await listFollows(d, bob.id, bob.id, "followers", { limit: 10, cursor: null });
      expect(asBob.users[0]).to.not.have.property("email");
      const asAnn = await listFollows(d, ann.id, bob.id, "followers", { limit: 10, cursor: null });
      expect(asAnn.users[0]).to.have.property("email", "ann@example.test");
      expect(JSON.stringify(asAnn)).to.not.include("passwordHash");
    });
  });

  describe("paging", () => {
    it("pages by user id with a cursor: every follower once, the last page without a cursor", async () => {
      const fans = await users(d, "F1", "F2", "F3", "F4", "F5");
      for (const f of [...fans].reverse()) await follow(d, f.id, ann.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await ids(bob, ann, "followers", 2, cursor);
        seen.push(...page.ids);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(seen).to.deep.equal(fans.map((f) => f.id).sort());
      expect(pages).to.equal(3);
    });

    it("a page that ends exactly at the last follower has no next cursor", async () => {
      await follow(d, bob.id, ann.id);
      await follow(d, cat.id, ann.id);
      expect(await ids(bob, ann, "followers", 2)).to.deep.equal({ ids: [bob.id, cat.id], nextCursor: null });
    });
  });
});
