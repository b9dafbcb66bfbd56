-- Hand-written (no schema.prisma change; see 20261123163816_message_search for why the drift test
-- does not see these objects). Adds single characters to the search index: a one-character query
-- ("猫", "밥", "ㅋ") otherwise has no index entry to look up and walks every message of the
-- caller's rooms, which at 100,000 messages took ~0.4 s when the character was absent.

DROP INDEX "MessageSearch_terms_idx";
DROP FUNCTION search_terms(text, text);

-- Each distinct character, packed as 0x7fff0000 | its code point folded to 16 bits: above every
-- bigram code whose first character does not itself fold to 0x7fff (rare CJK), so single
-- characters and bigrams almost never share an entry; a shared one only adds candidates.
CREATE FUNCTION search_unigrams(t text) RETURNS int[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT 2147418112 | ((c # (c >> 16)) & 65535)), '{}')
  FROM (SELECT ascii(ch) AS c FROM unnest(string_to_array(t, NULL)) AS u(ch)) p
$$;

-- Its search_path is pinned: PostgreSQL 17+ (PGlite is 18) evaluates index expressions during
-- CREATE INDEX, VACUUM and ANALYZE with search_path = pg_catalog, where the functions it calls are invisible.
CREATE FUNCTION search_terms(room text, folded text) RETURNS int[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path FROM CURRENT AS $$
  SELECT search_bigrams(folded) || search_unigrams(folded) || search_room_token(room)
$$;

CREATE INDEX "MessageSearch_terms_idx" ON "MessageSearch" USING GIN (search_terms("roomId", "folded"));
