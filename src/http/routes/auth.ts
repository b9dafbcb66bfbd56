import type { RequestHandler } from "express";
import { z } from "zod";
import { login, logout, refresh, requestEmailVerification, signup, verifyEmail, type AccountDeps } from "../../domain/accounts.js";
import type { RateLimiter } from "../../domain/ports/rate-limiter.js";
import { DisplayName, Email, Password, UserSchema } from "../api-schemas.js";
import { defineRoute, type RouteKit } from "../route.js";

const Tokens = z.object({ accessToken: z.string(), refreshToken: z.string() });
const AuthResult = Tokens.extend({ user: UserSchema });
const RefreshBody = z.object({ refreshToken: z.string().min(1).max(512) });

export function registerAuthRoutes(kit: RouteKit, deps: AccountDeps & { authPerIp: RateLimiter }) {
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
      body: z.object({ email: Email, password: Password, displayName: DisplayName }),
      responses: { 201: { description: "Account created", schema: AuthResult } },
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
      // Login never applies the password policy: any wrong credential is a 401.
      body: z.object({ email: z.string(), password: z.string() }),
      responses: { 200: { description: "Logged in", schema: AuthResult } },
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
      responses: { 200: { description: "New token pair", schema: Tokens } },
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
      body: z.object({ code: z.string().regex(/^\d{6}$/, "must be 6 digits") }),
      responses: { 200: { description: "Verified", schema: z.object({ user: UserSchema }) } },
    },
    async ({ auth, body }) => ({ status: 200, body: { user: await verifyEmail(deps, auth.userId, body.code) } }),
  );
}
