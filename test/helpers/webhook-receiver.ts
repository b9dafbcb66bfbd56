// A webhook target on 127.0.0.1 for the webhook suites: records every POST it answers (raw body,
// headers, what it answered), answers what `answer` says for the nth request, and can be down
// (its port closed) for a while, coming back on the same port.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  n: number;
  body: string;
  event: { id: string; type: string; at: string; roomId: string; data: { message?: any; userId?: string } };
  headers: http.IncomingHttpHeaders;
  status: number;
}

/** The check a receiver makes, as docs/integrations.md shows it. */
export function signatureValid(secret: string, body: string, header: string | string[] | undefined): boolean {
  if (typeof header !== "string") return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** The status to answer the nth request (1-based) with. */
  answer: (n: number) => number = () => 200;
  port = 0;
  private server: http.Server | undefined;
  private count = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const n = ++this.count;
        const status = this.answer(n);
        const body = Buffer.concat(chunks).toString("utf8");
        let event: Received["event"];
        try {
          event = JSON.parse(body);
        } catch {
          event = { id: "", type: "unparsable", at: "", roomId: "", data: {} };
        }
        this.received.push({ n, body, event, headers: req.headers, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port (connections refused) until start() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Events answered 2xx, once each, in the order they first were. */
  delivered(): Received[] {
    const seen = new Set<string>();
    return this.received.filter((r) => r.status >= 200 && r.status < 300 && !seen.has(r.event.id) && seen.add(r.event.id));
  }
}
