// Auth rate limits at their documented floors: failed logins per account, signup/login per IP.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { BACKENDS, expectProblem } from "./expect.js";

// The node trusts X-Forwarded-For from loopback (it runs behind a local proxy), so each test
// speaks from its own client address and the per-IP buckets of the tests do not mix.
let lastOctet = 0;
const freshIp = () => `203.0.113.${++lastOctet}`;

function expectRetryAfter(res: { headers: Headers }) {
  const header = res.headers.get("retry-after");
  expect(header, "429 carries Retry-After").to.match(/^\d+$/);
  return Number(header);
}

for (const backend of BACKENDS) {
  describe(`rate limits (${backend})`, function () {
    const { api } = useNode({ backend, env: { RATE_LIMIT_LOGIN_FAILURES: "5", RATE_LIMIT_AUTH_PER_MINUTE: "60", RATE_LIMIT_USER_PER_SECOND: "50" } });

    const from = (ip: string) => ({
      signup: (body: unknown) => api.request("POST", "/api/auth/signup", { body, headers: { "x-forwarded-for": ip } }),
      login: (email: string, password: string) => api.request("POST", "/api/auth/login", { body: { email, password }, headers: { "x-forwarded-for": ip } }),
    });

    it("locks an account after 5 failed logins, even for the right password, while another account still logs in", async () => {
      const client = from(freshIp());
      const [victim, bystander] = await Promise.all([signUp(api, "Victim"), signUp(api, "Bystander")]);
      for (let i = 0; i < 5; i++) expectProblem(await client.login(victim.email, `wrong-${i}`), "UNAUTHORIZED");

      const locked = await client.login(victim.email, victim.password);
      expectProblem(locked, "RATE_LIMITED");
      const retryAfter = expectRetryAfter(locked);
      expect(retryAfter).to.be.within(1, 15 * 60);
      // The lock is on the account, not on the spelling of its email or the caller's address.
      expectProblem(await client.login(victim.email.toUpperCase(), victim.password), "RATE_LIMITED");
      expectProblem(await from(freshIp()).login(victim.email, victim.password), "RATE_LIMITED");

      const other = await client.login(bystander.email, bystander.password);
      expect(other.status).to.equal(200);
      expect(other.body.user.id).to.equal(bystander.id);
    });

    it("forgets earlier failures after a successful login", async () => {
      const client = from(freshIp());
      const u = await signUp(api);
      for (let i = 0; i < 4; i++) expectProblem(await client.login(u.email, "nope nope"), "UNAUTHORIZED");
      expect((await client.login(u.email, u.password)).status).to.equal(200);
      for (let i = 0; i < 4; i++) expectProblem(await client.login(u.email, "nope nope"), "UNAUTHORIZED");
      expect((await client.login(u.email, u.password)).status).to.equal(200);
    });

    it("answers the 61st signup or login from one IP within a minute with 429 and Retry-After", async () => {
      const ip = freshIp();
      const client = from(ip);
      // 60 cheap attempts: unknown emails (one each, so the per-account limit stays out of it).
      const first = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          i % 2 ? client.login(`nobody-${randomUUID()}@example.test`, "whatever1") : client.signup({ email: "bad", password: "x", displayName: "" }),
        ),
      );
      expect(first.filter((r) => r.status === 429)).to.have.length(0);

      const login = await client.login(`nobody-${randomUUID()}@example.test`, "whatever1");
      expectProblem(login, "RATE_LIMITED");
      expect(expectRetryAfter(login)).to.be.within(1, 60);
      const signup = await client.signup({ email: `x-${randomUUID()}@example.test`, password: "long enough", displayName: "Late" });
      expectProblem(signup, "RATE_LIMITED");

      // Another client address is unaffected.
      const elsewhere = await from(freshIp()).signup({ email: `y-${randomUUID()}@example.test`, password: "long enough", displayName: "Fine" });
      expect(elsewhere.status).to.equal(201);
    });

    it("allows a user 50 requests a second on other routes, then 429, without slowing other users", async () => {
      const [busy, calm] = await Promise.all([signUp(api), signUp(api)]);
      // 120 at once: even if they straddle two 1-second windows, at most 100 may pass.
      const burst = await Promise.all(Array.from({ length: 120 }, () => api.get("/api/me", busy.accessToken)));
      const ok = burst.filter((r) => r.status === 200).length;
      const limited = burst.filter((r) => r.status === 429);
      expect(ok).to.be.at.least(50);
      expect(limited.length).to.be.at.least(1);
      expectProblem(limited[0]!, "RATE_LIMITED");
      expect(expectRetryAfter(limited[0]!)).to.be.within(1, 2);
      expect((await api.get("/api/me", calm.accessToken)).status).to.equal(200);
    });
  });
}
