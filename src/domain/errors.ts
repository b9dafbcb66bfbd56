/**
 * The error catalogue. The domain throws these; each door (http/problem.ts, realtime/ack.ts)
 * maps the stable `code` to its wire form. Nothing here knows about HTTP or sockets.
 */
import type { FieldErrorWire } from "../protocol/errors.js";

export type ErrorCode =
  | "VALIDATION"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "GONE"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "RATE_LIMITED"
  | "UNAVAILABLE"
  | "INTERNAL";

/** One bad field of a VALIDATION error, as both doors send it (src/protocol/errors.ts). */
export type FieldError = FieldErrorWire;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super("VALIDATION", message);
  }
}

export class Unauthorized extends DomainError {
  constructor(message = "authentication required") {
    super("UNAUTHORIZED", message);
  }
}

export class Forbidden extends DomainError {
  constructor(message = "not allowed") {
    super("FORBIDDEN", message);
  }
}

/** PROTOCOL: what a suspended account's login gets, on both doors: `detail` (HTTP) and `message` (ack) start with it. */
export const SUSPENDED = "SUSPENDED";

/** A suspended account (src/domain/suspensions.ts): FORBIDDEN, with SUSPENDED at the head of the detail. */
export class Suspended extends Forbidden {
  constructor() {
    super(`${SUSPENDED}: this account is suspended by an operator`);
  }
}

export class NotFound extends DomainError {
  constructor(message = "not found") {
    super("NOT_FOUND", message);
  }
}

export class Conflict extends DomainError {
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

export class Gone extends DomainError {
  constructor(message: string) {
    super("GONE", message);
  }
}

export class PayloadTooLarge extends DomainError {
  constructor(message: string) {
    super("PAYLOAD_TOO_LARGE", message);
  }
}

export class UnsupportedMediaType extends DomainError {
  constructor(message: string) {
    super("UNSUPPORTED_MEDIA_TYPE", message);
  }
}

export class RateLimited extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", `too many requests; retry in ${retryAfterSeconds} s`);
  }
}

export class Unavailable extends DomainError {
  constructor(message: string) {
    super("UNAVAILABLE", message);
  }
}

/**
 * Maps a failure no use case threw on purpose to the error it stands for (a dependency that does
 * not answer is UNAVAILABLE), or undefined for a bug. Implemented by the store layer, which knows
 * the drivers; the doors ask it before answering INTERNAL.
 */
export type FailureClassifier = (err: unknown) => DomainError | undefined;

// Seconds a client waits before retrying after UNAVAILABLE: long enough for a database restart
// or a failover to begin answering again, short enough that users barely notice.
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
