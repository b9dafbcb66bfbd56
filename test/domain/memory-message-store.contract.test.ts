// The fakes must keep the contracts the real adapters keep, or every unit test built on them lies.
// The in-memory message store runs the very suite PgMessageStore and the MongoDB store run
// (test/store/message-store.contract.ts): seqs, idempotency, chunks, pages, edits, heads.
import { MemoryMessageStore } from "../fakes/memory-message-store.js";
import { messageStoreContract } from "../store/message-store.contract.js";

messageStoreContract("in-memory fake (test/fakes)", async () => ({ store: new MemoryMessageStore(), cleanup: async () => {} }));
