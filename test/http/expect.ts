// Assertions shared by the HTTP suites (not a suite itself: mocha only loads *.test.ts).
import { expect } from "chai";
import type { ApiResponse } from "../helpers/api.js";

export const BACKENDS = ["postgres", "embedded"] as const;

/** Every embedded start creates a PGlite cluster (~2 s); PostgreSQL starts are quick. */
export const NODE_START_TIMEOUT_MS = 30_000;

/** The contract's error codes and their HTTP statuses (PROTOCOL, Errors). */
export const STATUS_CODE: Record<string, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An RFC 9457 problem with the contract's fields, the right code for its status and nothing internal. */
export function expectProblem(res: ApiResponse, code: keyof typeof STATUS_CODE | string) {
  const status = STATUS_CODE[code];
  expect(status, `unknown error code ${code}`).to.be.a("number");
  expect(res.status, `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`).to.equal(status);
  expect(res.headers.get("content-type") ?? "").to.match(/^application\/problem\+json/);
  expect(res.body).to.be.an("object");
  expect(res.body).to.include({ type: "about:blank", status, code });
  expect(res.body.title).to.be.a("string").that.is.not.empty;
  expect(res.body.detail).to.be.a("string").that.is.not.empty;
  expect(res.body).to.not.have.property("stack");
  expect(JSON.stringify(res.body)).to.not.match(/\bat [^ ]+ \(|\.(ts|js):\d+/);
  return res.body;
}

/** The field paths a 400 VALIDATION names. */
export function errorPaths(res: ApiResponse): string[] {
  expectProblem(res, "VALIDATION");
  expect(res.body.errors, "VALIDATION carries errors[]").to.be.an("array").that.is.not.empty;
  for (const e of res.body.errors) {
    expect(e.path).to.be.a("string");
    expect(e.message).to.be.a("string").that.is.not.empty;
  }
  return res.body.errors.map((e: { path: string }) => e.path);
}

/** Nothing a server keeps private ever reaches a client. */
export function expectNoSecrets(body: unknown) {
  const text = JSON.stringify(body);
  expect(text).to.not.match(/passwordHash|password_hash|currentHash|codeHash/i);
  expect(text, "a bcrypt hash leaked").to.not.match(/\$2[aby]\$\d\d\$/);
}

export const USER_KEYS = ["id", "email", "displayName", "statusMessage", "avatarUrl", "emailVerified", "createdAt"];
export const OTHER_USER_KEYS = USER_KEYS.filter((k) => k !== "email");

/** `user` as its owner sees it (with email) or as anyone else does (without). */
export function expectUserView(user: Record<string, unknown>, as: "self" | "other") {
  expect(user).to.have.all.keys(as === "self" ? USER_KEYS : OTHER_USER_KEYS);
  expect(user.id).to.be.a("string");
  expect(new Date(user.createdAt as string).toISOString()).to.equal(user.createdAt);
  expectNoSecrets(user);
}
