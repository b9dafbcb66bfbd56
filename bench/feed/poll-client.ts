// The feed bench's poll client: one GET /api/events on a keep-alive agent, timed when its response
// body has fully arrived (node:http: no fetch overhead in the measured path).
import http from "node:http";
import type { FeedNode } from "./feed-nodes.js";
import type { User } from "./seed-users.js";
import { now } from "./settings.js";

export interface PollResult {
  status: number;
  body?: { events: { id: string; type: string; at: string; data: any }[]; cursor: string };
  arrived: number;
  error?: string;
}
export interface Poll {
  req: http.ClientRequest;
  connected: Promise<void>;
  done: Promise<PollResult>;
}

/** A held poll on GET /api/events: `connected` once its socket is, `done` with the response (never rejects). */
export function openPoll(node: FeedNode, agent: http.Agent, user: User, cursor: string, timeoutS = 55): Poll {
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => (onConnect = r));
  let req!: http.ClientRequest;
  const done = new Promise<PollResult>((resolve) => {
    req = http.request(
      {
        host: node.url.hostname,
        port: node.url.port,
        path: `/api/events?cursor=${cursor}&timeout=${timeoutS}`,
        agent,
        headers: { authorization: `Bearer ${user.token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const arrived = now();
          let body: PollResult["body"];
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body, arrived });
        });
        res.on("error", (err) => resolve({ status: res.statusCode ?? 0, arrived: now(), error: err.message }));
      },
    );
    req.on("socket", (s) => {
      if (!s.connecting) onConnect();
      else s.once("connect", onConnect);
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      onConnect();
      resolve({ status: 0, arrived: now(), error: err.code ?? err.message });
    });
    req.end();
  });
  return { req, connected, done };
}
