// Bots on the socket door, across two nodes (PROTOCOL.md, "Integrations"; docs/integrations.md):
// the handshake admits `auth: { botToken }` as the bot's user, and deleting the bot (or its
// owner's account, or a suspension of the owner) on one node closes its sockets and refuses its token on the other within 1 s.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { io } from "socket.io-client";
import { grantOperator } from "../helpers/admin-cli.js";
import { signUp, type Api, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { emitAck, nextEvent, type ClientSocket } from "../helpers/sockets.js";
import { useCluster } from "../helpers/suite.js";
import { expectProblem } from "../http/expect.js";

// The contract's bound for a revocation to reach every node.
const REVOKED_EVERYWHERE_WITHIN_MS = 1_000;

interface TestBot {
  bot: { id: string; userId: string };
  token: string;
}

describe("bots across two nodes", function () {
  this.timeout(30_000);
  const { nodes: [a, b], apis: [apiA, apiB], track } = useCluster(2);

  /** A socket whose handshake carries `auth` as given; resolves on connect, rejects with the connect_error message. */
  const connectWith = (node: { url: string }, auth: Record<string, unknown>): Promise<ClientSocket> => {
    const socket: ClientSocket = track(io(node.url, { auth, transports: ["websocket"], reconnection: false, forceNew: true }));
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (err) => reject(err));
    });
  };
  const handshake = (node: { url: string }, auth: Record<string, unknown>) => connectWith(node, auth).then(() => "connected", (err: Error) => err.message);
  const asBot = (api: Api, token: string, method: string, path: string, body?: unknown) => api.request(method, path, { body, headers: { authorization: `Bot ${token}` } });
  const makeBot = async (owner: TestUser): Promise<TestBot> => {
    const res = await apiA.post("/api/bots", { name: "Helper" }, owner.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body;
  };
  /** The bot's socket on node B, seen by B's REST first (so B has the token cached as usable), with the time it was closed. */
  const botSocketOnB = async (bot: TestBot) => {
    expect((await asBot(apiB, bot.token, "GET", "/api/me")).status).to.equal(200);
    const socket = await connectWith(b, { botToken: bot.token });
    const closed = new Promise<{ reason: string; at: number }>((resolve) => socket.once("disconnect", (reason) => resolve({ reason, at: Date.now() })));
    return { socket, closed };
  };
  /** Node B refuses the token on REST and in the handshake, and closed the socket, all within the bound of `since`. */
  const expectEndedOnB = async (bot: TestBot, since: number, closed: Promise<{ reason: string; at: number }>) => {
    const { reason, at } = await closed;
    expect(reason).to.equal("io server disconnect");
    expect(at - since, "ms from the delete to the socket's close on B").to.be.below(REVOKED_EVERYWHERE_WITHIN_MS);
    await eventually(async () => expectProblem(await asBot(apiB, bot.token, "GET", "/api/me"), "UNAUTHORIZED"), {
      within: Math.max(0, since + REVOKED_EVERYWHERE_WITHIN_MS - Date.now()),
      what: "REST refusal on node B",
    });
    expect(await handshake(b, { botToken: bot.token })).to.equal("unauthorized");
  };

  let ann: TestUser;
  beforeEach(async () => {
    ann = await signUp(apiA, "Ann");
  });

  it("refuses a handshake whose botToken is missing, malformed, unknown or not a string with 'unauthorized'", async () => {
    const { token } = await makeBot(ann);
    for (const botToken of ["", "garbage", `cb_${"A".repeat(43)}`, `${token}x`, 42, null, { $gt: "" }, [token]]) {
      expect(await handshake(b, { botToken }), JSON.stringify(botToken)).to.equal("unauthorized");
    }
    // A bot token is not an access token.
    expect(await handshake(b, { token })).to.equal("unauthorized");
  });

  it("admits auth: { botToken } as the bot's user: it receives its room's messages and sends with an ack", async () => {
    const bot = await makeBot(ann);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bot.bot.userId }, ann.accessToken)).body.room.id as string;
    const botSocket = await connectWith(b, { botToken: bot.token });
    const annSocket = await connectWith(a, { token: ann.accessToken });
    for (const s of [botSocket, annSocket]) expect((await emitAck(s, "room:join", { roomId })).ok).to.equal(true);

    const toBot = nextEvent(botSocket, "message:new", (m: { text: string; senderId: string }) => m.text === "hello bot");
    expect((await emitAck(annSocket, "message:send", { roomId, clientMsgId: randomUUID(), text: "hello bot" })).ok).to.equal(true);
    expect((await toBot).senderId).to.equal(ann.id);

    const toAnn = nextEvent(annSocket, "message:new", (m: { text: string; senderId: string }) => m.text === "beep");
    const ack = await emitAck(botSocket, "message:send", { roomId, clientMsgId: randomUUID(), text: "beep" });
    expect(ack.ok, JSON.stringify(ack)).to.equal(true);
    expect(ack.message.senderId).to.equal(bot.bot.userId);
    expect((await toAnn).senderId).to.equal(bot.bot.userId);
    // Malformed input gets a coded error ack, as for any user.
    expect(await emitAck(botSocket, "message:send", { roomId, clientMsgId: randomUUID(), text: 42 })).to.deep.include({ ok: false });
  });

  it("deleting the bot on node A closes its socket on node B within 1 s, and B refuses its token on REST and in the handshake", async () => {
    const bot = await makeBot(ann);
    const { closed } = await botSocketOnB(bot);
    const since = Date.now();
    expect((await apiA.delete(`/api/bots/${bot.bot.id}`, ann.accessToken)).status).to.equal(204);
    await expectEndedOnB(bot, since, closed);
  });

  it("ends only that bot: its owner's socket and another bot of the same owner stay connected on B", async () => {
    const [gone, kept] = [await makeBot(ann), await makeBot(ann)];
    const { closed } = await botSocketOnB(gone);
    const keptSocket = (await botSocketOnB(kept)).socket;
    const annSocket = await connectWith(b, { token: ann.accessToken });
    const since = Date.now();
    expect((await apiA.delete(`/api/bots/${gone.bot.id}`, ann.accessToken)).status).to.equal(204);
    await expectEndedOnB(gone, since, closed);
    expect([keptSocket.connected, annSocket.connected]).to.deep.equal([true, true]);
    expect((await asBot(apiB, kept.token, "GET", "/api/me")).status).to.equal(200);
  });

  it("suspending the owner through node A cuts its bot off on node B within 1 s", async () => {
    const op = await signUp(apiA, "Op");
    await grantOperator(op.email);
    const bot = await makeBot(ann);
    const { closed } = await botSocketOnB(bot);
    const since = Date.now();
    expect((await apiA.post(`/api/admin/users/${ann.id}/suspend`, { reason: "spam" }, op.accessToken)).status).to.equal(200);
    await expectEndedOnB(bot, since, closed);
  });

  it("deleting the owner's account on node A ends its bots on node B within 1 s", async () => {
    const bot = await makeBot(ann);
    const { closed } = await botSocketOnB(bot);
    const since = Date.now();
    expect((await apiA.request("DELETE", "/api/me", { token: ann.accessToken, body: { password: ann.password } })).status).to.equal(204);
    // The socket closes at the bots' step, before the rest of the deletion: measured from the request.
    await expectEndedOnB(bot, since, closed);
  });
});
