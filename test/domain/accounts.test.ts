// Accounts and sessions (src/domain/accounts.ts) on the in-memory fakes: signup, login and its
// failure limit, refresh rotation and reuse detection, logout, authenticate, email verification.
import { expect } from "chai";
import { authenticate, login, logout, refresh, requestEmailVerification, signup, verifyEmail, type AuthResult } from "../../src/domain/accounts.js";
import { RateLimited } from "../../src/domain/errors.js";
import { fakeDeps, LOGIN_FAILURE_WINDOW_MS, LOGIN_FAILURES_PER_WINDOW, REFRESH_TTL_MS, ACCESS_TTL_MS, type FakeDeps } from "../fakes/domain-deps.js";
import { SPENT_KEPT } from "../fakes/memory-session-repository.js";
import { refusal } from "../fakes/scenario.js";

const PASSWORD = "correct horse battery";

describe("accounts (unit)", () => {
  let d: FakeDeps;
  let ann: AuthResult;
  const sessionOf = (refreshToken: string) => refreshToken.slice(0, refreshToken.indexOf("."));

  beforeEach(async () => {
    d = fakeDeps();
    ann = await signup(d, { email: "ann@example.test", password: PASSWORD, displayName: "Ann" });
  });

  describe("access", () => {
    it("authenticate refuses a missing token, and one it never issued, with UNAUTHORIZED", async () => {
      await refusal(authenticate(d, undefined), "UNAUTHORIZED");
      await refusal(authenticate(d, ""), "UNAUTHORIZED");
      await refusal(authenticate(d, "at.forged"), "UNAUTHORIZED");
    });

    it("authenticate refuses a session that is not live: after logout", async () => {
      expect(await authenticate(d, ann.accessToken)).to.deep.equal({ userId: ann.user.id, sessionId: sessionOf(ann.refreshToken) });
      await logout(d, ann.refreshToken);
      const err = await refusal(authenticate(d, ann.accessToken), "UNAUTHORIZED");
      expect(err.message).to.match(/login has ended/);
    });

    it("authenticate refuses a token whose session belongs to another user", async () => {
      const bob = await signup(d, { email: "bob@example.test", password: PASSWORD, displayName: "Bob" });
      const crossed = d.tokens.issue({ userId: bob.user.id, sessionId: sessionOf(ann.refreshToken) });
      await refusal(authenticate(d, crossed), "UNAUTHORIZED");
    });

    it("authenticate refuses an expired access token even while its session is live", async () => {
      d.clock.advance(ACCESS_TTL_MS);
      await refusal(authenticate(d, ann.accessToken), "UNAUTHORIZED");
      expect(await d.sessions.isLive(sessionOf(ann.refreshToken), ann.user.id)).to.equal(true);
    });
  });

  describe("signup", () => {
    it("stores the email trimmed and in lower case, the name trimmed, a hash and not the password", async () => {
      const r = await signup(d, { email: "  Bob@Example.TEST ", password: PASSWORD, displayName: "  Bob  " });
      expect(r.user).to.include({ email: "bob@example.test", displayName: "Bob", emailVerified: false, statusMessage: "", avatarUrl: null });
      const stored = await d.users.findByEmail("bob@example.test");
      expect(stored?.passwordHash).to.be.a("string").and.not.include(PASSWORD);
      expect(await d.hasher.verify(PASSWORD, stored!.passwordHash)).to.equal(true);
    });

    it("opens a session: the access token carries the user and session, the refresh token is <session id>.<secret>", async () => {
      const claims = await authenticate(d, ann.accessToken);
      expect(claims.userId).to.equal(ann.user.id);
      expect(ann.refreshToken).to.match(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      expect(claims.sessionId).to.equal(sessionOf(ann.refreshToken));
      expect(d.sessions.sessionsOf(ann.user.id)).to.have.length(1);
    });

    it("a second account for the same email, in any case, is CONFLICT", async () => {
      await refusal(signup(d, { email: "ANN@example.test", password: PASSWORD, displayName: "Other" }), "CONFLICT");
      expect(d.users.size).to.equal(1);
    });
  });

  describe("login", () => {
    it("with the right password, in any case of the email, returns the own view and a new session", async () => {
      const r = await login(d, { email: " ANN@example.test", password: PASSWORD });
      expect(r.user).to.include({ id: ann.user.id, email: "ann@example.test" });
      expect(sessionOf(r.refreshToken)).to.not.equal(sessionOf(ann.refreshToken));
      expect(d.sessions.sessionsOf(ann.user.id)).to.have.length(2);
    });

    it("a wrong password and an unknown email fail alike with UNAUTHORIZED and open no session", async () => {
      const wrong = await refusal(login(d, { email: "ann@example.test", password: "nope" }), "UNAUTHORIZED");
      const unknown = await refusal(login(d, { email: "nobody@example.test", password: PASSWORD }), "UNAUTHORIZED");
      expect(wrong.message).to.equal(unknown.message);
      expect(d.sessions.sessionsOf(ann.user.id)).to.have.length(1);
    });

    it("an unknown email still costs one password comparison (time does not tell which emails exist)", async () => {
      const before = d.hasher.verifications;
      await refusal(login(d, { email: "nobody@example.test", password: PASSWORD }), "UNAUTHORIZED");
      expect(d.hasher.verifications - before).to.equal(1);
    });

    it(`after ${LOGIN_FAILURES_PER_WINDOW} failures even the right password is RATE_LIMITED, until the window passes`, async () => {
      for (let i = 0; i < LOGIN_FAILURES_PER_WINDOW; i++) await refusal(login(d, { email: "ann@example.test", password: `wrong ${i}` }), "UNAUTHORIZED");
      const limited = await refusal(login(d, { email: "ann@example.test", password: PASSWORD }), "RATE_LIMITED");
      expect((limited as RateLimited).retryAfterSeconds).to.be.within(1, LOGIN_FAILURE_WINDOW_MS / 1000);
      expect(d.sessions.sessionsOf(ann.user.id), "no session was opened").to.have.length(1);
      d.clock.advance(LOGIN_FAILURE_WINDOW_MS);
      expect((await login(d, { email: "ann@example.test", password: PASSWORD })).user.id).to.equal(ann.user.id);
    });

    it("the limit is counted per email whatever its case, and other accounts are not affected", async () => {
      await signup(d, { email: "bob@example.test", password: PASSWORD, displayName: "Bob" });
      for (let i = 0; i < LOGIN_FAILURES_PER_WINDOW; i++) await refusal(login(d, { email: i % 2 ? "ANN@example.test" : "ann@example.test ", password: "x" }), "UNAUTHORIZED");
      await refusal(login(d, { email: "Ann@Example.test", password: PASSWORD }), "RATE_LIMITED");
      expect((await login(d, { email: "bob@example.test", password: PASSWORD })).user.displayName).to.equal("Bob");
    });

    it("a successful login clears the failures counted so far", async () => {
      for (let i = 0; i < LOGIN_FAILURES_PER_WINDOW - 1; i++) await refusal(login(d, { email: "ann@example.test", password: "x" }), "UNAUTHORIZED");
      await login(d, { email: "ann@example.test", password: PASSWORD });
      for (let i = 0; i < LOGIN_FAILURES_PER_WINDOW - 1; i++) await refusal(login(d, { email: "ann@example.test", password: "x" }), "UNAUTHORIZED");
      expect((await login(d, { email: "ann@example.test", password: PASSWORD })).user.id).to.equal(ann.user.id);
    });

    it("failures for an email without an account are limited too", async () => {
      for (let i = 0; i < LOGIN_FAILURES_PER_WINDOW; i++) await refusal(login(d, { email: "ghost@example.test", password: "x" }), "UNAUTHORIZED");
      await refusal(login(d, { email: "ghost@example.test", password: "x" }), "RATE_LIMITED");
    });
  });

  describe("refresh", () => {
    it("rotates: a new pair for the same session, and the old refresh token is spent", async () => {
      const next = await refresh(d, ann.refreshToken);
      expect(sessionOf(next.refreshToken)).to.equal(sessionOf(ann.refreshToken));
      expect(next.refreshToken).to.not.equal(ann.refreshToken);
      expect(await authenticate(d, next.accessToken)).to.deep.equal({ userId: ann.user.id, sessionId: sessionOf(ann.refreshToken) });
      expect((await refresh(d, next.refreshToken)).refreshToken, "the new one rotates again").to.be.a("string");
    });

    it("a reused refresh token revokes the login: its newest tokens stop working too", async () => {
      const next = await refresh(d, ann.refreshToken);
      const err = await refusal(refresh(d, ann.refreshToken), "UNAUTHORIZED");
      expect(err.message).to.match(/revoked/);
      expect(d.sessions.revocations).to.deep.equal([sessionOf(ann.refreshToken)]);
      await refusal(refresh(d, next.refreshToken), "UNAUTHORIZED");
      await refusal(authenticate(d, next.accessToken), "UNAUTHORIZED");
    });

    it("revokes only that login: the user's other logins keep refreshing", async () => {
      const other = await login(d, { email: "ann@example.test", password: PASSWORD });
      await refresh(d, ann.refreshToken);
      await refusal(refresh(d, ann.refreshToken), "UNAUTHORIZED");
      expect((await refresh(d, other.refreshToken)).refreshToken).to.be.a("string");
    });

    it("of two refreshes with one token exactly one rotates; the other is reuse and ends the login", async () => {
      const results = await Promise.allSettled([refresh(d, ann.refreshToken), refresh(d, ann.refreshToken)]);
      expect(results.map((r) => r.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
      const won = results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ accessToken: string }>;
      await refusal(authenticate(d, won.value.accessToken), "UNAUTHORIZED");
    });

    it("a made-up secret with a real session id is refused and revokes nothing", async () => {
      await refusal(refresh(d, `${sessionOf(ann.refreshToken)}.${"A".repeat(43)}`), "UNAUTHORIZED");
      expect(d.sessions.revocations).to.deep.equal([]);
      expect((await refresh(d, ann.refreshToken)).refreshToken).to.be.a("string");
    });

    it(`a secret spent more than ${SPENT_KEPT} rotations ago is refused without revoking the login`, async () => {
      let token = ann.refreshToken;
      for (let i = 0; i <= SPENT_KEPT; i++) token = (await refresh(d, token)).refreshToken;
      await refusal(refresh(d, ann.refreshToken), "UNAUTHORIZED");
      expect(d.sessions.revocations).to.deep.equal([]);
      expect((await refresh(d, token)).refreshToken).to.be.a("string");
    });

    it("an expired refresh token is refused and is not taken for reuse", async () => {
      d.clock.advance(REFRESH_TTL_MS);
      const err = await refusal(refresh(d, ann.refreshToken), "UNAUTHORIZED");
      expect(err.message).to.match(/expired/);
      expect(d.sessions.revocations).to.deep.equal([]);
    });

    it("each rotation extends the login's life", async () => {
      d.clock.advance(REFRESH_TTL_MS - 60_000);
      const next = await refresh(d, ann.refreshToken);
      d.clock.advance(REFRESH_TTL_MS - 60_000);
      expect((await refresh(d, next.refreshToken)).refreshToken).to.be.a("string");
    });

    it("garbage is UNAUTHORIZED and reaches no session", async () => {
      for (const token of ["", ".", "abc", "abc.", ".secret", "not-a-uuid.secret", `${sessionOf(ann.refreshToken)}.`]) {
        await refusal(refresh(d, token), "UNAUTHORIZED");
      }
      expect(d.sessions.revocations).to.deep.equal([]);
    });
  });

  describe("logout", () => {
    it("logout with a made-up secret revokes nothing", async () => {
      await logout(d, `${sessionOf(ann.refreshToken)}.${"A".repeat(43)}`);
      expect(d.sessions.revocations).to.deep.equal([]);
      expect(await authenticate(d, ann.accessToken)).to.have.property("userId", ann.user.id);
    });

    it("with the current refresh token ends the login: refresh and access tokens stop working", async () => {
      await logout(d, ann.refreshToken);
      expect(d.sessions.revocations).to.deep.equal([sessionOf(ann.refreshToken)]);
      await refusal(refresh(d, ann.refreshToken), "UNAUTHORIZED");
      await refusal(authenticate(d, ann.accessToken), "UNAUTHORIZED");
    });

    it("with a recently spent refresh token still ends the login (a client that missed a rotation)", async () => {
      const next = await refresh(d, ann.refreshToken);
      await logout(d, ann.refreshToken);
      await refusal(authenticate(d, next.accessToken), "UNAUTHORIZED");
    });

    it("is idempotent and silent: twice, garbage, or an unknown session all resolve and revoke no more", async () => {
      await logout(d, ann.refreshToken);
      await logout(d, ann.refreshToken);
      for (const token of ["", "x", "x.y", "00000002-0000-7000-8000-0000000000ff.secret"]) await logout(d, token);
      expect(d.sessions.revocations).to.deep.equal([sessionOf(ann.refreshToken)]);
    });

    it("ends only that login", async () => {
      const other = await login(d, { email: "ann@example.test", password: PASSWORD });
      await logout(d, ann.refreshToken);
      expect((await authenticate(d, other.accessToken)).userId).to.equal(ann.user.id);
    });
  });

  describe("email verification", () => {
    it("mails a 6-digit code that verifies the email once", async () => {
      await requestEmailVerification(d, ann.user.id);
      const mail = d.mail.lastTo("ann@example.test");
      expect(mail?.subject).to.match(/verification/i);
      const view = await verifyEmail(d, ann.user.id, d.mail.codeFor("ann@example.test"));
      expect(view).to.include({ id: ann.user.id, emailVerified: true, email: "ann@example.test" });
      await refusal(verifyEmail(d, ann.user.id, d.mail.codeFor("ann@example.test")), "VALIDATION");
    });

    it("asking again once verified is CONFLICT, and no mail goes out", async () => {
      await requestEmailVerification(d, ann.user.id);
      await verifyEmail(d, ann.user.id, d.mail.codeFor("ann@example.test"));
      await refusal(requestEmailVerification(d, ann.user.id), "CONFLICT");
      expect(d.mail.sent).to.have.length(1);
    });

    it("a wrong code is VALIDATION and the right one still works", async () => {
      await requestEmailVerification(d, ann.user.id);
      const code = d.mail.codeFor("ann@example.test");
      const wrong = code === "000000" ? "000001" : "000000";
      await refusal(verifyEmail(d, ann.user.id, wrong), "VALIDATION");
      expect((await verifyEmail(d, ann.user.id, code)).emailVerified).to.equal(true);
    });

    it("5 wrong email codes spend the code: the right one is refused after them, and a new code works", async () => {
      await requestEmailVerification(d, ann.user.id);
      const code = d.mail.codeFor("ann@example.test");
      const wrong = code === "000000" ? "000001" : "000000";
      for (let i = 0; i < 5; i++) {
        const err = await refusal(verifyEmail(d, ann.user.id, wrong), "VALIDATION");
        expect(err.message).to.equal("wrong code");
      }
      const spent = await refusal(verifyEmail(d, ann.user.id, code), "VALIDATION");
      expect(spent.message).to.match(/too many attempts/);
      expect(await d.emailCodes.get(ann.user.id), "the code is gone").to.equal(null);
      await requestEmailVerification(d, ann.user.id);
      expect((await verifyEmail(d, ann.user.id, d.mail.codeFor("ann@example.test"))).emailVerified).to.equal(true);
    });

    it("4 wrong codes leave the fifth guess to the right code", async () => {
      await requestEmailVerification(d, ann.user.id);
      const code = d.mail.codeFor("ann@example.test");
      const wrong = code === "000000" ? "000001" : "000000";
      for (let i = 0; i < 4; i++) await refusal(verifyEmail(d, ann.user.id, wrong), "VALIDATION");
      expect((await verifyEmail(d, ann.user.id, code)).emailVerified).to.equal(true);
    });

    it("of many guesses at once, at most 5 are compared", async () => {
      await requestEmailVerification(d, ann.user.id);
      const code = d.mail.codeFor("ann@example.test");
      const wrong = code === "000000" ? "000001" : "000000";
      const results = await Promise.allSettled([...Array.from({ length: 8 }, () => verifyEmail(d, ann.user.id, wrong)), verifyEmail(d, ann.user.id, code)]);
      const messages = results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "verified"));
      expect(messages.filter((m) => m === "wrong code").length).to.be.at.most(5);
      expect(messages.at(-1), "the right code came ninth: spent").to.not.equal("verified");
    });

    it("a code expires after 15 minutes", async () => {
      await requestEmailVerification(d, ann.user.id);
      d.clock.advance(15 * 60_000);
      const err = await refusal(verifyEmail(d, ann.user.id, d.mail.codeFor("ann@example.test")), "VALIDATION");
      expect(err.message).to.match(/no valid code/);
    });

    it("a new code replaces the old one", async () => {
      await requestEmailVerification(d, ann.user.id);
      const old = d.mail.codeFor("ann@example.test");
      await requestEmailVerification(d, ann.user.id);
      const fresh = d.mail.codeFor("ann@example.test");
      if (old !== fresh) await refusal(verifyEmail(d, ann.user.id, old), "VALIDATION");
      expect((await verifyEmail(d, ann.user.id, fresh)).emailVerified).to.equal(true);
    });

    it("verifying without a requested code is VALIDATION", async () => {
      await refusal(verifyEmail(d, ann.user.id, "123456"), "VALIDATION");
    });
  });
});
