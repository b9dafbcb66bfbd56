// The caller's profile (GET/PATCH /api/me), other users' views, and avatars.
import { randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { expect } from "chai";
import { signUp, type TestUser } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { BACKENDS, errorPaths, expectProblem, expectUserView } from "./expect.js";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A valid width x 1 RGB PNG of one colour, built byte by byte. */
function png(width: number, rgb: [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, no filter, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(row)), chunk("IEND", Buffer.alloc(0))]);
}

for (const backend of BACKENDS) {
  describe(`users (${backend})`, function () {
    const { node, api } = useNode({ backend });

    const patchMe = (u: TestUser, body: unknown) => api.patch("/api/me", body, u.accessToken);

    describe("GET/PATCH /api/me", () => {
      it("shows the caller their own profile with email", async () => {
        const u = await signUp(api, "Self");
        const res = await api.get("/api/me", u.accessToken);
        expect(res.status).to.equal(200);
        expectUserView(res.body.user, "self");
        expect(res.body.user).to.include({ id: u.id, email: u.email, displayName: "Self" });
      });

      it("updates display name and status message, trimmed, and keeps them", async () => {
        const u = await signUp(api);
        const res = await patchMe(u, { displayName: "  New Name  ", statusMessage: "  busy  " });
        expect(res.status).to.equal(200);
        expectUserView(res.body.user, "self");
        expect(res.body.user).to.include({ displayName: "New Name", statusMessage: "busy" });
        expect((await api.get("/api/me", u.accessToken)).body.user).to.deep.equal(res.body.user);
        // Only what is sent changes; an empty status clears it.
        const cleared = await patchMe(u, { statusMessage: "" });
        expect(cleared.body.user).to.include({ displayName: "New Name", statusMessage: "" });
        expect((await patchMe(u, {})).body.user).to.include({ displayName: "New Name" });
      });

      it("accepts a 50-character name and a 200-character status message", async () => {
        const u = await signUp(api);
        const res = await patchMe(u, { displayName: "n".repeat(50), statusMessage: "s".repeat(200) });
        expect(res.status).to.equal(200);
      });

      for (const [what, body, field] of [
        ["an empty display name", { displayName: "" }, "displayName"],
        ["a blank display name", { displayName: "   " }, "displayName"],
        ["a 51-character display name", { displayName: "n".repeat(51) }, "displayName"],
        ["a 201-character status message", { statusMessage: "s".repeat(201) }, "statusMessage"],
        ["a number for the status message", { statusMessage: 5 }, "statusMessage"],
      ] as const) {
        it(`rejects ${what} with 400 naming ${field}`, async () => {
          const u = await signUp(api, "Unchanged");
          expect(errorPaths(await patchMe(u, body))).to.deep.equal([field]);
          expect((await api.get("/api/me", u.accessToken)).body.user.displayName).to.equal("Unchanged");
        });
      }

      it("rejects unknown fields, such as email, emailVerified or id, with 400 and changes nothing", async () => {
        const u = await signUp(api, "Strict");
        for (const body of [{ email: "other@example.test" }, { emailVerified: true }, { id: randomUUID() }, { displayName: "Sneaky", avatarUrl: "/x" }]) {
          expectProblem(await patchMe(u, body), "VALIDATION");
        }
        // The refused key is named, not the whole body.
        expect((await patchMe(u, { displayName: "Ok", avatarUrl: "/x" })).body.errors).to.deep.equal([{ path: "avatarUrl", message: "is not a known field" }]);
        const after = (await api.get("/api/me", u.accessToken)).body.user;
        expect(after).to.include({ id: u.id, email: u.email, displayName: "Strict", emailVerified: false, avatarUrl: null });
      });

      it("lets a user change only their own profile: B's PATCH leaves A untouched, and A's view hides A's email", async () => {
        const [a, b] = await Promise.all([signUp(api, "Alice"), signUp(api, "Bob")]);
        await patchMe(a, { statusMessage: "alice's status" });
        const res = await patchMe(b, { displayName: "Bob Renamed", statusMessage: "bob's status" });
        expect(res.body.user).to.include({ id: b.id, displayName: "Bob Renamed" });

        const seenByB = await api.get(`/api/users/${a.id}`, b.accessToken);
        expect(seenByB.status).to.equal(200);
        expectUserView(seenByB.body.user, "other");
        expect(seenByB.body.user).to.include({ id: a.id, displayName: "Alice", statusMessage: "alice's status" });
        expect(JSON.stringify(seenByB.body)).to.not.include(a.email);
        expect((await api.get("/api/me", a.accessToken)).body.user).to.include({ displayName: "Alice", statusMessage: "alice's status" });
      });

      it("shows one's own profile with email through /api/users/:id", async () => {
        const u = await signUp(api);
        expect((await api.get(`/api/users/${u.id}`, u.accessToken)).body.user.email).to.equal(u.email);
      });

      it("answers an unknown user id with 404 and a malformed one with 400", async () => {
        const u = await signUp(api);
        expectProblem(await api.get(`/api/users/${randomUUID()}`, u.accessToken), "NOT_FOUND");
        expect(errorPaths(await api.get("/api/users/12345", u.accessToken))).to.deep.equal(["id"]);
      });
    });

    describe("avatar", () => {
      const upload = (u: TestUser, form: FormData) => api.request("PUT", "/api/me/avatar", { token: u.accessToken, raw: form });
      const avatarForm = (bytes: Buffer, name = "avatar.png", type = "image/png", field = "avatar") => {
        const form = new FormData();
        form.append(field, new Blob([bytes], { type }), name);
        return form;
      };
      const fetchBytes = async (url: string) => {
        const res = await fetch(`${node.url}${url}`);
        return { status: res.status, type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
      };

      it("stores a PNG and serves the same bytes as image/png at avatarUrl", async () => {
        const u = await signUp(api);
        const image = png(2, [200, 30, 30]);
        const res = await upload(u, avatarForm(image));
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expectUserView(res.body.user, "self");
        expect(res.body.user.avatarUrl).to.match(/^\/api\/avatars\/.+\.png$/);
        expect((await api.get("/api/me", u.accessToken)).body.user.avatarUrl).to.equal(res.body.user.avatarUrl);

        const served = await fetchBytes(res.body.user.avatarUrl);
        expect(served.status).to.equal(200);
        expect(served.type).to.equal("image/png");
        expect(served.bytes.equals(image)).to.equal(true);
      });

      it("reads the type from the bytes, not the file name: a PNG named .jpg is still a PNG", async () => {
        const u = await signUp(api);
        const res = await upload(u, avatarForm(png(1, [0, 0, 0]), "photo.jpg", "image/jpeg"));
        expect(res.status).to.equal(200);
        expect(res.body.user.avatarUrl).to.match(/\.png$/);
      });

      it("rejects a text file renamed .png with 415", async () => {
        const u = await signUp(api);
        expectProblem(await upload(u, avatarForm(Buffer.from("definitely not an image\n".repeat(20)))), "UNSUPPORTED_MEDIA_TYPE");
        expect((await api.get("/api/me", u.accessToken)).body.user.avatarUrl).to.equal(null);
      });

      it("rejects a file over 5 MiB with 413", async () => {
        const u = await signUp(api);
        const big = Buffer.concat([png(1, [1, 2, 3]), Buffer.alloc(5 * 1024 * 1024)]);
        expectProblem(await upload(u, avatarForm(big)), "PAYLOAD_TOO_LARGE");
        expect((await api.get("/api/me", u.accessToken)).body.user.avatarUrl).to.equal(null);
      });

      it("rejects an upload without the avatar field with 400", async () => {
        const u = await signUp(api);
        const onlyText = new FormData();
        onlyText.append("note", "no file here");
        expect(errorPaths(await upload(u, onlyText))).to.deep.equal(["avatar"]);
        expectProblem(await upload(u, avatarForm(png(1, [5, 5, 5]), "a.png", "image/png", "picture")), "VALIDATION");
        expectProblem(await api.request("PUT", "/api/me/avatar", { token: u.accessToken, body: { avatar: "x" } }), "VALIDATION");
        expectProblem(await upload(u, avatarForm(Buffer.alloc(0))), "VALIDATION");
      });

      it("deletes the old avatar file when it is replaced", async () => {
        const u = await signUp(api);
        const first = (await upload(u, avatarForm(png(1, [10, 10, 10])))).body.user.avatarUrl as string;
        const second = (await upload(u, avatarForm(png(3, [20, 20, 20])))).body.user.avatarUrl as string;
        expect(second).to.not.equal(first);
        expectProblem(await api.get(first), "NOT_FOUND");
        expect((await fetchBytes(second)).status).to.equal(200);
        const files = await readdir(path.join(node.dataDir, "blobs", "avatars"));
        expect(files).to.not.include(path.basename(first));
        expect(files).to.include(path.basename(second));
      });

      it("needs a signed-in user to upload; unknown or odd avatar keys are 404", async () => {
        expectProblem(await api.request("PUT", "/api/me/avatar", { raw: avatarForm(png(1, [0, 0, 0])) }), "UNAUTHORIZED");
        expectProblem(await api.get(`/api/avatars/${randomUUID()}-0123456789abcdef.png`), "NOT_FOUND");
        expectProblem(await api.get("/api/avatars/..%2Fjwt-secret"), "NOT_FOUND");
      });
    });

    describe("search", () => {
      // Every test searches for a token of its own, so users of other tests (and earlier runs on
      // the shared PostgreSQL database) never match.
      const token = () => randomUUID().slice(0, 8);
      const search = (u: TestUser, params: Record<string, string>) => api.get(`/api/users?${new URLSearchParams(params)}`, u.accessToken);
      const ids = (res: { body: { users: { id: string }[] } }) => res.body.users.map((x) => x.id);

      it("finds display names by substring, ignoring case, and shows other users without email", async () => {
        const t = token();
        const [me, hit, miss] = await Promise.all([signUp(api, "Searcher"), signUp(api, `Zora ${t.toUpperCase()} Quill`), signUp(api, "Unrelated")]);
        const res = await search(me, { q: t.toLowerCase().slice(1, 7) });
        expect(res.status).to.equal(200);
        expect(res.body).to.have.all.keys("users", "nextCursor");
        expect(ids(res)).to.include(hit.id).and.not.include(miss.id);
        for (const user of res.body.users) if (user.id !== me.id) expectUserView(user, "other");
      });

      it("finds a user by exact email in any case, but not by part of it", async () => {
        const [me, target] = await Promise.all([signUp(api), signUp(api, "Hidden Name")]);
        const exact = await search(me, { q: target.email.toUpperCase() });
        expect(ids(exact)).to.deep.equal([target.id]);
        expect(exact.body.users[0]).to.not.have.property("email");
        expect(ids(await search(me, { q: target.email.slice(0, 20) }))).to.not.include(target.id);
      });

      it("pages with a cursor across pages without duplicates or gaps", async () => {
        const t = token();
        const me = await signUp(api);
        const made = await Promise.all(Array.from({ length: 5 }, (_, i) => signUp(api, `Pager ${t} ${i}`)));
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await search(me, { q: t, limit: "2", ...(cursor ? { cursor } : {}) });
          expect(res.status).to.equal(200);
          expect(res.body.users.length).to.be.at.most(2);
          seen.push(...ids(res));
          cursor = res.body.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        expect(pages).to.equal(3);
        expect(seen).to.have.length(5);
        expect(new Set(seen).size).to.equal(5);
        expect(seen).to.have.members(made.map((u) => u.id));
        const all = await search(me, { q: t });
        expect(all.body.nextCursor).to.equal(null);
        expect(ids(all)).to.deep.equal(seen);
      });

      it("caps limit at 100: 100 is fine, 101 and 0 are 400", async () => {
        const me = await signUp(api);
        expect((await search(me, { q: token(), limit: "100" })).status).to.equal(200);
        expect(errorPaths(await search(me, { q: "x", limit: "101" }))).to.deep.equal(["limit"]);
        expect(errorPaths(await search(me, { q: "x", limit: "0" }))).to.deep.equal(["limit"]);
        expect(errorPaths(await search(me, { q: "x", limit: "ten" }))).to.deep.equal(["limit"]);
      });

      it("rejects a missing or empty q and a bad cursor with 400", async () => {
        const me = await signUp(api);
        expect(errorPaths(await api.get("/api/users", me.accessToken))).to.deep.equal(["q"]);
        expect(errorPaths(await search(me, { q: "" }))).to.deep.equal(["q"]);
        expect(errorPaths(await search(me, { q: "   " }))).to.deep.equal(["q"]);
        expect(errorPaths(await search(me, { q: "x".repeat(101) }))).to.deep.equal(["q"]);
        expect(errorPaths(await search(me, { q: "x", cursor: "not-a-cursor" }))).to.deep.equal(["cursor"]);
      });

      it("treats % and _ in q as literal characters, not patterns", async () => {
        const t = token();
        const me = await signUp(api);
        const [percent, underscore, plain] = await Promise.all([signUp(api, `100%${t}`), signUp(api, `a_${t}`), signUp(api, `ab${t}`)]);
        expect(ids(await search(me, { q: `%${t}` }))).to.deep.equal([percent.id]);
        expect(ids(await search(me, { q: `_${t}` }))).to.deep.equal([underscore.id]);
        expect(ids(await search(me, { q: t }))).to.have.members([percent.id, underscore.id, plain.id]);
        expect(ids(await search(me, { q: `\\${t}` }))).to.deep.equal([]);
      });

      it("needs a signed-in user", async () => {
        expectProblem(await api.get("/api/users?q=a"), "UNAUTHORIZED");
      });
    });
  });
}
