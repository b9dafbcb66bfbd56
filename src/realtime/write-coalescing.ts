// Coalesces WebSocket frames to one socket within one event-loop turn into one system call.
//
// Each Socket.IO packet to a WebSocket client is a frame that `ws` writes with its own `writev`:
// the node's largest cost after the fan-out's JavaScript (a system call plus the loopback or NIC
// path each time, and a wake-up of the reader). Under load one turn of the event loop delivers
// several messages to the same socket (every message stored by one group commit, every PostgreSQL
// reply read in one poll phase), so the first frame a socket gets in a turn corks its TCP socket
// and the socket is uncorked once, after the turn's I/O callbacks (setImmediate): the frames
// queued meanwhile go out in one `writev`. engine.io keeps further packets in its own buffer
// until that write completes and then sends them together, uncorked, straight away.
// Latency added: the rest of the current turn, which is what coalescing is. Under light load a
// turn holds one message and nothing changes but the one deferral.

import type { Duplex } from "node:stream";
import { transports } from "engine.io";

interface WebSocketTransport {
  socket?: { _socket?: Duplex };
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
  // Write callbacks of the writes just made run in this tick queue first and send what engine.io
  // buffered meanwhile; those go out at once (one writev each) instead of waiting for another turn.
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
    if (!raw || raw.destroyed || corked.has(raw)) return send.call(this, packets);
    raw.cork();
    if (draining) {
      // What engine.io buffered while the turn's first write was corked: one writev, now.
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
  };
}
