// Files in rooms: upload, message of type file, members-only download with Range, thumbnails,
// and bad uploads that leave nothing behind.
import { randomUUID } from "node:crypto";
import path from "node:path";
import { expect } from "chai";
import sharp from "sharp";
import { signUp, type TestUser } from "../helpers/api.js";
import { fileForm, filesUnder, mediaEnv } from "../helpers/media.js";
import { useNode } from "../helpers/suite.js";
import { groupWith } from "../helpers/rooms.js";
import { connectSocket, emitAck } from "../helpers/sockets.js";
import { BACKENDS, errorPaths, expectProblem } from "../http/expect.js";

const bytesOf = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251));

for (const backend of BACKENDS) {
  describe(`attachments (${backend})`, function () {
    // 64 KiB: large enough for the images and ranges below, small enough to test 413 cheaply.
    const { node, api } = useNode(async () => ({ backend, env: { ...(await mediaEnv(backend)), ATTACHMENT_MAX_BYTES: String(64 * 1024) } }));
    let owner: TestUser;
    let member: TestUser;
    let outsider: TestUser;
    let roomId: string;

    const upload = (u: TestUser, room: string, bytes: Buffer, name = "data.bin", type = "application/octet-stream") =>
      api.request("POST", `/api/rooms/${room}/attachments`, { token: u.accessToken, raw: fileForm({}, { bytes, name, type }) });
    const download = (u: TestUser | null, url: string, headers: Record<string, string> = {}) =>
      fetch(`${node.url}${url}`, { headers: { ...headers, ...(u ? { authorization: `Bearer ${u.accessToken}` } : {}) } });
    const blobFiles = () => filesUnder(path.join(node.dataDir, "blobs", "attachments"));

    before(async () => {
      [owner, member, outsider] = await Promise.all([signUp(api, "Owner"), signUp(api, "Member"), signUp(api, "Outsider")]);
      roomId = await groupWith(api, owner, [member]);
    });

    describe("access", () => {
      it("refuses uploads and downloads to non-members and unknown ids alike (404) and anonymous callers (401)", async () => {
        const up = await upload(owner, roomId, bytesOf(100));
        expect(up.status).to.equal(201);
        const { url } = up.body.attachment;
        expectProblem(await upload(outsider, roomId, bytesOf(100)), "NOT_FOUND");
        expectProblem(await upload(outsider, randomUUID(), bytesOf(100)), "NOT_FOUND");
        const asOutsider = await download(outsider, url);
        expect(asOutsider.status).to.equal(404);
        expect(await asOutsider.text()).to.not.include("\u0007");
        expect((await download(outsider, url, { range: "bytes=0-9" })).status).to.equal(404);
        expect((await download(null, url)).status).to.equal(401);
        expect((await download(owner, `/api/attachments/${randomUUID()}`)).status).to.equal(404);
        expect((await download(member, url)).status).to.equal(200);
        expectProblem(await api.request("POST", `/api/rooms/${roomId}/attachments`, { raw: fileForm({}, { bytes: bytesOf(10), name: "a" }) }), "UNAUTHORIZED");
      });

      it("takes a member's access away when they leave the room", async () => {
        const leaver = await signUp(api, "Leaver");
        const room = await groupWith(api, owner, [leaver]);
        const { url } = (await upload(owner, room, bytesOf(50))).body.attachment;
        expect((await download(leaver, url)).status).to.equal(200);
        expect((await api.post(`/api/rooms/${room}/leave`, undefined, leaver.accessToken)).status).to.equal(204);
        expect((await download(leaver, url)).status).to.equal(404);
      });
    });

    describe("messages of type file", () => {
      it("sends an uploaded file over HTTP; the other member sees it in history and downloads the same bytes", async () => {
        const bytes = bytesOf(5000);
        const up = await upload(owner, roomId, bytes, "notes.bin");
        expect(up.status, JSON.stringify(up.body)).to.equal(201);
        const a = up.body.attachment;
        expect(a).to.have.all.keys("id", "name", "size", "contentType", "url");
        expect(a).to.include({ name: "notes.bin", size: 5000, contentType: "application/octet-stream", url: `/api/attachments/${a.id}` });

        const sent = await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), attachmentIds: [a.id] }, owner.accessToken);
        expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
        expect(sent.body.message).to.include({ type: "file", text: "" });
        expect(sent.body.message.attachments).to.deep.equal([a]);

        const history = await api.get(`/api/rooms/${roomId}/messages`, member.accessToken);
        const seen = history.body.messages.find((m: { id: string }) => m.id === sent.body.message.id);
        expect(seen.attachments).to.deep.equal([a]);
        const res = await download(member, a.url);
        expect(res.status).to.equal(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).to.equal(true);
        expect(res.headers.get("content-length")).to.equal("5000");
        expect(res.headers.get("accept-ranges")).to.equal("bytes");
        expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
        expect(res.headers.get("cache-control")).to.match(/^private/);
      });

      it("sends a file with a caption over message:send and broadcasts it", async () => {
        const a = (await upload(owner, roomId, bytesOf(300), "song.txt")).body.attachment;
        const socket = await connectSocket(node.url, owner.accessToken);
        try {
          const ack = await emitAck(socket, "message:send", { roomId, clientMsgId: randomUUID(), text: "see this", attachmentIds: [a.id] });
          expect(ack.ok, JSON.stringify(ack)).to.equal(true);
          expect(ack.message).to.include({ type: "file", text: "see this" });
          expect(ack.message.attachments.map((x: { id: string }) => x.id)).to.deep.equal([a.id]);
        } finally {
          socket.close();
        }
      });

      it("refuses attachment ids that are unknown, another user's, or from another room", async () => {
        const mine = (await upload(owner, roomId, bytesOf(20))).body.attachment;
        const theirs = (await upload(member, roomId, bytesOf(20))).body.attachment;
        const otherRoom = await groupWith(api, owner, [member], "Other");
        const elsewhere = (await upload(owner, otherRoom, bytesOf(20))).body.attachment;
        const send = (ids: string[]) => api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), attachmentIds: ids }, owner.accessToken);
        expect(errorPaths(await send([randomUUID()]))).to.deep.equal(["attachmentIds.0"]);
        expect(errorPaths(await send([mine.id, theirs.id]))).to.deep.equal(["attachmentIds.1"]);
        expect(errorPaths(await send([elsewhere.id]))).to.deep.equal(["attachmentIds.0"]);
        expect(errorPaths(await send(["not-an-id"]))).to.deep.equal(["attachmentIds.0"]);
        expect((await send([mine.id])).status).to.equal(201);
      });
    });

    describe("Range", () => {
      const bytes = bytesOf(1000, 3);
      let url: string;
      before(async () => {
        url = (await upload(owner, roomId, bytes)).body.attachment.url;
      });

      for (const [range, start, end] of [
        ["bytes=0-99", 0, 99],
        ["bytes=100-", 100, 999],
        ["bytes=-50", 950, 999],
        ["bytes=990-5000", 990, 999],
        ["bytes=500-500", 500, 500],
      ] as const) {
        it(`answers ${range} with 206 and exactly bytes ${start}-${end}`, async () => {
          const res = await download(member, url, { range });
          expect(res.status).to.equal(206);
          expect(res.headers.get("content-range")).to.equal(`bytes ${start}-${end}/1000`);
          expect(res.headers.get("content-length")).to.equal(String(end - start + 1));
          expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(start, end + 1))).to.equal(true);
        });
      }

      it("answers a range past the end with 416 and the size", async () => {
        const res = await download(member, url, { range: "bytes=1000-" });
        expect(res.status).to.equal(416);
        expect(res.headers.get("content-range")).to.equal("bytes */1000");
      });

      it("sends the whole file for several ranges, another unit, or a stale If-Range", async () => {
        const variants: Record<string, string>[] = [{ range: "bytes=0-1,5-6" }, { range: "items=0-1" }, { range: "bytes=0-9", "if-range": '"something-else"' }];
        for (const headers of variants) {
          const res = await download(member, url, headers);
          expect(res.status, JSON.stringify(headers)).to.equal(200);
          expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).to.equal(true);
        }
      });
    });

    describe("types, names and thumbnails", () => {
      it("reads the type from the bytes and makes a webp thumbnail of at most 320 px for an image", async () => {
        const png = await sharp({ create: { width: 800, height: 400, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();
        const up = await upload(owner, roomId, png, "photo.txt", "text/plain");
        expect(up.status, JSON.stringify(up.body)).to.equal(201);
        const a = up.body.attachment;
        expect(a).to.include({ contentType: "image/png", name: "photo.txt", thumbnailUrl: `/api/attachments/${a.id}/thumbnail` });
        const full = await download(member, a.url);
        expect(full.headers.get("content-type")).to.equal("image/png");
        expect(full.headers.get("content-disposition")).to.match(/^inline; /);

        const thumb = await download(member, a.thumbnailUrl);
        expect(thumb.status).to.equal(200);
        expect(thumb.headers.get("content-type")).to.equal("image/webp");
        const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
        expect(meta).to.include({ format: "webp", width: 320, height: 160 });
        expect((await download(outsider, a.thumbnailUrl)).status).to.equal(404);
      });

      it("has no thumbnail for other files, and serves them as downloads", async () => {
        const a = (await upload(owner, roomId, Buffer.from("<html><script>alert(1)</script></html>"), "page.html", "text/html")).body.attachment;
        expect(a).to.not.have.property("thumbnailUrl");
        expect(a.contentType).to.equal("application/octet-stream");
        expect((await download(member, `${a.url}/thumbnail`)).status).to.equal(404);
        const res = await download(member, a.url);
        expect(res.headers.get("content-disposition")).to.match(/^attachment; /);
        expect(res.headers.get("content-security-policy")).to.include("sandbox");
      });

      it("keeps a Unicode name and offers it in a Content-Disposition that cannot be broken out of", async () => {
        const name = 'résumé "final"; x=1.pdf';
        const a = (await upload(owner, roomId, bytesOf(10), name)).body.attachment;
        expect(a.name).to.equal(name);
        const header = (await download(member, a.url)).headers.get("content-disposition")!;
        expect(header).to.equal(`attachment; filename="r_sum_ _final_; x=1.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%3B%20x%3D1.pdf`);
      });
    });

    describe("bad uploads get a clear error and leave nothing behind", () => {
      const cases: [string, () => FormData, string, string?][] = [
        ["a 0-byte file", () => fileForm({}, { bytes: Buffer.alloc(0), name: "empty.txt" }), "VALIDATION", "file"],
        ["a file over ATTACHMENT_MAX_BYTES", () => fileForm({}, { bytes: bytesOf(64 * 1024 + 1), name: "big.bin" }), "PAYLOAD_TOO_LARGE"],
        ["a name with a path (../../etc/passwd)", () => fileForm({}, { bytes: bytesOf(10), name: "../../etc/passwd" }), "VALIDATION", "file"],
        ["a name with a Windows path (C:\\x\\evil.txt)", () => fileForm({}, { bytes: bytesOf(10), name: "C:\\x\\evil.txt" }), "VALIDATION", "file"],
        ["a name with a line break", () => fileForm({}, { bytes: bytesOf(10), name: "a\r\nSet-Cookie: x=1.txt" }), "VALIDATION", "file"],
        ["a name with a right-to-left override", () => fileForm({}, { bytes: bytesOf(10), name: "invoice\u202Efdp.exe" }), "VALIDATION", "file"],
        ["a name of ..", () => fileForm({}, { bytes: bytesOf(10), name: ".." }), "VALIDATION", "file"],
        ["no file field", () => fileForm({ note: "no file" }), "VALIDATION", "file"],
        ["a file under another field name", () => fileForm({}, { bytes: bytesOf(10), name: "x.bin", field: "upload" }), "VALIDATION"],
      ];
      for (const [what, form, code, field] of cases) {
        it(`refuses ${what}`, async () => {
          const before = await blobFiles();
          const res = await api.request("POST", `/api/rooms/${roomId}/attachments`, { token: owner.accessToken, raw: form() });
          expectProblem(res, code);
          if (field) expect(errorPaths(res)).to.deep.equal([field]);
          expect(await blobFiles()).to.deep.equal(before);
        });
      }
    });
  });
}
