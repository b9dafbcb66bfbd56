// Bots (src/domain/bots.ts; docs/integrations.md) on the in-memory fakes: who may make one, its
// token and its user, authentication with the token, deletion, and the owner's account deletion.
import { createHash } from "node:crypto";
import { expect } from "chai";
import { deleteAccount, type AccountDeletionDeps } from "../../src/domain/account-deletion.js";
import { login } from "../../src/domain/accounts.js";
import { authenticateBot, BOT_LIMIT, BOTS_PER_OWNER_MAX, createBot, deleteBot, listBots } from "../../src/domain/bots.js";
import type { Message } from "../../src/domain/message.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { MemoryAccountExportRepository } from "../fakes/memory-account-export-repository.js";
import { MemoryPlaylistRepository } from "../fakes/memory-playlist-repository.js";
import { MemoryTrackRepository } from "../fakes/memory-track-repository.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("bots (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord;

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob] = await users(d, "Ann", "Bob");
  });

  describe("refusals", () => {
    it("a bot cannot create bots: FORBIDDEN, and nothing is made", async () => {
      const { bot } = await createBot(d, ann.id, "Helper");
      await refusal(createBot(d, bot.userId, "Grandchild"), "FORBIDDEN");
      expect(d.bots.size).to.equal(1);
      expect(await listBots(d, bot.userId)).to.deep.equal([]);
    });

    it("a blank or over-long name is VALIDATION naming name, and makes nothing", async () => {
      for (const name of ["", "   ", "x".repeat(51)]) {
        const err = await refusal(createBot(d, ann.id, name), "VALIDATION");
        expect(err).to.have.nested.property("errors[0].path", "name");
      }
      expect(d.bots.size).to.equal(0);
      expect(d.users.size).to.equal(2);
    });

    it(`past ${BOTS_PER_OWNER_MAX} live bots: CONFLICT with ${BOT_LIMIT} at the head of the message; deleting one makes room`, async () => {
      const made = [];
      for (let i = 0; i < BOTS_PER_OWNER_MAX; i++) made.push((await createBot(d, ann.id, `Bot ${i}`)).bot);
      const err = await refusal(createBot(d, ann.id, "One too many"), "CONFLICT");
      expect(err.message).to.match(new RegExp(`^${BOT_LIMIT}:`));
      expect(d.bots.size).to.equal(BOTS_PER_OWNER_MAX);
      // Another account has its own allowance.
      await createBot(d, bob.id, "Bob's");
      await deleteBot(d, ann.id, made[0]!.id);
      expect((await createBot(d, ann.id, "Now it fits")).bot.name).to.equal("Now it fits");
    });

    it("someone else's bot is NOT_FOUND, as one that does not exist, and keeps working", async () => {
      const { bot, token } = await createBot(d, ann.id, "Ann's");
      await refusal(deleteBot(d, bob.id, bot.id), "NOT_FOUND");
      await refusal(deleteBot(d, bob.id, UNKNOWN_ID), "NOT_FOUND");
      expect(d.bots.revocations).to.deep.equal([]);
      expect((await authenticateBot(d, token)).userId).to.equal(bot.userId);
    });
  });

  describe("creating and listing", () => {
    it("returns the bot and a prefixed 256-bit token, of which only the SHA-256 is stored", async () => {
      const { bot, token } = await createBot(d, ann.id, "  Helper  ");
      expect(token).to.match(/^cb_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(3), "base64url")).to.have.length(32);
      expect(d.bots.tokenHashOf(bot.id)).to.equal(sha256(token));
      expect(bot).to.have.keys(["id", "userId", "name", "createdAt"]);
      expect(bot.name).to.equal("Helper");
      const other = await createBot(d, ann.id, "Helper");
      expect(other.token).to.not.equal(token);
    });

    it("makes the bot a user of its own: its name as display name, an undeliverable email, verified", async () => {
      const { bot } = await createBot(d, ann.id, "Helper");
      const user = await d.users.findById(bot.userId);
      expect(user?.displayName).to.equal("Helper");
      expect(user?.email).to.match(/^bot-[0-9a-f-]{36}@bots\.invalid$/);
      expect(user?.emailVerified).to.equal(true);
      expect(bot.userId).to.not.equal(ann.id);
    });

    it("the bot's user cannot log in, whatever the password (UNAUTHORIZED as a wrong one)", async () => {
      const { bot } = await createBot(d, ann.id, "Helper");
      const { email, passwordHash } = (await d.users.findById(bot.userId))!;
      for (const password of ["", passwordHash, "correct horse battery"]) {
        await refusal(login(d, { email, password }), "UNAUTHORIZED");
      }
      expect(await d.sessions.liveIdsOf(bot.userId)).to.deep.equal([]);
    });

    it("lists the caller's own live bots, oldest first, without any token", async () => {
      const first = (await createBot(d, ann.id, "First")).bot;
      const gone = (await createBot(d, ann.id, "Gone")).bot;
      const second = (await createBot(d, ann.id, "Second")).bot;
      await createBot(d, bob.id, "Bob's");
      await deleteBot(d, ann.id, gone.id);
      const listed = await listBots(d, ann.id);
      expect(listed).to.deep.equal([first, second]);
      expect(JSON.stringify(listed)).to.not.match(/token|hash/i);
    });
  });

  describe("authentication", () => {
    it("a bot's token gives its user's claims, with the bot's id in the session's place", async () => {
      const { bot, token } = await createBot(d, ann.id, "Helper");
      expect(await authenticateBot(d, token)).to.deep.equal({ userId: bot.userId, sessionId: bot.id });
    });

    it("a missing, malformed or unknown token is UNAUTHORIZED; a malformed one is not looked up", async () => {
      const { token } = await createBot(d, ann.id, "Helper");
      let lookups = 0;
      const counting = { bots: { findUsable: (hash: string) => (lookups++, d.bots.findUsable(hash)) } };
      for (const bad of [undefined, "", "cb_short", `${token}x`, `xx${token.slice(2)}`, token.replace(/^cb_/, "cb_!"), `${token.slice(0, -1)}\u0000`]) {
        await refusal(authenticateBot(counting, bad), "UNAUTHORIZED");
      }
      expect(lookups).to.equal(0);
      // Well-formed, but no bot's.
      await refusal(authenticateBot(counting, `cb_${"A".repeat(43)}`), "UNAUTHORIZED");
      expect(lookups).to.equal(1);
    });

    it("a deleted bot's token is UNAUTHORIZED", async () => {
      const { bot, token } = await createBot(d, ann.id, "Helper");
      await deleteBot(d, ann.id, bot.id);
      await refusal(authenticateBot(d, token), "UNAUTHORIZED");
    });

    it("a bot whose user or owner is suspended is UNAUTHORIZED until lifted", async () => {
      const { bot, token } = await createBot(d, ann.id, "Helper");
      for (const id of [bot.userId, ann.id]) {
        d.users.moderate(id, { suspendedAt: d.clock.now() });
        await refusal(authenticateBot(d, token), "UNAUTHORIZED");
        d.users.moderate(id, { suspendedAt: null });
        expect((await authenticateBot(d, token)).userId).to.equal(bot.userId);
      }
    });
  });

  describe("deleting", () => {
    it("revokes the bot on every node, takes it out of every room (an owned group passes on), and keeps its messages", async () => {
      const { bot } = await createBot(d, ann.id, "Helper");
      const botUser = (await d.users.findById(bot.userId))!;
      const joined = await group(d, ann, [botUser], "Ann's");
      const owned = await group(d, botUser, [bob], "The bot's");
      await messagesIn(d, joined.id, botUser, 2);

      await deleteBot(d, ann.id, bot.id);

      expect(d.bots.revocations).to.deep.equal([[bot.id]]);
      expect(await d.rooms.roomsOf(bot.userId)).to.deep.equal([]);
      expect((await d.rooms.membership(owned.id, bob.id))?.role).to.equal("owner");
      expect(d.broadcaster.detached.filter((x) => x.userId === bot.userId).map((x) => x.roomId).sort()).to.deep.equal([joined.id, owned.id].sort());
      const kept = (await d.messages.page(joined.id, { after: 0, limit: 100 })).messages.filter((m: Message) => m.senderId === bot.userId && m.type === "text");
      expect(kept.map((m) => m.text)).to.deep.equal(["m1", "m2"]);
      expect(await d.users.findById(bot.userId)).to.not.equal(null);
    });

    it("deleting a deleted bot succeeds again (a retry finishes the job) and keeps the first revocation time", async () => {
      const { bot } = await createBot(d, ann.id, "Helper");
      await deleteBot(d, ann.id, bot.id);
      const first = (await d.bots.find(bot.id))!.revokedAt;
      await deleteBot(d, ann.id, bot.id);
      expect((await d.bots.find(bot.id))!.revokedAt).to.deep.equal(first);
    });
  });

  describe("the owner's account deletion", () => {
    const PASSWORD = "correct horse battery";

    it("revokes every bot of the account, live or deleted, tombstones their messages, takes them out of rooms and removes their users", async () => {
      const owner = await d.users.add({ displayName: "Owner", email: "owner@example.test", passwordHash: await d.hasher.hash(PASSWORD) });
      const caller = { userId: owner.id, sessionId: (await d.sessions.create(owner.id, "h", new Date(Date.now() + 3_600_000))).id };
      const live = await createBot(d, owner.id, "Live");
      const deleted = await createBot(d, owner.id, "Deleted");
      const bobs = await createBot(d, bob.id, "Bob's");
      const room = await group(d, bob, [(await d.users.findById(live.bot.userId))!, (await d.users.findById(deleted.bot.userId))!], "Bob's room");
      await messagesIn(d, room.id, (await d.users.findById(live.bot.userId))!, 2);
      await messagesIn(d, room.id, (await d.users.findById(deleted.bot.userId))!, 1);
      await deleteBot(d, owner.id, deleted.bot.id);
      const deps: AccountDeletionDeps = {
        ...d,
        attachmentFiles: d.attachmentRepo,
        tracks: new MemoryTrackRepository(d.clock),
        playlists: new MemoryPlaylistRepository(d.clock),
        exports: new MemoryAccountExportRepository(d.clock),
      };

      await deleteAccount(deps, caller, PASSWORD);

      expect(d.bots.revocations.at(-1)?.sort()).to.deep.equal([live.bot.id, deleted.bot.id].sort());
      await refusal(authenticateBot(d, live.token), "UNAUTHORIZED");
      for (const b of [live, deleted]) {
        expect(await d.users.findById(b.bot.userId)).to.equal(null);
        expect(await d.bots.find(b.bot.id)).to.equal(null);
        expect(await d.rooms.isMember(room.id, b.bot.userId)).to.equal(false);
      }
      const botMessages = (await d.messages.page(room.id, { after: 0, limit: 100 })).messages.filter((m: Message) => m.type === "text");
      expect(botMessages.map((m) => [m.text, Boolean(m.deletedAt)])).to.deep.equal([
        ["", true],
        ["", true],
        ["", true],
      ]);
      // Someone else's bot is untouched.
      expect((await authenticateBot(d, bobs.token)).userId).to.equal(bobs.bot.userId);
    });
  });
});
