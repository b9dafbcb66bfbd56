// The generator threads of bench/chat.ts: bench/chat-worker.ts in worker threads (booted by
// chat-worker-boot.mjs), commanded together and answering in turn.

import { Worker } from "node:worker_threads";
import type { WorkerCmd, WorkerReply } from "./chat-worker.js";

export class Workers {
  private readonly ws: Worker[];
  private readonly waiting: ((r: WorkerReply) => void)[][];
  constructor(n: number) {
    this.ws = Array.from({ length: n }, () => new Worker(new URL("./chat-worker-boot.mjs", import.meta.url)));
    this.waiting = this.ws.map(() => []);
    this.ws.forEach((w, i) => {
      w.on("message", (r: WorkerReply) => this.waiting[i]!.shift()?.(r));
      w.on("error", (err) => {
        console.error(`worker ${i} failed:`, err);
        process.exit(1);
      });
    });
  }
  /** Sends one command to each worker (or a per-worker command) and awaits each one's reply. */
  ask<R extends WorkerReply>(cmd: WorkerCmd | ((i: number) => WorkerCmd)): Promise<R[]> {
    return Promise.all(this.ws.map((w, i) => new Promise<R>((resolve) => {
      this.waiting[i]!.push(resolve as (r: WorkerReply) => void);
      w.postMessage(typeof cmd === "function" ? cmd(i) : cmd);
    })));
  }
  /** Sends without awaiting a reply (the next reply is awaited with expect()). */
  tell(cmd: WorkerCmd) {
    this.ws.forEach((w) => w.postMessage(cmd));
  }
  expect<R extends WorkerReply>(): Promise<R[]> {
    return Promise.all(this.waiting.map((q) => new Promise<R>((resolve) => q.push(resolve as (r: WorkerReply) => void))));
  }
  terminate() {
    return Promise.all(this.ws.map((w) => w.terminate()));
  }
}
