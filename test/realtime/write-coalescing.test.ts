// The write coalescing of src/realtime/write-coalescing.ts, on a real Socket.IO server and client:
// frames to one socket within one event-loop turn reach the kernel in one write, in order, and a
// socket that goes away while corked loses nothing for the others.

import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

import { expect } from "chai";
import { Server, type Socket as ServerSocket } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";

import { coalesceWebSocketWrites } from "../../src/realtime/write-coalescing.js";

describe("WebSocket write coalescing", function () {
  this.timeout(10_000);
  let httpServer: http.Server;
  let io: Server;
  let url: string;
  const clients: Socket[] = [];

  before(async () => {
    coalesceWebSocketWrites();
    httpServer = http.createServer();
    io = new Server(httpServer, { transports: ["websocket"] });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await io.close();
  });

  /** A connected client and its server-side socket. */
  async function pair(): Promise<{ client: Socket; server: ServerSocket }> {
    const serverSide = new Promise<ServerSocket>((resolve) => io.once("connection", resolve));
    const client = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("connect_error", reject);
    });
    return { client, server: await serverSide };
  }

  /** Counts the writes that reach the server-side TCP socket of `s` (each is one system call). */
  function countWrites(s: ServerSocket): { writes: number } {
    const raw = (s.conn.transport as unknown as { socket: { _socket: Duplex } }).socket._socket as Duplex & {
      _write: (...a: unknown[]) => void;
      _writev: (...a: unknown[]) => void;
    };
    const counter = { writes: 0 };
    const write = raw._write.bind(raw);
    const writev = raw._writev.bind(raw);
    raw._write = (...a) => {
      counter.writes++;
      write(...a);
    };
    raw._writev = (...a) => {
      counter.writes++;
      writev(...a);
    };
    return counter;
  }

  function receive(client: Socket, n: number): Promise<number[]> {
    const got: number[] = [];
    return new Promise((resolve) => {
      client.on("tick", (i: number) => {
        got.push(i);
        if (got.length === n) resolve(got);
      });
    });
  }

  it("ten frames emitted in one turn reach the socket in one write, in order", async () => {
    const { client, server } = await pair();
    const counter = countWrites(server);
    const received = receive(client, 10);
    for (let i = 0; i < 10; i++) server.emit("tick", i);
    expect(await received).to.deep.equal([...Array(10).keys()]);
    // Without coalescing: one write per frame (10).
    expect(counter.writes).to.equal(1);
  });

  it("frames of separate turns are not held back: each arrives on its own", async () => {
    const { client, server } = await pair();
    for (let i = 0; i < 3; i++) {
      const one = receive(client, 1);
      server.emit("tick", i);
      expect(await one).to.deep.equal([i]);
      client.off("tick");
    }
  });

  it("a socket closed while its frames are corked does not hold up the others", async () => {
    const [a, b] = [await pair(), await pair()];
    const toB = receive(b.client, 5);
    for (let i = 0; i < 5; i++) {
      a.server.emit("tick", i);
      b.server.emit("tick", i);
    }
    a.server.disconnect(true);
    expect(await toB).to.deep.equal([0, 1, 2, 3, 4]);
  });
});
