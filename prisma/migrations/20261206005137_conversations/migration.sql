-- AlterTable
ALTER TABLE "MessageChunk" ADD COLUMN     "maxRev" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "MessageHead" ADD COLUMN     "pinnedSeqs" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
ADD COLUMN     "rev" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Mention" (
    "userId" UUID NOT NULL,
    "roomId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "senderId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Mention_pkey" PRIMARY KEY ("userId","roomId","seq")
);

-- CreateTable
CREATE TABLE "Block" (
    "blockerId" UUID NOT NULL,
    "blockedId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Block_pkey" PRIMARY KEY ("blockerId","blockedId")
);

-- CreateIndex
CREATE INDEX "Mention_userId_createdAt_roomId_seq_idx" ON "Mention"("userId", "createdAt" DESC, "roomId", "seq");

-- CreateIndex
CREATE INDEX "Block_blockedId_idx" ON "Block"("blockedId");

-- CreateIndex
CREATE INDEX "MessageChunk_roomId_maxRev_idx" ON "MessageChunk"("roomId", "maxRev");

-- AddForeignKey
ALTER TABLE "Block" ADD CONSTRAINT "Block_blockerId_fkey" FOREIGN KEY ("blockerId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Block" ADD CONSTRAINT "Block_blockedId_fkey" FOREIGN KEY ("blockedId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---- Hand-written.

-- Messages stored before the timeline revision count as changed at rev = seq (readers take an
-- element's missing "rev" as its seq), so every room starts at rev = lastSeq.
UPDATE "MessageHead" SET "rev" = "lastSeq";
UPDATE "MessageChunk" SET "maxRev" = "lastSeq";

-- message_batch_write (20261204141500_message_batch_write) with the timeline revision: each head
-- also carries the rev the plan started from (an edit or reaction moves rev without moving
-- lastSeq, so a plan from remembered heads must check both) and the rev it ends at; chunks
-- record the highest rev of their messages.
CREATE OR REPLACE FUNCTION message_batch_write(heads jsonb, folds jsonb, whole jsonb, tails jsonb, keys jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  room_ids text[] := ARRAY(SELECT e->>'roomId' FROM jsonb_array_elements(heads) e ORDER BY 1);
  n integer;
  fold record;
BEGIN
  -- Heads in roomId order, like every writer: two batches never deadlock.
  SELECT count(*) INTO n
  FROM (SELECT "roomId", "lastSeq", rev FROM "MessageHead" WHERE "roomId" = ANY(room_ids) ORDER BY "roomId" FOR NO KEY UPDATE) l
  JOIN jsonb_to_recordset(heads) AS v("roomId" text, "expectedLastSeq" int, "expectedRev" int)
    ON v."roomId" = l."roomId" AND v."expectedLastSeq" = l."lastSeq" AND v."expectedRev" = l.rev;
  IF n <> cardinality(room_ids) THEN
    RAISE EXCEPTION 'message batch: % of % room heads are where the plan started', n, cardinality(room_ids) USING ERRCODE = '40001';
  END IF;

  -- A closing chunk: its tail rows (as they are now, edits included) and this batch's additions.
  FOR fold IN SELECT * FROM jsonb_to_recordset(folds)
      AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, "maxRev" int, add jsonb) LOOP
    WITH d AS (
      DELETE FROM "MessageTail" WHERE "roomId" = fold."roomId" AND seq BETWEEN fold."firstSeq" AND fold."lastSeq"
      RETURNING seq, message
    )
    INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, "maxRev", messages)
    SELECT fold."roomId", fold."firstSeq", fold."lastSeq", fold.bucket, fold.count, fold.bytes,
      greatest(fold."maxRev", (SELECT max(coalesce((d.message->>'rev')::int, d.seq)) FROM d)),
      coalesce((SELECT jsonb_agg(d.message ORDER BY d.seq) FROM d), '[]'::jsonb) || fold.add
    RETURNING jsonb_array_length(messages) INTO n;
    IF n <> fold.count THEN
      RAISE EXCEPTION 'message batch: chunk %:% folded % messages, planned %', fold."roomId", fold."firstSeq", n, fold.count
        USING ERRCODE = '40001';
    END IF;
  END LOOP;

  INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, "maxRev", messages)
  SELECT v."roomId", v."firstSeq", v."lastSeq", v.bucket, v.count, v.bytes, v."maxRev", v.add
  FROM jsonb_to_recordset(whole) AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, "maxRev" int, add jsonb);

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

  UPDATE "MessageHead" t SET "lastSeq" = v."lastSeq", rev = v.rev, "lastMessage" = v.last, "openFirstSeq" = v."openFirstSeq",
    "openBucket" = v."openBucket", "openCount" = v."openCount", "openBytes" = v."openBytes"
  FROM jsonb_to_recordset(heads) AS v("roomId" text, "lastSeq" int, rev int, last jsonb, "openFirstSeq" int,
    "openBucket" timestamptz, "openCount" int, "openBytes" int)
  WHERE t."roomId" = ANY(room_ids) AND t."roomId" = v."roomId";
  RETURN cardinality(room_ids);
END
$$;
