import { expect } from "chai";
import { signUp } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { groupWith } from "../helpers/rooms.js";
import { connectSocket, emitAck } from "../helpers/sockets.js";

describe("load shedding: chat handlers running at once per node", function () {
  this.timeout(30_000);
  const { node, api } = useNode({ env: { SOCKET_HANDLERS_MAX: "100" } });

  it("past the limit a send is refused with UNAVAILABLE at once; what was accepted is stored exactly once; the sockets stay", async () => {
    const users = await Promise.all(["A", "B", "C"].map((n) => signUp(api, n)));
    const roomId = await groupWith(api, users[0]!, users.slice(1), "busy");
    const sockets = await Promise.all(users.map((u) => connectSocket(node.url, u.accessToken)));
    try {
      // 300 sends at once (100 per socket, within each socket's burst allowance): more than 100
      // are in flight before the first batch commits.
      const acks = await Promise.all(sockets.flatMap((s, i) =>
        [...Array(100).keys()].map((j) => emitAck(s, "message:send", { roomId, clientMsgId: `m${i}-${j}`, text: `${i}-${j}` }))));
      const ok = acks.filter((a) => a.ok);
      const refused = acks.filter((a) => !a.ok);
      expect(refused.length, "some sends were shed").to.be.above(0);
      expect(ok.length, "at least the budget's worth was accepted").to.be.at.least(100);
      expect(refused.every((a) => a.error.code === "UNAVAILABLE")).to.equal(true);
      // Stored: exactly the accepted ones, each once, seqs without gaps.
      const page = await api.get(`/api/rooms/${roomId}/messages?after=0&limit=100`, users[0]!.accessToken);
      let stored = page.body.messages as { seq: number; text: string }[];
      for (let after = stored.at(-1)?.seq ?? 0; stored.length < ok.length; after = stored.at(-1)!.seq) {
        const next = (await api.get(`/api/rooms/${roomId}/messages?after=${after}&limit=100`, users[0]!.accessToken)).body.messages;
        if (!next.length) break;
        stored = stored.concat(next);
      }
      expect(stored.map((m) => m.text).sort()).to.deep.equal(ok.map((a) => a.message.text).sort());
      expect(stored.map((m) => m.seq)).to.deep.equal(stored.map((_, i) => i + 1));
      // The refused ones go through on retry with the same clientMsgId, and the sockets are fine.
      expect(sockets.every((s) => s.connected)).to.equal(true);
      const retry = await emitAck(sockets[0]!, "message:send", { roomId, clientMsgId: "retry", text: "after the burst" });
      expect(retry.ok).to.equal(true);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  });
});
