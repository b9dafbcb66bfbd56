// Plays (once per user per track per 30 s), day and week charts on the database and on Redis,
// and playlists.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { Redis } from "ioredis";
import pg from "pg";
import { PrismaPlayCounter } from "../../src/store/prisma-plays.js";
import { PrismaClient } from "../../src/store/generated/prisma/client.js";
import { PrismaPg } from "@prisma/adapter-pg";
import { signUp, type TestUser } from "../helpers/api.js";
import { mediaEnv, postTrack, sineAudio, waitForTrack } from "../helpers/media.js";
import { startTestNode } from "../helpers/nodes.js";
import { useNode } from "../helpers/suite.js";
import { redisUrl } from "../helpers/services.js";
import { errorPaths, expectProblem } from "../http/expect.js";

// Charts are global: each variant starts from empty ones in storage of its own (a Redis
// database index no other suite uses; the media suites' PostgreSQL database).
const CHARTS_REDIS_URL = `${redisUrl.replace(/\/\d*$/, "")}/7`;

async function clearCharts(kind: "redis" | "postgres" | "embedded") {
  if (kind === "redis") {
    const r = new Redis(CHARTS_REDIS_URL);
    await r.flushdb();
    await r.quit();
  } else if (kind === "postgres") {
    const client = new pg.Client({ connectionString: (await mediaEnv("postgres")).DATABASE_URL });
    await client.connect();
    await client.query(`DELETE FROM "TrackPlayDay"`).catch((err) => {
      if (err.code !== "42P01") throw err; // not migrated yet: nothing to clear
    });
    await client.end();
  }
}

for (const variant of ["postgres", "redis", "embedded"] as const) {
  describe(`plays, charts and playlists (${variant})`, function () {
    this.timeout(60_000);
    const backend = variant === "embedded" ? "embedded" : "postgres";
    before(() => clearCharts(variant)); // before the node starts
    const { api } = useNode(async () => ({ backend, env: { ...(await mediaEnv(backend)), ...(variant === "redis" ? { REDIS_URL: CHARTS_REDIS_URL } : {}) } }));
    let owner: TestUser;
    let tracks: { id: string }[];

    before(async () => {
      owner = await signUp(api, "Artist");
      const audio = await sineAudio(1);
      tracks = [];
      for (const title of ["One", "Two", "Three"]) tracks.push((await postTrack(api, owner, audio, title)).body.track);
      for (const t of tracks) expect((await waitForTrack(api, owner.accessToken, t.id)).status).to.equal("ready");
    });

    const play = (u: TestUser, trackId: string) => api.post(`/api/tracks/${trackId}/plays`, undefined, u.accessToken);
    const chart = (u: TestUser, query = "") => api.get(`/api/charts${query}`, u.accessToken);

    it("counts a play once per user per track within 30 s, and ranks the day's and week's charts by plays", async () => {
      const users = await Promise.all([1, 2, 3].map((i) => signUp(api, `Listener ${i}`)));
      // Track Two: three listeners, one of whom presses play four times. Track Three: two. One: one.
      for (const u of users) expect((await play(u, tracks[1]!.id)).status).to.equal(204);
      for (let i = 0; i < 3; i++) expect((await play(users[0]!, tracks[1]!.id)).status).to.equal(204);
      await Promise.all([play(users[0]!, tracks[2]!.id), play(users[1]!, tracks[2]!.id), play(users[1]!, tracks[2]!.id)]);
      await play(users[2]!, tracks[0]!.id);

      for (const period of ["day", "week"]) {
        const res = await chart(users[0]!, `?period=${period}`);
        expect(res.status).to.equal(200);
        expect(res.body.tracks.map((e: { track: { title: string }; plays: number }) => [e.track.title, e.plays])).to.deep.equal([
          ["Two", 3],
          ["Three", 2],
          ["One", 1],
        ]);
        expect(res.body.tracks[0].track).to.include({ id: tracks[1]!.id, status: "ready" });
      }
      expect((await chart(users[0]!, "?period=day&limit=2")).body.tracks).to.have.length(2);
      expect((await chart(users[0]!)).body.tracks).to.have.length(3); // period defaults to day
    });

    it("refuses plays of unknown tracks and bad chart queries", async () => {
      const u = await signUp(api);
      expectProblem(await play(u, randomUUID()), "NOT_FOUND");
      expect(errorPaths(await play(u, "nope"))).to.deep.equal(["id"]);
      expect(errorPaths(await chart(u, "?period=year"))).to.deep.equal(["period"]);
      expect(errorPaths(await chart(u, "?limit=0"))).to.deep.equal(["limit"]);
      expect(errorPaths(await chart(u, "?limit=101"))).to.deep.equal(["limit"]);
      expectProblem(await api.post(`/api/tracks/${tracks[0]!.id}/plays`), "UNAUTHORIZED");
      expectProblem(await api.get("/api/charts"), "UNAUTHORIZED");
    });

    describe("playlists", () => {
      it("creates, lists, reads, renames, reorders and deletes the caller's playlists", async () => {
        const u = await signUp(api, "Curator");
        const [one, two, three] = tracks.map((t) => t.id);
        const created = await api.post("/api/playlists", { name: "  Mix  ", trackIds: [two, one] }, u.accessToken);
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        const p = created.body.playlist;
        expect(p).to.include({ name: "Mix", trackCount: 2 });
        expect(p.tracks.map((t: { id: string }) => t.id)).to.deep.equal([two, one]);
        const empty = (await api.post("/api/playlists", { name: "Empty" }, u.accessToken)).body.playlist;
        expect(empty.tracks).to.deep.equal([]);

        const list = await api.get("/api/playlists", u.accessToken);
        expect(list.body.playlists.map((x: { id: string; trackCount: number }) => [x.id, x.trackCount])).to.deep.equal([
          [p.id, 2],
          [empty.id, 0],
        ]);

        const reordered = await api.put(`/api/playlists/${p.id}/tracks`, { trackIds: [three, one, three, two] }, u.accessToken);
        expect(reordered.status).to.equal(200);
        expect(reordered.body.playlist.tracks.map((t: { id: string }) => t.id)).to.deep.equal([three, one, three, two]);
        expect((await api.get(`/api/playlists/${p.id}`, u.accessToken)).body.playlist.tracks.map((t: { id: string }) => t.id)).to.deep.equal([three, one, three, two]);

        const renamed = await api.patch(`/api/playlists/${p.id}`, { name: "Renamed" }, u.accessToken);
        expect(renamed.body.playlist).to.include({ name: "Renamed", trackCount: 4 });
        expect((await api.put(`/api/playlists/${p.id}/tracks`, { trackIds: [] }, u.accessToken)).body.playlist.trackCount).to.equal(0);

        expect((await api.delete(`/api/playlists/${p.id}`, u.accessToken)).status).to.equal(204);
        expectProblem(await api.get(`/api/playlists/${p.id}`, u.accessToken), "NOT_FOUND");
        expect((await api.get("/api/playlists", u.accessToken)).body.playlists.map((x: { id: string }) => x.id)).to.deep.equal([empty.id]);
      });

      it("hides other users' playlists (404) and refuses unknown tracks and bad names", async () => {
        const [a, b] = await Promise.all([signUp(api, "A"), signUp(api, "B")]);
        const p = (await api.post("/api/playlists", { name: "Private" }, a.accessToken)).body.playlist;
        expectProblem(await api.get(`/api/playlists/${p.id}`, b.accessToken), "NOT_FOUND");
        expectProblem(await api.patch(`/api/playlists/${p.id}`, { name: "Mine now" }, b.accessToken), "NOT_FOUND");
        expectProblem(await api.put(`/api/playlists/${p.id}/tracks`, { trackIds: [tracks[0]!.id] }, b.accessToken), "NOT_FOUND");
        expectProblem(await api.delete(`/api/playlists/${p.id}`, b.accessToken), "NOT_FOUND");
        expect((await api.get("/api/playlists", b.accessToken)).body.playlists).to.deep.equal([]);
        expect((await api.get(`/api/playlists/${p.id}`, a.accessToken)).body.playlist.name).to.equal("Private");

        expect(errorPaths(await api.put(`/api/playlists/${p.id}/tracks`, { trackIds: [tracks[0]!.id, randomUUID()] }, a.accessToken))).to.deep.equal(["trackIds.1"]);
        expect(errorPaths(await api.post("/api/playlists", { name: "   " }, a.accessToken))).to.deep.equal(["name"]);
        expect(errorPaths(await api.post("/api/playlists", { name: "x", owner: b.id }, a.accessToken))).to.deep.equal(["owner"]);
        expectProblem(await api.get("/api/playlists"), "UNAUTHORIZED");
      });
    });
  });
}

