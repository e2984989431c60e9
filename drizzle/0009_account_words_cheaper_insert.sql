-- An import of 100,000 accounts (20,000 deleted) on the Postgres server spent about half its time
-- in account_words_insert: ~265 µs a deleted account. EXPLAIN ANALYZE of its INSERT on a page of
-- 5,000 deleted accounts (60,000 words) showed where (2.0 s in all):
--   * JIT compilation, 0.56 s a statement: account_words_of is inlined, and each regexp_split_to_table
--     in it is estimated at 1,000 rows, so the page is costed at 10^8 and compiled every time, for
--     work that then takes 0.3 s. The trigger's statements now run without JIT.
--   * The foreign key to accounts, 0.44 s: one lookup and row lock on accounts for each of the
--     60,000 words, re-proving what the trigger knows (it writes words of the rows it was handed).
--     account_words is derived from accounts by these triggers alone, so the key's one remaining
--     use, dropping an account's words with the account, is a statement trigger on DELETE (one
--     DELETE … USING the deleted rows) and one on TRUNCATE (TRUNCATE accounts … CASCADE used to
--     reach account_words through the key).
-- Neither changes which words an account has, so search finds the same accounts in the same order.
ALTER FUNCTION account_words_inserted() SET jit = off;--> statement-breakpoint

ALTER TABLE "account_words" DROP CONSTRAINT "account_words_account_id_fkey";--> statement-breakpoint

CREATE FUNCTION account_words_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM account_words w USING deleted d WHERE w.account_id = d.id;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER account_words_delete AFTER DELETE ON accounts
  REFERENCING OLD TABLE AS deleted
  FOR EACH STATEMENT EXECUTE FUNCTION account_words_deleted();--> statement-breakpoint

CREATE FUNCTION account_words_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE account_words;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER account_words_truncate AFTER TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION account_words_truncated();
