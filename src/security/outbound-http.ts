// Requests to URLs that users chose (push endpoints, outgoing webhooks' targets), through
// node:http(s) with agents of our own. No redirect is followed, so a target cannot bounce the
// request into our network; unless private targets are allowed, the agents' `lookup` refuses a
// name that resolves to a non-public address when it connects (DNS may have changed since the URL
// was checked), and IP literals, which net.connect dials without a lookup, are refused before
// dialling (`refusedLiteral`).
import http from "node:http";
import https from "node:https";

import { assertPublicHost, connectLookup, ipLiteral, isPublicAddress, NonPublicAddressError, systemResolveAll, type ResolveAll } from "./public-address.js";

// Enough of an error answer to show or log; a hostile target's is not read whole.
const RESPONSE_TEXT_MAX = 200;

export interface OutboundHttpOptions {
  /** Dial loopback and private addresses too (tests with a local stand-in); never in production. */
  allowPrivate: boolean;
  /** How host names resolve; default the system resolver (dns.lookup). */
  resolve?: ResolveAll;
  /** A request without an answer within this long fails (AbortSignal's TimeoutError). */
  timeoutMs: number;
}

export interface OutboundRequest {
  method: string;
  headers: http.OutgoingHttpHeaders;
  body?: string | Buffer | null;
}

export class OutboundHttp {
  readonly allowPrivate: boolean;
  private readonly resolve: ResolveAll;
  private readonly agents: { "http:": http.Agent; "https:": https.Agent };

  constructor(private readonly opts: OutboundHttpOptions) {
    this.allowPrivate = opts.allowPrivate;
    this.resolve = opts.resolve ?? systemResolveAll;
    const lookup = connectLookup(this.resolve, { publicOnly: !this.allowPrivate });
    // Kept alive: requests to one target come in runs (a webhook's events, a burst of pushes).
    this.agents = { "http:": new http.Agent({ keepAlive: true, lookup }), "https:": new https.Agent({ keepAlive: true, lookup }) };
  }

  /**
   * Whether a URL on this host may be dialled: every address it resolves to is public (or private
   * ones are allowed). A name that does not exist is refused; a resolver that fails throws (it may
   * recover: the caller answers "try again").
   */
  async allows(hostname: string): Promise<boolean> {
    if (this.allowPrivate) return true;
    try {
      await assertPublicHost(hostname, this.resolve);
      return true;
    } catch (err) {
      if (err instanceof NonPublicAddressError) return false;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTFOUND" || code === "ENODATA") return false;
      throw err;
    }
  }

  /** Why this URL must not be dialled when its host is a non-public IP literal, else null. */
  refusedLiteral(url: URL): string | null {
    const literal = ipLiteral(url.hostname);
    return !this.allowPrivate && literal !== null && !isPublicAddress(literal) ? new NonPublicAddressError(literal, literal).message : null;
  }

  /** Sends the request (http: or https: only) and reads the status and the start of the answer. */
  request(url: URL, req: OutboundRequest): Promise<{ status: number; text: string }> {
    const protocol = url.protocol;
    if (protocol !== "http:" && protocol !== "https:") return Promise.reject(new Error(`cannot send to a ${protocol} URL`));
    const client = protocol === "https:" ? https : http;
    const sized = req.body == null || Object.keys(req.headers).some((h) => h.toLowerCase() === "content-length");
    const headers = sized ? req.headers : { ...req.headers, "content-length": String(Buffer.byteLength(req.body!)) };
    return new Promise((resolve, reject) => {
      const sent = client.request(url, { method: req.method, headers, agent: this.agents[protocol], signal: AbortSignal.timeout(this.opts.timeoutMs) }, (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on("data", (chunk: Buffer) => {
          if (kept < RESPONSE_TEXT_MAX) chunks.push(chunk);
          kept += chunk.length;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8").slice(0, RESPONSE_TEXT_MAX) }));
        res.on("error", reject);
      });
      sent.on("error", reject);
      sent.end(req.body ?? undefined);
    });
  }

  close(): void {
    this.agents["http:"].destroy();
    this.agents["https:"].destroy();
  }
}
