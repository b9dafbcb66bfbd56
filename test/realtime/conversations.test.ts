// Conversations across two nodes (PROTOCOL.md, "Conversations" and guarantee 3): a client that was
// away gets, on the other node, exactly the messages sent and exactly the older ones changed
// meanwhile (edits, deletes, reactions, pins), through sync, room:join and GET …/changes; replies,
// reactions, mentions and pins on both doors; non-members get NOT_FOUND as for no room.
import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { TestUser } from "../helpers/api.js";
import { signUp } from "../helpers/api.js";
import { groupWith } from "../helpers/rooms.js";
import { emitAck, nextEvent } from "../helpers/sockets.js";
import { useCluster } from "../helpers/suite.js";

type Message = { id: string; seq: number; rev: number; text: string; deletedAt?: string; reactions?: { emoji: string; count: number; userIds: string[]; me?: boolean }[]; pinnedAt?: string; replyTo?: { seq: number; text: string | null } };

describe("conversations across two nodes", function () {
  this.timeout(60_000);
  const { nodes: [a, b], apis: [apiA, apiB], connect } = useCluster(2);

  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let room: string;
  const send = async (user: TestUser, text: string, extra: object = {}): Promise<Message> => {
    const res = await apiA.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text, ...extra }, user.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.message;
  };

  beforeEach(async () => {
    [alice, bob, carol] = await Promise.all([signUp(apiA, "Alice"), signUp(apiA, "Bob"), signUp(apiA, "Carol")]);
    room = await groupWith(apiA, alice, [bob], "Team");
  });

  it("after a disconnect, sync with afterSeq and afterRev on the other node returns exactly the new and the changed messages", async () => {
    const old = [await send(alice, "one"), await send(alice, "two"), await send(bob, "three"), await send(alice, "four")];
    const bobSock = await connect(a, bob);
    const joined = await emitAck(bobSock, "room:join", { roomId: room, afterSeq: 0, afterRev: 0 });
    expect(joined.rev).to.equal(4);
    const seen = { afterSeq: 4, afterRev: joined.rev as number };
    bobSock.close();

    // While bob is away: alice edits one, deletes one, reacts twice with the same emoji (counts
    // once), pins one (which adds a system message) and sends two more.
    const aliceSock = await connect(b, alice);
    expect((await emitAck(aliceSock, "message:edit", { roomId: room, messageId: old[0]!.id, text: "one, edited" })).ok).to.equal(true);
    expect((await emitAck(aliceSock, "message:delete", { roomId: room, messageId: old[1]!.id })).ok).to.equal(true);
    for (let i = 0; i < 2; i++) expect((await emitAck(aliceSock, "reaction:add", { roomId: room, messageId: old[2]!.id, emoji: "👍" })).ok).to.equal(true);
    expect((await apiB.put(`/api/rooms/${room}/pins/4`, undefined, alice.accessToken)).status).to.equal(200);
    const fresh = [await send(alice, "five"), await send(alice, "six")];

    const back = await connect(b, bob);
    const sync = await emitAck(back, "sync", { rooms: { [room]: seen } });
    expect(sync.ok, JSON.stringify(sync)).to.equal(true);
    const r = sync.rooms[room];
    // New: the pin's system message (seq 5) and the two sends.
    expect(r.messages.map((m: Message) => m.seq)).to.deep.equal([5, 6, 7]);
    expect(r.messages.slice(1).map((m: Message) => m.text)).to.deep.equal(fresh.map((m) => m.text));
    // Changed: exactly the four older messages, each once, in its current state, ascending by rev.
    expect(r.updated.map((m: Message) => m.seq)).to.deep.equal([1, 2, 3, 4]);
    const [edited, deleted, reacted, pinned] = r.updated as Message[];
    expect(edited!.text).to.equal("one, edited");
    expect([deleted!.text, typeof deleted!.deletedAt]).to.deep.equal(["", "string"]);
    expect(reacted!.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [alice.id], me: false }]);
    expect(pinned!.pinnedAt).to.be.a("string");
    expect(r.rev).to.equal(4 + 1 + 1 + 1 + 1 + 1 + 2);
    expect(r.hasMore).to.equal(false);

    // From where it left off, nothing more; room:join and GET …/changes agree.
    const again = (await emitAck(back, "sync", { rooms: { [room]: { afterSeq: 7, afterRev: r.rev } } })).rooms[room];
    expect([again.messages, again.updated, again.rev]).to.deep.equal([[], [], r.rev]);
    const join = await emitAck(back, "room:join", { roomId: room, afterSeq: seen.afterSeq, afterRev: seen.afterRev });
    expect([join.missed.map((m: Message) => m.seq), join.updated.map((m: Message) => m.seq), join.rev]).to.deep.equal([[5, 6, 7], [1, 2, 3, 4], r.rev]);
    const changes = await apiA.get(`/api/rooms/${room}/changes?afterRev=${seen.afterRev}`, bob.accessToken);
    expect(changes.status).to.equal(200);
    expect(changes.body.messages.map((m: Message) => m.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(changes.body.messages.map((m: Message) => m.rev)).to.deep.equal([5, 6, 7, 8, 9, 10, 11]);
    // The old form keeps working, without `updated`.
    const oldForm = (await emitAck(back, "sync", { rooms: { [room]: 4 } })).rooms[room];
    expect([oldForm.messages.length, "updated" in oldForm]).to.deep.equal([3, false]);
  });

  it("reactions: both doors, idempotent, `me` in answers and not in broadcasts, live on the other node", async () => {
    const m = await send(bob, "react to me");
    const watcher = await connect(b, bob);
    await emitAck(watcher, "room:join", { roomId: room });
    const updated = nextEvent<Message>(watcher, "message:updated", (u) => u.seq === m.seq);
    const put = await apiA.put(`/api/rooms/${room}/messages/${m.seq}/reactions/${encodeURIComponent("🎉")}`, undefined, alice.accessToken);
    expect(put.status).to.equal(200);
    expect(put.body.message.reactions).to.deep.equal([{ emoji: "🎉", count: 1, userIds: [alice.id], me: true }]);
    expect((await updated).reactions).to.deep.equal([{ emoji: "🎉", count: 1, userIds: [alice.id] }]);
    const again = await apiB.put(`/api/rooms/${room}/messages/${m.seq}/reactions/${encodeURIComponent("🎉")}`, undefined, alice.accessToken);
    expect(again.body.message.rev, "a repeated reaction changes nothing").to.equal(put.body.message.rev);
    const sock = await connect(b, bob);
    const viaSocket = await emitAck(sock, "reaction:add", { roomId: room, messageId: m.id, emoji: ":tada:" });
    expect(viaSocket.message.reactions.map((r: { emoji: string; me: boolean }) => [r.emoji, r.me])).to.deep.equal([["🎉", false], [":tada:", true]]);
    const removed = await apiA.delete(`/api/rooms/${room}/messages/${m.seq}/reactions/${encodeURIComponent("🎉")}`, alice.accessToken);
    expect(removed.body.message.reactions.map((r: { emoji: string }) => r.emoji)).to.deep.equal([":tada:"]);
    for (const bad of ["1", "👍👍", ":NO:", "x".repeat(40)]) {
      const ack = await emitAck(sock, "reaction:add", { roomId: room, messageId: m.id, emoji: bad });
      expect(ack.error?.code, bad).to.equal("VALIDATION");
    }
    expect(sock.connected).to.equal(true);
  });

  it("replies carry the original's excerpt, which follows its edit and delete; the replies listing pages", async () => {
    const original = await send(alice, "the question");
    const reply = await send(bob, "the answer", { replyToSeq: original.seq });
    expect(reply.replyTo).to.deep.equal({ seq: original.seq, senderId: alice.id, text: "the question" });
    await send(bob, "another answer", { replyToSeq: original.seq });
    const sock = await connect(a, alice);
    await emitAck(sock, "message:edit", { roomId: room, messageId: original.id, text: "the better question" });
    const page = await apiB.get(`/api/rooms/${room}/messages/${original.seq}/replies?limit=1`, alice.accessToken);
    expect([page.body.messages.map((m: Message) => m.text), page.body.hasMore]).to.deep.equal([["the answer"], true]);
    expect(page.body.messages[0].replyTo.text).to.equal("the better question");
    await emitAck(sock, "message:delete", { roomId: room, messageId: original.id });
    const history = await apiB.get(`/api/rooms/${room}/messages?after=${original.seq}`, bob.accessToken);
    expect(history.body.messages[0].replyTo).to.deep.equal({ seq: original.seq, senderId: alice.id, text: null });
    const bad = await apiA.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text: "x", replyToSeq: 999 }, bob.accessToken);
    expect([bad.status, bad.body.code]).to.deep.equal([400, "VALIDATION"]);
  });

  it("mentions: checked against membership, counted in the room list until read, listed newest first", async () => {
    const bad = await apiA.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text: "hi", mentions: [carol.id] }, alice.accessToken);
    expect([bad.status, bad.body.code, bad.body.errors?.[0]?.path]).to.deep.equal([400, "VALIDATION", "mentions.0"]);
    const cursor = (await apiB.get("/api/events", bob.accessToken)).body.cursor as string;
    const m1 = await send(alice, "@Bob look", { mentions: [bob.id] });
    // The long-poll feed's room.updated (rendered when delivered) carries the count.
    const polled = await apiB.get(`/api/events?cursor=${encodeURIComponent(cursor)}&timeout=5`, bob.accessToken);
    const update = polled.body.events.find((e: { type: string; data: { room?: { id: string } } }) => e.type === "room.updated" && e.data.room?.id === room);
    expect(update?.data.room.mentionCount, JSON.stringify(polled.body)).to.equal(1);
    const m2 = await send(alice, "@room all of you", { mentionsRoom: true });
    const rooms = await apiB.get("/api/rooms", bob.accessToken);
    expect(rooms.body.rooms.find((r: { id: string }) => r.id === room).mentionCount).to.equal(2);
    const mine = await apiB.get("/api/rooms", alice.accessToken);
    expect(mine.body.rooms.find((r: { id: string }) => r.id === room).mentionCount, "the sender is not mentioned by their own @room").to.equal(0);
    const list = await apiB.get("/api/mentions?limit=1", bob.accessToken);
    expect([list.body.messages.map((m: Message) => m.seq), typeof list.body.nextCursor]).to.deep.equal([[m2.seq], "string"]);
    const next = await apiB.get(`/api/mentions?limit=1&cursor=${list.body.nextCursor}`, bob.accessToken);
    expect(next.body.messages.map((m: Message) => m.seq)).to.deep.equal([m1.seq]);
    await apiA.post(`/api/rooms/${room}/read`, { seq: m1.seq }, bob.accessToken);
    const after = await apiB.get("/api/rooms", bob.accessToken);
    expect(after.body.rooms.find((r: { id: string }) => r.id === room).mentionCount).to.equal(1);
  });

  it("pins: the owner pins, a member of a group may not, the list is most recent first", async () => {
    const m1 = await send(bob, "pin me");
    const m2 = await send(bob, "and me");
    expect((await apiB.put(`/api/rooms/${room}/pins/${m1.seq}`, undefined, bob.accessToken)).body.code).to.equal("FORBIDDEN");
    const pinned = await apiB.put(`/api/rooms/${room}/pins/${m1.seq}`, undefined, alice.accessToken);
    expect(pinned.body.message.pinnedBy).to.equal(alice.id);
    await apiA.put(`/api/rooms/${room}/pins/${m2.seq}`, undefined, alice.accessToken);
    const list = await apiB.get(`/api/rooms/${room}/pins`, bob.accessToken);
    expect(list.body.pins.map((m: Message) => m.seq)).to.deep.equal([m2.seq, m1.seq]);
    await apiA.delete(`/api/rooms/${room}/pins/${m2.seq}`, alice.accessToken);
    expect((await apiB.get(`/api/rooms/${room}/pins`, bob.accessToken)).body.pins.map((m: Message) => m.seq)).to.deep.equal([m1.seq]);
  });

  it("blocks: the blocked user's direct sends are FORBIDDEN on every node; the blocker gets no unread or mention count from them", async () => {
    const direct = (await apiA.post("/api/rooms", { type: "direct", userId: alice.id }, bob.accessToken)).body.room.id as string;
    expect((await apiA.put(`/api/blocks/${bob.id}`, undefined, alice.accessToken)).status).to.equal(204);
    const sock = await connect(b, bob);
    const refused = await emitAck(sock, "message:send", { roomId: direct, clientMsgId: randomUUID(), text: "hello?" });
    expect(refused.error?.code).to.equal("FORBIDDEN");
    const viaHttp = await apiB.post(`/api/rooms/${direct}/messages`, { clientMsgId: randomUUID(), text: "hello?" }, bob.accessToken);
    expect([viaHttp.status, viaHttp.body.code]).to.deep.equal([403, "FORBIDDEN"]);
    // The blocker may still write to them.
    expect((await apiA.post(`/api/rooms/${direct}/messages`, { clientMsgId: randomUUID(), text: "bye" }, alice.accessToken)).status).to.equal(201);

    // In the group: bob's messages and mentions do not count for alice; carol's do.
    await apiA.post(`/api/rooms/${room}/invites`, { userIds: [carol.id] }, alice.accessToken);
    const invite = (await apiA.get("/api/invites", carol.accessToken)).body.invites.find((i: { roomId: string }) => i.roomId === room);
    await apiA.post(`/api/invites/${invite.id}/accept`, undefined, carol.accessToken);
    await send(bob, "@Alice from bob", { mentions: [alice.id] });
    await send(bob, "plain from bob");
    await send(carol, "@Alice from carol", { mentions: [alice.id] });
    const view = (await apiB.get("/api/rooms", alice.accessToken)).body.rooms.find((r: { id: string }) => r.id === room);
    expect([view.unreadCount, view.mentionCount]).to.deep.equal([1, 1]);
    expect((await apiB.get("/api/mentions", alice.accessToken)).body.messages.map((m: Message) => m.text)).to.deep.equal(["@Alice from carol"]);
    // Unblocked: sends go through again and the counts come back.
    expect((await apiB.delete(`/api/blocks/${bob.id}`, alice.accessToken)).status).to.equal(204);
    expect((await emitAck(sock, "message:send", { roomId: direct, clientMsgId: randomUUID(), text: "again" })).ok).to.equal(true);
    const after = (await apiA.get("/api/rooms", alice.accessToken)).body.rooms.find((r: { id: string }) => r.id === room);
    expect([after.unreadCount, after.mentionCount]).to.deep.equal([3, 2]);
  });

  it("to a non-member every new route and event answers NOT_FOUND, as for a room that does not exist", async () => {
    const m = await send(alice, "private");
    const nowhere = randomUUID();
    for (const id of [room, nowhere]) {
      const routes = [
        apiB.get(`/api/rooms/${id}/changes?afterRev=0`, carol.accessToken),
        apiB.get(`/api/rooms/${id}/pins`, carol.accessToken),
        apiB.put(`/api/rooms/${id}/pins/${m.seq}`, undefined, carol.accessToken),
        apiB.put(`/api/rooms/${id}/messages/${m.seq}/reactions/${encodeURIComponent("👍")}`, undefined, carol.accessToken),
        apiB.get(`/api/rooms/${id}/messages/${m.seq}/replies`, carol.accessToken),
      ];
      for (const res of await Promise.all(routes)) expect([res.status, res.body.code]).to.deep.equal([404, "NOT_FOUND"]);
      const sock = await connect(b, carol);
      const ack = await emitAck(sock, "reaction:add", { roomId: id, messageId: `${id}:${m.seq}`, emoji: "👍" });
      expect(ack.error?.code).to.equal("NOT_FOUND");
      const sync = await emitAck(sock, "sync", { rooms: { [id]: { afterSeq: 0, afterRev: 0 } } });
      expect(sync.rooms[id].error.code).to.equal("NOT_FOUND");
    }
    const mentions = await apiB.get("/api/mentions", carol.accessToken);
    expect(mentions.body.messages).to.deep.equal([]);
  });
});
