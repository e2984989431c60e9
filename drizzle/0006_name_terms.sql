-- The name words of every account search lists, once each: the vocabulary a misspelt word is
-- corrected against. Search used to find typos with a trigram match on every account's names,
-- which for a common start ("martha marshall": every "mar…" name) rechecked 13,000 accounts in
-- 170 ms. Corrected words are then looked up in account_words like any prefix. Words are only
-- added: one whose accounts are gone finds nothing there, which costs nothing. New words go in
-- sorted, so two writers adding the same ones wait for each other rather than deadlock.
CREATE TABLE "name_terms" (
	"term" text COLLATE "C" PRIMARY KEY
);--> statement-breakpoint
CREATE INDEX "name_terms_trgm" ON "name_terms" USING gin ("term" gin_trgm_ops);--> statement-breakpoint

-- The same name words account_words_of pairs up.
CREATE FUNCTION name_terms_of(name_text text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
  SELECT DISTINCT n FROM regexp_split_to_table(name_text, '\s+') AS n WHERE n <> '' AND length(n) <= 200
$$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION account_words_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM account_words WHERE account_id = OLD.id;
  END IF;
  IF NEW.status <> 'active' AND NEW.recreated_as IS NULL THEN
    INSERT INTO account_words (word, account_id, gone, purge_after)
      SELECT w, NEW.id, NEW.status = 'purged', NEW.purge_after
      FROM account_words_of(NEW.search_text, NEW.name_text) AS w;
    INSERT INTO name_terms (term) SELECT t FROM name_terms_of(NEW.name_text) AS t ORDER BY t
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION account_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_words (word, account_id, gone, purge_after)
    SELECT w, n.id, n.status = 'purged', n.purge_after
    FROM inserted n CROSS JOIN LATERAL account_words_of(n.search_text, n.name_text) AS w
    WHERE n.status <> 'active' AND n.recreated_as IS NULL;
  INSERT INTO name_terms (term)
    SELECT DISTINCT t FROM inserted n CROSS JOIN LATERAL name_terms_of(n.name_text) AS t
    WHERE n.status <> 'active' AND n.recreated_as IS NULL
    ORDER BY t
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$$;--> statement-breakpoint

-- The accounts already there.
INSERT INTO name_terms (term)
  SELECT DISTINCT t FROM accounts a CROSS JOIN LATERAL name_terms_of(a.name_text) AS t
  WHERE a.status <> 'active' AND a.recreated_as IS NULL
  ON CONFLICT DO NOTHING;
