import http from "node:http";
import https from "node:https";
import webpush from "web-push";
import { Unavailable } from "../domain/errors.js";
import type { PushOptions, PushResult, PushSender } from "../domain/ports/push-sender.js";
import type { PushSubscriptionRecord } from "../domain/ports/push-subscriptions.js";
import type { PushHostPolicy } from "../domain/push.js";
import { assertPublicHost, connectLookup, ipLiteral, isPublicAddress, NonPublicAddressError, systemResolveAll, type ResolveAll } from "../security/public-address.js";
import type { VapidKeys } from "../security/vapid-keys.js";

// A push service answers in well under a second; a hung one must not pile up requests.
const SEND_TIMEOUT_MS = 10_000;
// Enough of an error body to log; a push service's are short, and a hostile one is not read whole.
const RESPONSE_TEXT_MAX = 200;

export interface WebPushSenderOptions {
  /** Post to loopback and private addresses too (tests with a local push-service stand-in); never in production. */
  allowPrivateEndpoints: boolean;
  /** How host names resolve; default the system resolver (dns.lookup). */
  resolve?: ResolveAll;
}

/**
 * Web Push through the `web-push` library: it encrypts the payload (RFC 8291, aes128gcm) and
 * signs the VAPID JWT (RFC 8292). The request goes out through node:http(s) with our own agents
 * rather than the library's sendNotification, which speaks https only (an http:// stand-in for
 * the push service works too); like it, this follows no redirect, so a push service cannot bounce
 * the request into our network. Unless private endpoints are allowed, the agents' `lookup` refuses
 * a name that resolves to a non-public address at connect time (DNS may have changed since the
 * subscription was checked), and IP literals, which net.connect dials without a lookup, are
 * checked here before sending.
 */
export class WebPushSender implements PushSender, PushHostPolicy {
  readonly publicKey: string;
  private readonly allowPrivate: boolean;
  private readonly resolve: ResolveAll;
  private readonly agents: { "http:": http.Agent; "https:": https.Agent };

  constructor(
    private readonly keys: VapidKeys,
    private readonly subject: string,
    opts: WebPushSenderOptions = { allowPrivateEndpoints: false },
  ) {
    this.publicKey = keys.publicKey;
    this.allowPrivate = opts.allowPrivateEndpoints;
    this.resolve = opts.resolve ?? systemResolveAll;
    const lookup = connectLookup(this.resolve, { publicOnly: !this.allowPrivate });
    // Kept alive: pushes to one service come in bursts (one per device of each offline member).
    this.agents = { "http:": new http.Agent({ keepAlive: true, lookup }), "https:": new https.Agent({ keepAlive: true, lookup }) };
  }

  async allows(hostname: string): Promise<boolean> {
    if (this.allowPrivate) return true;
    try {
      await assertPublicHost(hostname, this.resolve);
      return true;
    } catch (err) {
      if (err instanceof NonPublicAddressError) return false;
      // A name that does not exist cannot be a push service; a resolver that fails may recover.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTFOUND" || code === "ENODATA") return false;
      throw new Unavailable("could not resolve the push endpoint's host; try again");
    }
  }

  async send(sub: PushSubscriptionRecord, payload: string, opts: PushOptions): Promise<PushResult> {
    let request: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      request = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, {
        vapidDetails: { subject: this.subject, publicKey: this.keys.publicKey, privateKey: this.keys.privateKey },
        TTL: opts.ttlSeconds,
        contentEncoding: "aes128gcm",
        urgency: "normal",
        ...(opts.topic ? { topic: opts.topic } : {}),
      });
    } catch (err) {
      // Keys the library cannot encrypt for: this subscription can never receive anything.
      return { ok: false, gone: true, status: null, message: (err as Error).message };
    }
    const url = new URL(request.endpoint);
    const literal = ipLiteral(url.hostname);
    if (!this.allowPrivate && literal !== null && !isPublicAddress(literal)) {
      // Not gone: the row may have been stored while private endpoints were allowed; it stays for an operator to see.
      return { ok: false, gone: false, status: null, message: new NonPublicAddressError(literal, literal).message };
    }
    try {
      const res = await this.post(url, request);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      // RFC 8030: 404 and 410 mean the subscription expired or was unsubscribed.
      return { ok: false, gone: res.status === 404 || res.status === 410, status: res.status, message: res.text };
    } catch (err) {
      return { ok: false, gone: false, status: null, message: (err as Error).message };
    }
  }

  private post(url: URL, request: ReturnType<typeof webpush.generateRequestDetails>): Promise<{ status: number; text: string }> {
    const protocol = url.protocol;
    if (protocol !== "http:" && protocol !== "https:") return Promise.reject(new Error(`cannot push to a ${protocol} URL`));
    const client = protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        { method: request.method, headers: request.headers as http.OutgoingHttpHeaders, agent: this.agents[protocol], signal: AbortSignal.timeout(SEND_TIMEOUT_MS) },
        (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on("data", (chunk: Buffer) => {
            if (kept < RESPONSE_TEXT_MAX) chunks.push(chunk);
            kept += chunk.length;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8").slice(0, RESPONSE_TEXT_MAX) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(request.body ?? undefined);
    });
  }
}
