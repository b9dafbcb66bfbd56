import { randomUUID } from "node:crypto";
import type { ClaimedJob, TrackRecord, TrackRepository, TrackStatus } from "../domain/ports/track-repository.js";
import type { Prisma } from "./database.js";

type Row = Omit<TrackRecord, "status"> & { status: string };
const toRecord = (row: Row): TrackRecord => ({ ...row, status: row.status as TrackStatus });

const TRACK_FIELDS = { id: true, ownerId: true, title: true, artist: true, status: true, durationMs: true, loudnessLufs: true, error: true, createdAt: true } as const;

/** Tracks and their durable transcode queue (docs/media.md, "Transcode queue"). */
export class PrismaTrackRepository implements TrackRepository {
  constructor(private readonly prisma: Prisma) {}

  async createWithJob(track: { id: string; ownerId: string; title: string; artist: string | null }): Promise<TrackRecord> {
    // One statement: the nested create commits the track and its job together.
    const row = await this.prisma.track.create({ data: { ...track, job: { create: {} } }, select: TRACK_FIELDS });
    return toRecord(row);
  }

  async find(id: string): Promise<TrackRecord | null> {
    const row = await this.prisma.track.findUnique({ where: { id }, select: TRACK_FIELDS });
    return row ? toRecord(row) : null;
  }

  async findMany(ids: string[]): Promise<TrackRecord[]> {
    if (!ids.length) return [];
    return (await this.prisma.track.findMany({ where: { id: { in: ids } }, select: TRACK_FIELDS })).map(toRecord);
  }

  async list(opts: { limit: number; before?: string; ownerId?: string }): Promise<TrackRecord[]> {
    const rows = await this.prisma.track.findMany({
      where: { ...(opts.ownerId ? { ownerId: opts.ownerId } : {}), ...(opts.before ? { id: { lt: opts.before } } : {}) },
      // Track ids are uuid v7: id order is creation order.
      orderBy: { id: "desc" },
      take: opts.limit,
      select: TRACK_FIELDS,
    });
    return rows.map(toRecord);
  }

  async remove(id: string): Promise<void> {
    await this.prisma.track.deleteMany({ where: { id } });
  }

  async claimJob(leaseMs: number): Promise<ClaimedJob | null> {
    const token = randomUUID();
    // SKIP LOCKED: nodes claiming at once each take a different row instead of queueing on one.
    // Lease times use the database clock, the one clock every node shares.
    const rows = await this.prisma.$queryRaw<{ trackId: string; claimToken: string; attempts: number }[]>`
      UPDATE "TranscodeJob"
         SET "state" = 'running', "claimToken" = ${token}, "attempts" = "attempts" + 1,
             "leaseUntil" = now() + ${leaseMs}::int * interval '1 millisecond'
       WHERE "trackId" = (
         SELECT "trackId" FROM "TranscodeJob"
          WHERE "state" = 'queued' OR ("state" = 'running' AND "leaseUntil" < now())
          ORDER BY "createdAt"
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
      RETURNING "trackId"::text AS "trackId", "claimToken", "attempts"`;
    return rows[0] ?? null;
  }

  async renewJob(job: ClaimedJob, leaseMs: number): Promise<boolean> {
    const n = await this.prisma.$executeRaw`
      UPDATE "TranscodeJob" SET "leaseUntil" = now() + ${leaseMs}::int * interval '1 millisecond'
       WHERE "trackId" = ${job.trackId}::uuid AND "claimToken" = ${job.claimToken}`;
    return n === 1;
  }

  async releaseJob(job: ClaimedJob): Promise<void> {
    // A stop is not the job's fault: the attempt is given back.
    await this.prisma.$executeRaw`
      UPDATE "TranscodeJob" SET "state" = 'queued', "claimToken" = NULL, "leaseUntil" = NULL, "attempts" = GREATEST("attempts" - 1, 0)
       WHERE "trackId" = ${job.trackId}::uuid AND "claimToken" = ${job.claimToken}`;
  }

  async finishJob(
    job: ClaimedJob,
    outcome: { status: "ready"; durationMs: number; loudnessLufs: number | null } | { status: "failed"; error: string },
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.transcodeJob.deleteMany({ where: { trackId: job.trackId, claimToken: job.claimToken } });
      if (count !== 1) return false;
      await tx.track.update({
        where: { id: job.trackId },
        data:
          outcome.status === "ready"
            ? { status: "ready", durationMs: outcome.durationMs, loudnessLufs: outcome.loudnessLufs, error: null }
            : { status: "failed", error: outcome.error.slice(0, 500) },
      });
      return true;
    });
  }

  async requeueAllRunning(): Promise<number> {
    const { count } = await this.prisma.transcodeJob.updateMany({ where: { state: "running" }, data: { state: "queued", claimToken: null, leaseUntil: null } });
    return count;
  }
}
