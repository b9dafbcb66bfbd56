// One load-generator process of the lean tool: hosts a bench/chat-worker.ts thread and relays its
// commands and replies over IPC. Processes rather than threads because each socket is a file
// descriptor and the per-process limit (`ulimit -n`, often 20,000 in containers, where not even
// root may raise it) caps the sockets one process can hold.
import { Worker } from "node:worker_threads";

const worker = new Worker(new URL("../../bench/chat-worker-boot.mjs", import.meta.url));
worker.on("message", (reply) => process.send(reply));
worker.on("error", (err) => {
  console.error("generator thread failed:", err);
  process.exit(1);
});
process.on("message", (cmd) => worker.postMessage(cmd));
process.on("disconnect", () => process.exit(0));
