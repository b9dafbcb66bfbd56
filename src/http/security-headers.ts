import cors from "cors";
import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * Browser-facing headers for every answer (helmet): nosniff, no framing, no referrer leaks, and a
 * Content-Security-Policy that lets the served client do all it does and nothing else: its own
 * scripts and styles, its socket (same origin, WebSocket or polling), HLS through hls.js (media
 * and workers from blob: URLs), avatars and thumbnails (same origin, data: and blob: previews).
 * WebRTC calls are not governed by CSP. No upgrade-insecure-requests: a node is often reached
 * over plain HTTP on a private address, and TLS is the proxy's job.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", "data:", "blob:"],
        mediaSrc: ["'self'", "blob:"],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        workerSrc: ["'self'", "blob:"],
      },
    },
    frameguard: { action: "deny" },
    // The API is called cross-origin by configured origins; resources are not embedded elsewhere.
    crossOriginResourcePolicy: { policy: "same-site" },
    // HSTS belongs to whoever terminates TLS (the proxy), not to a node reached over HTTP.
    strictTransportSecurity: false,
  });
}

/**
 * CORS for /api: only CORS_ORIGINS (PROTOCOL: the same setting admits browsers to the socket).
 * Nothing is sent without it: the served client is same-origin. Tokens travel in headers, not
 * cookies, so credentials are not needed.
 */
export function apiCors(origins: readonly string[]): RequestHandler {
  return cors({ origin: origins.length ? [...origins] : false, maxAge: 600 });
}

/** Per-user answers must not be kept by a browser or a shared cache; a route may say otherwise. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};
