// MessageSearchIndex on PostgreSQL (real server or embedded PGlite) via Prisma raw SQL.
// Table "MessageSearch" (prisma/schema.prisma): one row per message with its folded text and the
// message as the API shows it. Index: GIN over search_terms("roomId", folded) = the text's
// character bigrams and single characters, plus a token for the room (a hand-written PL/pgSQL
// function, migration 20261123170850_message_search_terms).
//
// Why a GIN array of bigrams, not pg_trgm or to_tsvector: full-text configurations split words
// and stem them per language (no Korean one ships with PostgreSQL, and "안녕" inside "안녕하세요" is
// not a word of its own); pg_trgm finds substrings but needs three characters, and two-character
// words are everyday queries in Korean, Chinese and Japanese. Bigrams serve every query of two or
// more characters in any script, single characters the rest; strpos() on the folded text then
// makes the match exact. The room token lets the index drop other rooms' rows before any is read.
//
// Why two steps (docs/search.md): a bitmap scan of the index reads EVERY candidate row and then
// sorts, which is fast for rare words and slow for common ones ("the" is in most messages);
// walking the caller's rooms newest first and filtering is the opposite. PostgreSQL cannot tell
// the two apart from its statistics (it multiplies bigram frequencies as if independent, and they
// are not), so the adapter decides with a bounded probe:
//   1. the newest RECENT_WINDOW rows of the caller's rooms, filtered: a common word fills the page
//      here (a next window, up to PROBES_MAX, when the matches so far predict it will fill it);
//   2. only if not: the index, for rows older than those windows (a MATERIALIZED CTE, so the
//      planner fetches the candidates through the index instead of walking the time order).
// The page is step 1's hits followed by step 2's, which are all older: newest first throughout.
// Work per query is bounded either way: RECENT_WINDOW rows, then the matches of the caller's rooms.

