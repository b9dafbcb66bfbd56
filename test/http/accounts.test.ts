// Sign-up, log-in and the error contract every route shares (PROTOCOL.md: Errors, Accounts).
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { BACKENDS, errorPaths, expectNoSecrets, expectProblem, expectUserView } from "./expect.js";

const freshEmail = () => `a-${randomUUID()}@example.test`;
const PASSWORD = "a perfectly fine password";

for (const backend of BACKENDS) {
  describe(`accounts (${backend})`, function () {
    const { api } = useNode({ backend });

    const signup = (body: unknown) => api.post("/api/auth/signup", body);

    describe("signup", () => {
      it("creates an account and returns the own view of the user with a token pair", async () => {
        const email = freshEmail();
        const res = await signup({ email, password: PASSWORD, displayName: "Ada" });
        expect(res.status).to.equal(201);
        expect(res.body).to.have.all.keys("user", "accessToken", "refreshToken");
        expectUserView(res.body.user, "self");
        expect(res.body.user).to.include({ email, displayName: "Ada", statusMessage: "", avatarUrl: null, emailVerified: false });
        expect(res.body.accessToken).to.be.a("string").that.is.not.empty;
        expect(res.body.refreshToken).to.be.a("string").that.is.not.empty;
        expectNoSecrets(res.body);

        const me = await api.get("/api/me", res.body.accessToken);
        expect(me.status).to.equal(200);
        expect(me.body.user).to.deep.equal(res.body.user);
      });

      it("signs up with surrounding spaces around the email, stored trimmed", async () => {
        const email = freshEmail();
        const res = await signup({ email: `  ${email} `, password: "long enough", displayName: "Spaces" });
        expect(res.status).to.equal(201);
        expect(res.body.user.email).to.equal(email.toLowerCase());
      });

      it("stores the email in lower case and trims the display name", async () => {
        const email = freshEmail();
        const res = await signup({ email: email.toUpperCase(), password: PASSWORD, displayName: "  Grace  " });
        expect(res.status).to.equal(201);
        expect(res.body.user).to.include({ email, displayName: "Grace" });
      });

      it("accepts the boundaries: an 8- and a 128-character password, a 1- and a 50-character name", async () => {
        for (const [password, displayName] of [
          ["12345678", "x"],
          ["p".repeat(128), "n".repeat(50)],
          ["  spaces ünïcødé  ", "名前"],
        ]) {
          const res = await signup({ email: freshEmail(), password, displayName });
          expect(res.status, JSON.stringify(res.body)).to.equal(201);
        }
      });

      it("rejects a second account for the same email, whatever its case, with 409 CONFLICT", async () => {
        const email = freshEmail();
        expect((await signup({ email, password: PASSWORD, displayName: "First" })).status).to.equal(201);
        expectProblem(await signup({ email, password: PASSWORD, displayName: "Again" }), "CONFLICT");
        expectProblem(await signup({ email: email.toUpperCase(), password: PASSWORD, displayName: "Shouting" }), "CONFLICT");
      });

      const invalid: [string, Record<string, unknown>, string[]][] = [
        ["a 7-character password", { password: "1234567" }, ["password"]],
        ["a 129-character password", { password: "p".repeat(129) }, ["password"]],
        ["an empty display name", { displayName: "" }, ["displayName"]],
        ["a blank display name", { displayName: "    " }, ["displayName"]],
        ["a 51-character display name", { displayName: "n".repeat(51) }, ["displayName"]],
        ["an email without @", { email: "not-an-email" }, ["email"]],
        ["an email without a domain", { email: "someone@" }, ["email"]],
        ["a missing email", { email: undefined }, ["email"]],
        ["a missing password", { password: undefined }, ["password"]],
        ["a missing display name", { displayName: undefined }, ["displayName"]],
        ["a number for the email", { email: 42 }, ["email"]],
        ["a boolean for the password", { password: true }, ["password"]],
        ["an object for the display name", { displayName: { first: "Ada" } }, ["displayName"]],
      ];
      for (const [what, change, paths] of invalid) {
        it(`rejects ${what} with 400 VALIDATION naming ${paths.join(", ")}`, async () => {
          const body = { email: freshEmail(), password: PASSWORD, displayName: "Valid", ...change };
          expect(errorPaths(await signup(body))).to.have.members(paths);
        });
      }

      it("names every bad field at once", async () => {
        expect(errorPaths(await signup({}))).to.include.members(["email", "password", "displayName"]);
        expect(errorPaths(await signup({ email: "x", password: "short", displayName: "" }))).to.include.members(["email", "password", "displayName"]);
      });

      it("answers malformed JSON with a 400 problem, not an HTML page", async () => {
        const res = await api.request("POST", "/api/auth/signup", { raw: '{"email": "a@b.c", ', headers: { "content-type": "application/json" } });
        expectProblem(res, "VALIDATION");
      });

      it("treats a body that is not JSON as missing fields", async () => {
        const res = await api.request("POST", "/api/auth/signup", { raw: "email=a@b.c", headers: { "content-type": "application/x-www-form-urlencoded" } });
        expect(errorPaths(res)).to.include("email");
      });

      it("answers a JSON body over 1 MB with 413", async () => {
        const res = await signup({ email: freshEmail(), password: PASSWORD, displayName: "x".repeat(1_100_000) });
        expectProblem(res, "PAYLOAD_TOO_LARGE");
      });
    });

    describe("login", () => {
      it("logs in with the right password and returns the same shape as signup", async () => {
        const u = await signUp(api, "Login Ok");
        const res = await api.post("/api/auth/login", { email: u.email, password: u.password });
        expect(res.status).to.equal(200);
        expect(res.body).to.have.all.keys("user", "accessToken", "refreshToken");
        expectUserView(res.body.user, "self");
        expect(res.body.user).to.include({ id: u.id, email: u.email });
        expect(res.body.refreshToken).to.not.equal(u.refreshToken);
        expect((await api.get("/api/me", res.body.accessToken)).body.user.id).to.equal(u.id);
      });

      it("accepts the email in any case and with surrounding spaces", async () => {
        const u = await signUp(api);
        const res = await api.post("/api/auth/login", { email: `  ${u.email.toUpperCase()} `, password: u.password });
        expect(res.status).to.equal(200);
        expect(res.body.user.id).to.equal(u.id);
      });

      it("rejects a wrong password with 401", async () => {
        const u = await signUp(api);
        expectProblem(await api.post("/api/auth/login", { email: u.email, password: `${u.password}!` }), "UNAUTHORIZED");
      });

      it("rejects an unknown email with the same 401", async () => {
        const unknown = await api.post("/api/auth/login", { email: freshEmail(), password: PASSWORD });
        const body = expectProblem(unknown, "UNAUTHORIZED");
        const u = await signUp(api);
        const wrong = expectProblem(await api.post("/api/auth/login", { email: u.email, password: "wrong password" }), "UNAUTHORIZED");
        expect(body.detail, "the answer must not reveal whether the account exists").to.equal(wrong.detail);
      });

      it("does not apply the password policy: a 3-character password is 401, not 400", async () => {
        const u = await signUp(api);
        expectProblem(await api.post("/api/auth/login", { email: u.email, password: "abc" }), "UNAUTHORIZED");
        expectProblem(await api.post("/api/auth/login", { email: u.email, password: "" }), "UNAUTHORIZED");
        expectProblem(await api.post("/api/auth/login", { email: "not-even-an-email", password: "abc" }), "UNAUTHORIZED");
        expectProblem(await api.post("/api/auth/login", { email: u.email, password: "x".repeat(5_000) }), "UNAUTHORIZED");
        expectProblem(await api.post("/api/auth/login", { email: `${"e".repeat(300)}@example.test`, password: "abc" }), "UNAUTHORIZED");
      });

      it("compares the whole password, beyond bcrypt's 72-byte input limit", async () => {
        // 128 characters are allowed; bcrypt alone reads only the first 72 bytes of its input.
        for (const stem of ["a".repeat(100), "é".repeat(40), "🙂".repeat(20)]) {
          const email = freshEmail();
          expect((await signup({ email, password: `${stem}-one`, displayName: "Long" })).status).to.equal(201);
          expectProblem(await api.post("/api/auth/login", { email, password: `${stem}-two` }), "UNAUTHORIZED");
          expect((await api.post("/api/auth/login", { email, password: `${stem}-one` })).status).to.equal(200);
        }
      });

      it("rejects a login body with missing fields with 400", async () => {
        expect(errorPaths(await api.post("/api/auth/login", {}))).to.include.members(["email", "password"]);
      });
    });

    describe("error bodies", () => {
      it("answers an unknown API route with a 404 problem", async () => {
        expectProblem(await api.get("/api/no-such-route"), "NOT_FOUND");
        expectProblem(await api.request("DELETE", "/api/auth/signup"), "NOT_FOUND");
        // Outside /api too: no framework HTML page.
        expectProblem(await api.get("/no-such-page"), "NOT_FOUND");
      });

      it("answers a protected route without a token with a 401 problem", async () => {
        expectProblem(await api.get("/api/me"), "UNAUTHORIZED");
      });

      it("never puts a stack trace or internals in an error body", async () => {
        const u = await signUp(api);
        const answers = await Promise.all([
          api.get("/api/users/not-a-uuid", u.accessToken),
          api.get(`/api/users/${randomUUID()}`, u.accessToken),
          api.post("/api/friends/requests", { userId: 17 }, u.accessToken),
          api.request("POST", "/api/auth/login", { raw: "{", headers: { "content-type": "application/json" } }),
        ]);
        for (const res of answers) {
          expect(res.status).to.be.within(400, 499);
          expectProblem(res, res.body.code);
          expect(JSON.stringify(res.body)).to.not.match(/prisma|node_modules|\/src\//i);
        }
      });
    });
  });
}
