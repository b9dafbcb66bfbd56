// A revoked session stops working on every node within 1 s (PROTOCOL, hardening): its access
// tokens get 401 on REST and in the handshake, and its open sockets are disconnected.
import { expect } from "chai";
import pg from "pg";
import { signUp, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { testDatabase } from "../helpers/services.js";
import { useCluster } from "../helpers/suite.js";
import { expectProblem } from "./expect.js";

// The contract's bound; `eventually` polls every 10 ms, so a pass means well within it.
const REVOKED_EVERYWHERE_WITHIN_MS = 1_000;

describe("session revocation across two nodes", function () {
  this.timeout(30_000);
  const { nodes: [, b], apis: [apiA, apiB], connect } = useCluster(2);

  const openSocketOnB = async (u: TestUser) => {
    const s = await connect(b, u);
    const closed = new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));
    return { socket: s, closed };
  };
  const handshake = (u: TestUser) => connect(b, u).then(() => "connected", (err: Error) => err.message);

  /** Node B answered the token before (so it is cached as live there), then must refuse it. */
  async function expectEndedOnB(u: TestUser, closed: Promise<string>) {
    await eventually(async () => expectProblem(await apiB.get("/api/me", u.accessToken), "UNAUTHORIZED"), { within: REVOKED_EVERYWHERE_WITHIN_MS, what: "REST refusal on node B" });
    expect(await handshake(u)).to.equal("unauthorized");
    expect(await closed).to.equal("io server disconnect");
  }

  it("logout on node A: the access token is refused on B (REST and handshake) and B's socket is closed", async () => {
    const u = await signUp(apiA, "Leaving");
    expect((await apiB.get("/api/me", u.accessToken)).status).to.equal(200);
    const { closed } = await openSocketOnB(u);
    expect((await apiA.post("/api/auth/logout", { refreshToken: u.refreshToken })).status).to.equal(204);
    await expectEndedOnB(u, closed);
  });

  it("a reused refresh token ends the login on every node", async () => {
    const u = await signUp(apiA, "Robbed");
    const rotated = await apiA.post("/api/auth/refresh", { refreshToken: u.refreshToken });
    expect(rotated.status).to.equal(200);
    const current: TestUser = { ...u, accessToken: rotated.body.accessToken };
    expect((await apiB.get("/api/me", current.accessToken)).status).to.equal(200);
    const { closed } = await openSocketOnB(current);
    expectProblem(await apiA.post("/api/auth/refresh", { refreshToken: u.refreshToken }), "UNAUTHORIZED");
    await expectEndedOnB(current, closed);
  });

  it("ends only that login: the same user's other login keeps working on both nodes", async () => {
    const u = await signUp(apiA, "Two devices");
    const other = (await apiA.post("/api/auth/login", { email: u.email, password: u.password })).body;
    const { socket } = await openSocketOnB({ ...u, accessToken: other.accessToken });
    expect((await apiA.post("/api/auth/logout", { refreshToken: u.refreshToken })).status).to.equal(204);
    await eventually(async () => expectProblem(await apiB.get("/api/me", u.accessToken), "UNAUTHORIZED"));
    expect((await apiB.get("/api/me", other.accessToken)).status).to.equal(200);
    expect((await apiA.get("/api/me", other.accessToken)).status).to.equal(200);
    expect(socket.connected).to.equal(true);
  });

  it("a token whose account no longer exists gets 401, not a server error", async () => {
    const u = await signUp(apiA, "Gone");
    const db = new pg.Client({ connectionString: await testDatabase() });
    await db.connect();
    try {
      // As an account deletion leaves it: the user row and, with it, its sessions are gone.
      await db.query(`DELETE FROM "User" WHERE id = $1`, [u.id]);
    } finally {
      await db.end();
    }
    // Node B never saw this session: it asks the database, which no longer has it.
    for (const [method, path, body] of [
      ["GET", "/api/me", undefined],
      ["POST", "/api/friends/requests", { userId: u.id }],
      ["POST", "/api/rooms", { type: "group", name: "ghost" }],
      ["PUT", `/api/follows/${u.id}`, undefined],
    ] as const) {
      expectProblem(await apiB.request(method, path, { token: u.accessToken, body }), "UNAUTHORIZED");
    }
    expect(await handshake(u)).to.equal("unauthorized");
  });
});
