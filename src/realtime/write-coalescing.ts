// Coalesces WebSocket frames to one socket within one event-loop turn into one system call.
//
// Each Socket.IO packet to a WebSocket client is a frame that `ws` writes with its own `writev`:
// a system call, the loopback or NIC path and a wake-up of the reader, per frame and recipient.
// Under load one turn of the event loop delivers several packets to the same socket (the sender's
// ack after its own message:new, every message stored by one group commit, every PostgreSQL reply
// read in one poll phase), so the first frame a socket gets in a turn corks its TCP socket, the
// turn's further packets join it, and every socket corked in the turn is uncorked once after the
// turn's I/O callbacks (setImmediate): one `writev` per socket per turn. Latency added: the rest
// of the current turn. Measured in docs/performance.md (a hot room carries twice the messages).

import type { Duplex } from "node:stream";
import { transports } from "engine.io";

interface WebSocketTransport {
  socket?: { _socket?: Duplex };
  writable: boolean;
  send(packets: unknown[]): void;
}

const corked = new Set<Duplex>();
let scheduled = false;
let draining = false;
let installed = false;

function uncorkAll(): void {
  scheduled = false;
  draining = true;
  for (const raw of corked) raw.uncork();
  corked.clear();
  // Write callbacks of the writes just made run in this tick queue first; anything engine.io still
  // buffered goes out at once instead of waiting for another turn.
  process.nextTick(() => {
    draining = false;
  });
}

/**
 * Patches engine.io's WebSocket transport, process-wide and once (SOCKET_COALESCE_WRITES=false
 * leaves it alone). If a later engine.io no longer exposes the TCP socket as `socket._socket`,
 * sends go through unchanged.
 */
export function coalesceWebSocketWrites(): void {
  if (installed) return;
  installed = true;
  const proto = (transports as unknown as Record<string, { prototype: WebSocketTransport }>).websocket!.prototype;
  const send = proto.send;
  proto.send = function (this: WebSocketTransport, packets: unknown[]) {
    const raw = this.socket?._socket;
    if (!raw || raw.destroyed) return send.call(this, packets);
    if (corked.has(raw)) {
      send.call(this, packets);
      this.writable = true;
      return;
    }
    raw.cork();
    if (draining) {
      // Packets engine.io buffered before the turn's write completed: one writev, now.
      try {
        send.call(this, packets);
      } finally {
        raw.uncork();
      }
      return;
    }
    corked.add(raw);
    if (!scheduled) {
      scheduled = true;
      setImmediate(uncorkAll);
    }
    send.call(this, packets);
    // engine.io would hold this turn's further packets until the corked write completes, then
    // send them in a write of their own; handed over now, they join this one.
    this.writable = true;
  };
}
