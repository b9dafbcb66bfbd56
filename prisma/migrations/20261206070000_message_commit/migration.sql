-- ---- Hand-written (functions are invisible to Prisma's schema language and its drift test).

-- A group commit's appends and changes in one statement (src/store/pg-message-store.ts
-- commitTogether): one round trip and one transaction where they were two. The appends' part is
-- message_batch_write, the changes' part message_changes, exactly as when they run alone; either
-- failing aborts both, and the caller then runs them one after the other.
-- Every head either part touches is locked first, in roomId order as every writer locks them:
-- each part locks its own rooms in order, but the appends' rooms and then the changes' rooms
-- together would not be in order, and two nodes could deadlock.

CREATE FUNCTION message_commit(heads jsonb, folds jsonb, whole jsonb, tails jsonb, keys jsonb, changes jsonb)
RETURNS TABLE (rev int, "lastSeq" int) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM 1 FROM "MessageHead" m
  WHERE m."roomId" IN (SELECT e ->> 'roomId' FROM jsonb_array_elements(heads) e UNION SELECT e ->> 'roomId' FROM jsonb_array_elements(changes) e)
  ORDER BY m."roomId" FOR NO KEY UPDATE;
  PERFORM message_batch_write(heads, folds, whole, tails, keys);
  RETURN QUERY SELECT c.rev, c."lastSeq" FROM message_changes(changes) c;
END
$$;
