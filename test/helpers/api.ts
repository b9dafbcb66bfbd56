import { randomUUID } from "node:crypto";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin fetch wrapper speaking the wire contract (JSON in, JSON or problem+json out). */
export class Api {
  /** `baseUrl` may be a function, read at each request: a client for a node that a suite's before hook starts. */
  constructor(private readonly base: string | (() => string)) {}

  get baseUrl(): string {
    return typeof this.base === "string" ? this.base : this.base();
  }

  async request<T = any>(method: string, path: string, opts: { token?: string; body?: unknown; raw?: RequestInit["body"]; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: RequestInit["body"] = opts.raw;
    if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if (/json/.test(res.headers.get("content-type") ?? "") && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>("GET", path, { token });
  }
  post<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>("POST", path, { body, token });
  }
  put<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>("PUT", path, { body, token });
  }
  patch<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>("PATCH", path, { body, token });
  }
  delete<T = any>(path: string, token?: string) {
    return this.request<T>("DELETE", path, { token });
  }
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  displayName: string;
  accessToken: string;
  refreshToken: string;
}

/** Signs up a fresh user with a unique email; every test makes its own. */
export async function signUp(api: Api, displayName = "User"): Promise<TestUser> {
  const email = `u-${randomUUID()}@example.test`;
  const password = "correct horse battery";
  const res = await api.post("/api/auth/signup", { email, password, displayName });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, email, password, displayName, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}
