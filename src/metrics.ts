import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** One registry per node process (tests run several nodes in one process, so no global default). */
export function createMetrics() {
  const registry = new Registry();
  // Includes nodejs_eventloop_lag_seconds, heap and GC figures.
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by route template",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [registry],
    }),
    socketsConnected: new Gauge({ name: "socketio_connected_sockets", help: "Connected Socket.IO clients on this node", registers: [registry] }),
    messagesSent: new Counter({ name: "chat_messages_sent_total", help: "Messages stored and acknowledged", registers: [registry] }),
    heldPolls: new Gauge({ name: "events_held_polls", help: "Long-polls of GET /api/events being held on this node", registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
