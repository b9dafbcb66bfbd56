import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

// Seconds, from 100 µs (a socket ack written) to 10 s (an ack held by an outage): the tail is what
// these histograms are for, so the buckets are dense where the bare server's p99 and ours sit.
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/**
 * A labelled histogram's children kept by their label values: prom-client hashes the label object
 * on every observe(), about a fifth of the metrics' cost on the send path; a child observes directly.
 */
export function childrenOf<L extends string>(histogram: Histogram<L>): (...values: string[]) => { observe(v: number): void } {
  const children = new Map<string, { observe(v: number): void }>();
  return (...values) => {
    const key = values.join("\u0000");
    let child = children.get(key);
    if (!child) children.set(key, (child = histogram.labels(...values)));
    return child;
  };
}

/** One registry per node process (tests run several nodes in one process, so no global default). */
export function createMetrics() {
  const registry = new Registry();
  // Includes nodejs_eventloop_lag_seconds, heap and GC figures.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by route template",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers,
    }),
    socketsConnected: new Gauge({ name: "socketio_connected_sockets", help: "Connected Socket.IO clients on this node", registers }),
    messagesSent: new Counter({ name: "chat_messages_sent_total", help: "Messages stored and acknowledged", registers }),
    heldPolls: new Gauge({ name: "events_held_polls", help: "Long-polls of GET /api/events being held on this node", registers }),
    // Where an acked socket event's time goes (docs/metrics.md): the phases of one event add up to
    // its whole; the store's and the broadcaster's own histograms split the handler further.
    socketEvent: new Histogram({
      name: "socketio_event_duration_seconds",
      help: "Acked client events, from the frame's dispatch to the ack written, by event and outcome (ok, or the error code)",
      labelNames: ["event", "outcome"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    socketEventPhase: new Histogram({
      name: "socketio_event_phase_seconds",
      help: "Acked client events by phase: validate (payload parse), handler (the use case: authorization, storage, broadcast), ack (writing the ack)",
      labelNames: ["event", "phase"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    commitWait: new Histogram({
      name: "chat_message_commit_wait_seconds",
      help: "Messages: from the append's submission to the start of the group commit that holds it",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    commit: new Histogram({
      name: "chat_message_commit_seconds",
      help: "Group commits of messages: the database write of one batch, until it is durable",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    commitBatch: new Histogram({
      name: "chat_message_commit_batch_size",
      help: "Messages per group commit",
      buckets: BATCH_BUCKETS,
      registers,
    }),
    broadcast: new Histogram({
      name: "chat_broadcast_seconds",
      help: "Room broadcasts by event: encoding, the local emit and the hand-off to the Redis adapter",
      labelNames: ["event"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
