import { pino, type Logger } from "pino";

export type { Logger };

// Anything that can carry a credential is censored wherever it appears in a log object.
const REDACT = [
  "password",
  "*.password",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "auth.token",
];

export function createLogger(level: string, nodeId: string): Logger {
  return pino({ level, base: { node: nodeId }, redact: { paths: REDACT, censor: "[redacted]" } });
}
