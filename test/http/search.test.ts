// Message search end to end (GET /api/search/messages): what the caller may see, ranking, paging,
// snippets, bad input, and edits and deletes showing within the contract's 2 s.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp, type TestUser } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { eventually } from "../helpers/eventually.js";
import { groupWith } from "../helpers/rooms.js";
import { connectSocket, emitAck } from "../helpers/sockets.js";
import { BACKENDS, errorPaths, expectProblem } from "./expect.js";

/** PROTOCOL.md: a new, edited or deleted message shows in search within 2 s. */
const REFLECTED_WITHIN_MS = 2_000;

interface Result {
  message: { id: string; roomId: string; seq: number; text: string };
  room: { id: string; name: string };
  snippet: { text: string; highlights: { start: number; end: number }[] };
}

for (const backend of BACKENDS) {
  describe(`message search (${backend})`, function () {
    this.timeout(30_000);
    const { node, api } = useNode({ backend });

    const query = (params: Record<string, string | number>) => `/api/search/messages?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)] as [string, string]))}`;
    const search = (user: TestUser, params: Record<string, string | number>) => api.get<{ results: Result[]; nextCursor: string | null }>(query(params), user.accessToken);
    const post = async (user: TestUser, roomId: string, text: string) => {
      const res = await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text }, user.accessToken);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.message as Result["message"];
    };
    /**
     * Polls the search until `done` holds, and fails if it still does not once REFLECTED_WITHIN_MS
     * have passed since `since` (the moment the change was acknowledged).
     */
    const searchUntil = (user: TestUser, params: Record<string, string | number>, done: (results: Result[]) => boolean, since: number) =>
      eventually(
        async () => {
          const res = await search(user, params);
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          expect(done(res.body.results), `reflected: ${JSON.stringify(res.body.results.map((r) => r.message.text))}`).to.equal(true);
          return res.body.results;
        },
        { within: since + REFLECTED_WITHIN_MS - Date.now(), every: 50, what: `search for ${JSON.stringify(params)} reflected within ${REFLECTED_WITHIN_MS} ms` },
      );
    /** A group of `owner` and `others` with messages posted in order, each found by search before the test goes on. */
    const roomWith = async (owner: TestUser, others: TestUser[], texts: string[], name = "Trip") => {
      const roomId = await groupWith(api, owner, others, name);
      const messages = [];
      for (const text of texts) messages.push(await post(owner, roomId, text));
      const last = messages.at(-1);
      if (last) await searchUntil(owner, { q: last.text, roomId }, (rs) => rs.some((r) => r.message.id === last.id), Date.now());
      return { roomId, messages };
    };

    describe("access", () => {
      it("refuses a caller without a token", async () => {
        expectProblem(await api.get(query({ q: "hello" })), "UNAUTHORIZED");
      });

      it("never returns messages of rooms the caller is not in", async () => {
        const [ann, bob, eve] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob"), signUp(api, "Eve")]);
        const ours = await roomWith(ann, [bob], ["our secret plan"]);
        const theirs = await roomWith(eve, [], ["eve's secret plan"], "Eve's");
        const res = await search(ann, { q: "secret plan" });
        expect(res.status).to.equal(200);
        expect(res.body.results.map((r) => r.message.id)).to.deep.equal([ours.messages[0]!.id]);
        const eves = await search(eve, { q: "secret plan" });
        expect(eves.body.results.map((r) => r.message.id)).to.deep.equal([theirs.messages[0]!.id]);
      });

      it("stops searching a room once the caller has left it", async () => {
        const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
        const { roomId, messages } = await roomWith(ann, [bob], ["farewell party at noon"]);
        expect((await search(bob, { q: "farewell" })).body.results.map((r) => r.message.id)).to.deep.equal([messages[0]!.id]);
        expect((await api.post(`/api/rooms/${roomId}/leave`, undefined, bob.accessToken)).status).to.equal(204);
        expect((await search(bob, { q: "farewell" })).body.results).to.deep.equal([]);
      });

      it("refuses a roomId filter for a room the caller is not in with the same 404 as for a room that does not exist", async () => {
        const [ann, eve] = await Promise.all([signUp(api, "Ann"), signUp(api, "Eve")]);
        const theirs = await roomWith(eve, [], ["nothing for ann"], "Eve's");
        expectProblem(await search(ann, { q: "nothing", roomId: theirs.roomId }), "NOT_FOUND");
        expectProblem(await search(ann, { q: "nothing", roomId: randomUUID() }), "NOT_FOUND");
      });
    });

    describe("results", () => {
      it("finds English and Korean text by any part of a word, with the room and a highlighted snippet", async () => {
        const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
        const { roomId, messages } = await roomWith(ann, [bob], ["Hello World from Seoul", "안녕하세요 여러분, 반가워요", "see you tomorrow"]);

        const korean = await search(bob, { q: "안녕" });
        expect(korean.status).to.equal(200);
        expect(korean.body.nextCursor).to.equal(null);
        expect(korean.body.results).to.have.length(1);
        const [hit] = korean.body.results;
        expect(hit!.message).to.deep.include({ id: messages[1]!.id, roomId, seq: messages[1]!.seq, text: "안녕하세요 여러분, 반가워요" });
        expect(hit!.room).to.deep.equal({ id: roomId, name: "Trip" });
        expect(hit!.snippet).to.deep.equal({ text: "안녕하세요 여러분, 반가워요", highlights: [{ start: 0, end: 2 }] });

        const inside = await search(bob, { q: "가워" });
        expect(inside.body.results.map((r) => r.message.id)).to.deep.equal([messages[1]!.id]);

        const english = await search(bob, { q: "WORLD" });
        expect(english.body.results.map((r) => r.message.id)).to.deep.equal([messages[0]!.id]);
        const { snippet } = english.body.results[0]!;
        expect(snippet.highlights).to.deep.equal([{ start: 6, end: 11 }]);
        expect(snippet.text.slice(6, 11)).to.equal("World");
      });

      it("orders results newest first across the caller's rooms and filters by roomId", async () => {
        const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
        const first = await roomWith(ann, [bob], ["pancakes on monday"], "Breakfast");
        const second = await roomWith(bob, [ann], ["pancakes on tuesday"], "Brunch");
        const third = await post(ann, first.roomId, "more pancakes on wednesday");
        const all = await searchUntil(ann, { q: "pancakes" }, (rs) => rs.length === 3, Date.now());
        expect(all.map((r) => r.message.id)).to.deep.equal([third.id, second.messages[0]!.id, first.messages[0]!.id]);
        expect(all.map((r) => r.room.name)).to.deep.equal(["Breakfast", "Brunch", "Breakfast"]);

        const one = await search(ann, { q: "pancakes", roomId: second.roomId });
        expect(one.body.results.map((r) => r.message.id)).to.deep.equal([second.messages[0]!.id]);
      });

      it("names a direct room after the other member", async () => {
        const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bobby")]);
        const direct = await api.post("/api/rooms", { type: "direct", userId: bob.id }, ann.accessToken);
        const m = await post(ann, direct.body.room.id, "just between us");
        const [hit] = await searchUntil(ann, { q: "between us" }, (rs) => rs.length === 1, Date.now());
        expect(hit!.message.id).to.equal(m.id);
        expect(hit!.room).to.deep.equal({ id: direct.body.room.id, name: "Bobby" });
        const [bobs] = await searchUntil(bob, { q: "between us" }, (rs) => rs.length === 1, Date.now());
        expect(bobs!.room.name).to.equal("Ann");
      });

      it("pages with limit and cursor: 50 by default, every match once, newest first", async () => {
        const [ann] = await Promise.all([signUp(api, "Ann")]);
        const texts = Array.from({ length: 55 }, (_, i) => `tick ${i + 1}`);
        const { messages } = await roomWith(ann, [], texts);
        const newestFirst = messages.map((m) => m.id).reverse();

        const page = await search(ann, { q: "tick" });
        expect(page.body.results.map((r) => r.message.id)).to.deep.equal(newestFirst.slice(0, 50));
        expect(page.body.nextCursor).to.be.a("string");
        const rest = await search(ann, { q: "tick", cursor: page.body.nextCursor! });
        expect(rest.body.results.map((r) => r.message.id)).to.deep.equal(newestFirst.slice(50));
        expect(rest.body.nextCursor).to.equal(null);

        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await search(ann, { q: "tick", limit: 7, ...(cursor ? { cursor } : {}) });
          expect(res.body.results.length).to.be.at.most(7);
          seen.push(...res.body.results.map((r) => r.message.id));
          cursor = res.body.nextCursor;
        } while (cursor);
        expect(seen).to.deep.equal(newestFirst);
      });
    });

    describe("freshness", () => {
      it("shows a new message within 2 s", async () => {
        const [ann] = await Promise.all([signUp(api, "Ann")]);
        const { roomId } = await roomWith(ann, [], []);
        const m = await post(ann, roomId, "fresh bread just in");
        await searchUntil(ann, { q: "fresh bread" }, (rs) => rs.some((r) => r.message.id === m.id), Date.now());
      });

      it("finds an edited message by its new words, not its old ones, within 2 s", async () => {
        const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
        const { roomId, messages } = await roomWith(ann, [bob], ["lunch at the bakery"]);
        const socket = await connectSocket(node.url, ann.accessToken);
        try {
          const ack = await emitAck(socket, "message:edit", { roomId, messageId: messages[0]!.id, text: "lunch at the noodle bar" });
          expect(ack.ok, JSON.stringify(ack)).to.equal(true);
          const since = Date.now();
          const found = await searchUntil(bob, { q: "noodle" }, (rs) => rs.length === 1, since);
          expect(found[0]!.message).to.deep.include({ id: messages[0]!.id, text: "lunch at the noodle bar" });
          expect(found[0]!.message).to.have.property("editedAt");
          await searchUntil(bob, { q: "bakery" }, (rs) => rs.length === 0, since);
        } finally {
          socket.close();
        }
      });

      it("stops finding a deleted message within 2 s", async () => {
        const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
        const { roomId, messages } = await roomWith(ann, [bob], ["my password is hunter2", "keep this hunter"]);
        const socket = await connectSocket(node.url, ann.accessToken);
        try {
          const ack = await emitAck(socket, "message:delete", { roomId, messageId: messages[0]!.id });
          expect(ack.ok, JSON.stringify(ack)).to.equal(true);
          const left = await searchUntil(bob, { q: "hunter" }, (rs) => rs.length === 1, Date.now());
          expect(left[0]!.message.id).to.equal(messages[1]!.id);
        } finally {
          socket.close();
        }
      });
    });

    describe("bad input", () => {
      let ann: TestUser;
      before(async () => {
        ann = await signUp(api, "Ann");
      });

      it("requires q, with 1 to 200 characters a message could contain", async () => {
        for (const res of [await api.get("/api/search/messages", ann.accessToken), await search(ann, { q: "" }), await search(ann, { q: "   " }), await search(ann, { q: "x".repeat(201) }), await search(ann, { q: "a\u0000b" })]) {
          expectProblem(res, "VALIDATION");
          expect(errorPaths(res)).to.deep.equal(["q"]);
        }
        expect((await search(ann, { q: "가".repeat(200) })).status).to.equal(200);
      });

      it("refuses a bad limit, roomId or cursor, naming the field", async () => {
        for (const [params, path] of [
          [{ q: "a", limit: 0 }, "limit"],
          [{ q: "a", limit: 101 }, "limit"],
          [{ q: "a", limit: "many" }, "limit"],
          [{ q: "a", roomId: "not-a-room" }, "roomId"],
          [{ q: "a", cursor: "garbage" }, "cursor"],
          [{ q: "a", cursor: Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000Z", "r", -1])).toString("base64url") }, "cursor"],
          [{ q: "a", cursor: Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000Z", "r\u0000", 1])).toString("base64url") }, "cursor"],
        ] as const) {
          const res = await search(ann, params);
          expectProblem(res, "VALIDATION");
          expect(errorPaths(res), JSON.stringify(params)).to.deep.equal([path]);
        }
      });
    });
  });
}
