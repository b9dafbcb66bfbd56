// Suspension (src/domain/suspensions.ts, and its refusal in accounts.ts login) on the in-memory fakes.
import { expect } from "chai";
import { authenticate, login, signup, type AuthResult } from "../../src/domain/accounts.js";
import { createBot, hashBotToken } from "../../src/domain/bots.js";
import { SUSPENDED } from "../../src/domain/errors.js";
import { refuseIfSuspendedMeanwhile, suspendUser, unsuspendUser } from "../../src/domain/suspensions.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeAdminDeps, type FakeAdminDeps } from "../fakes/admin-deps.js";
import { refusal, users } from "../fakes/scenario.js";

const PASSWORD = "correct horse battery";

describe("suspensions (unit)", () => {
  let d: FakeAdminDeps;
  let op: UserRecord;
  let bob: AuthResult;
  beforeEach(async () => {
    d = fakeAdminDeps();
    [op] = await users(d, "Op");
    d.users.moderate(op.id, { operator: true });
    bob = await signup(d, { email: "bob@example.test", password: PASSWORD, displayName: "Bob" });
  });

  it("ends every login of the account: each of its sessions is revoked, so its tokens are refused", async () => {
    const second = await login(d, { email: "bob@example.test", password: PASSWORD });
    const user = await suspendUser(d, op.id, bob.user.id, " spam ");
    expect(user).to.include({ id: bob.user.id, suspendReason: "spam", operator: false });
    expect(user.suspendedAt).to.be.a("string");
    expect(d.sessions.sessionsOf(bob.user.id).every((s) => s.revokedAt !== null)).to.equal(true);
    await refusal(authenticate(d, bob.accessToken), "UNAUTHORIZED");
    await refusal(authenticate(d, second.accessToken), "UNAUTHORIZED");
    expect(d.audit.entries.map((e) => [e.actorId, e.action, e.targetId, e.reason])).to.deep.equal([[op.id, "user.suspend", bob.user.id, "spam"]]);
  });

  it("cuts off the account's bots and the bot it is on every node (they hold tokens, not sessions); others' bots are left", async () => {
    const owned = await createBot(d, bob.user.id, "Helper");
    const other = await createBot(d, op.id, "Ops bot");
    await suspendUser(d, op.id, bob.user.id, "spam");
    expect(d.bots.cutOffs).to.deep.equal([[owned.bot.id]]);
    await suspendUser(d, op.id, owned.bot.userId, "spam");
    expect(d.bots.cutOffs.at(-1)).to.deep.equal([owned.bot.id]);
    expect(d.bots.cutOffs.flat()).to.not.include(other.bot.id);
    expect(await d.bots.findUsable(hashBotToken(owned.token))).to.equal(null);
  });

  it("refuses the login with FORBIDDEN, SUSPENDED at the head of the detail, only once the password matched", async () => {
    await suspendUser(d, op.id, bob.user.id, "spam");
    const err = await refusal(login(d, { email: "bob@example.test", password: PASSWORD }), "FORBIDDEN");
    expect(err.message.startsWith(`${SUSPENDED}:`)).to.equal(true);
    // A wrong password says nothing about the suspension.
    await refusal(login(d, { email: "bob@example.test", password: "wrong password" }), "UNAUTHORIZED");
    expect(d.sessions.sessionsOf(bob.user.id).every((s) => s.revokedAt !== null)).to.equal(true);
  });

  it("leaves signup with the suspended account's email a plain CONFLICT", async () => {
    await suspendUser(d, op.id, bob.user.id, "spam");
    await refusal(signup(d, { email: "bob@example.test", password: PASSWORD, displayName: "Bob again" }), "CONFLICT");
  });

  it("lifting it lets the user log in again; the logins it ended stay ended", async () => {
    await suspendUser(d, op.id, bob.user.id, "spam");
    const user = await unsuspendUser(d, op.id, bob.user.id, "appeal");
    expect(user).to.include({ suspendedAt: null, suspendReason: null });
    const again = await login(d, { email: "bob@example.test", password: PASSWORD });
    expect((await authenticate(d, again.accessToken)).userId).to.equal(bob.user.id);
    await refusal(authenticate(d, bob.accessToken), "UNAUTHORIZED");
    expect(d.audit.entries.map((e) => [e.action, e.reason])).to.deep.equal([
      ["user.suspend", "spam"],
      ["user.unsuspend", "appeal"],
    ]);
  });

  it("suspending again keeps the first time and takes the new reason", async () => {
    const first = await suspendUser(d, op.id, bob.user.id, "spam");
    d.clock.advance(60_000);
    const second = await suspendUser(d, op.id, bob.user.id, "spam and abuse");
    expect(second).to.include({ suspendedAt: first.suspendedAt, suspendReason: "spam and abuse" });
  });

  it("an operator cannot suspend themselves; an unknown user is NOT_FOUND; neither writes an entry", async () => {
    await refusal(suspendUser(d, op.id, op.id, "oops"), "VALIDATION");
    await refusal(suspendUser(d, op.id, "00000001-0000-7000-8000-0000000000ff", "x"), "NOT_FOUND");
    await refusal(unsuspendUser(d, op.id, "00000001-0000-7000-8000-0000000000ff"), "NOT_FOUND");
    expect(d.audit.entries).to.deep.equal([]);
  });

  it("a login whose session opened while a suspension landed ends that session too (login's second look)", async () => {
    // As the race leaves it: the account suspended and its sessions listed before this one existed.
    const late = await login(d, { email: "bob@example.test", password: PASSWORD });
    d.users.moderate(bob.user.id, { suspendedAt: d.clock.now(), suspendReason: "spam" });
    await refusal(refuseIfSuspendedMeanwhile(d, bob.user.id, d.clock.now()), "FORBIDDEN");
    await refusal(authenticate(d, late.accessToken), "UNAUTHORIZED");
  });
});
