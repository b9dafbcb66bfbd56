-- CreateTable
CREATE TABLE "MessageSearch" (
    "roomId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "editedAt" TIMESTAMPTZ(3),
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "folded" TEXT NOT NULL,
    "message" JSONB,

    CONSTRAINT "MessageSearch_pkey" PRIMARY KEY ("roomId","seq")
);

-- CreateIndex
CREATE INDEX "MessageSearch_createdAt_roomId_seq_idx" ON "MessageSearch"("createdAt", "roomId", "seq");

-- CreateIndex
CREATE INDEX "MessageSearch_roomId_createdAt_seq_idx" ON "MessageSearch"("roomId", "createdAt", "seq");

-- ---- Hand-written below: Prisma's schema language cannot express functions or an index on an
-- expression. Safe for the drift test (test/store/migrations.test.ts): the schema engine does not
-- describe functions or expression indexes, so a database built from these migrations still
-- diffs as "no difference" against prisma/schema.prisma (checked when this was written).

-- The character bigrams of a (case-folded) text, each packed into a non-negative int: the second
-- character's code point in the low 16 bits, the first's folded to 15 bits above it. Packing can
-- merge two rare bigrams into one code; that only adds candidates, which strpos() rechecks.
-- Bigrams rather than pg_trgm's trigrams: two-character words ("안녕", "東京") are common in Korean,
-- Chinese and Japanese, and a trigram index cannot serve a two-character query at all.
CREATE FUNCTION search_bigrams(t text) RETURNS int[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT (((c1 # (c1 >> 15)) & 32767) << 16) | ((c2 # (c2 >> 16)) & 65535)), '{}')
  FROM (
    SELECT ascii(ch) AS c1, lead(ascii(ch)) OVER (ORDER BY i) AS c2
    FROM unnest(string_to_array(t, NULL)) WITH ORDINALITY AS u(ch, i)
  ) p
  WHERE c2 IS NOT NULL
$$;

-- A room as one negative int (bigram codes are never negative), so the index narrows a query to
-- the caller's rooms before any row is read. Hash collisions only add candidates.
CREATE FUNCTION search_room_token(room text) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT hashtext(room) | (-2147483648)
$$;

-- Its search_path is pinned: PostgreSQL 17+ (PGlite is 18) evaluates index expressions during
-- CREATE INDEX, VACUUM and ANALYZE with search_path = pg_catalog, where the two above are invisible.
CREATE FUNCTION search_terms(room text, folded text) RETURNS int[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path FROM CURRENT AS $$
  SELECT search_bigrams(folded) || search_room_token(room)
$$;

CREATE INDEX "MessageSearch_terms_idx" ON "MessageSearch" USING GIN (search_terms("roomId", "folded"));
