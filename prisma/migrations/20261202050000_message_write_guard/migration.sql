-- ---- Hand-written: Prisma's schema language cannot express functions (the drift test in
-- test/store/migrations.test.ts does not see them, as with the search functions).

-- Aborts the statement it is evaluated in when `ok` is false. A batch of messages is written
-- in one statement (src/store/pg-message-batch.ts) that checks its own outcome (every row it
-- planned was written, the room heads were where it assumed); failing here rolls the whole
-- statement back, which is what lets a batch commit without an explicit transaction.
-- SQLSTATE 40001 (serialization_failure): the writer retries under the heads' row locks.
CREATE FUNCTION message_write_guard(ok boolean, detail text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF NOT ok THEN
    RAISE EXCEPTION 'message write guard: %', detail USING ERRCODE = '40001';
  END IF;
  RETURN true;
END
$$;
