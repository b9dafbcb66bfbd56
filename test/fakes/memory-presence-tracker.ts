// PresenceTracker (src/domain/ports/presence-tracker.ts): the production in-memory adapter, the
// embedded default of a single node (src/store/memory-presence.ts), has the Redis tracker's
// semantics with no timers or I/O and an injectable clock, so it serves as the fake as it is.
export { MemoryPresenceTracker } from "../../src/store/memory-presence.js";
