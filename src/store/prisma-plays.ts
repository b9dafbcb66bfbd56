import { PLAY_WINDOW_MS, type ChartPeriod, type PlayCounter } from "../domain/ports/play-counter.js";
import type { Prisma } from "./database.js";

const DAY_MS = 86_400_000;
export const utcDay = (d: Date) => d.toISOString().slice(0, 10);
/** The UTC days a chart covers, oldest first: today, or the 7 days ending today. */
export const chartDays = (period: ChartPeriod, now: Date) =>
  Array.from({ length: period === "day" ? 1 : 7 }, (_, i) => utcDay(new Date(now.getTime() - (period === "day" ? 0 : 6 - i) * DAY_MS)));

/** Plays in PostgreSQL: a per (user, track) guard row and per-day counters (charts sum them). */
export class PrismaPlayCounter implements PlayCounter {
  constructor(private readonly prisma: Prisma) {}

  async record(userId: string, trackId: string, at: Date): Promise<boolean> {
    // One statement: the guard moves only if its last counted play is a window old, and the
    // day's counter grows only if the guard moved. Concurrent plays of one user serialize on
    // the guard row, so exactly one of them counts.
    const rows = await this.prisma.$queryRaw<{ plays: number }[]>`
      WITH counted AS (
        INSERT INTO "PlayGuard" ("userId", "trackId", "countedAt") VALUES (${userId}::uuid, ${trackId}::uuid, ${at})
        ON CONFLICT ("userId", "trackId") DO UPDATE SET "countedAt" = EXCLUDED."countedAt"
          WHERE "PlayGuard"."countedAt" <= EXCLUDED."countedAt" - ${PLAY_WINDOW_MS}::int * interval '1 millisecond'
        RETURNING 1
      )
      INSERT INTO "TrackPlayDay" ("day", "trackId", "plays")
        SELECT ${utcDay(at)}::date, ${trackId}::uuid, 1 FROM counted
      ON CONFLICT ("day", "trackId") DO UPDATE SET "plays" = "TrackPlayDay"."plays" + 1
      RETURNING "plays"`;
    return rows.length === 1;
  }

  async top(period: ChartPeriod, limit: number, now: Date) {
    const days = chartDays(period, now);
    const rows = await this.prisma.$queryRaw<{ trackId: string; plays: number }[]>`
      SELECT "trackId"::text AS "trackId", SUM("plays")::int AS "plays" FROM "TrackPlayDay"
       WHERE "day" BETWEEN ${days[0]}::date AND ${days.at(-1)}::date
       GROUP BY "trackId" ORDER BY 2 DESC, 1 LIMIT ${limit}::int`;
    return rows.map((r) => ({ trackId: r.trackId, plays: Number(r.plays) }));
  }
}
