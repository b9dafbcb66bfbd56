// The SDK's login on a real node: a refused access token is refreshed once (REST and socket
// handshake alike), a reused refresh token, which revokes the login on the server, signs the
// client out instead of reconnecting forever; a bot's token works on both doors.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import jwt from "jsonwebtoken";
import { ChatClient } from "../../packages/client/src/index.js";
import { signUp } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";

/** A well-formed access token the server refuses (signed with another secret), not yet expired. */
function forgedAccessToken(userId: string): string {
  return jwt.sign({ sid: "00000000-0000-4000-8000-000000000000" }, "not-the-server-secret", { subject: userId, issuer: "chat-backend", expiresIn: 600 });
}

describe("client SDK: login, token refresh and bots", function () {
  this.timeout(30_000);
  const { node, api } = useNode();
  const clients: ChatClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it("refreshes a refused access token once and repeats the call, rotating the refresh token", async () => {
    const user = await signUp(api, "Ann");
    const client = new ChatClient({ urls: [node.url], tokens: { accessToken: forgedAccessToken(user.id), refreshToken: user.refreshToken } });
    clients.push(client);
    const { user: me } = await client.rest.me();
    expect(me.id).to.equal(user.id);
    expect(client.session.tokens?.refreshToken).to.be.a("string").and.not.equal(user.refreshToken);
    // The spent refresh token is refused now: the client rotated it for real.
    expect((await api.post("/api/auth/refresh", { refreshToken: user.refreshToken })).status).to.equal(401);
  });

  it("refreshes when the socket handshake is refused, then connects", async () => {
    const user = await signUp(api, "Ann");
    const client = new ChatClient({ urls: [node.url], tokens: { accessToken: forgedAccessToken(user.id), refreshToken: user.refreshToken } });
    clients.push(client);
    const refused: string[] = [];
    client.connection.on("connect_error", (err) => refused.push(err.message));
    client.connect();
    await client.ready();
    expect(refused).to.deep.equal(["unauthorized"]);
    expect(client.connection.connectCount).to.equal(1);
  });

  it("signs out, and stops reconnecting, once its refresh token was reused elsewhere", async () => {
    const user = await signUp(api, "Ann");
    const client = new ChatClient({ urls: [node.url], backoff: { baseMs: 50, maxMs: 200 } });
    clients.push(client);
    await client.login(user.email, user.password);
    client.connect();
    await client.ready();
    const stolen = client.session.tokens!.refreshToken;
    // Someone else rotates the stolen token, then presents it again: the server revokes the login.
    expect((await api.post("/api/auth/refresh", { refreshToken: stolen })).status).to.equal(200);
    expect((await api.post("/api/auth/refresh", { refreshToken: stolen })).status).to.equal(401);
    const [reason] = await client.next("signedOut");
    expect(reason).to.match(/refresh refused|refused after a refresh/);
    expect(client.state).to.equal("signed-out");
    expect(client.connection.state).to.equal("closed");
    expect(client.session.tokens).to.equal(null);
  });

  it("acts as a bot with its token: REST, the socket handshake and sends", async () => {
    const owner = await signUp(api, "Owner");
    const created = await api.post("/api/bots", { name: "Beeper" }, owner.accessToken);
    expect(created.status).to.equal(201);
    const { bot, token } = created.body as { bot: { userId: string }; token: string };
    const roomId: string = (await api.post("/api/rooms", { type: "direct", userId: bot.userId }, owner.accessToken)).body.room.id;
    const client = new ChatClient({ urls: [node.url], botToken: token });
    clients.push(client);
    expect((await client.rest.me()).user.id).to.equal(bot.userId);
    const timeline = client.room(roomId);
    client.connect();
    await client.ready();
    const stored = await client.send(roomId, "beep").acked;
    expect(stored.senderId).to.equal(bot.userId);
    expect(timeline.get(stored.seq)?.text).to.equal("beep");
  });

  it("with httpFallback, sends over HTTP while there is no socket", async () => {
    const user = await signUp(api, "Ann");
    const friend = await signUp(api, "Ben");
    const roomId: string = (await api.post("/api/rooms", { type: "direct", userId: friend.id }, user.accessToken)).body.room.id;
    const client = new ChatClient({ urls: [node.url], tokens: { accessToken: user.accessToken, refreshToken: user.refreshToken }, httpFallback: true });
    clients.push(client);
    const { clientMsgId, acked } = client.send(roomId, "no socket needed");
    const stored = await acked;
    expect(client.connection.state).to.equal("idle");
    const history = await api.get(`/api/rooms/${roomId}/messages`, friend.accessToken);
    expect(history.body.messages.map((m: { clientMsgId: string; seq: number }) => [m.clientMsgId, m.seq])).to.deep.equal([[clientMsgId, stored.seq]]);
  });

  it("signs up, logs out, and the refresh token no longer works", async () => {
    const client = new ChatClient({ urls: [node.url] });
    clients.push(client);
    const me = await client.signup(`sdk-${randomUUID()}@example.test`, "correct horse battery", "Sdk User");
    expect(client.userId).to.equal(me.id);
    const refreshToken = client.session.tokens!.refreshToken;
    await client.logout();
    expect(client.state).to.equal("signed-out");
    expect((await api.post("/api/auth/refresh", { refreshToken })).status).to.equal(401);
  });
});