import type { Message } from "../domain/message.js";
import { laterVersion, type MessageSearchIndex, type MessageSearchPage, type MessageSearchQuery, type SearchPosition } from "../domain/ports/message-search.js";
import { foldText } from "../domain/search-text.js";
import { statementRunner, type PlainSql, type Prisma, type StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";

/**
 * Rows of the caller's rooms step 1 reads. A word that fills a 51-result page from here needs a
 * frequency over ~2.5% in recent messages; rarer words go to the index, whose cost grows with the
 * number of matches, which is then small. Measured by bench/search.ts (docs/search.md).
 */
export const RECENT_WINDOW = 2_000;
/**
 * Up to this many rooms, step 1 merges one newest-first index scan per room (it reads about
 * RECENT_WINDOW rows whatever the rooms' share of the table); beyond it, one scan of the global
 * time index filtered by room (planning a query of hundreds of branches costs more than it saves).
 */
export const MERGE_ROOMS_MAX = 32;
/** Windows read before turning to the index at most (each only when the last one predicts it fills the page). */
const PROBES_MAX = 3;

const ORDER = Sql.sql`ORDER BY "createdAt" DESC, "roomId" DESC, seq DESC`;
const COLUMNS = Sql.sql`"roomId", seq, "createdAt", deleted, folded, message`;

/** Strictly after `p` in newest-first order; the plain createdAt bound lets a per-room scan start there. */
const before = (p: SearchPosition | undefined) =>
  p
    ? Sql.sql`AND "createdAt" <= ${p.createdAt}::timestamptz AND ("createdAt", "roomId", seq) < (${p.createdAt}::timestamptz, ${p.roomId}::text, ${p.seq}::int)`
    : Sql.empty;

/** The newest RECENT_WINDOW rows of these rooms (tombstones included) strictly after `after`. */
function recentRows(rooms: string[], after: SearchPosition | undefined) {
  if (rooms.length > MERGE_ROOMS_MAX) {
    return Sql.sql`SELECT ${COLUMNS} FROM "MessageSearch" WHERE "roomId" = ANY(${rooms}::text[]) ${before(after)} ${ORDER} LIMIT ${RECENT_WINDOW}::int`;
  }
  // UNION ALL of per-room scans of ("roomId", "createdAt", seq): PostgreSQL merges them (Merge Append)
  // and stops after RECENT_WINDOW rows, so only those rows are read.
  const perRoom = rooms.map(
    (room) => Sql.sql`(SELECT ${COLUMNS} FROM "MessageSearch" WHERE "roomId" = ${room} ${before(after)} ORDER BY "createdAt" DESC, seq DESC LIMIT ${RECENT_WINDOW}::int)`,
  );
  return Sql.sql`SELECT * FROM (${Sql.join(perRoom, " UNION ALL ")}) u ${ORDER} LIMIT ${RECENT_WINDOW}::int`;
}

/** search_terms() codes from here up are single characters; bigrams are below, room tokens negative. */
const UNIGRAM_MIN = 0x7fff0000;

/** Timestamps come back as Date or as string depending on the driver. */
const iso = (v: Date | string) => new Date(v).toISOString();

export class PgMessageSearch implements MessageSearchIndex {
  private readonly run: StatementRunner;

  /**
   * `sql`: the pool for the hottest statements (Database.sql), which the batched index writes go
   * through: Prisma's query layer cost 5.0 ms of CPU per 500-row write against 2.1 ms on pg.
   */
  constructor(
    private readonly prisma: Prisma,
    sql?: PlainSql | null,
  ) {
    this.run = statementRunner(prisma, sql);
  }

  async apply(messages: Message[]): Promise<void> {
    const latest = new Map<string, Message>();
    for (const m of messages) {
      const other = latest.get(m.id);
      latest.set(m.id, other ? laterVersion(other, m) : m);
    }
    if (latest.size === 0) return;
    const rows = [...latest.values()].map((m) => ({
      roomId: m.roomId,
      seq: m.seq,
      createdAt: m.createdAt,
      editedAt: m.editedAt ?? null,
      deleted: Boolean(m.deletedAt),
      folded: m.deletedAt ? "" : foldText(m.text),
      message: m.deletedAt ? null : m,
    }));
    // Rows go in (roomId, seq) order, so two nodes' batches lock rows in one order (no deadlock).
    // The WHERE of the update is laterVersion() in SQL: a deletion is final, else the later edit wins.
    await this.run(Sql.sql`
      INSERT INTO "MessageSearch" ("roomId", seq, "createdAt", "editedAt", deleted, folded, message)
      SELECT r."roomId", r.seq, r."createdAt", r."editedAt", r.deleted, r.folded, r.message
      FROM (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS r("roomId" text, seq int, "createdAt" timestamptz, "editedAt" timestamptz, deleted boolean, folded text, message jsonb)
        LIMIT ${rows.length}::int
      ) r
      ORDER BY r."roomId", r.seq
      ON CONFLICT ("roomId", seq) DO UPDATE SET
        "editedAt" = excluded."editedAt", deleted = excluded.deleted, folded = excluded.folded, message = excluded.message
      WHERE NOT "MessageSearch".deleted
        AND (excluded.deleted OR coalesce(excluded."editedAt", '-infinity') >= coalesce("MessageSearch"."editedAt", '-infinity'))`);
  }

  async search(query: MessageSearchQuery): Promise<MessageSearchPage> {
    const rooms = [...new Set(query.roomIds)];
    const needle = foldText(query.text);
    if (rooms.length === 0 || needle.length === 0) return { hits: [], hasMore: false };
    const want = query.limit + 1;
    const page = (hits: Message[]) => ({ hits: hits.slice(0, query.limit), hasMore: hits.length > query.limit });

    const hits: Message[] = [];
    let from = query.after;
    let scanned = 0;
    for (let probes = 1; ; probes++) {
      const window = await this.probe(rooms, needle, from, want - hits.length);
      hits.push(...window.hits);
      scanned += window.scanned;
      if (hits.length >= want || window.scanned < RECENT_WINDOW || !window.edge) return page(hits);
      from = window.edge;
      // Another window if the matches so far say it will most likely fill the page (a word a bit
      // under the first window's threshold); otherwise the index.
      const rowsNeeded = hits.length > 0 ? ((want - hits.length) * scanned) / hits.length : Infinity;
      if (probes >= PROBES_MAX || rowsNeeded > RECENT_WINDOW) break;
    }
    return page([...hits, ...(await this.throughIndex(rooms, needle, from, want - hits.length))]);
  }

  /** Step 1: the next RECENT_WINDOW rows of the rooms strictly after `from`, and the matches among them. */
  private async probe(rooms: string[], needle: string, from: SearchPosition | undefined, limit: number) {
    const [row] = await this.prisma.$queryRaw<{ scanned: number; edgeAt: Date | string | null; edgeRoom: string | null; edgeSeq: number | null; hits: Message[] }[]>`
      WITH w AS MATERIALIZED (${recentRows(rooms, from)}), edge AS (
        SELECT "createdAt", "roomId", seq FROM w ORDER BY "createdAt", "roomId", seq LIMIT 1
      )
      SELECT (SELECT count(*)::int FROM w) AS scanned,
        (SELECT "createdAt" FROM edge) AS "edgeAt", (SELECT "roomId" FROM edge) AS "edgeRoom", (SELECT seq FROM edge) AS "edgeSeq",
        (SELECT coalesce(jsonb_agg(h.message ORDER BY h."createdAt" DESC, h."roomId" DESC, h.seq DESC), '[]'::jsonb)
         FROM (SELECT * FROM w WHERE NOT deleted AND strpos(folded, ${needle}) > 0 ${ORDER} LIMIT ${limit}::int) h) AS hits`;
    const edge: SearchPosition | undefined = row?.edgeAt ? { createdAt: iso(row.edgeAt), roomId: row.edgeRoom!, seq: row.edgeSeq! } : undefined;
    return { scanned: row?.scanned ?? 0, hits: row?.hits ?? [], edge };
  }

  /**
   * Candidates from the index, all of them (they are few: see RECENT_WINDOW), then the newest.
   * The query's terms come from the indexing function itself: its bigrams (codes below
   * UNIGRAM_MIN), or for one character its single-character code.
   */
  private async throughIndex(rooms: string[], needle: string, edge: SearchPosition, limit: number): Promise<Message[]> {
    const which = [...needle].length >= 2 ? Sql.sql`g < ${UNIGRAM_MIN}::int` : Sql.sql`g >= ${UNIGRAM_MIN}::int`;
    const rows = await this.prisma.$queryRaw<{ message: Message }[]>`
      WITH c AS MATERIALIZED (
        SELECT "roomId", seq, "createdAt", message FROM "MessageSearch"
        WHERE search_terms("roomId", folded) @> ARRAY(SELECT g FROM unnest(search_terms(NULL, ${needle})) AS g WHERE ${which})
          AND search_terms("roomId", folded) && ARRAY(SELECT (search_terms(r, ''))[1] FROM unnest(${rooms}::text[]) AS r)
          AND "roomId" = ANY(${rooms}::text[]) AND NOT deleted AND strpos(folded, ${needle}) > 0 ${before(edge)}
      )
      SELECT message FROM c ${ORDER} LIMIT ${limit}::int`;
    return rows.map((r) => r.message);
  }

  /** The Prisma client belongs to the caller. */
  async close(): Promise<void> {}
}
