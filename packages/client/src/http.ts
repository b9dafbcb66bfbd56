/**
 * The HTTP door (PROTOCOL.md): JSON in, JSON or problem+json out, under /api on any node. The
 * bearer token is refreshed once on a 401 and the call made again. A node that cannot be reached
 * is skipped: the next call goes to the next base URL, and a call that is safe to repeat (GET,
 * PUT, DELETE) is repeated there at once. With `validate`, every JSON answer is checked against
 * the schema the server answers with; a mismatch is a PROTOCOL error, never silently passed on.
 * Uploads go as multipart (a FormData body) and files behind the login come back as Blobs.
 */
import type { z } from "zod";
import { ChatError } from "./errors.js";
import type { Session } from "./session.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type QueryValue = string | number | boolean | undefined | null;

export interface HttpOptions {
  /** Base URLs of the nodes (or one proxy), e.g. "https://chat.example.com". */
  baseUrls: string[];
  session: Session;
  /** Check JSON answers against their schema (default true). */
  validate?: boolean;
  /** Default per-request timeout, in ms (default 30,000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** JSON, or a FormData sent as multipart/form-data (uploads). */
  body?: unknown;
  /** Default true: send the session's Authorization header (and refresh on a 401). */
  auth?: boolean;
  /** The schema of a success answer's body (checked when validating). */
  reply?: z.ZodType;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const IDEMPOTENT = new Set<HttpMethod>(["GET", "PUT", "DELETE"]);

export class Http {
  private next = 0;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: HttpOptions) {
    if (!opts.baseUrls.length) throw new Error("at least one base URL is needed");
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The base URL the next call goes to. */
  get baseUrl(): string {
    return this.opts.baseUrls[this.next % this.opts.baseUrls.length]!.replace(/\/+$/, "");
  }

  /** `path` is under /api ("/rooms"). Resolves with the body (undefined for 204), or throws a ChatError. */
  async request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.respond(method, path, opts, "application/json");
    if (res.status === 204) return undefined as T;
    const body: unknown = await res.json().catch((err: unknown) => {
      throw new ChatError("PROTOCOL", `${method} ${path}: the answer is not JSON`, { status: res.status, cause: err });
    });
    if (opts.reply && this.opts.validate !== false) {
      const checked = opts.reply.safeParse(body);
      if (!checked.success) {
        throw new ChatError("PROTOCOL", `${method} ${path}: the answer does not match its schema: ${checked.error.message}`, { status: res.status });
      }
    }
    return body as T;
  }

  /**
   * The bytes of a file behind the login (an attachment, a thumbnail, a data export), which a
   * link or <img src> cannot fetch since they cannot send the token. `path` is under /api, or a
   * URL the server gave (`/api/attachments/…`).
   */
  async download(path: string, opts: Pick<RequestOptions, "signal" | "timeoutMs" | "query"> = {}): Promise<Blob> {
    const res = await this.respond("GET", path.startsWith("/api/") ? path.slice(4) : path, opts, "*/*");
    return res.blob();
  }

  /** The successful answer, with the bearer token refreshed once on a 401; a problem is thrown as a ChatError. */
  private async respond(method: HttpMethod, path: string, opts: RequestOptions, accept: string): Promise<Response> {
    const auth = opts.auth !== false;
    let credential = auth ? await this.opts.session.credential() : undefined;
    let res = await this.send(method, path, opts, accept, credential?.header);
    if (credential && res.status === 401) {
      // The token presented, not the one in use now: a refusal that comes after another call's
      // refresh then takes the new token instead of refreshing a second time.
      await this.opts.session.refresh(credential.token);
      credential = await this.opts.session.credential();
      res = await this.send(method, path, opts, accept, credential.header);
      // Refused again with a token just issued: the login was revoked meanwhile.
      if (res.status === 401) this.opts.session.end("access token refused after a refresh");
    }
    if (!res.ok) throw await problemOf(res);
    return res;
  }

  private async send(method: HttpMethod, path: string, opts: RequestOptions, accept: string, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (authorization) headers.authorization = authorization;
    let body: string | FormData | undefined;
    if (opts.body instanceof FormData) body = opts.body; // multipart: fetch writes the boundary into content-type
    else if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const tries = IDEMPOTENT.has(method) ? this.opts.baseUrls.length : 1;
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.opts.timeoutMs ?? 30_000);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      try {
        return await this.fetchFn(`${this.baseUrl}/api${path}${queryString(opts.query)}`, { method, headers, body, signal });
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason ?? err;
        this.next++; // this node did not answer: the next call tries the next one
        if (attempt < tries) continue;
        if (timeout.aborted) throw new ChatError("TIMEOUT", `${method} ${path}: no answer in time`, { cause: err });
        throw new ChatError("NETWORK", `${method} ${path}: the server cannot be reached`, { cause: err });
      }
    }
  }
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) params.set(key, String(value));
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** An RFC 9457 problem as a ChatError; a body that is not one (a proxy's error page) keeps the status. */
async function problemOf(res: Response): Promise<ChatError> {
  let problem: { code?: unknown; detail?: unknown; title?: unknown; errors?: unknown } = {};
  try {
    problem = (await res.json()) as typeof problem;
  } catch {
    // not JSON
  }
  const retryAfter = Number(res.headers.get("retry-after"));
  const code = typeof problem.code === "string" ? problem.code : res.status >= 500 ? "UNAVAILABLE" : `HTTP_${res.status}`;
  const message = typeof problem.detail === "string" && problem.detail ? problem.detail : typeof problem.title === "string" ? problem.title : `HTTP ${res.status}`;
  return new ChatError(code, message, {
    status: res.status,
    errors: Array.isArray(problem.errors) ? problem.errors : [],
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  });
}
