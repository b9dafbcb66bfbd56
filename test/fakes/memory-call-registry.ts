// CallRegistry (src/domain/ports/call-registry.ts): the production in-memory adapter is already a
// fake with the real semantics (no timers, no I/O, an injectable clock). It is the embedded
// default of a single node (src/store/memory-call-registry.ts); re-exported here so every port
// the use cases need has its file under test/fakes.
export { MemoryCallRegistry } from "../../src/store/memory-call-registry.js";
