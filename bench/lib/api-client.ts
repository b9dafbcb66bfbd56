// The app's HTTP API as benches call it: JSON requests with fetch (setup: signups, rooms, uploads)
// and with node:http on a keep-alive agent (load: cheaper per request than fetch here, and it
// never throws: a failure is a status 0 and an error code).
import http from "node:http";

/**
 * fetch, with `json` sent as a JSON body and `token` as the bearer; the parsed JSON response, or an
 * error naming the request and the response when it is not 2xx.
 */
export async function fetchJson(url: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<any> {
  const { json, token, ...rest } = init;
  const headers = {
    ...(json !== undefined ? { "content-type": "application/json" } : {}),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(rest.headers as Record<string, string> | undefined),
  };
  const method = rest.method ?? (json !== undefined ? "POST" : "GET");
  const res = await fetch(url, { ...rest, method, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

export interface SignedUp {
  user: { id: string };
  accessToken: string;
}

/** POST /api/auth/signup. */
export function signUp(baseUrl: string, account: { email: string; password: string; displayName: string }): Promise<SignedUp> {
  return fetchJson(`${baseUrl}/api/auth/signup`, { json: account });
}

export interface JsonResponse {
  /** 0 when the request failed before a response. */
  status: number;
  /** The parsed body; undefined when it was not JSON. */
  body: any;
  error?: string;
}

/** One request through `agent` with node:http, `body` as JSON; resolves on any outcome. */
export function requestJson(agent: http.Agent, url: URL, method: string, token: string, body?: unknown): Promise<JsonResponse> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on("error", (err) => resolve({ status: 0, body: undefined, error: err.message }));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: undefined, error: err.code ?? err.message }));
    req.end(payload);
  });
}
