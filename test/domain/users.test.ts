// Users and profiles (src/domain/users.ts) on the in-memory fakes: own and others' views, avatars, search.
import { buffer } from "node:stream/consumers";
import { expect } from "chai";
import { getMe, getUser, openAvatar, searchUsers, setAvatar, updateMe } from "../../src/domain/users.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { refusal, users } from "../fakes/scenario.js";

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

describe("profiles (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord;

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob] = await users(d, "Ann", "Bob");
  });

  describe("refusals", () => {
    it("getMe for an account that no longer exists is UNAUTHORIZED", async () => {
      await refusal(getMe(d, UNKNOWN_ID), "UNAUTHORIZED");
    });

    it("another user who does not exist is NOT_FOUND", async () => {
      await refusal(getUser(d, ann.id, UNKNOWN_ID), "NOT_FOUND");
    });

    it("an avatar that is not PNG, JPEG or WebP is UNSUPPORTED_MEDIA_TYPE; an empty one VALIDATION; nothing is stored", async () => {
      await refusal(setAvatar(d, ann.id, Buffer.from("GIF89a not really")), "UNSUPPORTED_MEDIA_TYPE");
      await refusal(setAvatar(d, ann.id, Buffer.alloc(0)), "VALIDATION");
      expect(d.blobs.blobs.size).to.equal(0);
    });

    it("an avatar key not of the server's shape is NOT_FOUND without touching storage", async () => {
      let opened = 0;
      const open = d.blobs.open.bind(d.blobs);
      d.blobs.open = (...a) => (opened++, open(...a));
      for (const key of ["../secret.png", "x.png", `${ann.id}-0123456789abcdef.gif`]) await refusal(openAvatar(d, key), "NOT_FOUND");
      expect(opened).to.equal(0);
    });
  });

  describe("views", () => {
    it("the own view carries the email; another user's never does", async () => {
      expect(await getMe(d, ann.id)).to.have.property("email", "ann@example.test");
      expect(await getUser(d, bob.id, ann.id)).to.not.have.property("email");
      expect(await getUser(d, ann.id, ann.id)).to.have.property("email");
    });

    it("updates trim the display name and status message", async () => {
      const view = await updateMe(d, ann.id, { displayName: "  Annie ", statusMessage: " away " });
      expect(view).to.include({ displayName: "Annie", statusMessage: "away" });
      expect((await updateMe(d, ann.id, {})).displayName, "nothing given, nothing changed").to.equal("Annie");
    });

    it("search finds by name part in any case or by exact email, and hides emails", async () => {
      const page = await searchUsers(d, bob.id, { q: " an ", limit: 10, cursor: null });
      expect(page.users.map((u) => u.id)).to.deep.equal([ann.id]);
      expect(page.users[0]).to.not.have.property("email");
      expect((await searchUsers(d, bob.id, { q: "ANN@example.test", limit: 10, cursor: null })).users.map((u) => u.id)).to.deep.equal([ann.id]);
    });
  });

  describe("avatars", () => {
    it("a new avatar is stored under a fresh key, served with its type, and the old one is deleted", async () => {
      const first = await setAvatar(d, ann.id, PNG);
      const key1 = first.avatarUrl!.replace("/api/avatars/", "");
      const avatar = await openAvatar(d, key1);
      expect([avatar.contentType, avatar.size]).to.deep.equal(["image/png", PNG.length]);
      expect((await buffer(avatar.stream)).equals(PNG)).to.equal(true);
      const second = await setAvatar(d, ann.id, PNG);
      expect(second.avatarUrl).to.not.equal(first.avatarUrl);
      await refusal(openAvatar(d, key1), "NOT_FOUND");
      expect([...d.blobs.blobs.keys()]).to.have.length(1);
    });
  });
});
