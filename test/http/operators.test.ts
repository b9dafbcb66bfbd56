// Operators on real services, two nodes (PROTOCOL.md, "Accounts and rooms over their life"):
// /api/admin/* is 403 for everyone else, the command line grants and revokes the flag, a
// suspension through one node ends the user's logins on both at once, and the audit log cannot be
// rewritten, not even through SQL.
import { expect } from "chai";
import pg from "pg";
import { signUp, type TestUser } from "../helpers/api.js";
import { grantOperator, runAdminCli } from "../helpers/admin-cli.js";
import { eventually } from "../helpers/eventually.js";
import { testDatabase } from "../helpers/services.js";
import { useCluster } from "../helpers/suite.js";
import { expectProblem } from "./expect.js";

// PROTOCOL: a revoked session stops working on every node within 1 s.
const ENDED_EVERYWHERE_WITHIN_MS = 1_000;

describe("operators across two nodes", function () {
  this.timeout(60_000);
  const { nodes: [, b], apis: [apiA, apiB], connect } = useCluster(2);
  let op: TestUser;

  before(async function () {
    this.timeout(60_000);
    op = await signUp(apiA, "Operator");
    await grantOperator(op.email);
  });

  it("a signed-in non-operator gets 403 FORBIDDEN on every /api/admin route, on both nodes", async () => {
    const u = await signUp(apiA, "Curious");
    const doc = (await apiA.get("/api/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/admin/"))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
    expect(routes.map((r) => `${r.method} ${r.path}`)).to.have.members([
      "GET /api/admin/stats",
      "GET /api/admin/reports",
      "POST /api/admin/reports/{id}/resolve",
      "POST /api/admin/users/{id}/suspend",
      "POST /api/admin/users/{id}/unsuspend",
      "DELETE /api/admin/messages/{id}",
      "DELETE /api/admin/rooms/{id}",
      "GET /api/admin/audit",
    ]);
    // Real ids where a path names one, and a valid body: only the missing flag stands in the way.
    const roomId = (await apiA.post("/api/rooms", { type: "group", name: "Mine" }, u.accessToken)).body.room.id as string;
    const ids: Record<string, string> = { messages: `${roomId}:1`, rooms: roomId, users: op.id, reports: "00000000-0000-7000-8000-000000000000" };
    const body = { reason: "because", resolution: "done" };
    for (const api of [apiA, apiB]) {
      for (const { method, path } of routes) {
        const concrete = path.replace(/\/([a-z]+)\/\{id\}/, (_m, collection: string) => `/${collection}/${encodeURIComponent(ids[collection]!)}`);
        const wanted = method === "GET" ? undefined : /resolve$/.test(path) ? { resolution: body.resolution } : /suspend$/.test(path) && !/unsuspend$/.test(path) ? { reason: body.reason } : undefined;
        const res = await api.request(method, concrete, { token: u.accessToken, body: wanted });
        expectProblem(res, "FORBIDDEN");
      }
    }
    expect((await apiA.get(`/api/rooms/${roomId}`, u.accessToken)).status, "the room is still there").to.equal(200);
  });

  it("the command line grants and revokes the flag; each binds from the next request of a token already held", async () => {
    const u = await signUp(apiA, "Deputy");
    // Two runs that change nothing, started now beside the grant and the revoke: each run is a
    // process that imports the app's modules (seconds on a loaded machine), run one after another.
    const unknownRun = runAdminCli("grant", "nobody-here@example.test");
    const usageRun = runAdminCli("promote", u.email);
    expectProblem(await apiB.get("/api/admin/stats", u.accessToken), "FORBIDDEN");
    const granted = await runAdminCli("grant", u.email.toUpperCase());
    expect(granted.code, granted.stderr).to.equal(0);
    expect(granted.stdout).to.contain("is now an operator");
    expect((await apiB.get("/api/admin/stats", u.accessToken)).status).to.equal(200);
    const revoked = await runAdminCli("revoke", u.email);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expectProblem(await apiB.get("/api/admin/stats", u.accessToken), "FORBIDDEN");
    const audit = (await apiA.get("/api/admin/audit?limit=100", op.accessToken)).body.entries as { action: string; targetId: string }[];
    expect(audit.filter((e) => e.targetId === u.id).map((e) => e.action)).to.deep.equal(["operator.revoke", "operator.grant"]);
    const unknown = await unknownRun;
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain("no account");
    expect((await usageRun).code, "usage").to.equal(2);
  });

  it("a suspension through node A closes the user's sockets on node B within 1 s, refuses their tokens on both nodes and their login; unsuspending lets them log in again", async () => {
    const u = await signUp(apiA, "Spammer");
    // Node B has answered the token (cached live there) and holds two sockets of the user.
    expect((await apiB.get("/api/me", u.accessToken)).status).to.equal(200);
    const sockets = [await connect(b, u), await connect(b, u, ["polling"])];
    const closed = sockets.map((s) => new Promise<number>((resolve) => s.once("disconnect", () => resolve(Date.now()))));
    const started = Date.now();
    const suspended = await apiA.post(`/api/admin/users/${u.id}/suspend`, { reason: "spam" }, op.accessToken);
    expect(suspended.status, JSON.stringify(suspended.body)).to.equal(200);
    expect(suspended.body.user).to.include({ id: u.id, suspendReason: "spam" });
    for (const at of await Promise.all(closed)) expect(at - started, "socket closed on node B after").to.be.below(ENDED_EVERYWHERE_WITHIN_MS);
    for (const api of [apiA, apiB]) {
      await eventually(async () => expectProblem(await api.get("/api/me", u.accessToken), "UNAUTHORIZED"), { within: ENDED_EVERYWHERE_WITHIN_MS });
    }
    expect(await connect(b, u).then(() => "connected", (err: Error) => err.message)).to.equal("unauthorized");
    expectProblem(await apiB.post("/api/auth/refresh", { refreshToken: u.refreshToken }), "UNAUTHORIZED");
    for (const api of [apiA, apiB]) {
      const refused = expectProblem(await api.post("/api/auth/login", { email: u.email, password: u.password }), "FORBIDDEN");
      expect(refused.detail).to.match(/^SUSPENDED\b/);
    }
    // A wrong password tells nothing of the suspension; signing up with the email is a plain conflict.
    expectProblem(await apiA.post("/api/auth/login", { email: u.email, password: "not the password" }), "UNAUTHORIZED");
    expectProblem(await apiA.post("/api/auth/signup", { email: u.email, password: u.password, displayName: "Again" }), "CONFLICT");

    const lifted = await apiB.post(`/api/admin/users/${u.id}/unsuspend`, {}, op.accessToken);
    expect(lifted.status).to.equal(200);
    expect(lifted.body.user).to.include({ suspendedAt: null, suspendReason: null });
    const back = await apiA.post("/api/auth/login", { email: u.email, password: u.password });
    expect(back.status).to.equal(200);
    expect((await apiB.get("/api/me", back.body.accessToken)).status).to.equal(200);
    expectProblem(await apiB.get("/api/me", u.accessToken), "UNAUTHORIZED");
  });

  it("an operator cannot suspend themselves, and an unknown user is 404", async () => {
    expectProblem(await apiA.post(`/api/admin/users/${op.id}/suspend`, { reason: "oops" }, op.accessToken), "VALIDATION");
    expectProblem(await apiA.post("/api/admin/users/00000000-0000-7000-8000-000000000001/suspend", { reason: "x" }, op.accessToken), "NOT_FOUND");
  });

  it("the audit log lists every action newest first, and refuses UPDATE, DELETE and TRUNCATE even through SQL", async () => {
    const u = await signUp(apiA, "Audited");
    expect((await apiA.post(`/api/admin/users/${u.id}/suspend`, { reason: "first" }, op.accessToken)).status).to.equal(200);
    expect((await apiB.post(`/api/admin/users/${u.id}/unsuspend`, { reason: "second" }, op.accessToken)).status).to.equal(200);
    const page = await apiB.get("/api/admin/audit?limit=2", op.accessToken);
    expect(page.status).to.equal(200);
    expect(page.body.entries.map((e: { action: string; targetId: string; reason: string; actorId: string }) => [e.action, e.targetId, e.reason, e.actorId])).to.deep.equal([
      ["user.unsuspend", u.id, "second", op.id],
      ["user.suspend", u.id, "first", op.id],
    ]);
    const older = await apiB.get(`/api/admin/audit?limit=2&cursor=${page.body.nextCursor}`, op.accessToken);
    expect(older.body.entries.map((e: { id: string }) => e.id)).to.not.include.members(page.body.entries.map((e: { id: string }) => e.id));

    const db = new pg.Client({ connectionString: await testDatabase() });
    await db.connect();
    try {
      const id = page.body.entries[0].id as string;
      for (const sql of [
        [`UPDATE "AuditEntry" SET reason = 'rewritten' WHERE id = $1`, [id]],
        [`DELETE FROM "AuditEntry" WHERE id = $1`, [id]],
        [`TRUNCATE "AuditEntry"`, []],
      ] as const) {
        const err = await db.query(sql[0], [...sql[1]]).then(() => null, (e: { message: string }) => e);
        expect(err?.message, sql[0]).to.contain("append-only");
      }
      const row = await db.query(`SELECT reason FROM "AuditEntry" WHERE id = $1`, [id]);
      expect(row.rows).to.deep.equal([{ reason: "second" }]);
    } finally {
      await db.end();
    }
  });
});
