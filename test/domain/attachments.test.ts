// Attachments (src/domain/attachments.ts) on the in-memory fakes: uploads and downloads follow
// room membership; bytes are stored before the row and cleaned up when the row fails.
import { text } from "node:stream/consumers";
import { expect } from "chai";
import { ATTACHMENTS_PER_MESSAGE_MAX, openAttachment, openThumbnail, uploadAttachment } from "../../src/domain/attachments.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { leaveRoom } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, refusal, users } from "../fakes/scenario.js";

// A 1×1 PNG: file-type recognises it by its signature.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const TEXT = Buffer.from("plain text has no signature\n");

describe("attachments (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  const upload = (who: UserRecord, bytes: Buffer = TEXT, fileName: string | undefined = "notes.txt", roomId = team.id) =>
    uploadAttachment(d.attachmentDeps, who.id, roomId, { bytes, fileName });

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
    team = await group(d, ann, [bob]);
  });

  describe("access", () => {
    it("a non-member cannot upload: NOT_FOUND, as for a room that does not exist, and nothing is stored", async () => {
      const stranger = await refusal(upload(eve), "NOT_FOUND");
      const missing = await refusal(upload(eve, TEXT, "notes.txt", UNKNOWN_ID), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
      expect(d.blobs.blobs.size + d.attachmentRepo.records.size).to.equal(0);
    });

    it("a non-member cannot download or see the thumbnail: NOT_FOUND, as for an attachment that does not exist", async () => {
      const ref = await upload(ann, PNG, "dot.png");
      const stranger = await refusal(openAttachment(d.attachmentDeps, eve.id, ref.id), "NOT_FOUND");
      await refusal(openThumbnail(d.attachmentDeps, eve.id, ref.id), "NOT_FOUND");
      const unknown = await refusal(openAttachment(d.attachmentDeps, eve.id, UNKNOWN_ID), "NOT_FOUND");
      expect([stranger.code, unknown.code]).to.deep.equal(["NOT_FOUND", "NOT_FOUND"]);
    });

    it("a member who left loses the room's files", async () => {
      const ref = await upload(ann);
      expect((await openAttachment(d.attachmentDeps, bob.id, ref.id)).record.id).to.equal(ref.id);
      await leaveRoom(d, bob.id, team.id);
      await refusal(openAttachment(d.attachmentDeps, bob.id, ref.id), "NOT_FOUND");
    });

    it("a malformed id is NOT_FOUND without a lookup", async () => {
      let lookups = 0;
      const find = d.attachmentRepo.find.bind(d.attachmentRepo);
      d.attachmentRepo.find = (id) => (lookups++, find(id));
      await refusal(openAttachment(d.attachmentDeps, ann.id, "../../etc/passwd"), "NOT_FOUND");
      expect(lookups).to.equal(0);
    });
  });

  describe("upload", () => {
    it("stores the bytes under a key the server makes, then the row; any member downloads them", async () => {
      const ref = await upload(ann);
      expect(ref).to.deep.equal({ id: ref.id, name: "notes.txt", size: TEXT.length, contentType: "application/octet-stream", url: `/api/attachments/${ref.id}` });
      const download = await openAttachment(d.attachmentDeps, bob.id, ref.id);
      expect(download.record.storageKey).to.match(new RegExp(`^attachments/${team.id}/[0-9a-f-]{36}$`));
      const blob = await download.open();
      expect([blob?.size, await text(blob!.stream)]).to.deep.equal([TEXT.length, TEXT.toString()]);
    });

    it("takes the type from the bytes, never the name, and makes a thumbnail of a picture", async () => {
      const ref = await upload(ann, PNG, "not-really.txt");
      expect(ref.contentType).to.equal("image/png");
      expect(ref.thumbnailUrl).to.equal(`/api/attachments/${ref.id}/thumbnail`);
      const thumb = await openThumbnail(d.attachmentDeps, bob.id, ref.id);
      expect(thumb.contentType).to.equal("image/webp");
    });

    it("a picture that will not decode is still stored, without a thumbnail", async () => {
      d.thumbnailer.undecodable.add(PNG.toString("base64"));
      const ref = await upload(ann, PNG, "broken.png");
      expect(ref).to.not.have.property("thumbnailUrl");
      await refusal(openThumbnail(d.attachmentDeps, ann.id, ref.id), "NOT_FOUND");
    });

    it("an empty file is VALIDATION; one over the limit is PAYLOAD_TOO_LARGE", async () => {
      await refusal(upload(ann, Buffer.alloc(0)), "VALIDATION");
      await refusal(upload(ann, Buffer.alloc(d.attachmentDeps.attachmentMaxBytes + 1, 1)), "PAYLOAD_TOO_LARGE");
      expect((await upload(ann, Buffer.alloc(d.attachmentDeps.attachmentMaxBytes, 1))).size).to.equal(d.attachmentDeps.attachmentMaxBytes);
    });

    it("a file name with a path, control characters, or none is VALIDATION", async () => {
      for (const name of ["../x.txt", "a/b.txt", "a\\b.txt", "evil\u202Etxt.exe", "", ".."]) await refusal(upload(ann, TEXT, name), "VALIDATION");
      await refusal(uploadAttachment(d.attachmentDeps, ann.id, team.id, { bytes: TEXT, fileName: undefined }), "VALIDATION");
      expect(d.blobs.blobs.size).to.equal(0);
    });

    it("when the row cannot be written, the bytes already stored are deleted again", async () => {
      d.attachmentRepo.failNextCreates(new Error("database gone"));
      let error: unknown;
      await upload(ann, PNG, "dot.png").catch((err: unknown) => (error = err));
      expect(error).to.have.property("message", "database gone");
      expect([...d.blobs.blobs.keys()], "blob and thumbnail removed").to.deep.equal([]);
    });
  });

  describe("the send path's resolver", () => {
    it(`more than ${ATTACHMENTS_PER_MESSAGE_MAX} attachments on one message is VALIDATION; the same id twice counts once`, async () => {
      const refs = [];
      for (let i = 0; i <= ATTACHMENTS_PER_MESSAGE_MAX; i++) refs.push(await upload(ann));
      await refusal(d.attachments.resolve(team.id, ann.id, refs.map((r) => r.id)), "VALIDATION");
      const ten = refs.slice(0, ATTACHMENTS_PER_MESSAGE_MAX).map((r) => r.id);
      expect(await d.attachments.resolve(team.id, ann.id, [...ten, ten[0]!])).to.have.length(ATTACHMENTS_PER_MESSAGE_MAX);
    });

    it("names the offending id's position in a refusal", async () => {
      const mine = await upload(ann);
      const bobs = await upload(bob);
      const err = await refusal(d.attachments.resolve(team.id, ann.id, [mine.id, bobs.id]), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "attachmentIds.1");
    });
  });
});
