-- ---- Hand-written: Prisma's schema language cannot express functions (the drift test in
-- test/store/migrations.test.ts does not see them, as with the search functions).

-- Writes one planned batch of messages (src/store/pg-message-batch.ts) and aborts with SQLSTATE
-- 40001 (serialization_failure; the writer retries under the heads' row locks), leaving nothing,
-- unless every room head is still at the lastSeq the plan started from and every clientMsgId is
-- new. It replaces one large CTE statement that PostgreSQL planned afresh on every call (0.59 ms
-- of planning against 0.26 ms of execution, docs/performance.md): PL/pgSQL prepares each statement
-- below once per connection, and each is simple enough that its generic plan is the right one
-- (no joins to a jsonb recordset except through an index on "roomId").
-- Each statement takes its own snapshot (READ COMMITTED), so once the heads are locked the folds
-- see every edit committed before: edits take the head lock first (pg-message-store.ts), so none
-- is in flight on these rooms and folding cannot lose one.
CREATE FUNCTION message_batch_write(heads jsonb, folds jsonb, whole jsonb, tails jsonb, keys jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  room_ids text[] := ARRAY(SELECT e->>'roomId' FROM jsonb_array_elements(heads) e ORDER BY 1);
  n integer;
  fold record;
BEGIN
  -- Heads in roomId order, like every writer: two batches never deadlock.
  SELECT count(*) INTO n
  FROM (SELECT "roomId", "lastSeq" FROM "MessageHead" WHERE "roomId" = ANY(room_ids) ORDER BY "roomId" FOR NO KEY UPDATE) l
  JOIN jsonb_to_recordset(heads) AS v("roomId" text, "expectedLastSeq" int)
    ON v."roomId" = l."roomId" AND v."expectedLastSeq" = l."lastSeq";
  IF n <> cardinality(room_ids) THEN
    RAISE EXCEPTION 'message batch: % of % room heads are where the plan started', n, cardinality(room_ids) USING ERRCODE = '40001';
  END IF;

  -- A closing chunk: its tail rows (as they are now, edits included) and this batch's additions.
  FOR fold IN SELECT * FROM jsonb_to_recordset(folds)
      AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, add jsonb) LOOP
    WITH d AS (
      DELETE FROM "MessageTail" WHERE "roomId" = fold."roomId" AND seq BETWEEN fold."firstSeq" AND fold."lastSeq"
      RETURNING seq, message
    )
    INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
    SELECT fold."roomId", fold."firstSeq", fold."lastSeq", fold.bucket, fold.count, fold.bytes,
      coalesce((SELECT jsonb_agg(d.message ORDER BY d.seq) FROM d), '[]'::jsonb) || fold.add
    RETURNING jsonb_array_length(messages) INTO n;
    IF n <> fold.count THEN
      RAISE EXCEPTION 'message batch: chunk %:% folded % messages, planned %', fold."roomId", fold."firstSeq", n, fold.count
        USING ERRCODE = '40001';
    END IF;
  END LOOP;

  INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
  SELECT v."roomId", v."firstSeq", v."lastSeq", v.bucket, v.count, v.bytes, v.add
  FROM jsonb_to_recordset(whole) AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, add jsonb);

  INSERT INTO "MessageTail" ("roomId", seq, message)
  SELECT v."roomId", v.seq, v.m FROM jsonb_to_recordset(tails) AS v("roomId" text, seq int, m jsonb);

  INSERT INTO "MessageKey" ("roomId", "senderId", "clientMsgId", seq)
  SELECT v."roomId", v."senderId", v."clientMsgId", v.seq
  FROM jsonb_to_recordset(keys) AS v("roomId" text, "senderId" text, "clientMsgId" text, seq int)
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n <> jsonb_array_length(keys) THEN
    RAISE EXCEPTION 'message batch: % of % clientMsgIds were taken', jsonb_array_length(keys) - n, jsonb_array_length(keys)
      USING ERRCODE = '40001';
  END IF;

  UPDATE "MessageHead" t SET "lastSeq" = v."lastSeq", "lastMessage" = v.last, "openFirstSeq" = v."openFirstSeq",
    "openBucket" = v."openBucket", "openCount" = v."openCount", "openBytes" = v."openBytes"
  FROM jsonb_to_recordset(heads) AS v("roomId" text, "lastSeq" int, last jsonb, "openFirstSeq" int,
    "openBucket" timestamptz, "openCount" int, "openBytes" int)
  WHERE t."roomId" = ANY(room_ids) AND t."roomId" = v."roomId";
  RETURN cardinality(room_ids);
END
$$;

DROP FUNCTION message_write_guard(boolean, text);
