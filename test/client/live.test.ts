// Two SDK clients in one room, each on its own node of a cluster (one PostgreSQL, one Redis):
// what one does shows in the other's timeline, typing line and presence book; a client cut off
// catches up on exactly what changed meanwhile; the feed poller and the REST catalogue.
import { expect } from "chai";
import { ChatClient, FeedPoller, ROUTES, type FeedEvent } from "../../packages/client/src/index.js";
import { signUp, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { useCluster } from "../helpers/suite.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";

describe("client SDK: two clients in one room on two nodes", function () {
  this.timeout(60_000);
  const { nodes: [a, b], apis: [apiA] } = useCluster(2);
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  /** A signed-in client for `user` on `urls`, closed after the test. */
  async function clientOf(user: TestUser, urls: string[], extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}) {
    const client = new ChatClient({ urls, ...extra });
    stops.push(() => client.close());
    await client.login(user.email, user.password);
    return client;
  }

  async function pair() {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const aliceClient = await clientOf(alice, [a.url]);
    const { room } = await aliceClient.rest.openDirect(bob.id);
    return { alice, bob, aliceClient, roomId: room.id };
  }

  it("shows one client's messages, reactions, pins and read receipts in the other's timeline", async () => {
    const { bob, aliceClient, roomId } = await pair();
    const bobClient = await clientOf(bob, [b.url]);
    const [aliceRoom, bobRoom] = [aliceClient.room(roomId), bobClient.room(roomId)];
    aliceClient.connect();
    bobClient.connect();
    await Promise.all([aliceClient.ready(), bobClient.ready()]);

    const sent = await aliceClient.send(roomId, "hello from node A").acked;
    await eventually(() => expect(bobRoom.get(sent.seq)?.text).to.equal("hello from node A"));
    // A reaction over the socket, a pin over HTTP: both reach the other timeline as message:updated.
    await bobClient.connection.call("reaction:add", { roomId, messageId: sent.id, emoji: "👍" });
    await eventually(() => expect(aliceRoom.get(sent.seq)?.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [bob.id], me: false }]));
    const { message: pinned } = await aliceClient.rest.pin(roomId, sent.seq);
    await eventually(() => expect(bobRoom.get(sent.seq)?.pinnedAt).to.equal(pinned.pinnedAt));
    // The pin's notice is a system message after it.
    await eventually(() => expect(bobRoom.get(sent.seq + 1)?.type).to.equal("system"));
    expect(aliceRoom.unreadBy(sent.seq)).to.deep.equal([bob.id]);
    await bobClient.connection.call("receipt:read", { roomId, seq: sent.seq });
    await eventually(() => expect(aliceRoom.lastReadSeq(bob.id)).to.equal(sent.seq));
    expect(aliceRoom.unreadBy(sent.seq)).to.deep.equal([]);
    await eventually(async () => expect((await bobClient.rest.search("hello", { roomId })).results.map((r) => r.message.seq)).to.deep.equal([sent.seq]));
  });

  it("shows who is typing and who is away", async () => {
    const { bob, aliceClient, roomId } = await pair();
    const bobClient = await clientOf(bob, [b.url]);
    aliceClient.room(roomId);
    bobClient.room(roomId);
    aliceClient.connect();
    bobClient.connect();
    await Promise.all([aliceClient.ready(), bobClient.ready()]);

    bobClient.typing(roomId);
    await eventually(() => expect(aliceClient.typingRoster.typingIn(roomId)).to.deep.equal([bob.id]));
    bobClient.stopTyping(roomId);
    await eventually(() => expect(aliceClient.typingRoster.typingIn(roomId)).to.deep.equal([]));
    await bobClient.setPresence("away");
    await eventually(() => expect(aliceClient.presence.get(bob.id)?.status).to.equal("away"));
  });

  it("a client cut off catches up, on reconnect, on exactly the messages sent and the older ones changed meanwhile", async () => {
    const { bob, aliceClient, roomId } = await pair();
    const proxy = new TcpProxy("127.0.0.1", Number(new URL(b.url).port));
    await proxy.start();
    stops.push(() => proxy.cut());
    const bobClient = await clientOf(bob, [`http://127.0.0.1:${proxy.port}`], { backoff: { baseMs: 50, maxMs: 200 } });
    const bobRoom = bobClient.room(roomId);
    aliceClient.room(roomId);
    aliceClient.connect();
    bobClient.connect();
    await Promise.all([aliceClient.ready(), bobClient.ready()]);
    const seen = await Promise.all(["one", "two", "three"].map((text) => aliceClient.send(roomId, text).acked));
    await eventually(() => expect(bobRoom.lastSeq).to.equal(3));

    await proxy.cut();
    await eventually(() => bobClient.state === "connecting", { what: "Bob's client to notice the cut" });
    const [one, two, three] = seen as [(typeof seen)[0], (typeof seen)[0], (typeof seen)[0]];
    await aliceClient.connection.call("message:edit", { roomId, messageId: one.id, text: "one, edited" });
    await aliceClient.connection.call("message:delete", { roomId, messageId: two.id });
    await aliceClient.connection.call("reaction:add", { roomId, messageId: three.id, emoji: ":tada:" });
    const four = await aliceClient.send(roomId, "four").acked;
    await proxy.start();

    const [report] = await bobClient.next("synced");
    expect(report).to.include({ messages: 1, updated: 3 });
    const server = await bobClient.rest.messagesAfter(roomId);
    expect(server.map((m) => m.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(bobRoom.messages().map((m) => [m.seq, m.text, !!m.deletedAt, m.reactions.map((r) => r.emoji)])).to.deep.equal([
      [1, "one, edited", false, []],
      [2, "", true, []],
      [3, "three", false, [":tada:"]],
      [4, "four", false, []],
    ]);
    expect(bobRoom.position()).to.deep.equal({ afterSeq: four.seq, afterRev: Math.max(...server.map((m) => m.rev)) });
  });

  it("a room opened at its newest page lists that page, stays live, and pages older history in below it", async () => {
    const { bob, aliceClient, roomId } = await pair();
    for (let i = 1; i <= 120; i++) await aliceClient.rest.send(roomId, `seed-${i}`, `seed ${i}`);
    const bobClient = await clientOf(bob, [b.url]);
    const bobRoom = bobClient.room(roomId, { from: "newest" });
    bobClient.connect();
    await bobClient.ready();
    expect(bobRoom.messages().map((m) => m.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => 71 + i));
    expect([bobRoom.floor, bobRoom.hasMoreBefore]).to.deep.equal([71, true]);

    aliceClient.room(roomId);
    aliceClient.connect();
    await aliceClient.ready();
    const live = await aliceClient.send(roomId, "live one").acked;
    await eventually(() => expect(bobRoom.get(live.seq)?.text).to.equal("live one"));
    while (bobRoom.hasMoreBefore) await bobRoom.loadOlder();
    const server = await bobClient.rest.messagesAfter(roomId);
    expect(bobRoom.messages()).to.deep.equal(server);
    expect(bobRoom.position().afterSeq).to.equal(121);
  });

  it("the feed poller hears of an invite, after starting from the cursor of now", async () => {
    const [owner, guest] = await Promise.all([signUp(apiA, "Owner"), signUp(apiA, "Guest")]);
    const ownerClient = await clientOf(owner, [a.url]);
    const guestClient = await clientOf(guest, [b.url]);
    const events: FeedEvent[] = [];
    let resets = 0;
    const poller = new FeedPoller(guestClient.rest, { onEvents: (e) => void events.push(...e), onReset: () => void resets++, timeoutSeconds: 5 });
    stops.push(() => poller.stop());
    poller.start();
    await eventually(() => resets === 1, { what: "the first cursor" });
    const { room } = await ownerClient.rest.createGroup("Feed test", [guest.id]);
    await eventually(() => expect(events.map((e) => e.type)).to.include("invite.created"));
    const invite = events.find((e) => e.type === "invite.created");
    expect(invite?.type === "invite.created" && invite.data.invite.roomId).to.equal(room.id);
  });

  it("every route of the SDK's catalogue is a route the server documents, with the answer the SDK expects", async () => {
    const doc = (await apiA.get("/api/openapi.json")).body as { paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>> };
    for (const [name, route] of Object.entries(ROUTES)) {
      const path = `/api${route.path.replace(/:([A-Za-z]+)/g, "{$1}")}`;
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${name}: ${route.method} ${path}`).to.not.equal(undefined);
      const jsonAnswers = Object.entries(op!.responses).filter(([status, r]) => status.startsWith("2") && r.content);
      expect(jsonAnswers.length > 0, `${name}: a JSON answer`).to.equal("reply" in route);
    }
  });
});
