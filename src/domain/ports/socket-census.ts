/** How many sockets one node of the cluster holds. */
export interface NodeSockets {
  node: string;
  sockets: number;
}

/**
 * Each node's connected sockets, as it last reported them (src/store/socket-census.ts: within a
 * reporting interval; a node that stopped reporting, crashed or drained, drops out).
 */
export interface SocketCensus {
  perNode(): Promise<NodeSockets[]>;
}
