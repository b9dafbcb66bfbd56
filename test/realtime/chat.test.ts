import { expect } from "chai";
import { Api, signUp } from "../helpers/api.js";
import { describeTopologies, useCluster } from "../helpers/suite.js";
import { groupWith } from "../helpers/rooms.js";
import { eventually } from "../helpers/eventually.js";
import { collect, connectSocket, emitAck, nextEvent } from "../helpers/sockets.js";

describeTopologies("live chat across two nodes", function (topology) {
  this.timeout(30_000);
  const { nodes: [a, b], apis: [apiA], connect } = useCluster(2, { topology });

  it("refuses a handshake without a valid token with connect_error 'unauthorized'", async () => {
    for (const token of ["", "not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."]) {
      const err = await connectSocket(a.url, token).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).to.equal("unauthorized");
    }
  });

  it("delivers each message once to every joined socket on both nodes and both transports, sender's other sockets included", async () => {
    const [alice, bob, carol] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob"), signUp(apiA, "Carol")]);
    const roomId = await groupWith(apiA, alice, [bob, carol]);
    const aliceWs = await connect(a, alice);
    const alicePolling = await connect(b, alice, ["polling"]);
    const bobPolling = await connect(b, bob, ["polling"]);
    const carolWs = await connect(a, carol);
    const receivers = [aliceWs, alicePolling, bobPolling, carolWs];
    for (const s of receivers) expect((await emitAck(s, "room:join", { roomId })).ok).to.equal(true);
    const seen = receivers.map((s) => collect(s, "message:new"));

    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(await emitAck(aliceWs, "message:send", { roomId, clientMsgId: `m${i}`, text: `hello ${i}` }));
    expect(acks.every((ack) => ack.ok)).to.equal(true);
    expect(acks.map((ack) => ack.message.seq)).to.deep.equal([...Array(20).keys()].map((i) => i + 1));

    await eventually(() => seen.every((list) => list.length >= 20), { within: 5_000, what: "20 deliveries on every socket" });
    for (const list of seen) {
      // One sending node: every receiver sees seq order, each message exactly once.
      expect(list.map((m) => m.seq)).to.deep.equal(acks.map((ack) => ack.message.seq));
      expect(list.map((m) => m.text)).to.deep.equal(acks.map((ack) => ack.message.text));
    }
  });

  it("concurrent senders on both nodes: every receiver gets every message exactly once, seqs 1..n without gaps", async () => {
    const users = await Promise.all([0, 1, 2, 3].map((i) => signUp(apiA, `U${i}`)));
    const roomId = await groupWith(apiA, users[0]!, users.slice(1));
    const socks = await Promise.all(users.map((u, i) => connect(i % 2 ? b : a, u, i === 3 ? ["polling"] : ["websocket"])));
    for (const s of socks) await emitAck(s, "room:join", { roomId });
    const seen = socks.map((s) => collect(s, "message:new"));
    const perSender = 15;
    const acks = await Promise.all(
      socks.flatMap((s, i) => [...Array(perSender).keys()].map((k) => emitAck(s, "message:send", { roomId, clientMsgId: `u${i}-${k}`, text: `from ${i}: ${k}` }))),
    );
    const total = perSender * socks.length;
    expect(acks.filter((x) => x.ok)).to.have.length(total);
    expect(acks.map((x) => x.message.seq).sort((x, y) => x - y)).to.deep.equal([...Array(total).keys()].map((i) => i + 1));
    await eventually(() => seen.every((l) => l.length >= total), { within: 10_000, what: "all deliveries" });
    for (const list of seen) {
      expect(new Set(list.map((m) => m.seq)).size, "no duplicates").to.equal(total);
      expect(list).to.have.length(total);
      // Messages of one sender (one node) arrive in seq order.
      for (let i = 0; i < socks.length; i++) {
        const fromOne = list.filter((m) => m.senderId === users[i]!.id).map((m) => m.seq);
        expect(fromOne).to.deep.equal([...fromOne].sort((x, y) => x - y));
      }
    }
  });

  it("a retried clientMsgId acks the original message and broadcasts nothing new", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const room = await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken);
    const roomId = room.body.room.id;
    const aliceSock = await connect(a, alice);
    const bobSock = await connect(b, bob);
    await emitAck(bobSock, "room:join", { roomId });
    const seen = collect(bobSock, "message:new");
    const first = await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "retry-1", text: "once" });
    const again = await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "retry-1", text: "once" });
    const viaHttp = await apiA.post(`/api/rooms/${roomId}/messages`, { clientMsgId: "retry-1", text: "once" }, alice.accessToken);
    expect(again.message).to.deep.equal(first.message);
    expect(viaHttp.status).to.equal(200);
    expect(viaHttp.body.message).to.deep.equal(first.message);
    // A later message proves the pipe is flowing; only it and the first may have arrived.
    const marker = await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "retry-2", text: "marker" });
    await eventually(() => seen.some((m) => m.seq === marker.message.seq));
    expect(seen.map((m) => m.seq)).to.deep.equal([1, 2]);
  });

  it("read receipts cross nodes and never move backwards", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const aliceSock = await connect(a, alice);
    const bobSock = await connect(b, bob);
    await emitAck(aliceSock, "room:join", { roomId });
    for (let i = 0; i < 3; i++) await emitAck(aliceSock, "message:send", { roomId, clientMsgId: `r${i}`, text: `m${i}` });
    const receipt = nextEvent(aliceSock, "receipt:updated", (r) => r.userId === bob.id);
    const ack = await emitAck(bobSock, "receipt:read", { roomId, seq: 2 });
    expect(ack).to.deep.equal({ ok: true, lastReadSeq: 2 });
    expect(await receipt).to.deep.equal({ roomId, userId: bob.id, lastReadSeq: 2 });
    expect(await emitAck(bobSock, "receipt:read", { roomId, seq: 1 })).to.deep.equal({ ok: true, lastReadSeq: 2 });
    // Past the last message is clamped to it.
    expect(await emitAck(bobSock, "receipt:read", { roomId, seq: 99 })).to.deep.equal({ ok: true, lastReadSeq: 3 });
    const room = await new Api(b.url).get(`/api/rooms/${roomId}`, alice.accessToken);
    expect(room.body.members.find((m: { user: { id: string } }) => m.user.id === bob.id).lastReadSeq).to.equal(3);
  });

  it("receipts arriving together from two devices on two nodes: each ack is at least its own seq and the cursor ends at the highest", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const aliceSock = await connect(a, alice);
    await emitAck(aliceSock, "room:join", { roomId });
    for (let i = 0; i < 20; i++) await emitAck(aliceSock, "message:send", { roomId, clientMsgId: `s${i}`, text: `m${i}` });
    const seen = collect<{ userId: string; lastReadSeq: number }>(aliceSock, "receipt:updated");
    const [phone, laptop] = [await connect(a, bob), await connect(b, bob)];
    const seqs = [...Array(20).keys()].map((i) => ((i * 7) % 20) + 1); // 1..20, shuffled
    const acks = await Promise.all(seqs.map((seq, i) => emitAck(i % 2 ? laptop : phone, "receipt:read", { roomId, seq })));
    acks.forEach((ack, i) => {
      expect(ack.ok).to.equal(true);
      expect(ack.lastReadSeq, `receipt for ${seqs[i]}`).to.be.at.least(seqs[i]!);
    });
    // (Receipts moved through two nodes may reach a peer out of order: clients keep the highest.)
    await eventually(() => seen.some((r) => r.userId === bob.id && r.lastReadSeq === 20), { within: 5_000, what: "receipt:updated at 20" });
    const room = await apiA.get(`/api/rooms/${roomId}`, alice.accessToken);
    expect(room.body.members.find((m: { user: { id: string } }) => m.user.id === bob.id).lastReadSeq).to.equal(20);
  });

  it("typing reaches the other members' joined sockets, not the typist's own", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const alice1 = await connect(a, alice);
    const alice2 = await connect(b, alice);
    const bobSock = await connect(b, bob);
    for (const s of [alice1, alice2, bobSock]) await emitAck(s, "room:join", { roomId });
    const ownEcho = [alice1, alice2].map((s) => collect<{ userId: string }>(s, "typing"));
    const got = nextEvent(bobSock, "typing");
    expect(await emitAck(alice1, "typing", { roomId, isTyping: true })).to.deep.equal({ ok: true });
    expect(await got).to.deep.equal({ roomId, userId: alice.id, isTyping: true });
    const stop = nextEvent(bobSock, "typing", (t) => !t.isTyping);
    await emitAck(alice1, "typing", { roomId, isTyping: false });
    await stop;
    // Barrier: a later broadcast to the room reaches each of Alice's sockets after any echo of her typing would have.
    const later = [alice1, alice2].map((s) => nextEvent(s, "message:new", (m) => m.text === "after typing"));
    await emitAck(bobSock, "message:send", { roomId, clientMsgId: "after-typing", text: "after typing" });
    await Promise.all(later);
    expect(ownEcho.map((seen) => seen.filter((t) => t.userId === alice.id))).to.deep.equal([[], []]);
  });

  it("edits and deletes are broadcast and restricted to the sender", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const aliceSock = await connect(a, alice);
    const bobSock = await connect(b, bob);
    await emitAck(bobSock, "room:join", { roomId });
    const sent = (await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "e1", text: "tpyo" })).message;
    const forbidden = await emitAck(bobSock, "message:edit", { roomId, messageId: sent.id, text: "hijack" });
    expect(forbidden.error.code).to.equal("FORBIDDEN");
    const updated = nextEvent(bobSock, "message:updated", (m) => m.id === sent.id && m.editedAt);
    const edited = await emitAck(aliceSock, "message:edit", { roomId, messageId: sent.id, text: "typo" });
    expect(edited.message.text).to.equal("typo");
    expect((await updated).text).to.equal("typo");
    const deleted = nextEvent(bobSock, "message:updated", (m) => m.id === sent.id && m.deletedAt);
    expect(await emitAck(aliceSock, "message:delete", { roomId, messageId: sent.id })).to.deep.equal({ ok: true });
    const gone = await deleted;
    expect(gone.text).to.equal("");
    expect((await emitAck(aliceSock, "message:edit", { roomId, messageId: sent.id, text: "back" })).error.code).to.equal("CONFLICT");
    expect((await emitAck(aliceSock, "message:delete", { roomId, messageId: `${roomId}:999` })).error.code).to.equal("NOT_FOUND");
  });

  it("non-members cannot join, send, read, type or sync a room, and receive none of its traffic", async () => {
    const [alice, bob, mallory] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob"), signUp(apiA, "Mallory")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const aliceSock = await connect(a, alice);
    const malSock = await connect(b, mallory);
    const bobSock = await connect(b, bob); // a member on Mallory's node
    const leaked: string[] = [];
    malSock.onAny((event: string) => leaked.push(event));
    for (const [event, payload] of [
      ["room:join", { roomId }],
      ["message:send", { roomId, clientMsgId: "x", text: "hi" }],
      ["receipt:read", { roomId, seq: 1 }],
      ["typing", { roomId, isTyping: true }],
    ] as const) {
      const ack = await emitAck(malSock, event, payload);
      expect(ack.ok, event).to.equal(false);
      expect(ack.error.code, event).to.equal("NOT_FOUND");
    }
    const sync = await emitAck(malSock, "sync", { rooms: { [roomId]: 0 } });
    expect(sync.rooms[roomId].messages).to.deep.equal([]);
    expect(sync.rooms[roomId].error.code).to.equal("NOT_FOUND");
    for (const s of [aliceSock, bobSock]) await emitAck(s, "room:join", { roomId });
    // Barrier: Bob, on Mallory's node, gets the room's traffic in the same broadcasts a leak would be in.
    const toBob = Promise.all([nextEvent(bobSock, "message:new"), nextEvent(bobSock, "typing")]);
    await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "secret", text: "secret" });
    await emitAck(aliceSock, "typing", { roomId, isTyping: true });
    await toBob;
    // Mallory's socket is connected and answers, yet saw nothing.
    expect((await emitAck(malSock, "typing", { roomId: "00000000-0000-4000-8000-000000000000", isTyping: true })).error.code).to.equal("NOT_FOUND");
    expect(leaked).to.deep.equal([]);
  });

  it("a member removed through one node can no longer send through the other (membership caches are invalidated)", async () => {
    const [owner, guest] = await Promise.all([signUp(apiA, "Owner"), signUp(apiA, "Guest")]);
    const roomId = await groupWith(apiA, owner, [guest]);
    const guestOnB = await connect(b, guest);
    // Fills node B's member cache for the room.
    expect((await emitAck(guestOnB, "message:send", { roomId, clientMsgId: "before", text: "still in" })).ok).to.equal(true);
    expect((await apiA.delete(`/api/rooms/${roomId}/members/${guest.id}`, owner.accessToken)).status).to.equal(204);
    const after = await emitAck(guestOnB, "message:send", { roomId, clientMsgId: "after", text: "kicked" });
    expect(after.ok).to.equal(false);
    expect(after.error.code).to.equal("NOT_FOUND");
    // And a new member added through A can send through B at once.
    const late = await signUp(apiA, "Late");
    const invite = await apiA.post(`/api/rooms/${roomId}/invites`, { userIds: [late.id] }, owner.accessToken);
    await apiA.post(`/api/invites/${invite.body.invites[0].id}/accept`, undefined, late.accessToken);
    const lateOnB = await connect(b, late);
    expect((await emitAck(lateOnB, "message:send", { roomId, clientMsgId: "hello", text: "hi" })).ok).to.equal(true);
  });

  it("answers malformed payloads with error acks and keeps the connection", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const sock = await connect(a, alice);
    const bad: [string, unknown][] = [
      ["message:send", undefined],
      ["message:send", "just a string"],
      ["message:send", { roomId }],
      ["message:send", { roomId: { $gt: "" }, clientMsgId: "x", text: "hi" }],
      ["message:send", { roomId, clientMsgId: { $ne: null }, text: "hi" }],
      ["message:send", { roomId, clientMsgId: "x", text: 42 }],
      ["message:send", { roomId, clientMsgId: "x", text: "x".repeat(4_001) }],
      ["message:send", { roomId, clientMsgId: "x", text: "   " }],
      ["message:send", { roomId, clientMsgId: "x", text: "hi", extra: true }],
      ["receipt:read", { roomId, seq: -1 }],
      ["receipt:read", { roomId, seq: "1" }],
      ["sync", { rooms: [roomId] }],
      ["room:join", { roomId: "../../etc/passwd" }],
    ];
    for (const [event, payload] of bad) {
      const ack = await emitAck(sock, event, payload);
      expect(ack.ok, `${event} ${JSON.stringify(payload)?.slice(0, 60)}`).to.equal(false);
      expect(ack.error.code).to.equal("VALIDATION");
    }
    // A payload near the 1 MB frame limit is refused by the handler, not by a disconnect.
    const huge = await emitAck(sock, "message:send", { roomId, clientMsgId: "big", text: "x".repeat(900_000) });
    expect(huge.error.code).to.equal("VALIDATION");
    expect(sock.connected).to.equal(true);
    const fine = await emitAck(sock, "message:send", { roomId, clientMsgId: "ok", text: "still here" });
    expect(fine.ok).to.equal(true);
  });

  it("rate-limits a socket's sends only past a burst of 100", async () => {
    const [alice, bob] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob")]);
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
    const sock = await connect(a, alice);
    const acks = await Promise.all([...Array(230).keys()].map((i) => emitAck(sock, "message:send", { roomId, clientMsgId: `b${i}`, text: `${i}` })));
    const ok = acks.filter((x) => x.ok).length;
    expect(ok).to.be.at.least(100);
    expect(acks.filter((x) => !x.ok).every((x) => x.error.code === "RATE_LIMITED")).to.equal(true);
    expect(ok).to.be.below(230);
  });
});
