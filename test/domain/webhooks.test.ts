// A room's webhooks (src/domain/webhooks.ts) on the in-memory fakes: who may make them, what
// targets an outgoing one may have, where its cursor starts, and an incoming hook's token.
import { expect } from "chai";
import type { WebhookHostPolicy } from "../../src/domain/ports/webhook-sender.js";
import type { WebhookRecord, WebhookStore } from "../../src/domain/ports/webhook-store.js";
import { createOutgoingWebhook, deleteWebhook, listWebhooks, postToIncomingWebhook, type WebhookDeps } from "../../src/domain/webhooks.js";
import type { UserRecord } from "../../src/domain/user.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { MemoryRateLimiter } from "../fakes/memory-rate-limiter.js";
import { direct, group, messagesIn, refusal, users } from "../fakes/scenario.js";

/** The part of WebhookStore these use cases touch, in memory. */
class MemoryWebhooks {
  readonly rows: (WebhookRecord & { cursorRev: number; cursorSeq: number; secret: string | null })[] = [];
  lookups = 0;
  async createOutgoing(input: { roomId: string; createdById: string; targetUrl: string; events: WebhookRecord["events"]; secret: string; cursorRev: number; cursorSeq: number }) {
    const row = { ...input, id: `w${this.rows.length + 1}`, kind: "outgoing" as const, createdAt: new Date(), userId: null, name: null, failures: 0, retryAt: null };
    this.rows.push(row);
    return row;
  }
  async list(roomId: string) {
    return this.rows.filter((r) => r.roomId === roomId);
  }
  async find(roomId: string, id: string) {
    return this.rows.find((r) => r.roomId === roomId && r.id === id) ?? null;
  }
  async remove(roomId: string, id: string) {
    const i = this.rows.findIndex((r) => r.roomId === roomId && r.id === id);
    return i < 0 ? null : this.rows.splice(i, 1)[0]!;
  }
  async findIncoming() {
    this.lookups++;
    return null;
  }
}

describe("webhooks (unit)", () => {
  let d: FakeDeps;
  let deps: WebhookDeps;
  let store: MemoryWebhooks;
  let allowed: boolean;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;
  let team: RoomRecord;

  beforeEach(async () => {
    d = fakeDeps();
    store = new MemoryWebhooks();
    allowed = true;
    const hostPolicy: WebhookHostPolicy = { allows: async () => allowed };
    deps = { ...d, webhooks: store as unknown as WebhookStore, hostPolicy, allowHttpTargets: false, incomingLimiter: new MemoryRateLimiter({ points: 5, durationMs: 60_000 }, d.clock) };
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
    team = await group(d, ann, [bob]);
  });

  const make = (who: UserRecord, targetUrl = "https://hooks.example.com/chat", roomId = team.id) => createOutgoingWebhook(deps, who.id, roomId, { targetUrl, events: ["message.created", "message.created", "member.joined"] });

  it("a non-member gets NOT_FOUND, a member FORBIDDEN, the owner the webhook with its secret", async () => {
    await refusal(make(eve), "NOT_FOUND");
    await refusal(make(bob), "FORBIDDEN");
    await refusal(listWebhooks(deps, bob.id, team.id), "FORBIDDEN");
    const { webhook } = await make(ann);
    expect(webhook).to.include({ kind: "outgoing", roomId: team.id, createdBy: ann.id, targetUrl: "https://hooks.example.com/chat", failures: 0 });
    expect(webhook.events, "each event once").to.deep.equal(["message.created", "member.joined"]);
    expect(webhook.secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    await refusal(deleteWebhook(deps, eve.id, team.id, webhook.id), "NOT_FOUND");
    await refusal(deleteWebhook(deps, bob.id, team.id, webhook.id), "FORBIDDEN");
  });

  it("direct rooms have no owner or admins: FORBIDDEN", async () => {
    const dm = await direct(d, ann, bob);
    await refusal(make(ann, undefined, dm.id), "FORBIDDEN");
  });

  it("starts the cursor at the room's position: earlier messages are not delivered", async () => {
    await messagesIn(d, team.id, bob, 3);
    await make(ann);
    expect(store.rows[0]).to.include({ cursorRev: 3, cursorSeq: 3 });
  });

  it("refuses targets that are not https (unless http is allowed), carry credentials, or are not public", async () => {
    for (const url of ["http://hooks.example.com/x", "ftp://hooks.example.com/x", "https://u:p@hooks.example.com/x", "nonsense"]) {
      const err = await refusal(make(ann, url), "VALIDATION");
      expect((err as unknown as { errors: { path: string }[] }).errors.map((e) => e.path), url).to.deep.equal(["targetUrl"]);
    }
    deps = { ...deps, allowHttpTargets: true };
    expect((await make(ann, "http://hooks.example.com/x")).webhook.targetUrl).to.equal("http://hooks.example.com/x");
    allowed = false;
    await refusal(make(ann), "VALIDATION");
    expect(store.rows).to.have.length(1);
  });

  it("an incoming hook's token that is not one is NOT_FOUND without a lookup", async () => {
    await refusal(postToIncomingWebhook(deps, "nope", { text: "hi" }), "NOT_FOUND");
    expect(store.lookups).to.equal(0);
    await refusal(postToIncomingWebhook(deps, `wh_${"A".repeat(43)}`, { text: "hi" }), "NOT_FOUND");
    expect(store.lookups).to.equal(1);
  });
});
