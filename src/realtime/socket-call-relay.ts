import type { CallRelay, CallSignal } from "../domain/ports/call-relay.js";
import type { ChatServer } from "./deps.js";

/**
 * The CallRelay port on Socket.IO. Every socket is in the Socket.IO room named by its id, so
 * addressing socket ids reaches them on whichever node holds them (one publish through the
 * Redis adapter; each node delivers to its own sockets), once each.
 */
export class SocketCallRelay implements CallRelay {
  constructor(private readonly io: ChatServer) {}

  toConnections(connectionIds: string[], signal: CallSignal) {
    if (connectionIds.length) this.io.to(connectionIds).emit("call:signal", signal);
  }
}
