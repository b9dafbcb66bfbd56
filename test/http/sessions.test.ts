// Access tokens, refresh rotation with reuse detection, logout and email verification.
import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import jwt from "jsonwebtoken";
import { signUp, type TestUser } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { BACKENDS, errorPaths, expectProblem } from "./expect.js";

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Swaps one character in the middle of a string for a different one (never a no-op). */
function flipCharAt(s: string, i: number): string {
  const c = s[i] === "A" ? "B" : "A";
  return s.slice(0, i) + c + s.slice(i + 1);
}

for (const backend of BACKENDS) {
  describe(`sessions (${backend})`, function () {
    const { node, api } = useNode({ backend });
    let secret: string;

    before(async () => {
      // No JWT_SECRET is set, so the node generated one and keeps it in its DATA_DIR.
      secret = (await readFile(path.join(node.dataDir, "jwt-secret"), "utf8")).trim();
    });

    const me = (token: string) => api.get("/api/me", token);
    const refresh = (refreshToken: string) => api.post("/api/auth/refresh", { refreshToken });
    const claimsOf = (u: TestUser) => jwt.decode(u.accessToken) as jwt.JwtPayload;

    describe("access tokens", () => {
      it("opens protected routes with a valid token", async () => {
        const u = await signUp(api);
        const res = await me(u.accessToken);
        expect(res.status).to.equal(200);
        expect(res.body.user.id).to.equal(u.id);
      });

      it("rejects a missing token, a malformed header and garbage with 401", async () => {
        const u = await signUp(api);
        expectProblem(await api.get("/api/me"), "UNAUTHORIZED");
        expectProblem(await api.request("GET", "/api/me", { headers: { authorization: u.accessToken } }), "UNAUTHORIZED");
        expectProblem(await api.request("GET", "/api/me", { headers: { authorization: `Basic ${u.accessToken}` } }), "UNAUTHORIZED");
        expectProblem(await me("not.a.jwt"), "UNAUTHORIZED");
        expectProblem(await me(u.refreshToken), "UNAUTHORIZED");
      });

      it("rejects a token whose signature or payload was tampered with", async () => {
        const [a, b] = await Promise.all([signUp(api), signUp(api)]);
        const [header, payload, signature] = a.accessToken.split(".") as [string, string, string];
        expectProblem(await me(`${header}.${payload}.${flipCharAt(signature, 10)}`), "UNAUTHORIZED");
        // A's signature over B's identity: claims changed, signature kept.
        const forged = b64url({ ...claimsOf(a), sub: b.id });
        expectProblem(await me(`${header}.${forged}.${signature}`), "UNAUTHORIZED");
      });

      it("rejects a token signed with another secret", async () => {
        const u = await signUp(api);
        const other = jwt.sign({ sid: claimsOf(u).sid }, randomBytes(48).toString("base64url"), {
          algorithm: "HS256",
          subject: u.id,
          issuer: "chat-backend",
          expiresIn: 600,
        });
        expectProblem(await me(other), "UNAUTHORIZED");
      });

      it("rejects an unsigned `alg: none` token", async () => {
        const u = await signUp(api);
        const claims = claimsOf(u);
        const unsigned = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.`;
        expectProblem(await me(unsigned), "UNAUTHORIZED");
        expectProblem(await me(unsigned.slice(0, -1)), "UNAUTHORIZED");
      });

      it("rejects an expired token signed with the node's own secret", async () => {
        const u = await signUp(api);
        const now = Math.floor(Date.now() / 1000);
        const sign = (iat: number, exp: number) =>
          jwt.sign({ sid: claimsOf(u).sid, sub: u.id, iss: "chat-backend", iat, exp }, secret, { algorithm: "HS256" });
        // The control proves the forgery is otherwise valid: only the expiry differs.
        expect((await me(sign(now - 60, now + 600))).status).to.equal(200);
        const res = expectProblem(await me(sign(now - 1200, now - 300)), "UNAUTHORIZED");
        expect(res.detail).to.match(/expired/i);
      });

      it("rejects a token from another issuer even with the right secret", async () => {
        const u = await signUp(api);
        const token = jwt.sign({ sid: claimsOf(u).sid }, secret, { algorithm: "HS256", subject: u.id, issuer: "someone-else", expiresIn: 600 });
        expectProblem(await me(token), "UNAUTHORIZED");
      });
    });

    describe("refresh", () => {
      it("rotates: a new pair, and the old refresh token is spent", async () => {
        const u = await signUp(api);
        const res = await refresh(u.refreshToken);
        expect(res.status).to.equal(200);
        expect(res.body).to.have.all.keys("accessToken", "refreshToken");
        expect(res.body.refreshToken).to.not.equal(u.refreshToken);
        expect((await me(res.body.accessToken)).body.user.id).to.equal(u.id);
        const again = await refresh(res.body.refreshToken);
        expect(again.status).to.equal(200);
        expect(again.body.refreshToken).to.not.equal(res.body.refreshToken);
      });

      it("rejects a reused refresh token and revokes the whole login", async () => {
        const u = await signUp(api);
        const first = await refresh(u.refreshToken);
        const second = await refresh(first.body.refreshToken);
        expect(second.status).to.equal(200);
        // Someone replays the spent token (a thief or a confused client): the login is over.
        expectProblem(await refresh(u.refreshToken), "UNAUTHORIZED");
        expectProblem(await refresh(second.body.refreshToken), "UNAUTHORIZED");
      });

      it("revokes only that login: the user's other logins keep refreshing", async () => {
        const u = await signUp(api);
        const other = await api.post("/api/auth/login", { email: u.email, password: u.password });
        await refresh(u.refreshToken);
        expectProblem(await refresh(u.refreshToken), "UNAUTHORIZED");
        expect((await refresh(other.body.refreshToken)).status).to.equal(200);
      });

      it("lets exactly one of two concurrent refreshes with one token win", async () => {
        const u = await signUp(api);
        const results = await Promise.all([refresh(u.refreshToken), refresh(u.refreshToken)]);
        expect(results.map((r) => r.status).sort()).to.deep.equal([200, 401]);
      });

      it("rejects garbage refresh tokens with 401", async () => {
        const u = await signUp(api);
        const [sessionId, tokenSecret] = u.refreshToken.split(".") as [string, string];
        for (const token of ["garbage", ".", "x.y", `${randomUUID()}.${tokenSecret}`, `${sessionId}.${randomBytes(32).toString("base64url")}`, `${sessionId}.`]) {
          expectProblem(await refresh(token), "UNAUTHORIZED");
        }
      });

      it("does not let a made-up secret with a real session id end that login", async () => {
        const u = await signUp(api);
        const [sessionId] = u.refreshToken.split(".") as [string];
        expectProblem(await refresh(`${sessionId}.${randomBytes(32).toString("base64url")}`), "UNAUTHORIZED");
        expect((await me(u.accessToken)).status).to.equal(200);
        expect((await refresh(u.refreshToken)).status).to.equal(200);
      });

      it("rejects a missing or non-string refresh token with 400", async () => {
        expect(errorPaths(await api.post("/api/auth/refresh", {}))).to.include("refreshToken");
        expect(errorPaths(await api.post("/api/auth/refresh", { refreshToken: 12 }))).to.include("refreshToken");
      });
    });

    describe("logout", () => {
      it("answers 204, after which the refresh token no longer works", async () => {
        const u = await signUp(api);
        const res = await api.post("/api/auth/logout", { refreshToken: u.refreshToken });
        expect(res.status).to.equal(204);
        expectProblem(await refresh(u.refreshToken), "UNAUTHORIZED");
      });

      it("ends the login even when given an older, already rotated token of it", async () => {
        const u = await signUp(api);
        const rotated = await refresh(u.refreshToken);
        expect((await api.post("/api/auth/logout", { refreshToken: u.refreshToken })).status).to.equal(204);
        expectProblem(await refresh(rotated.body.refreshToken), "UNAUTHORIZED");
      });

      it("stops the login's access tokens at once", async () => {
        const u = await signUp(api);
        expect((await me(u.accessToken)).status).to.equal(200);
        expect((await api.post("/api/auth/logout", { refreshToken: u.refreshToken })).status).to.equal(204);
        expectProblem(await me(u.accessToken), "UNAUTHORIZED");
      });

      it("revokes nothing given the session id with a wrong secret (the id is in every access token)", async () => {
        const u = await signUp(api);
        const [sessionId] = u.refreshToken.split(".") as [string];
        expect(claimsOf(u).sid).to.equal(sessionId);
        for (const secret of [randomBytes(32).toString("base64url"), "x"]) {
          expect((await api.post("/api/auth/logout", { refreshToken: `${sessionId}.${secret}` })).status).to.equal(204);
        }
        expect((await me(u.accessToken)).status).to.equal(200);
        expect((await refresh(u.refreshToken)).status).to.equal(200);
      });

      it("is idempotent, and ignores unknown tokens", async () => {
        const u = await signUp(api);
        for (const refreshToken of [u.refreshToken, u.refreshToken, "garbage", `${randomUUID()}.abc`]) {
          expect((await api.post("/api/auth/logout", { refreshToken })).status).to.equal(204);
        }
      });
    });

    describe("email verification", () => {
      const codeFor = (email: string) => {
        const mail = node.mail.lastTo(email);
        expect(mail, `no mail to ${email}`).to.exist;
        const code = /\b(\d{6})\b/.exec(mail!.text)?.[1];
        expect(code, mail!.text).to.be.a("string");
        return code!;
      };
      const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");
      const verify = (u: TestUser, code: unknown) => api.post("/api/auth/email/verify", { code }, u.accessToken);

      it("mails a 6-digit code and confirms the email with it", async () => {
        const u = await signUp(api);
        expect((await api.post("/api/auth/email/verify-request", undefined, u.accessToken)).status).to.equal(202);
        const code = codeFor(u.email);
        const res = await verify(u, code);
        expect(res.status).to.equal(200);
        expect(res.body.user).to.include({ id: u.id, email: u.email, emailVerified: true });
        expect((await me(u.accessToken)).body.user.emailVerified).to.equal(true);
      });

      it("rejects a wrong code with 400 and keeps the right one usable", async () => {
        const u = await signUp(api);
        await api.post("/api/auth/email/verify-request", undefined, u.accessToken);
        const code = codeFor(u.email);
        expect(errorPaths(await verify(u, wrong(code)))).to.deep.equal(["code"]);
        expect((await me(u.accessToken)).body.user.emailVerified).to.equal(false);
        expect((await verify(u, code)).status).to.equal(200);
      });

      it("rejects a code that is not 6 digits, and a verify without a requested code, with 400", async () => {
        const u = await signUp(api);
        for (const code of ["12345", "1234567", "abcdef", 123456]) expect(errorPaths(await verify(u, code))).to.deep.equal(["code"]);
        expect(errorPaths(await verify(u, "123456"))).to.deep.equal(["code"]);
      });

      it("answers a second verify-request after verification with 409", async () => {
        const u = await signUp(api);
        await api.post("/api/auth/email/verify-request", undefined, u.accessToken);
        expect((await verify(u, codeFor(u.email))).status).to.equal(200);
        expectProblem(await api.post("/api/auth/email/verify-request", undefined, u.accessToken), "CONFLICT");
      });

      it("invalidates the code after too many wrong attempts; a new code works", async () => {
        const u = await signUp(api);
        await api.post("/api/auth/email/verify-request", undefined, u.accessToken);
        const code = codeFor(u.email);
        for (let i = 0; i < 5; i++) expectProblem(await verify(u, wrong(code)), "VALIDATION");
        expectProblem(await verify(u, code), "VALIDATION");
        expect((await me(u.accessToken)).body.user.emailVerified).to.equal(false);

        await api.post("/api/auth/email/verify-request", undefined, u.accessToken);
        const fresh = codeFor(u.email);
        expect((await verify(u, fresh)).status).to.equal(200);
      });

      it("compares at most 5 guesses per code, even when they arrive at once", async () => {
        const u = await signUp(api);
        await api.post("/api/auth/email/verify-request", undefined, u.accessToken);
        const code = codeFor(u.email);
        const guesses = Array.from({ length: 30 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"));
        const answers = await Promise.all(guesses.map((g) => verify(u, g)));
        for (const res of answers) expectProblem(res, "VALIDATION");
        const compared = answers.filter((res) => /wrong code/i.test(res.body.detail));
        expect(compared.length, "guesses compared with the code").to.be.at.most(5);
        expectProblem(await verify(u, code), "VALIDATION");
      });

      it("needs a signed-in user", async () => {
        expectProblem(await api.post("/api/auth/email/verify-request"), "UNAUTHORIZED");
        expectProblem(await api.post("/api/auth/email/verify", { code: "123456" }), "UNAUTHORIZED");
      });
    });
  });
}
