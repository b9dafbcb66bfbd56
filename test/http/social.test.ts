// Friend requests and friendships, follows (PROTOCOL.md: Users, friends, follows).
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp, type TestUser } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { BACKENDS, errorPaths, expectProblem, expectUserView } from "./expect.js";

for (const backend of BACKENDS) {
  describe(`friends and follows (${backend})`, function () {
    const { api } = useNode({ backend });

    // Typed as "at least three" so destructuring needs no `!`; callers take only what they made.
    const users = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => signUp(api, `Friend ${i}`))) as Promise<[TestUser, TestUser, TestUser, ...TestUser[]]>;
    const ask = (from: TestUser, to: { id: string }) => api.post("/api/friends/requests", { userId: to.id }, from.accessToken);
    const answer = (u: TestUser, requestId: string, verb: "accept" | "decline") => api.post(`/api/friends/requests/${requestId}/${verb}`, undefined, u.accessToken);
    const friendIds = async (u: TestUser) => {
      const res = await api.get("/api/friends", u.accessToken);
      expect(res.status).to.equal(200);
      return (res.body.friends as { user: { id: string } }[]).map((f) => f.user.id);
    };
    const befriend = async (a: TestUser, b: TestUser) => {
      const req = await ask(a, b);
      expect((await answer(b, req.body.request.id, "accept")).status).to.equal(200);
    };

    describe("friend requests", () => {
      it("creates a pending request: 201 with id, fromUserId, toUserId, status and createdAt", async () => {
        const [a, b] = await users(2);
        const res = await ask(a, b);
        expect(res.status).to.equal(201);
        expect(res.body.request).to.have.all.keys("id", "fromUserId", "toUserId", "status", "createdAt");
        expect(res.body.request).to.include({ fromUserId: a.id, toUserId: b.id, status: "pending" });
        expect(new Date(res.body.request.createdAt).toISOString()).to.equal(res.body.request.createdAt);
      });

      it("rejects a request to oneself (400), to an unknown user (404) and with a malformed id (400)", async () => {
        const [a] = await users(1);
        expect(errorPaths(await ask(a, a))).to.deep.equal(["userId"]);
        expectProblem(await ask(a, { id: randomUUID() }), "NOT_FOUND");
        expect(errorPaths(await api.post("/api/friends/requests", { userId: "nope" }, a.accessToken))).to.deep.equal(["userId"]);
        expect(errorPaths(await api.post("/api/friends/requests", {}, a.accessToken))).to.deep.equal(["userId"]);
      });

      it("rejects a duplicate pending request and a reverse one with 409", async () => {
        const [a, b] = await users(2);
        expect((await ask(a, b)).status).to.equal(201);
        expectProblem(await ask(a, b), "CONFLICT");
        expectProblem(await ask(b, a), "CONFLICT");
      });

      it("lets only one of two crossing requests through", async () => {
        const [a, b] = await users(2);
        const both = await Promise.all([ask(a, b), ask(b, a)]);
        expect(both.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      });

      it("lists the request as incoming for the addressee and outgoing for the sender", async () => {
        const [a, b, c] = await users(3);
        const id = (await ask(a, b)).body.request.id;
        const forB = await api.get("/api/friends/requests", b.accessToken);
        expect(forB.status).to.equal(200);
        expect(forB.body.incoming.map((r: { id: string }) => r.id)).to.deep.equal([id]);
        expect(forB.body.outgoing).to.deep.equal([]);
        const forA = (await api.get("/api/friends/requests", a.accessToken)).body;
        expect(forA.outgoing.map((r: { id: string }) => r.id)).to.deep.equal([id]);
        expect(forA.incoming).to.deep.equal([]);
        expect((await api.get("/api/friends/requests", c.accessToken)).body).to.deep.equal({ incoming: [], outgoing: [] });
      });

      it("accepting makes both friends, listed with offline presence, and clears the pending lists", async () => {
        const [a, b] = await users(2);
        const id = (await ask(a, b)).body.request.id;
        const res = await answer(b, id, "accept");
        expect(res.status).to.equal(200);
        expect(res.body.request).to.include({ id, fromUserId: a.id, toUserId: b.id, status: "accepted" });

        for (const [me, other] of [
          [a, b],
          [b, a],
        ] as const) {
          const list = await api.get("/api/friends", me.accessToken);
          expect(list.body.friends).to.have.length(1);
          const [entry] = list.body.friends;
          expect(entry).to.have.all.keys("user", "presence");
          expectUserView(entry.user, "other");
          expect(entry.user.id).to.equal(other.id);
          expect(entry.presence).to.deep.equal({ status: "offline", lastSeenAt: null });
          expect((await api.get("/api/friends/requests", me.accessToken)).body).to.deep.equal({ incoming: [], outgoing: [] });
        }
        expectProblem(await ask(a, b), "CONFLICT");
        expectProblem(await ask(b, a), "CONFLICT");
      });

      it("lets only the addressee answer: the sender and a stranger get 404", async () => {
        const [a, b, stranger] = await users(3);
        const id = (await ask(a, b)).body.request.id;
        expectProblem(await answer(a, id, "accept"), "NOT_FOUND");
        expectProblem(await answer(stranger, id, "accept"), "NOT_FOUND");
        expectProblem(await answer(stranger, id, "decline"), "NOT_FOUND");
        expect(await friendIds(a)).to.deep.equal([]);
        expectProblem(await answer(b, randomUUID(), "accept"), "NOT_FOUND");
        expect(errorPaths(await answer(b, "not-an-id", "accept"))).to.deep.equal(["id"]);
      });

      it("answers a second accept, or a decline after accepting, with 409", async () => {
        const [a, b] = await users(2);
        const id = (await ask(a, b)).body.request.id;
        expect((await answer(b, id, "accept")).status).to.equal(200);
        expectProblem(await answer(b, id, "accept"), "CONFLICT");
        expectProblem(await answer(b, id, "decline"), "CONFLICT");
      });

      it("declining makes no friendship and allows a new request later", async () => {
        const [a, b] = await users(2);
        const id = (await ask(a, b)).body.request.id;
        const res = await answer(b, id, "decline");
        expect(res.status).to.equal(200);
        expect(res.body.request).to.include({ id, status: "declined" });
        expect(await friendIds(a)).to.deep.equal([]);
        expect(await friendIds(b)).to.deep.equal([]);
        expectProblem(await answer(b, id, "accept"), "CONFLICT");
        expect((await api.get("/api/friends/requests", b.accessToken)).body.incoming).to.deep.equal([]);
        expect((await ask(a, b)).status).to.equal(201);
      });

      it("removing a friend ends it for both sides (204), and removing again is still 204", async () => {
        const [a, b, c] = await users(3);
        await befriend(a, b);
        await befriend(a, c);
        expect(await friendIds(a)).to.have.members([b.id, c.id]);
        expect((await api.delete(`/api/friends/${b.id}`, a.accessToken)).status).to.equal(204);
        expect(await friendIds(a)).to.deep.equal([c.id]);
        expect(await friendIds(b)).to.deep.equal([]);
        expect((await api.delete(`/api/friends/${b.id}`, a.accessToken)).status).to.equal(204);
        expect((await api.delete(`/api/friends/${a.id}`, b.accessToken)).status).to.equal(204);
        expect((await api.delete(`/api/friends/${randomUUID()}`, a.accessToken)).status).to.equal(204);
        expect((await ask(b, a)).status, "a new request is possible once unfriended").to.equal(201);
      });

      it("needs a signed-in user", async () => {
        expectProblem(await api.get("/api/friends"), "UNAUTHORIZED");
        expectProblem(await api.post("/api/friends/requests", { userId: randomUUID() }), "UNAUTHORIZED");
      });
    });

    describe("follows", () => {
      const page = (u: TestUser, of: string, direction: "followers" | "following", params: Record<string, string> = {}) =>
        api.get(`/api/users/${of}/${direction}?${new URLSearchParams(params)}`, u.accessToken);
      const allPages = async (u: TestUser, of: string, direction: "followers" | "following", limit: number) => {
        const ids: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await page(u, of, direction, { limit: String(limit), ...(cursor ? { cursor } : {}) });
          expect(res.status).to.equal(200);
          expect(res.body.users.length).to.be.at.most(limit);
          for (const user of res.body.users) expectUserView(user, user.id === u.id ? "self" : "other");
          ids.push(...res.body.users.map((x: { id: string }) => x.id));
          cursor = res.body.nextCursor;
          pages++;
        } while (cursor && pages < 20);
        return { ids, pages };
      };

      it("follow and unfollow are idempotent 204s", async () => {
        const [a, b] = await users(2);
        expect((await api.put(`/api/follows/${b.id}`, undefined, a.accessToken)).status).to.equal(204);
        expect((await api.put(`/api/follows/${b.id}`, undefined, a.accessToken)).status).to.equal(204);
        expect((await page(a, b.id, "followers")).body.users.map((x: { id: string }) => x.id)).to.deep.equal([a.id]);
        expect((await page(a, a.id, "following")).body.users.map((x: { id: string }) => x.id)).to.deep.equal([b.id]);
        expect((await page(b, b.id, "following")).body.users).to.deep.equal([]);

        expect((await api.delete(`/api/follows/${b.id}`, a.accessToken)).status).to.equal(204);
        expect((await api.delete(`/api/follows/${b.id}`, a.accessToken)).status).to.equal(204);
        expect((await page(a, b.id, "followers")).body).to.deep.equal({ users: [], nextCursor: null });
      });

      it("rejects following oneself (400) and an unknown user (404)", async () => {
        const [a] = await users(1);
        expect(errorPaths(await api.put(`/api/follows/${a.id}`, undefined, a.accessToken))).to.deep.equal(["userId"]);
        expectProblem(await api.put(`/api/follows/${randomUUID()}`, undefined, a.accessToken), "NOT_FOUND");
        expect(errorPaths(await api.put("/api/follows/x", undefined, a.accessToken))).to.deep.equal(["userId"]);
        expectProblem(await page(a, randomUUID(), "followers"), "NOT_FOUND");
      });

      it("pages followers and following with a cursor, without duplicates", async () => {
        const [star, ...fans] = await users(6);
        for (const fan of fans) await api.put(`/api/follows/${star.id}`, undefined, fan.accessToken);
        const followers = await allPages(star, star.id, "followers", 2);
        expect(followers.pages).to.equal(3);
        expect(followers.ids).to.have.length(5);
        expect(new Set(followers.ids).size).to.equal(5);
        expect(followers.ids).to.have.members(fans.map((f) => f.id));

        const fan = fans[0]!;
        for (const other of [star, ...fans.slice(1, 4)]) await api.put(`/api/follows/${other.id}`, undefined, fan.accessToken);
        const following = await allPages(star, fan.id, "following", 3);
        expect(following.ids).to.have.members([star.id, ...fans.slice(1, 4).map((f) => f.id)]);
        expect(new Set(following.ids).size).to.equal(4);
        expect(following.pages).to.equal(2);
      });

      it("validates limit and cursor like every paged route", async () => {
        const [a] = await users(1);
        expect(errorPaths(await page(a, a.id, "followers", { limit: "101" }))).to.deep.equal(["limit"]);
        expect(errorPaths(await page(a, a.id, "following", { cursor: "zzz" }))).to.deep.equal(["cursor"]);
        expect((await page(a, a.id, "followers", { limit: "100" })).status).to.equal(200);
      });
    });
  });
}
