import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import type { Request, RequestHandler, Response, Router } from "express";
import { z } from "zod";
import type { AccessClaims } from "../domain/ports/security.js";
import { ProblemSchema } from "../protocol/errors.js";
import { parseInput, refuseNul, replyMismatch } from "../protocol/parse.js";

type Method = "get" | "post" | "put" | "patch" | "delete";

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json; any other type (bytes, HLS) is written by the handler itself. */
  contentType?: string;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends Record<number, ResponseSpec>> {
  method: Method;
  /** Express path relative to /api, e.g. "/rooms/:id". */
  path: string;
  summary: string;
  tag: string;
  /** Default true: a valid Bearer access token is required. */
  auth?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** Documented only (multipart bodies are parsed by multer before the handler). */
  multipart?: Record<string, "file" | "string">;
  middleware?: RequestHandler[];
  responses: R;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Set on authenticated routes. */
  auth: AccessClaims;
  req: Request;
  res: Response;
}

/** A reply to send as JSON; `undefined` when the handler wrote the response itself (streams). */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

/** The JSON body a documented response promises: what its schema accepts (nothing without one). */
type BodyOf<S> = S extends { contentType: string } ? never : S extends { schema: infer Z extends z.ZodType } ? z.input<Z> : undefined;

/**
 * The replies a route may send: a body one of its documented responses accepts, so a reply that
 * drifts from the OpenAPI document fails to compile. The status is not tied to its own body:
 * TypeScript widens a literal status returned through a generic callback to `number`.
 */
export type ReplyFor<R> = { status: number; body?: { [S in keyof R]: BodyOf<R[S]> }[keyof R]; headers?: Record<string, string> } | undefined;

export interface RouteKit {
  router: Router;
  registry: OpenAPIRegistry;
  /** Verifies the access token and applies the per-user rate limit. */
  authenticate: RequestHandler;
  /** Counts running handlers, so a draining node closes its stores only after they finish. */
  inflight?: { track<T>(work: Promise<T>): Promise<T> };
  /** Check every JSON reply against its documented schema (CHECK_REPLIES; test runs). */
  checkReplies?: boolean;
}

/** One feature's routes: registers them against the kit (the composition root lists them). */
export type RouteRegistration = (kit: RouteKit) => void;

/** Throws when a reply is not what the route documents for its status (CHECK_REPLIES). */
function checkReply(spec: { method: string; path: string; responses: Record<number, ResponseSpec> }, status: number, body: unknown) {
  const documented = spec.responses[status];
  const where = `${spec.method.toUpperCase()} /api${spec.path} ${status}`;
  if (!documented) throw new Error(`reply check: ${where} is not a documented status`);
  if (!documented.schema || (documented.contentType && documented.contentType !== "application/json")) return;
  const mismatch = replyMismatch(documented.schema, body);
  if (mismatch) throw new Error(`reply check: ${where} does not match its schema: ${mismatch}`);
}

const toOpenApiPath = (p: string) => `/api${p.replace(/:([A-Za-z]+)/g, "{$1}")}`;

/**
 * Registers one route: the same zod schemas validate the request and describe it in OpenAPI,
 * so the document cannot drift from what the server accepts.
 */
export function defineRoute<
  R extends Record<number, ResponseSpec>,
  P extends z.ZodType = z.ZodObject,
  Q extends z.ZodType = z.ZodObject,
  B extends z.ZodType = z.ZodUnknown,
>(kit: RouteKit, spec: RouteSpec<P, Q, B, R>, handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>) => Promise<NoInfer<ReplyFor<R>>>) {
  const needsAuth = spec.auth !== false;
  const responses: RouteConfig["responses"] = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = r.schema ? { description: r.description, content: { [r.contentType ?? "application/json"]: { schema: r.schema } } } : { description: r.description };
  }
  responses.default = { description: "Error (RFC 9457 problem details)", content: { "application/problem+json": { schema: ProblemSchema } } };
  const request: RouteConfig["request"] = {};
  if (spec.params) request.params = spec.params as never;
  if (spec.query) request.query = spec.query as never;
  if (spec.body) request.body = { content: { "application/json": { schema: spec.body } }, required: true };
  if (spec.multipart) {
    const shape = Object.fromEntries(
      Object.entries(spec.multipart).map(([k, v]) => [k, v === "file" ? z.string().meta({ format: "binary" }) : z.string()]),
    );
    request.body = { content: { "multipart/form-data": { schema: z.object(shape) } }, required: true };
  }
  kit.registry.registerPath({
    method: spec.method,
    path: toOpenApiPath(spec.path),
    summary: spec.summary,
    tags: [spec.tag],
    // Either scheme: authenticate.ts takes a user's access token or a bot's token on every route.
    ...(needsAuth ? { security: [{ bearerAuth: [] }, { botAuth: [] }] } : {}),
    request,
    responses,
  });

  const template = `/api${spec.path}`;
  const handlers: RequestHandler[] = [
    (_req, res, next) => {
      res.locals.route = template;
      next();
    },
    ...(needsAuth ? [kit.authenticate] : []),
    ...(spec.middleware ?? []),
  ];
  handlers.push(async (req, res) => {
    const parse = <S extends z.ZodType>(schema: S | undefined, value: unknown, where: string) => {
      if (schema) return parseInput(schema, value ?? {}, where);
      refuseNul(value, where);
      return value;
    };
    const params = parse(spec.params, req.params, "path");
    const query = parse(spec.query, req.query, "query");
    const body = parse(spec.body, req.body, "body");
    const work = handler({ params, query, body, auth: res.locals.auth, req, res } as never);
    const reply = await (kit.inflight ? kit.inflight.track(work) : work);
    if (!reply) return;
    if (kit.checkReplies) checkReply(spec, reply.status, reply.body);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.body === undefined) res.status(reply.status).end();
    else res.status(reply.status).json(reply.body);
  });
  kit.router[spec.method](spec.path, ...handlers);
}
