-- ---- Hand-written (functions are invisible to Prisma's schema language and its drift test).

-- A new message's index rows (who it mentions, what it answers) go in with the message, in the
-- statement that stores it (src/store/pg-message-batch.ts): the mention and reply indexes were
-- written by a statement of their own after the message committed, one more transaction and round
-- trip on the send path of every reply and mention, and a crash between the two lost the entries.
-- message_append is message_batch_write plus those rows; message_commit (appends and changes in
-- one statement) now takes them too.
-- mentions: [{ userId, roomId, seq, senderId, createdAt }]; replies: [{ roomId, toSeq, seq }].

CREATE FUNCTION message_append(heads jsonb, folds jsonb, whole jsonb, tails jsonb, keys jsonb, mentions jsonb, replies jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  rooms integer;
BEGIN
  rooms := message_batch_write(heads, folds, whole, tails, keys);
  IF jsonb_array_length(mentions) > 0 THEN
    INSERT INTO "Mention" ("userId", "roomId", seq, "senderId", "createdAt")
    SELECT m."userId", m."roomId", m.seq, m."senderId", m."createdAt"
    FROM jsonb_to_recordset(mentions) AS m("userId" uuid, "roomId" text, seq int, "senderId" uuid, "createdAt" timestamptz)
    ON CONFLICT DO NOTHING;
  END IF;
  IF jsonb_array_length(replies) > 0 THEN
    INSERT INTO "MessageReply" ("roomId", "toSeq", seq)
    SELECT x."roomId", x."toSeq", x.seq FROM jsonb_to_recordset(replies) AS x("roomId" text, "toSeq" int, seq int)
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN rooms;
END
$$;

DROP FUNCTION message_commit(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb);

CREATE FUNCTION message_commit(heads jsonb, folds jsonb, whole jsonb, tails jsonb, keys jsonb, mentions jsonb, replies jsonb, changes jsonb)
RETURNS TABLE (rev int, "lastSeq" int) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  -- Every head either part touches, in roomId order first, as every writer locks them (20261206070000).
  PERFORM 1 FROM "MessageHead" m
  WHERE m."roomId" IN (SELECT e ->> 'roomId' FROM jsonb_array_elements(heads) e UNION SELECT e ->> 'roomId' FROM jsonb_array_elements(changes) e)
  ORDER BY m."roomId" FOR NO KEY UPDATE;
  PERFORM message_append(heads, folds, whole, tails, keys, mentions, replies);
  RETURN QUERY SELECT c.rev, c."lastSeq" FROM message_changes(changes) c;
END
$$;
