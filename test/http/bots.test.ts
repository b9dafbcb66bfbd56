// Bots over REST (PROTOCOL.md, "Integrations"; docs/integrations.md): POST/GET/DELETE /api/bots,
// and the token as `Authorization: Bot <token>` on every other route, as the bot's user.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp, type ApiResponse, type TestUser } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { errorPaths, expectNoSecrets, expectProblem, expectUserView } from "./expect.js";

interface TestBot {
  bot: { id: string; userId: string; name: string; createdAt: string };
  token: string;
}

// The contract's floor for the per-user limit (PROTOCOL: never below 50 requests/s).
const USER_REQUESTS_PER_SECOND = 50;

describe("bots over REST", function () {
  this.timeout(30_000);
  const { api } = useNode({ env: { RATE_LIMIT_USER_PER_SECOND: String(USER_REQUESTS_PER_SECOND) } });

  /** A request with `Authorization: Bot <token>`. */
  const asBot = (token: string, method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    api.request(method, path, { body, headers: { authorization: `Bot ${token}` } });
  const makeBot = async (owner: TestUser, name = "Helper"): Promise<TestBot> => {
    const res = await api.post("/api/bots", { name }, owner.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  };
  /** The direct room of the owner and the bot: both are members at once. */
  const directWith = async (owner: TestUser, bot: TestBot) => {
    const res = await api.post("/api/rooms", { type: "direct", userId: bot.bot.userId }, owner.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
    return res.body.room.id as string;
  };
  const send = (token: string, roomId: string, text: string) => asBot(token, "POST", `/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text });

  let ann: TestUser;
  beforeEach(async () => {
    ann = await signUp(api, "Ann");
  });

  describe("refusals", () => {
    it("without a token, or with a bad one, POST/GET /api/bots are 401 UNAUTHORIZED", async () => {
      expectProblem(await api.post("/api/bots", { name: "x" }), "UNAUTHORIZED");
      expectProblem(await api.get("/api/bots"), "UNAUTHORIZED");
      expectProblem(await api.request("GET", "/api/bots", { headers: { authorization: "Bot" } }), "UNAUTHORIZED");
    });

    it("malformed names are 400 VALIDATION naming name, and make no bot", async () => {
      for (const name of ["", "   ", "x".repeat(51), 42, null, "a\u0000b"]) {
        expect(errorPaths(await api.post("/api/bots", { name }, ann.accessToken)), JSON.stringify(name)).to.include("name");
      }
      expect(errorPaths(await api.post("/api/bots", {}, ann.accessToken))).to.include("name");
      expect(errorPaths(await api.post("/api/bots", { name: "ok", admin: true }, ann.accessToken))).to.include("admin");
      expect((await api.get("/api/bots", ann.accessToken)).body.bots).to.deep.equal([]);
    });

    it("malformed, unknown and misplaced tokens are 401 UNAUTHORIZED on any route", async () => {
      const { token } = await makeBot(ann);
      for (const bad of ["garbage", "cb_short", `${token}x`, `cb_${"A".repeat(43)}`, token.replace(/^cb_/, "xx_")]) {
        expectProblem(await asBot(bad, "GET", "/api/me"), "UNAUTHORIZED");
      }
      // A bot token is not an access token, nor the other way round.
      expectProblem(await api.get("/api/me", token), "UNAUTHORIZED");
      expectProblem(await asBot(ann.accessToken, "GET", "/api/me"), "UNAUTHORIZED");
    });

    it("a bot cannot create bots (403 FORBIDDEN), log in with its account's email (401), or refresh (it has no refresh token)", async () => {
      const { token } = await makeBot(ann);
      expectProblem(await asBot(token, "POST", "/api/bots", { name: "Grandchild" }), "FORBIDDEN");
      expect((await asBot(token, "GET", "/api/bots")).body.bots).to.deep.equal([]);
      const me = (await asBot(token, "GET", "/api/me")).body.user;
      for (const password of ["", "correct horse battery", token]) {
        expectProblem(await api.post("/api/auth/login", { email: me.email, password }), "UNAUTHORIZED");
      }
      expectProblem(await api.post("/api/auth/refresh", { refreshToken: token }), "UNAUTHORIZED");
    });

    it("the 21st bot of one account is 409 CONFLICT with BOT_LIMIT in the detail; deleting one makes room", async () => {
      const made = await Promise.all(Array.from({ length: 20 }, (_, i) => makeBot(ann, `Bot ${i}`)));
      const refused = expectProblem(await api.post("/api/bots", { name: "One too many" }, ann.accessToken), "CONFLICT");
      expect(refused.detail).to.match(/^BOT_LIMIT:/);
      expect((await api.get("/api/bots", ann.accessToken)).body.bots).to.have.length(20);
      expect((await api.delete(`/api/bots/${made[0]!.bot.id}`, ann.accessToken)).status).to.equal(204);
      expect((await api.post("/api/bots", { name: "Now it fits" }, ann.accessToken)).status).to.equal(201);
    });

    it("someone else's bot is 404 NOT_FOUND to DELETE, as a made-up id, and keeps working; a malformed id is 400", async () => {
      const { bot, token } = await makeBot(ann);
      const bob = await signUp(api, "Bob");
      expectProblem(await api.delete(`/api/bots/${bot.id}`, bob.accessToken), "NOT_FOUND");
      expectProblem(await api.delete(`/api/bots/${randomUUID()}`, ann.accessToken), "NOT_FOUND");
      expect(errorPaths(await api.delete("/api/bots/not-an-id", ann.accessToken))).to.include("id");
      expect((await asBot(token, "GET", "/api/me")).status).to.equal(200);
    });
  });

  describe("creating, listing, deleting", () => {
    it("POST answers 201 { bot, token } once; GET lists the caller's bots, oldest first, never a token", async () => {
      const res = await api.post("/api/bots", { name: "  Helper  " }, ann.accessToken);
      expect(res.status).to.equal(201);
      expect(res.body).to.have.all.keys(["bot", "token"]);
      expect(res.body.bot).to.have.all.keys(["id", "userId", "name", "createdAt"]);
      expect(res.body.bot.name).to.equal("Helper");
      expect(res.body.token).to.match(/^cb_[A-Za-z0-9_-]{43}$/);
      const second = await makeBot(ann, "Second");
      await makeBot(await signUp(api, "Bob"), "Bob's");
      const listed = await api.get("/api/bots", ann.accessToken);
      expect(listed.status).to.equal(200);
      expect(listed.body).to.deep.equal({ bots: [res.body.bot, second.bot] });
      expect(JSON.stringify(listed.body)).to.not.include(res.body.token.slice(3));
      expectNoSecrets(listed.body);
    });

    it("the bot is a user of its own: GET /api/me with its token is its user, named as the bot", async () => {
      const { bot, token } = await makeBot(ann, "Helper");
      const me = await asBot(token, "GET", "/api/me");
      expect(me.status).to.equal(200);
      expectUserView(me.body.user, "self");
      expect(me.body.user).to.include({ id: bot.userId, displayName: "Helper", emailVerified: true });
      expect(me.body.user.email).to.match(/@bots\.invalid$/);
      // Others see it as any user.
      const seen = await api.get(`/api/users/${bot.userId}`, ann.accessToken);
      expect(seen.status).to.equal(200);
      expectUserView(seen.body.user, "other");
    });

    it("acts as its user on other routes: it sends into a room it is in, and its owner reads the message as the bot's", async () => {
      const bot = await makeBot(ann);
      const roomId = await directWith(ann, bot);
      const sent = await send(bot.token, roomId, "beep");
      expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
      expect(sent.body.message.senderId).to.equal(bot.bot.userId);
      const history = await api.get(`/api/rooms/${roomId}/messages?after=0`, ann.accessToken);
      expect(history.body.messages.map((m: { senderId: string; text: string }) => [m.senderId, m.text])).to.deep.include([bot.bot.userId, "beep"]);
      // A room it is not in is NOT_FOUND to it, as to any user.
      const bob = await signUp(api, "Bob");
      const other = await api.post("/api/rooms", { type: "group", name: "Bob's" }, bob.accessToken);
      expectProblem(await send(bot.token, other.body.room.id, "hi"), "NOT_FOUND");
    });

    it("DELETE answers 204: the token is refused from then on, the bot is no longer listed, it left its rooms, its messages stay", async () => {
      const bot = await makeBot(ann);
      const roomId = await directWith(ann, bot);
      expect((await send(bot.token, roomId, "still here")).status).to.equal(201);
      expect((await api.delete(`/api/bots/${bot.bot.id}`, ann.accessToken)).status).to.equal(204);
      expectProblem(await asBot(bot.token, "GET", "/api/me"), "UNAUTHORIZED");
      expectProblem(await send(bot.token, roomId, "gone"), "UNAUTHORIZED");
      expect((await api.get("/api/bots", ann.accessToken)).body.bots).to.deep.equal([]);
      const room = await api.get(`/api/rooms/${roomId}`, ann.accessToken);
      expect(room.status).to.equal(200);
      expect(room.body.members.map((m: { user: { id: string } }) => m.user.id)).to.deep.equal([ann.id]);
      const history = await api.get(`/api/rooms/${roomId}/messages?after=0`, ann.accessToken);
      expect(history.body.messages.filter((m: { senderId: string }) => m.senderId === bot.bot.userId).map((m: { text: string }) => m.text)).to.deep.equal(["still here"]);
      // Again: 204, nothing more to do.
      expect((await api.delete(`/api/bots/${bot.bot.id}`, ann.accessToken)).status).to.equal(204);
    });

    it("deleting the owner's account deletes its bots: their tokens get 401 and their messages become tombstones", async () => {
      const bob = await signUp(api, "Bob");
      const bot = await makeBot(ann);
      const roomId = (await asBot(bot.token, "POST", "/api/rooms", { type: "direct", userId: bob.id })).body.room.id as string;
      expect((await send(bot.token, roomId, "from the bot")).status).to.equal(201);
      expect((await api.request("DELETE", "/api/me", { token: ann.accessToken, body: { password: ann.password } })).status).to.equal(204);
      expectProblem(await asBot(bot.token, "GET", "/api/me"), "UNAUTHORIZED");
      const history = await api.get(`/api/rooms/${roomId}/messages?after=0`, bob.accessToken);
      const fromBot = history.body.messages.filter((m: { senderId: string; type: string }) => m.senderId === bot.bot.userId && m.type === "text");
      expect(fromBot.map((m: { text: string; deletedAt: string | null }) => [m.text, m.deletedAt !== null])).to.deep.equal([["", true]]);
    });
  });

  it(`is held to the per-user limit as a user is: ${USER_REQUESTS_PER_SECOND} requests a second, then 429`, async () => {
    const { token } = await makeBot(ann);
    // 120 at once: even if they straddle two 1-second windows, at most 100 may pass.
    const burst = await Promise.all(Array.from({ length: 120 }, () => asBot(token, "GET", "/api/me")));
    const ok = burst.filter((r) => r.status === 200).length;
    const limited = burst.filter((r) => r.status === 429);
    expect(ok).to.be.at.least(USER_REQUESTS_PER_SECOND);
    expect(limited.length).to.be.at.least(1);
    expectProblem(limited[0]!, "RATE_LIMITED");
    // Its owner is another user, with a budget of its own.
    expect((await api.get("/api/me", ann.accessToken)).status).to.equal(200);
  });
});
