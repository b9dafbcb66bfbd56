/** Accounts and sessions (PROTOCOL.md, "Accounts and sessions"): sign-up, log-in, token rotation, email. */
import { z } from "zod";
import { PASSWORD_MAX, PASSWORD_MIN } from "./limits.js";
import { DisplayName, UserSchema } from "./users.js";

export const Email = z.string().trim().pipe(z.email({ error: "must be an email address" }).max(254));
export const Password = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);

export const SignupBody = z.object({ email: Email, password: Password, displayName: DisplayName });
/** Login never applies the password policy: any wrong credential is a 401, never a 400. */
export const LoginBody = z.object({ email: z.string(), password: z.string() });
/** POST /auth/refresh and /auth/logout. */
export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(512) });
export const VerifyEmailBody = z.object({ code: z.string().regex(/^\d{6}$/, "must be 6 digits") });

export const TokenPair = z.object({ accessToken: z.string(), refreshToken: z.string() });
export const AuthReplySchema = TokenPair.extend({ user: UserSchema });

export type TokenPairReply = z.output<typeof TokenPair>;
export type AuthReply = z.output<typeof AuthReplySchema>;
