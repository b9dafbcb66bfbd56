import { expect } from "chai";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import type { TestNode } from "../helpers/nodes.js";
import { describeTopologies, useCluster } from "../helpers/suite.js";
import { eventually } from "../helpers/eventually.js";
import { connectSocket, nextEvent } from "../helpers/sockets.js";

describeTopologies("long-poll event feed across two nodes", function (topology) {
  this.timeout(30_000);
  const { nodes: [a, b], apis: [apiA, apiB] } = useCluster(2, { topology });

  const nowCursor = async (api: Api, user: TestUser): Promise<string> => {
    const res = await api.get("/api/events", user.accessToken);
    expect(res.status).to.equal(200);
    expect(res.body.events).to.deep.equal([]);
    return res.body.cursor;
  };
  const poll = (api: Api, user: TestUser, cursor: string, timeout = 10) => api.get(`/api/events?cursor=${encodeURIComponent(cursor)}&timeout=${timeout}`, user.accessToken);
  /** Chained polls from `cursor` until an event matches `last`: every event on the way, in order. */
  const eventsUntil = async (api: Api, user: TestUser, cursor: string, last: (e: any) => boolean) => {
    const events: any[] = [];
    for (let i = 0; !events.some(last); i++) {
      expect(i, "polls before the awaited event").to.be.below(10);
      const res = await poll(api, user, cursor, 5);
      expect(res.status).to.equal(200);
      events.push(...res.body.events);
      cursor = res.body.cursor;
    }
    return events;
  };
  /** The long-polls a node holds right now (its `events_held_polls` gauge). */
  const heldPolls = async (node: TestNode): Promise<number> => {
    const m = /^events_held_polls (\d+)$/m.exec((await new Api(node.url).get("/metrics")).body as string);
    expect(m, "events_held_polls in /metrics").to.not.equal(null);
    return Number(m![1]);
  };

  it("a poll held on node B is answered by an invite created on node A, long before its timeout", async () => {
    const [owner, guest] = await Promise.all([signUp(apiA, "Owner"), signUp(apiA, "Guest")]);
    const cursor = await nowCursor(apiB, guest);
    const started = Date.now();
    const held = poll(apiB, guest, cursor, 20);
    // The invite must come after the poll is held (so the wake answers it, not the first read).
    await eventually(async () => expect(await heldPolls(b)).to.equal(1), { what: "the poll held on node B" });
    const room = await apiA.post("/api/rooms", { type: "group", name: "Party", memberIds: [guest.id] }, owner.accessToken);
    const res = await held;
    expect(res.status).to.equal(200);
    expect(Date.now() - started, "answered by the wake, not the 20 s timeout").to.be.below(10_000);
    expect(res.body.events.map((e: { type: string }) => e.type)).to.deep.equal(["invite.created"]);
    const [event] = res.body.events;
    expect(event.data.invite).to.include({ roomId: room.body.room.id, inviterId: owner.id, inviteeId: guest.id, status: "pending" });
    expect(event.data.room.name).to.equal("Party");
    expect(event).to.have.keys("id", "type", "at", "data");
    expect(res.body.cursor).to.not.equal(cursor);
  });

  it("chained polls alternating between nodes get every event of a burst exactly once, in order", async () => {
    const target = await signUp(apiA, "Target");
    const senders = await Promise.all([...Array(12).keys()].map((i) => signUp(apiA, `S${i}`)));
    let cursor = await nowCursor(apiA, target);
    const burst = Promise.all(senders.map((s, i) => (i % 2 ? apiA : apiB).post("/api/friends/requests", { userId: target.id }, s.accessToken)));
    const got: { id: string; data: { request: { fromUserId: string } } }[] = [];
    for (let i = 0; got.length < senders.length && i < 50; i++) {
      const res = await poll(i % 2 ? apiA : apiB, target, cursor, 5);
      expect(res.status).to.equal(200);
      got.push(...res.body.events);
      cursor = res.body.cursor;
    }
    await burst;
    expect(got.map((e) => e.data.request.fromUserId).sort()).to.deep.equal(senders.map((s) => s.id).sort());
    const ids = got.map((e) => Number(e.id));
    expect(ids).to.deep.equal([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).to.equal(ids.length);
    // Nothing more is pending.
    const rest = await poll(apiB, target, cursor, 1);
    expect(rest.body.events).to.deep.equal([]);
  });

  it("a timed-out poll returns no events and the same cursor; a presented cursor returns the same events again", async () => {
    const [x, y] = await Promise.all([signUp(apiA, "X"), signUp(apiA, "Y")]);
    const cursor = await nowCursor(apiA, x);
    const quiet = await poll(apiA, x, cursor, 1);
    expect(quiet.body).to.deep.equal({ events: [], cursor });
    await apiA.post("/api/friends/requests", { userId: x.id }, y.accessToken);
    const first = await poll(apiA, x, cursor, 5);
    const again = await poll(apiB, x, cursor, 5);
    expect(again.body).to.deep.equal(first.body);
  });

  it("coalesces room.updated: one per room per response, carrying the newest message and unread count", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    await poll(apiA, bob, await nowCursor(apiA, bob), 1);
    const cursor = await nowCursor(apiA, bob);
    for (let i = 1; i <= 5; i++) await apiA.post(`/api/rooms/${roomId}/messages`, { clientMsgId: `c${i}`, text: `msg ${i}` }, alice.accessToken);
    // The room updates are written in batches; poll from the same cursor until the last message's update is in.
    type RoomEvent = { type: string; data: { room: { id: string; lastMessage: { text: string }; unreadCount: number } } };
    const events = await eventually(
      async () => {
        const got: RoomEvent[] = (await poll(apiB, bob, cursor, 5)).body.events;
        expect(got.map((e) => e.data.room?.lastMessage?.text)).to.include("msg 5");
        return got;
      },
      { within: 15_000, every: 50, what: "the update carrying msg 5" },
    );
    const updates = events.filter((e) => e.type === "room.updated" && e.data.room.id === roomId);
    expect(updates).to.have.length(1);
    expect(updates[0]!.data.room.lastMessage.text).to.equal("msg 5");
    expect(updates[0]!.data.room.unreadCount).to.equal(5);
  });

  it("a busy room gets at most one room.updated a second: a change soon after an update waits and merges into the next", async () => {
    const [alice, bob, carol] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob"), signUp(apiA, "Carol")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const socket = await connectSocket(b.url, bob.accessToken);
    try {
      type RoomEvent = { type: string; data: { room?: { id: string; lastMessage: { text: string } | null } } };
      const textOf = (e: RoomEvent) => (e.type === "room.updated" && e.data.room?.id === roomId ? e.data.room?.lastMessage?.text : undefined);
      const seen: string[] = [];
      socket.on("event", (e) => {
        // (The room's creation may have its own update, with no message yet.)
        const text = textOf(e as RoomEvent);
        if (text) seen.push(text);
      });
      const send = (text: string) => apiA.post(`/api/rooms/${roomId}/messages`, { clientMsgId: text, text }, alice.accessToken);
      const shown = (text: string) => nextEvent(socket, "event", (e: RoomEvent) => textOf(e) === text);
      // A quiet room: its update comes within a window.
      const first = shown("one");
      await send("one");
      await first;
      // Right after that update: "two" would have its own update one window (250 ms) later
      // without the one-second floor; "three", sent after that window, takes its place.
      const third = shown("three");
      await send("two");
      // Barrier, not a sleep: a room made after "two" (never written, so no floor) is announced in
      // the first window after it, the one that would also carry "two" if the floor did not hold it.
      const barrier = nextEvent(socket, "event", (e: RoomEvent) => e.type === "room.updated" && e.data.room?.id !== roomId);
      const created = await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, carol.accessToken);
      expect((await barrier).data.room?.id).to.equal(created.body.room.id);
      await send("three");
      await third;
      expect(seen).to.deep.equal(["one", "three"]);
    } finally {
      socket.disconnect();
    }
  });

  it("gives each invitee of a new group exactly one invite.created and no room.updated until they join", async () => {
    const [owner, g1, g2] = await Promise.all([signUp(apiA, "Owner"), signUp(apiA, "G1"), signUp(apiA, "G2")]);
    const cursors = await Promise.all([g1, g2].map((g) => nowCursor(apiA, g)));
    const roomId = (await apiA.post("/api/rooms", { type: "group", name: "Club", memberIds: [g1.id, g2.id] }, owner.accessToken)).body.room.id;
    await apiA.post(`/api/rooms/${roomId}/messages`, { clientMsgId: "m1", text: "welcome" }, owner.accessToken);
    // Barrier, not a sleep: a direct room of the two, made after the message, reaches them in the
    // batch that would carry a wrong room.updated of the group, or a later one.
    const direct = (await apiA.post("/api/rooms", { type: "direct", userId: g2.id }, g1.accessToken)).body.room.id;
    for (const [i, g] of [g1, g2].entries()) {
      const events = await eventsUntil(apiB, g, cursors[i]!, (e) => e.type === "room.updated" && e.data.room?.id === direct);
      expect(events.map((e) => `${e.type} ${e.data.room?.id}`)).to.deep.equal([`invite.created ${roomId}`, `room.updated ${direct}`]);
    }
    const invite = (await apiA.get("/api/invites", g1.accessToken)).body.invites[0];
    const cursor = await nowCursor(apiA, g1);
    const accepted = await apiA.post(`/api/invites/${invite.id}/accept`, undefined, g1.accessToken);
    expect(accepted.body.room.id).to.equal(roomId);
    const after = await poll(apiA, g1, cursor, 5);
    expect(after.body.events[0].type).to.equal("invite.updated");
    expect(after.body.events[0].data.invite.status).to.equal("accepted");
  });

  it("sends each event to every connected socket of the user as `event`", async () => {
    const [x, y] = await Promise.all([signUp(apiA, "X"), signUp(apiA, "Y")]);
    const s1 = await connectSocket(a.url, x.accessToken);
    const s2 = await connectSocket(b.url, x.accessToken, { transports: ["polling"] });
    try {
      const got = Promise.all([s1, s2].map((s) => nextEvent(s, "event", (e) => e.type === "friend.request")));
      await apiB.post("/api/friends/requests", { userId: x.id }, y.accessToken);
      for (const e of await got) expect(e.data.request.fromUserId).to.equal(y.id);
    } finally {
      s1.close();
      s2.close();
    }
  });

  it("rejects an unparseable cursor with 400 and a trimmed one with 410", async () => {
    const [x, y] = await Promise.all([signUp(apiA, "X"), signUp(apiA, "Y")]);
    for (const bad of ["garbage", "ZjEuOTk5OTk5OTk5OTk", "%7B%22%24gt%22%3A%22%22%7D"]) {
      const res = await apiA.get(`/api/events?cursor=${bad}&timeout=1`, x.accessToken);
      expect(res.status, bad).to.equal(400);
      expect(res.body.code).to.equal("VALIDATION");
    }
    expect((await apiA.get(`/api/events?cursor=x&timeout=56`, x.accessToken)).status).to.equal(400);
    const old = await nowCursor(apiA, x);
    await apiA.post("/api/friends/requests", { userId: x.id }, y.accessToken);
    // Trim everything up to a moment after the event was written.
    await a.feed.trim(new Date(Date.now() + 1_000));
    const res = await poll(apiB, x, old, 1);
    expect(res.status).to.equal(410);
    expect(res.body.code).to.equal("GONE");
    // The recovery path: a fresh cursor works.
    expect((await poll(apiB, x, await nowCursor(apiB, x), 1)).status).to.equal(200);
  });

  it("answers ten polls of one user at once, and frees a poll whose client went away", async () => {
    const [x, y] = await Promise.all([signUp(apiA, "X"), signUp(apiA, "Y")]);
    const cursor = await nowCursor(apiA, x);
    const tabs = [...Array(10)].map((_, i) => poll(i % 2 ? apiA : apiB, x, cursor, 15));
    const gone = new AbortController();
    const abandoned = fetch(`${a.url}/api/events?cursor=${cursor}&timeout=30`, { headers: { authorization: `Bearer ${x.accessToken}` }, signal: gone.signal }).catch(() => null);
    await eventually(async () => expect([await heldPolls(a), await heldPolls(b)]).to.deep.equal([6, 5]), { what: "all eleven polls held" });
    gone.abort();
    await abandoned;
    // Freed by the client going away, before any event could answer it.
    await eventually(async () => expect(await heldPolls(a)).to.equal(5), { what: "the abandoned poll freed" });
    await apiA.post("/api/friends/requests", { userId: x.id }, y.accessToken);
    const answers = await Promise.all(tabs);
    for (const res of answers) expect(res.body.events.map((e: { type: string }) => e.type)).to.deep.equal(["friend.request"]);
    expect([await heldPolls(a), await heldPolls(b)]).to.deep.equal([0, 0]);
  });
});
