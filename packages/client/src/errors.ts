/**
 * One error for both doors: an HTTP problem document (RFC 9457), a failed Socket.IO ack and the
 * SDK's own failures carry a stable `code` (PROTOCOL.md, "Errors"), so callers match on codes
 * whichever door a call went through.
 */
import type { FieldErrorWire } from "../../../src/protocol/errors.js";

/**
 * Codes the SDK gives itself, beside the server's: the network failed (`NETWORK`), no answer in
 * time (`TIMEOUT`), no socket (`NOT_CONNECTED`), an answer that does not match its schema
 * (`PROTOCOL`), the login is over (`SIGNED_OUT`: a refused refresh token, or no tokens at all).
 */
export type LocalErrorCode = "NETWORK" | "TIMEOUT" | "NOT_CONNECTED" | "PROTOCOL" | "SIGNED_OUT";

/** Worth trying again later, unchanged (a send with the same clientMsgId): docs/clients.md, "Acks and errors". */
const TRANSIENT = new Set(["NETWORK", "TIMEOUT", "NOT_CONNECTED", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]);

export interface ChatErrorDetails {
  status?: number;
  errors?: FieldErrorWire[];
  retryAfterMs?: number;
  cause?: unknown;
}

export class ChatError extends Error {
  /** The HTTP status when it came over HTTP. */
  readonly status: number | undefined;
  /** VALIDATION: each bad field by its path. */
  readonly errors: FieldErrorWire[];
  /** RATE_LIMITED / UNAVAILABLE over HTTP: the server's Retry-After. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: LocalErrorCode | (string & {}),
    message: string,
    details: ChatErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "ChatError";
    this.status = details.status;
    this.errors = details.errors ?? [];
    this.retryAfterMs = details.retryAfterMs;
  }

  /** True when the same call may work later (no connection, timeout, server busy); false for a refusal. */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

/** Whatever was thrown, as a ChatError (an unknown throw counts as a network failure). */
export function asChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  return new ChatError("NETWORK", err instanceof Error ? err.message : String(err), { cause: err });
}
