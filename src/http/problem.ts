import type { ErrorRequestHandler, Response } from "express";
import { DomainError, Invalid, RateLimited, UNAVAILABLE_RETRY_AFTER_SECONDS, type ErrorCode, type FailureClassifier, type FieldError } from "../domain/errors.js";
import type { Logger } from "../logger.js";

const STATUS: Record<ErrorCode, number> = {
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

const TITLE: Record<ErrorCode, string> = {
  VALIDATION: "Bad Request",
  UNAUTHORIZED: "Unauthorized",
  FORBIDDEN: "Forbidden",
  NOT_FOUND: "Not Found",
  CONFLICT: "Conflict",
  GONE: "Gone",
  PAYLOAD_TOO_LARGE: "Content Too Large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported Media Type",
  RATE_LIMITED: "Too Many Requests",
  UNAVAILABLE: "Service Unavailable",
  INTERNAL: "Internal Server Error",
};

export function sendProblem(res: Response, code: ErrorCode, detail: string, extra: { errors?: FieldError[] } = {}) {
  res
    .status(STATUS[code])
    .type("application/problem+json")
    .json({ type: "about:blank", title: TITLE[code], status: STATUS[code], code, detail, ...extra });
}

// busboy (under multer) reports a malformed multipart body with plain Errors: these messages.
const MALFORMED_MULTIPART =
  /^(Multipart: Boundary not found|Malformed part header|Malformed content type|Unexpected end of (form|file)|Missing Content-Type|Unsupported content type|Malformed urlencoded form)/;

/** Errors thrown by express itself and its body/multipart parsers, by their documented markers. */
function fromFramework(err: { type?: string; code?: string; status?: number; field?: string; message?: string }) {
  if (!err.code && typeof err.message === "string" && MALFORMED_MULTIPART.test(err.message)) {
    return new Invalid(`malformed multipart body: ${err.message}`, [{ path: "", message: err.message }]);
  }
  if (err.type === "entity.parse.failed") return new Invalid("malformed JSON body", [{ path: "", message: "is not valid JSON" }]);
  if (err.type === "entity.too.large" || err.code === "LIMIT_FILE_SIZE") return new DomainError("PAYLOAD_TOO_LARGE", "request body too large");
  if (err.type === "charset.unsupported" || err.type === "encoding.unsupported") return new DomainError("UNSUPPORTED_MEDIA_TYPE", err.message ?? "unsupported encoding");
  if (typeof err.code === "string" && err.code.startsWith("LIMIT_")) {
    return new Invalid(`bad multipart upload: ${err.message ?? err.code}`, [{ path: err.field ?? "", message: err.message ?? err.code }]);
  }
  if (err.status === 400) return new Invalid(err.message ?? "bad request");
  return null;
}

export function problemHandler(log: Logger, classify: FailureClassifier = () => undefined): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = err instanceof DomainError ? err : (fromFramework(err ?? {}) ?? classify(err));
    if (known?.code === "UNAVAILABLE" && !(err instanceof DomainError)) (res.locals.log ?? log).warn({ err }, "dependency unavailable");
    if (!known) {
      (res.locals.log ?? log).error({ err }, "unhandled error");
      if (!res.headersSent) sendProblem(res, "INTERNAL", "internal error");
      else res.destroy();
      return;
    }
    if (res.headersSent) return void res.destroy();
    if (known instanceof RateLimited) res.setHeader("Retry-After", String(known.retryAfterSeconds));
    if (known.code === "UNAVAILABLE") res.setHeader("Retry-After", String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    sendProblem(res, known.code, known.message, known instanceof Invalid ? { errors: known.errors } : {});
  };
}
