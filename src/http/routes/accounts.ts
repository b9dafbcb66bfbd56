import type { RequestHandler } from "express";
import { login, logout, refresh, requestEmailVerification, signup, verifyEmail, type AccountDeps } from "../../domain/accounts.js";
import type { RateLimiter } from "../../domain/ports/rate-limiter.js";
import { AuthReplySchema, LoginBody, RefreshBody, SignupBody, TokenPair, VerifyEmailBody } from "../../protocol/accounts.js";
import { UserReply } from "../../protocol/users.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerAccountRoutes(kit: RouteKit, deps: AccountDeps & { authPerIp: RateLimiter }) {
  const perIp: RequestHandler = async (req, _res, next) => {
    await deps.authPerIp.consume(req.ip ?? "unknown");
    next();
  };
  const tag = "auth";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/auth/signup",
      summary: "Create an account and log in",
      tag,
      auth: false,
      middleware: [perIp],
      body: SignupBody,
      responses: { 201: { description: "Account created", schema: AuthReplySchema } },
    },
    async ({ body }) => ({ status: 201, body: await signup(deps, body) }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/auth/login",
      summary: "Log in with email and password",
      tag,
      auth: false,
      middleware: [perIp],
      body: LoginBody,
      responses: { 200: { description: "Logged in", schema: AuthReplySchema } },
    },
    async ({ body }) => ({ status: 200, body: await login(deps, body) }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/auth/refresh",
      summary: "Rotate the refresh token; a spent token revokes the whole login",
      tag,
      auth: false,
      body: RefreshBody,
      responses: { 200: { description: "New token pair", schema: TokenPair } },
    },
    async ({ body }) => ({ status: 200, body: await refresh(deps, body.refreshToken) }),
  );

  defineRoute(
    kit,
    { method: "post", path: "/auth/logout", summary: "End the login of this refresh token", tag, auth: false, body: RefreshBody, responses: { 204: { description: "Logged out" } } },
    async ({ body }) => {
      await logout(deps, body.refreshToken);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    { method: "post", path: "/auth/email/verify-request", summary: "Mail a 6-digit verification code", tag, responses: { 202: { description: "Code sent" } } },
    async ({ auth }) => {
      await requestEmailVerification(deps, auth.userId);
      return { status: 202 };
    },
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/auth/email/verify",
      summary: "Confirm the email address with the mailed code",
      tag,
      body: VerifyEmailBody,
      responses: { 200: { description: "Verified", schema: UserReply } },
    },
    async ({ auth, body }) => ({ status: 200, body: { user: await verifyEmail(deps, auth.userId, body.code) } }),
  );
}