describe("plays on PostgreSQL: the 30 s window", () => {
  let prisma: InstanceType<typeof PrismaClient>;
  before(async () => {
    // Migrated by the suites above (or any media node); this talks to the adapter directly.
    const node = await startTestNode({ env: await mediaEnv("postgres") });
    await node.stop();
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: (await mediaEnv("postgres")).DATABASE_URL }) });
  });
  after(async () => prisma?.$disconnect());

  it("counts again only once 30 s have passed since the last counted play", async () => {
    const counter = new PrismaPlayCounter(prisma);
    const [user, track] = [randomUUID(), randomUUID()];
    const t0 = new Date("2026-01-05T12:00:00.000Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(await counter.record(user, track, t0)).to.equal(true);
    expect(await counter.record(user, track, at(29_999))).to.equal(false);
    expect(await counter.record(user, track, at(30_000))).to.equal(true);
    expect(await counter.record(user, track, at(45_000))).to.equal(false);
    expect(await counter.record(randomUUID(), track, at(45_000))).to.equal(true);
    const [top] = (await counter.top("day", 100, t0)).filter((e) => e.trackId === track);
    expect(top).to.deep.equal({ trackId: track, plays: 3 });
    // The week covers the 7 days ending today; the day after, the day chart is empty of it.
    expect((await counter.top("week", 100, at(6 * 86_400_000))).find((e) => e.trackId === track)?.plays).to.equal(3);
    expect((await counter.top("week", 100, at(7 * 86_400_000))).find((e) => e.trackId === track)).to.equal(undefined);
    expect((await counter.top("day", 100, at(86_400_000))).find((e) => e.trackId === track)).to.equal(undefined);
  });
});

describe("plays on Redis: the 30 s window", () => {
  let redis: Redis;
  before(() => {
    redis = new Redis(CHARTS_REDIS_URL);
  });
  after(async () => redis?.quit());

  it("holds a counted play's marker for exactly the window, and counts again once it is gone", async () => {
    const { RedisPlayCounter } = await import("../../src/store/redis-plays.js");
    const counter = new RedisPlayCounter(redis);
    const [user, track] = [randomUUID(), randomUUID()];
    const now = new Date();
    expect(await counter.record(user, track, now)).to.equal(true);
    expect(await counter.record(user, track, now)).to.equal(false);
    const ttl = await redis.pttl(`media:play:${user}:${track}`);
    expect(ttl).to.be.above(25_000).and.at.most(30_000);
    await redis.del(`media:play:${user}:${track}`); // as if 30 s had passed
    expect(await counter.record(user, track, now)).to.equal(true);
    expect((await counter.top("day", 100, now)).find((e) => e.trackId === track)?.plays).to.equal(2);
  });
});
