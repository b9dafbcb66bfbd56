// A dependency that does not answer is UNAVAILABLE, never INTERNAL (PROTOCOL, hardening): the
// client can tell an outage (retry) from a defect, and the node comes back by itself.
import { expect } from "chai";
import { Api, signUp } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { startTestNode, type TestNode } from "../helpers/nodes.js";
import { testDatabase } from "../helpers/services.js";
import { connectSocket, emitAck, type ClientSocket } from "../helpers/sockets.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { expectProblem } from "./expect.js";

describe("a database outage", function () {
  this.timeout(60_000);
  let node: TestNode;
  let proxy: TcpProxy;
  let api: Api;
  let socket: ClientSocket | undefined;

  before(async () => {
    const direct = new URL(await testDatabase());
    proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    await proxy.start();
    const viaProxy = new URL(direct);
    viaProxy.port = String(proxy.port);
    node = await startTestNode({ env: { DATABASE_URL: viaProxy.toString() } });
    api = new Api(node.url);
  });
  after(async () => {
    socket?.close();
    await proxy?.start().catch(() => {});
    await node?.stop();
    await proxy?.cut();
  });

  it("answers 503 UNAVAILABLE with Retry-After on HTTP and an UNAVAILABLE ack on the socket, then recovers", async () => {
    const u = await signUp(api, "Patient");
    const roomId = (await api.post("/api/rooms", { type: "group", name: "outage" }, u.accessToken)).body.room.id as string;
    socket = await connectSocket(node.url, u.accessToken);
    expect((await emitAck(socket, "message:send", { roomId, clientMsgId: "before", text: "before" })).ok).to.equal(true);

    await proxy.cut();
    const res = await api.get("/api/rooms", u.accessToken);
    expectProblem(res, "UNAVAILABLE");
    expect(Number(res.headers.get("retry-after"))).to.be.greaterThan(0);
    expectProblem(await api.post("/api/auth/login", { email: u.email, password: u.password }), "UNAVAILABLE");
    const ack = await emitAck(socket, "message:send", { roomId, clientMsgId: "during", text: "during" });
    expect(ack.ok).to.equal(false);
    expect(ack.error.code).to.equal("UNAVAILABLE");

    await proxy.start();
    // The same send again, as a client retries: stored once, in order, and the socket survived.
    await eventually(async () => expect((await emitAck(socket!, "message:send", { roomId, clientMsgId: "during", text: "during" })).ok).to.equal(true), {
      within: 15_000,
      what: "sends to succeed again",
    });
    const page = await api.get(`/api/rooms/${roomId}/messages`, u.accessToken);
    expect(page.status).to.equal(200);
    expect(page.body.messages.map((m: { clientMsgId: string }) => m.clientMsgId)).to.deep.equal(["before", "during"]);
  });
});
