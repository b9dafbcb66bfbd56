// The operators' use cases (src/domain/admin.ts, reports.ts, suspensions.ts, moderation.ts) on the
// in-memory fakes: fakeDeps' one world plus the reports, the audit log, the operators' store over
// the same users and rooms, and a fixed socket census.
import type { NodeSockets, SocketCensus } from "../../src/domain/ports/socket-census.js";
import { fakeDeps, type FakeDeps } from "./domain-deps.js";
import { MemoryAuditLog } from "./memory-audit-log.js";
import { MemoryModerationStore } from "./memory-moderation-store.js";
import { MemoryReportRepository } from "./memory-report-repository.js";

/** Satisfies AdminDeps (src/domain/admin.ts) with every field typed as its fake. */
export interface FakeAdminDeps extends FakeDeps {
  reports: MemoryReportRepository;
  audit: MemoryAuditLog;
  moderation: MemoryModerationStore;
  socketCensus: SocketCensus;
  /** What the census answers; tests may replace it. */
  nodes: NodeSockets[];
}

export function fakeAdminDeps(overrides: Partial<FakeDeps> = {}): FakeAdminDeps {
  const d = fakeDeps(overrides);
  const audit = new MemoryAuditLog();
  const admin: FakeAdminDeps = Object.assign(d, {
    audit,
    reports: new MemoryReportRepository(d.clock, audit),
    moderation: new MemoryModerationStore(d.users, d.rooms, audit),
    nodes: [{ node: "node-a", sockets: 2 }],
    socketCensus: { perNode: async () => admin.nodes.map((n) => ({ ...n })) },
  });
  return admin;
}
