-- account_words was kept by row triggers: a sync writing 100,000 new deleted users paid 200 µs a
-- row (20 of its 27 s). Inserts now go through a statement trigger with a transition table: the
-- words of a whole page in one INSERT … SELECT. Updates keep their row trigger, whose WHEN clause
-- skips the rows whose listing did not change without calling any function (a sync rewrites
-- every row of its page, and nearly all are unchanged).
DROP TRIGGER "account_words_insert" ON "accounts";--> statement-breakpoint

CREATE FUNCTION account_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_words (word, account_id, gone, purge_after)
    SELECT w, n.id, n.status = 'purged', n.purge_after
    FROM inserted n CROSS JOIN LATERAL account_words_of(n.search_text, n.name_text) AS w
    WHERE n.status <> 'active' AND n.recreated_as IS NULL;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER account_words_insert AFTER INSERT ON accounts
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION account_words_inserted();
