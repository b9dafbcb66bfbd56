// Worker-thread entry for bench/chat.ts: Node 20 does not run `--import tsx` in workers, so the
// worker registers tsx itself, then loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./chat-worker.ts");
